//! What a phase is for, so it is judged against the admin's intent and not only against the
//! tenant's state after it: a runbook that builds the bypass settings but never saves them
//! leaves the tenant "disabled", which the tenant-state verdict would call consistent.
//!
//! The intent comes from the phase's name, in the deployment guide's vocabulary (`enable`,
//! `verify`, `change`, `temporary-disable`, `permanent-disable` and their obvious variants), or
//! from an `# expect: ...` line in the phase, which wins (docs/design/rollout.md, "Intent").

use super::phase::Phase;
use super::RolloutError;
use std::fmt;

/// The end state a phase is meant to leave; None in a field: the phase says nothing of it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Intent {
    pub bypass: Option<bool>,
    pub url: Option<UrlIntent>,
    /// Whether the service name's records are meant to be in the internal DNS.
    pub records: Option<bool>,
    /// Where the intent came from.
    pub from_marker: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UrlIntent {
    /// A URL is set (a new or changed one).
    Set,
    /// Cleared with `$null`.
    Null,
}

impl fmt::Display for Intent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut parts = vec![];
        if let Some(on) = self.bypass {
            parts.push(if on { "bypass on" } else { "bypass off" });
        }
        match self.url {
            Some(UrlIntent::Set) => parts.push("URL set"),
            Some(UrlIntent::Null) => parts.push("URL $null"),
            None => {}
        }
        if let Some(present) = self.records {
            parts.push(if present { "records present" } else { "records removed" });
        }
        write!(f, "{}", parts.join(", "))?;
        write!(f, " ({})", if self.from_marker { "from its # expect: line" } else { "from its name" })
    }
}

/// The phase name's words, lower case, joined by `-`: `Temporary Disable` → `temporary-disable`.
fn words(name: &str) -> String {
    let lowered: String =
        name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    lowered.split('-').filter(|w| !w.is_empty()).collect::<Vec<_>>().join("-")
}

/// The guide's intent for a phase name, if the name is one of its steps.
fn of_name(name: &str) -> Option<Intent> {
    let w = words(name);
    let has = |word: &str| w.split('-').any(|x| x == word);
    let on = Intent { bypass: Some(true), url: Some(UrlIntent::Set), records: Some(true), from_marker: false };
    let paused = Intent { bypass: Some(false), url: None, records: Some(true), from_marker: false };
    let removed = Intent { bypass: Some(false), url: Some(UrlIntent::Null), records: Some(false), from_marker: false };
    let permanent =
        ["permanent", "permanently", "remove", "removal", "decommission", "uninstall", "teardown", "rollback"];
    let temporary = ["temporary", "temporarily", "temp", "pause", "suspend", "maintenance"];
    if permanent.iter().any(|x| has(x)) {
        return Some(removed);
    }
    if temporary.iter().any(|x| has(x)) || w == "disable" || w == "disable-bypass" || w == "disable-media-bypass" {
        return Some(paused);
    }
    if has("enable") || has("change") || has("rename") || w == "go-live" || w == "bypass-on" || w == "turn-on" {
        return Some(on);
    }
    None
}

/// An `# expect: ...` line: its items, or None when the line is not one.
fn marker(line: &str, number: usize) -> Result<Option<Intent>, RolloutError> {
    let Some(comment) = line.trim().strip_prefix('#').map(str::trim_start) else { return Ok(None) };
    if !comment.get(..6).is_some_and(|h| h.eq_ignore_ascii_case("expect")) {
        return Ok(None);
    }
    let rest = &comment[6..];
    if rest.chars().next().is_some_and(|c| c.is_alphanumeric()) {
        return Ok(None); // `# expected ...`, `# expectations`: another word
    }
    let bad = |item: &str| RolloutError::BadExpect { line: number, item: item.to_string() };
    let Some(items) = rest.trim_start().strip_prefix(':') else { return Err(bad(rest.trim())) };
    let mut intent = Intent { from_marker: true, ..Intent::default() };
    for item in items.split(',').map(str::trim).filter(|i| !i.is_empty()) {
        let item_words = words(item);
        match item_words.as_str() {
            "bypass-on" | "bypass-enabled" => intent.bypass = Some(true),
            "bypass-off" | "bypass-disabled" => intent.bypass = Some(false),
            "url-set" | "url-changed" => intent.url = Some(UrlIntent::Set),
            "url-null" | "url-none" | "url-cleared" => intent.url = Some(UrlIntent::Null),
            "url-kept" | "url-unchanged" => intent.url = None,
            "records-present" | "records-kept" => intent.records = Some(true),
            "records-removed" => intent.records = Some(false),
            _ if item.eq_ignore_ascii_case("url $null") => intent.url = Some(UrlIntent::Null),
            _ => return Err(bad(item)),
        }
    }
    if intent.bypass.is_none() && intent.url.is_none() && intent.records.is_none() && items.trim().is_empty() {
        return Err(bad(""));
    }
    Ok(Some(intent))
}

/// Each phase's intent, in phase order: its `# expect:` line, else its name's, else None.
/// An `# expect:` line that cannot be read is invalid input, found before any lab starts.
pub fn intents(phases: &[Phase]) -> Result<Vec<Option<Intent>>, RolloutError> {
    let mut out = vec![];
    let mut previous: Option<Intent> = None;
    for phase in phases {
        let mut declared = None;
        for (i, line) in phase.source.lines().enumerate() {
            if let Some(intent) = marker(line, i + 1)? {
                declared = Some(intent);
            }
        }
        let w = words(&phase.name);
        // A verify step checks what the step before it left.
        let verify = ["verify", "confirm", "check", "validate", "test"].iter().any(|x| w.split('-').any(|y| y == *x));
        let intent = declared.or_else(|| of_name(&phase.name)).or(if verify { previous } else { None });
        if intent.is_some() {
            previous = intent;
        }
        out.push(intent);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::phase::split;
    use super::*;

    #[test]
    fn the_guides_step_names_carry_its_end_states() {
        let phases = split(
            "# phase: dns\n# phase: Enable\n# phase: verify\n# phase: change-url\n# phase: temporary disable\n# phase: permanent-disable\n# phase: misc\n",
        )
        .unwrap();
        let got: Vec<Option<String>> = intents(&phases).unwrap().iter().map(|i| i.map(|i| i.to_string())).collect();
        assert_eq!(
            got,
            [
                None,
                Some("bypass on, URL set, records present (from its name)".into()),
                Some("bypass on, URL set, records present (from its name)".into()),
                Some("bypass on, URL set, records present (from its name)".into()),
                Some("bypass off, records present (from its name)".into()),
                Some("bypass off, URL $null, records removed (from its name)".into()),
                None,
            ]
        );
    }

    #[test]
    fn an_expect_line_states_the_intent_and_a_bad_one_is_refused() {
        let phases = split("# phase: step3\n# expect: bypass off, URL $null, records removed\n").unwrap();
        assert_eq!(
            intents(&phases).unwrap()[0].unwrap().to_string(),
            "bypass off, URL $null, records removed (from its # expect: line)"
        );
        let phases = split("# phase: step3\n# Expect: bypass sideways\n").unwrap();
        assert_eq!(
            intents(&phases).unwrap_err().to_string(),
            "line 2: '# expect:' does not know 'bypass sideways': write e.g. '# expect: bypass on, url set, records present' (bypass on|off, url set|kept|$null, records present|removed)"
        );
        assert!(intents(&split("# phase: a\n# expected to take a day\n").unwrap()).unwrap()[0].is_none());
    }
}
