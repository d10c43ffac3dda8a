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
