//! Every step phrase the features can use, read from the step definitions' own attributes, with
//! an example line from the built-in features: for `bypass-lab steps`, and for suggesting the
//! nearest phrases when a feature's step matches none.

use super::rehearsal::BUILT_IN_FEATURES;
use cucumber::codegen::{Expression, Regex};
use cucumber::gherkin::StepType;

/// The step modules' sources: the phrases are taken from their `#[given]`, `#[when]` and
/// `#[then]` attributes (a test checks that none is missed).
const SOURCES: &[&str] = &[
    include_str!("appliance.rs"),
    include_str!("client.rs"),
    include_str!("dns.rs"),
    include_str!("faults.rs"),
    include_str!("runbook.rs"),
    include_str!("tenant.rs"),
];

/// One step phrase.
#[derive(Debug, Clone)]
pub struct Phrase {
    pub ty: StepType,
    /// As written in the step definition: a Cucumber expression, a literal, or a regex.
    pub text: String,
    pub regex: Regex,
    /// A line of a built-in feature that uses it, if any does.
    pub example: Option<String>,
}

impl Phrase {
    pub fn keyword(&self) -> &'static str {
        match self.ty {
            StepType::Given => "Given",
            StepType::When => "When",
            StepType::Then => "Then",
        }
    }

    pub fn matches(&self, ty: StepType, text: &str) -> bool {
        self.ty == ty && self.regex.is_match(text)
    }
}

/// Reads a Rust string literal (`"..."` or `r"..."`/`r#"..."#`) at the start of `text`.
fn literal(text: &str) -> Option<String> {
    if let Some(raw) = text.strip_prefix('r') {
        let hashes = raw.chars().take_while(|c| *c == '#').count();
        let body = raw[hashes..].strip_prefix('"')?;
        let end = body.find(&format!("\"{}", "#".repeat(hashes)))?;
        return Some(body[..end].to_string());
    }
    let body = text.strip_prefix('"')?;
    let mut out = String::new();
    let mut chars = body.chars();
    while let Some(c) = chars.next() {
        match c {
            '"' => return Some(out),
            '\\' => out.push(chars.next()?),
            other => out.push(other),
        }
    }
    None
}

fn phrases_in(source: &str) -> Vec<Phrase> {
    let mut out = Vec::new();
    // An attribute may span lines once formatted (`#[then(` then the phrase on the next line).
    for (at, _) in source.match_indices("#[") {
        let line = &source[at..];
        let (ty, rest) = if let Some(r) = line.strip_prefix("#[given(") {
            (StepType::Given, r)
        } else if let Some(r) = line.strip_prefix("#[when(") {
            (StepType::When, r)
        } else if let Some(r) = line.strip_prefix("#[then(") {
            (StepType::Then, r)
        } else {
            continue;
        };
        let rest = rest.trim_start();
        let parsed = if let Some(r) = rest.strip_prefix("expr = ") {
            literal(r).and_then(|t| Expression::regex(&t).ok().map(|re| (t, re)))
        } else if let Some(r) = rest.strip_prefix("regex = ") {
            literal(r).and_then(|t| Regex::new(&t).ok().map(|re| (t, re)))
        } else {
            literal(rest).and_then(|t| Regex::new(&format!("^{}$", escape(&t))).ok().map(|re| (t, re)))
        };
        if let Some((text, regex)) = parsed {
            out.push(Phrase { ty, text, regex, example: None });
        }
    }
    out
}

fn escape(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Every phrase, with an example from the built-in features where one uses it.
pub fn phrases() -> Vec<Phrase> {
    let mut all: Vec<Phrase> = SOURCES.iter().flat_map(|s| phrases_in(s)).collect();
    for file in BUILT_IN_FEATURES.files() {
        let Some(text) = file.contents_utf8() else { continue };
        let Ok(feature) = cucumber::gherkin::Feature::parse(text, Default::default()) else { continue };
        for step in super::preflight::steps_of(&feature) {
            if let Some(p) = all.iter_mut().find(|p| p.example.is_none() && p.matches(step.ty, &step.value)) {
                p.example = Some(format!("{} {}", step.keyword.trim(), step.value));
            }
        }
    }
    all
}

/// The phrases nearest to a step that matched none (at most three).
pub fn nearest<'a>(phrases: &'a [Phrase], ty: StepType, text: &str) -> Vec<&'a Phrase> {
    let mut scored: Vec<(usize, &Phrase)> = phrases
        .iter()
        .map(|p| {
            let against = p.example.as_deref().and_then(|e| e.split_once(' ').map(|(_, rest)| rest)).unwrap_or(&p.text);
            let d = crate::runbook::spelling::distance(text, against)
                .min(crate::runbook::spelling::distance(text, &p.text));
            (d + usize::from(p.ty != ty), p)
        })
        .collect();
    scored.sort_by_key(|(d, _)| *d);
    scored.into_iter().take(3).map(|(_, p)| p).collect()
}

/// The listing `bypass-lab steps` prints.
pub fn listing() -> String {
    let mut out = String::new();
    for p in phrases() {
        out.push_str(&format!("{} {}\n", p.keyword(), p.text));
        match &p.example {
            Some(e) => out.push_str(&format!("    e.g. {e}\n")),
            None => out.push_str("    (no built-in feature uses it yet)\n"),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::steps::LabWorld;
    use cucumber::codegen::WorldInventory;

    #[test]
    fn every_step_definition_is_listed() {
        let defined = cucumber::codegen::inventory::iter::<<LabWorld as WorldInventory>::Given>.into_iter().count()
            + cucumber::codegen::inventory::iter::<<LabWorld as WorldInventory>::When>.into_iter().count()
            + cucumber::codegen::inventory::iter::<<LabWorld as WorldInventory>::Then>.into_iter().count();
        let listed = phrases();
        assert_eq!(listed.len(), defined, "{listed:#?}");
    }

    #[test]
    fn phrases_match_their_examples_and_a_typo_finds_the_phrase() {
        let listed = phrases();
        let signed_in = listed.iter().find(|p| p.text == "a user is signed in at each site").expect("the phrase");
        assert_eq!(signed_in.example.as_deref(), Some("And a user is signed in at each site"));
        let near = nearest(&listed, StepType::Given, "a user is sined in at each site");
        assert_eq!(near[0].text, "a user is signed in at each site");
        let with_string = listed.iter().find(|p| p.text == "a user {string} is signed in at the first site").unwrap();
        assert!(with_string.matches(StepType::Given, "a user \"bob\" is signed in at the first site"));
    }
}
