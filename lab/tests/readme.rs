//! The README is followed line by line by new admins: every file it names must be in the repo.

use std::path::Path;

/// The repository paths a text names: words starting with one of the project's folders.
fn named_paths(text: &str) -> Vec<String> {
    const FOLDERS: &[&str] = &["examples/", "lab/topologies/", "features/", "docs/", "lab/src/", "steps/"];
    let mut out = Vec::new();
    for word in text.split(|c: char| c.is_whitespace() || matches!(c, '`' | '(' | ')' | ',' | '|' | '"' | '\'')) {
        let word = word.trim_end_matches(['.', ':', ';']);
        let word = word.strip_prefix("./").unwrap_or(word);
        if FOLDERS.iter().any(|f| word.starts_with(f)) {
            out.push(word.to_string());
        }
    }
    out
}

#[test]
fn every_path_the_readme_names_exists() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let named = named_paths(&readme);
    assert!(named.iter().any(|p| p == "examples/seed-enable.ps1"), "the walk-through's runbook is named: {named:?}");
    let missing: Vec<&String> = named.iter().filter(|p| !root.join(p).exists()).collect();
    assert!(missing.is_empty(), "the README names files that are not in the repo: {missing:?}");
}

#[test]
fn paths_are_found_in_commands_and_tables() {
    let text = "bypass-lab run examples/nope.ps1\n| `lab/topologies/` | x |\n(docs/design/topology.md).";
    assert_eq!(named_paths(text), vec!["examples/nope.ps1", "lab/topologies/", "docs/design/topology.md"]);
}

/// The built-in features and scenarios, counted as the rehearsal counts them: a scenario outline
/// is one scenario per row of its examples.
fn built_in_counts(root: &Path) -> (usize, usize) {
    let (mut features, mut scenarios) = (0, 0);
    for entry in std::fs::read_dir(root.join("features")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "feature") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let lines: Vec<&str> = text.lines().map(str::trim).collect();
        features += lines.iter().filter(|l| l.starts_with("Feature:")).count();
        let mut in_examples = false;
        let mut header_seen = false;
        for line in lines {
            if line.starts_with("Scenario:") || line.starts_with("Example:") {
                scenarios += 1;
            }
            if line.starts_with("Examples:") || line.starts_with("Scenarios:") {
                (in_examples, header_seen) = (true, false);
            } else if in_examples && line.starts_with('|') {
                scenarios += usize::from(header_seen);
                header_seen = true;
            } else if in_examples && !line.is_empty() && !line.starts_with('#') {
                in_examples = false;
            }
        }
    }
    (features, scenarios)
}

/// The number before `word` on the line of `text` that has it (`12 features`).
fn count_before(text: &str, word: &str) -> usize {
    let line =
        text.lines().find(|l| l.split_whitespace().nth(1) == Some(word)).unwrap_or_else(|| panic!("no '{word}' line"));
    line.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn what_a_run_shows_counts_the_built_in_features() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let section = &readme[readme.find("## What a run shows").unwrap()..];
    let sample = &section[..section.find("\n## ").unwrap()];
    let summary = &sample[sample.find("[Summary]").expect("the sample ends with the summary")..];
    let (features, scenarios) = built_in_counts(&root);
    assert_eq!(count_before(summary, "features"), features, "{summary}");
    assert_eq!(count_before(summary, "scenarios"), scenarios, "{summary}");
    assert!(summary.contains(&format!("{scenarios} scenarios ({scenarios} passed)")), "{summary}");
    assert!(summary.contains(&format!("\n{scenarios} passed, 0 failed in ")), "{summary}");
    assert!(summary.contains(&format!("\nrehearsal: {scenarios} passed, 0 failed\n")), "{summary}");
}
