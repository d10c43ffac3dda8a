//! Checks the features before any lab starts, so an authoring mistake is reported at its line
//! instead of as a failed or silently skipped scenario: files saved by Windows tools (a BOM,
//! UTF-16) are read as text, Gherkin syntax errors name the line and what was expected, a step
//! that matches no phrase gets the nearest phrases, and tags that select nothing say so.

use super::catalogue::{nearest, phrases, Phrase};
use crate::runbook::encoding::decode;
use cucumber::gherkin::tagexpr::TagOperation;
use cucumber::gherkin::{Feature, GherkinEnv, Step};
use cucumber::tag::Ext as _;
use std::path::{Path, PathBuf};

/// Whether a scenario runs in this rehearsal.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    Selected,
    /// Tagged `@seed` while the plan is not the seed's.
    NotApplicable,
    /// Left out by `--tags`.
    Excluded,
}

/// The rule every rehearsal applies: `@seed` scenarios only on the seed's plan, then `--tags`.
pub fn select<'a>(
    tags: impl Iterator<Item = &'a String> + Clone,
    seed_plan: bool,
    filter: Option<&TagOperation>,
) -> Selection {
    if !seed_plan && tags.clone().any(|t| t == "seed") {
        return Selection::NotApplicable;
    }
    match filter {
        Some(op) if !op.eval(tags) => Selection::Excluded,
        _ => Selection::Selected,
    }
}

/// The features, checked and rewritten as UTF-8 into a scratch folder cucumber reads.
#[derive(Debug)]
pub struct Prepared {
    pub dir: tempfile::TempDir,
    pub selected: usize,
}

/// Every step of a feature (background, scenarios, rules), outline steps filled in from their
/// first example row.
pub fn steps_of(feature: &Feature) -> Vec<Step> {
    let mut out = Vec::new();
    let mut add = |background: Option<&cucumber::gherkin::Background>, scenario: &cucumber::gherkin::Scenario| {
        out.extend(background.iter().flat_map(|b| b.steps.iter().cloned()));
        let row = scenario.examples.iter().find_map(|e| {
            let t = e.table.as_ref()?;
            Some((t.rows.first()?.clone(), t.rows.get(1)?.clone()))
        });
        for step in &scenario.steps {
            let mut step = step.clone();
            if let Some((header, values)) = &row {
                for (h, v) in header.iter().zip(values) {
                    step.value = step.value.replace(&format!("<{h}>"), v);
                }
            }
            out.push(step);
        }
    };
    for s in &feature.scenarios {
        add(feature.background.as_ref(), s);
    }
    for rule in &feature.rules {
        for s in &rule.scenarios {
            add(rule.background.as_ref().or(feature.background.as_ref()), s);
        }
    }
    out
}

fn feature_files(root: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if root.is_file() {
        out.push(root.to_path_buf());
        return Ok(());
    }
    let mut entries: Vec<PathBuf> = std::fs::read_dir(root)?.map(|e| e.map(|e| e.path())).collect::<Result<_, _>>()?;
    entries.sort();
    for path in entries {
        if path.is_dir() {
            feature_files(&path, out)?;
        } else if path.extension().is_some_and(|e| e == "feature") {
            out.push(path);
        }
    }
    Ok(())
}

const HEADERS: &[&str] = &[
    "Feature:",
    "Rule:",
    "Background:",
    "Scenario:",
    "Scenario Outline:",
    "Scenario Template:",
    "Example:",
    "Examples:",
    "Scenarios:",
];
const STEP_WORDS: &[&str] = &["Given ", "When ", "Then ", "And ", "But ", "* "];

/// The first line that is neither a keyword, a step, a tag, a table, a doc string nor a
/// description (free text is allowed only right under a header), with why.
fn stray_line(text: &str) -> Option<(usize, String)> {
    let mut in_doc: Option<&str> = None;
    let mut description_allowed = true;
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim();
        if let Some(fence) = in_doc {
            if line.starts_with(fence) {
                in_doc = None;
            }
            continue;
        }
        if line.starts_with("\"\"\"") || line.starts_with("```") {
            in_doc = Some(if line.starts_with("```") { "```" } else { "\"\"\"" });
            continue;
        }
        if line.is_empty() || line.starts_with('#') || line.starts_with('@') || line.starts_with('|') {
            continue;
        }
        if HEADERS.iter().any(|h| line.starts_with(h)) {
            description_allowed = true;
            continue;
        }
        if STEP_WORDS.iter().any(|w| line.starts_with(w)) {
            description_allowed = false;
            continue;
        }
        if description_allowed {
            continue;
        }
        let first = line.split_whitespace().next().unwrap_or(line);
        let near = crate::runbook::spelling::nearest(first, HEADERS.iter().chain(STEP_WORDS).map(|k| k.trim()), 1);
        let hint = near.first().map(|k| format!("; did you mean '{k}'?")).unwrap_or_default();
        return Some((i + 1, format!("'{line}' is neither a step (Given, When, Then, And, But) nor a keyword (Feature:, Rule:, Background:, Scenario:, Scenario Outline:, Examples:){hint}")));
    }
    None
}

/// A Gherkin syntax error in words: the stray line when one is found, else the parser's place.
fn gherkin_error(text: &str, error: &impl std::fmt::Display) -> String {
    if let Some((line, why)) = stray_line(text) {
        return format!("line {line}: {why}");
    }
    let shown = error.to_string();
    match shown.strip_prefix("Error at ").and_then(|r| r.split_once(": ")).and_then(|(p, _)| p.split_once(':')) {
        Some((line, column)) => format!("line {line}, column {column}: this is not Gherkin the lab can read"),
        None => shown,
    }
}

/// Checks every feature under `source` and writes it as UTF-8 into a scratch folder.
pub fn prepare(source: &Path, seed_plan: bool, filter: Option<(&str, &TagOperation)>) -> anyhow::Result<Prepared> {
    let mut files = Vec::new();
    feature_files(source, &mut files)
        .map_err(|e| anyhow::anyhow!("cannot read the features in {}: {e}", source.display()))?;
    anyhow::ensure!(!files.is_empty(), "no .feature file in {}", source.display());
    let dir = tempfile::Builder::new().prefix("bypass-lab-features-").tempdir()?;
    let known: Vec<Phrase> = phrases();
    let mut problems = Vec::new();
    let (mut selected, mut total) = (0, 0);
    let mut seen_tags: Vec<String> = Vec::new();
    for (i, path) in files.iter().enumerate() {
        let shown = path.display();
        let bytes = std::fs::read(path).map_err(|e| anyhow::anyhow!("cannot read {shown}: {e}"))?;
        let text = match decode(&bytes) {
            Ok(t) => t,
            Err(e) => {
                problems.push(format!("{shown}: {e}"));
                continue;
            }
        };
        let feature = match Feature::parse(&text, GherkinEnv::default()) {
            Ok(f) => f,
            Err(e) => {
                problems.push(format!("{shown}: {}", gherkin_error(&text, &e)));
                continue;
            }
        };
        for step in steps_of(&feature) {
            if !known.iter().any(|p| p.matches(step.ty, &step.value)) {
                let near: Vec<String> = nearest(&known, step.ty, &step.value)
                    .into_iter()
                    .map(|p| format!("\n      {} {}", p.keyword(), p.text))
                    .collect();
                problems.push(format!(
                    "{shown}:{}: no step matches \"{} {}\"; the nearest phrases (`bypass-lab steps` lists all):{}",
                    step.position.line,
                    step.keyword.trim(),
                    step.value,
                    near.concat()
                ));
            }
        }
        let scenarios = feature
            .scenarios
            .iter()
            .map(|s| (None, s))
            .chain(feature.rules.iter().flat_map(|r| r.scenarios.iter().map(move |s| (Some(r), s))));
        for (rule, scenario) in scenarios {
            let tags = feature.tags.iter().chain(rule.iter().flat_map(|r| r.tags.iter())).chain(scenario.tags.iter());
            seen_tags.extend(tags.clone().cloned());
            total += 1;
            if select(tags, seed_plan, filter.map(|(_, op)| op)) == Selection::Selected {
                selected += 1;
            }
        }
        let name = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        std::fs::write(dir.path().join(format!("{i:03}-{name}")), text)?;
    }
    anyhow::ensure!(problems.is_empty(), "the features cannot run:\n  {}", problems.join("\n  "));
    if let Some((text, _)) = filter {
        seen_tags.sort();
        seen_tags.dedup();
        anyhow::ensure!(
            selected > 0,
            "no scenario matches --tags '{text}' ({total} scenario{} in {}; their tags: {})",
            if total == 1 { "" } else { "s" },
            source.display(),
            if seen_tags.is_empty() {
                "none".to_string()
            } else {
                seen_tags.iter().map(|t| format!("@{t}")).collect::<Vec<_>>().join(" ")
            }
        );
    }
    Ok(Prepared { dir, selected })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(files: &[(&str, &[u8])]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        for (name, bytes) in files {
            std::fs::write(dir.path().join(name), bytes).unwrap();
        }
        dir
    }

    const GOOD: &str = "Feature: DNS\n  @dns\n  Scenario: each site\n    Then a client in each site resolves the service name to exactly that site's Mediation Servers\n";

    #[test]
    fn a_feature_saved_with_a_bom_or_as_utf16_is_read() {
        let bom = [&[0xEF, 0xBB, 0xBF][..], GOOD.as_bytes()].concat();
        let utf16: Vec<u8> =
            [0xFF, 0xFE].into_iter().chain(GOOD.encode_utf16().flat_map(|u| u.to_le_bytes())).collect();
        let dir = folder(&[("a.feature", &bom), ("b.feature", &utf16)]);
        let prepared = prepare(dir.path(), true, None).unwrap();
        assert_eq!(prepared.selected, 2);
        for entry in std::fs::read_dir(prepared.dir.path()).unwrap() {
            assert!(std::fs::read_to_string(entry.unwrap().path()).unwrap().starts_with("Feature: DNS"));
        }
    }

    #[test]
    fn a_syntax_error_names_the_line() {
        let dir = folder(&[(
            "bad.feature",
            b"Feature: x\n  Scenario: y\n    Given a user is signed in at each site\n  Scenari: z\n",
        )]);
        let e = prepare(dir.path(), true, None).unwrap_err().to_string();
        assert!(e.contains("bad.feature: line 4: 'Scenari: z' is neither a step"), "{e}");
        assert!(e.ends_with("did you mean 'Scenario:'?"), "{e}");
    }

    #[test]
    fn an_unmatched_step_gets_the_nearest_phrases() {
        let dir =
            folder(&[("typo.feature", b"Feature: x\n  Scenario: y\n    Given a user is sined in at each site\n")]);
        let e = prepare(dir.path(), true, None).unwrap_err().to_string();
        assert!(e.contains("typo.feature:3: no step matches \"Given a user is sined in at each site\""), "{e}");
        assert!(e.contains("\n      Given a user is signed in at each site"), "{e}");
    }

    #[test]
    fn tags_that_match_nothing_say_so() {
        let dir = folder(&[("dns.feature", GOOD.as_bytes())]);
        let op: TagOperation = "@nothing".parse().unwrap();
        let e = prepare(dir.path(), true, Some(("@nothing", &op))).unwrap_err().to_string();
        assert!(e.starts_with("no scenario matches --tags '@nothing' (1 scenario in"), "{e}");
        assert!(e.ends_with("their tags: @dns)"), "{e}");
        let op: TagOperation = "@dns".parse().unwrap();
        assert_eq!(prepare(dir.path(), true, Some(("@dns", &op))).unwrap().selected, 1);
    }
}
