//! The corpus of documented Skype for Business Online patterns: one runbook per Microsoft page the
//! lab models (`tests/corpus/tenant/`, the page cited at its top), run against a tenant on
//! loopback with each line's outcome asserted. After a statement: `#> ok`, `#> not modelled` or
//! `#> error: TEXT`, and `#> shows PROPERTY = VALUE` for what it printed (see `dns::corpus` for the
//! DNS pages).

use bypass_lab::lab::RoleExecutors;
use bypass_lab::runbook::{run, Step, Value};
use bypass_lab::tenant::TenantExecutor;
use bypass_lab::topology::Topology;
use std::path::{Path, PathBuf};
use std::sync::Arc;

mod support;

/// Every `(property, shown value)` of a step's objects, nested ones included.
fn shown(step: &Step) -> Vec<(String, String)> {
    fn walk(value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(o) => o.properties.iter().for_each(|(k, v)| {
                out.push((k.clone(), v.display()));
                walk(v, out);
            }),
            Value::List(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = vec![];
    step.output.objects.iter().for_each(|o| walk(o, &mut out));
    out
}

/// What one runbook's notes ask, by statement line.
struct Note {
    line: usize,
    text: String,
}

fn notes(text: &str, file: &Path) -> (Vec<Note>, Vec<usize>) {
    let mut out = vec![];
    let mut statements = vec![];
    let mut last = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(note) = trimmed.strip_prefix("#>") {
            let line = last.unwrap_or_else(|| panic!("{}:{}: a note without a statement", file.display(), i + 1));
            out.push(Note { line, text: note.trim().to_string() });
        } else if !trimmed.is_empty() && !trimmed.starts_with('#') {
            last = Some(i + 1);
            statements.push(i + 1);
        }
    }
    (out, statements)
}

#[tokio::test]
async fn every_documented_tenant_pattern_runs_as_its_page_says() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/tenant");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
    files.sort();
    let (mut lines, mut modelled, mut not_modelled) = (0, 0, 0);
    let mut mismatches = vec![];
    for file in &files {
        let tenant = support::tenant(Topology::seed()).await;
        let table =
            RoleExecutors { tenant: Some(Arc::new(TenantExecutor::new(tenant.as_admin()))), ..Default::default() }
                .cmdlet_table();
        let text = std::fs::read_to_string(file).unwrap();
        assert!(text.lines().take(3).any(|l| l.starts_with("# page: https://")), "{}: cite the page", file.display());
        let (notes, statements) = notes(&text, file);
        let transcript = run(&text, &table).await.unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for line in &statements {
            let outcome = notes.iter().find(|n| n.line == *line && !n.text.starts_with("shows "));
            let Some(outcome) = outcome else {
                mismatches.push(format!("{}:{line}: the statement has no note", file.display()));
                continue;
            };
            let Some(step) = transcript.steps.iter().find(|s| s.line == *line) else {
                mismatches.push(format!("{}:{line}: the statement did not run", file.display()));
                continue;
            };
            lines += 1;
            let error = step.errors.first().map(|e| e.message.as_str());
            let fits = match (outcome.text.as_str(), error) {
                ("ok", None) => {
                    modelled += 1;
                    true
                }
                ("not modelled", Some(m)) => {
                    not_modelled += 1;
                    m.contains("that this lab does not model")
                }
                (other, Some(m)) if other.starts_with("error:") => {
                    modelled += 1;
                    m.contains(other["error:".len()..].trim())
                }
                _ => false,
            };
            if !fits {
                mismatches.push(format!(
                    "{}:{line}: expected {}, the line wrote {error:?}",
                    file.display(),
                    outcome.text
                ));
            }
            for note in notes.iter().filter(|n| n.line == *line && n.text.starts_with("shows ")) {
                let (name, value) = note.text["shows ".len()..].split_once('=').expect("shows NAME = VALUE");
                let (name, value) = (name.trim(), value.trim());
                let props = shown(step);
                if !props.iter().any(|(k, v)| k.eq_ignore_ascii_case(name) && v == value) {
                    mismatches.push(format!("{}:{line}: expected {name} = {value:?}, saw {props:?}", file.display()));
                }
            }
        }
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    println!(
        "tenant corpus: {} runbooks, {lines} lines: {modelled} modelled, {not_modelled} not modelled",
        files.len()
    );
    assert!(files.len() >= 2 && modelled > 20, "{modelled} modelled lines");
}
