//! The corpus of documented patterns: one runbook per Microsoft page the lab models, written from
//! the page's documented syntax (the page cited at its top), run line by line against a DNS
//! server with each line's outcome asserted. The runbooks live in `lab/tests/corpus/dns/`;
//! annotations are comments, so each file stays a runbook an admin could paste:
//! - `#> ok`, `#> not modelled` or `#> error: TEXT` after a statement: how it ends;
//! - `#> answer NAME from CLIENT [on SERVER] [at HH:MM] = A,B | NXDOMAIN | REFUSED | IGNORE`:
//!   what the server answers once the statements before it have run;
//! - `#> answer NAME from CLIENT [at HH:MM] in N queries = A xK, B xK`: how often each answer
//!   comes in N queries in a row, answers sorted (a weighted policy's documented ratio).

use super::cmdlets::DnsExecutor;
use super::lookup::Transport;
use super::policy::{DnsState, Query, Resolution};
use crate::clock::TimeOfDay;
use crate::runbook::{run, CmdletTable, Transcript};
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// How a statement is expected to end.
#[derive(Debug, PartialEq)]
enum Outcome {
    Ok,
    NotModelled,
    Error(String),
}

/// What the corpus counted.
#[derive(Debug, Default)]
struct Counts {
    lines: usize,
    modelled: usize,
    not_modelled: usize,
    answers: usize,
}

fn answer(state: &DnsState, spec: &str) -> String {
    let (query, _) = spec.split_once('=').expect("an answer has '='");
    let words: Vec<&str> = query.split_whitespace().collect();
    let after = |key: &str| words.iter().position(|w| *w == key).map(|i| words[i + 1]);
    let name = words[0];
    let client = after("from").expect("an answer names its client").parse().expect("a client address");
    let server = after("on").unwrap_or("127.0.0.1").parse().expect("a server address");
    let q = Query::new(client, server, name, "A", Transport::Udp);
    let one = || {
        let resolution = match after("at") {
            Some(at) => state.resolve_at(&q, at.parse::<TimeOfDay>().expect("a time of day")),
            None => state.resolve(&q),
        };
        shown(resolution)
    };
    let Some(queries) = after("in") else { return one() };
    let mut counted: Vec<(String, usize)> = vec![];
    for _ in 0..queries.parse::<usize>().expect("in N queries") {
        let got = one();
        match counted.iter_mut().find(|(a, _)| *a == got) {
            Some((_, n)) => *n += 1,
            None => counted.push((got, 1)),
        }
    }
    counted.sort();
    counted.iter().map(|(a, n)| format!("{a} x{n}")).collect::<Vec<_>>().join(", ")
}

/// An answer as the notes write it.
fn shown(resolution: Resolution) -> String {
    match resolution {
        Resolution::Records(a) => {
            let mut addresses: Vec<String> = a.records.iter().map(|r| r.data.text()).collect();
            addresses.sort();
            addresses.join(",")
        }
        Resolution::NxDomain(_) => "NXDOMAIN".into(),
        Resolution::Refused => "REFUSED".into(),
        Resolution::ServFail => "SERVFAIL".into(),
        Resolution::Ignore => "IGNORE".into(),
        Resolution::Forward(to) => format!("FORWARD {to:?}"),
    }
}

/// Whether the statement at `step_line` ended as `outcome`; `Some` says how it did not.
fn check(step_line: usize, outcome: &Outcome, t: &Transcript, file: &Path) -> Option<String> {
    let Some(step) = t.steps.iter().find(|s| s.line == step_line) else {
        return Some(format!("{}:{step_line}: the statement did not run", file.display()));
    };
    let message = step.errors.first().map(|e| e.message.as_str());
    let fits = match (outcome, message) {
        (Outcome::Ok, None) => true,
        (Outcome::NotModelled, Some(m)) => m.contains("that this lab does not model"),
        (Outcome::Error(text), Some(m)) => m.contains(text.as_str()),
        _ => false,
    };
    (!fits).then(|| format!("{}:{step_line}: expected {outcome:?}, the line wrote {message:?}", file.display()))
}

/// Runs one corpus runbook: the statements up to each answer run as one piece (a lab choice of
/// the corpus: variables do not carry over an answer line).
fn run_file(file: &Path, counts: &mut Counts, mismatches: &mut Vec<String>) {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().take(5).any(|l| l.starts_with("# page: https://")), "{}: cite the page", file.display());
    let executor = DnsExecutor::new(Arc::new(RwLock::new(DnsState::default())));
    let state = executor.state.clone();
    let table = CmdletTable::new().with(super::cmdlets::specs(), Some(Arc::new(executor)));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let mut statement: Option<usize> = None;
    let mut expected: Vec<(usize, Outcome)> = vec![];
    let mut from = 0;
    let flush = |upto: usize, expected: &mut Vec<(usize, Outcome)>, from: &mut usize, mismatches: &mut Vec<String>| {
        let piece: Vec<&str> =
            lines.iter().enumerate().map(|(i, l)| if i >= *from && i < upto { *l } else { "" }).collect();
        let t = rt.block_on(run(&piece.join("\n"), &table)).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        for (line, outcome) in expected.drain(..) {
            mismatches.extend(check(line, &outcome, &t, file));
        }
        *from = upto;
    };
    for (i, line) in lines.iter().enumerate() {
        let trimmed = line.trim();
        if let Some(note) = trimmed.strip_prefix("#>") {
            let note = note.trim();
            if let Some(spec) = note.strip_prefix("answer ") {
                flush(i, &mut expected, &mut from, mismatches);
                let (_, want) = spec.split_once('=').unwrap();
                let got = answer(&state.read().unwrap(), spec);
                if got != want.trim() {
                    mismatches.push(format!("{}:{}: {spec}, but the server answers {got}", file.display(), i + 1));
                }
                counts.answers += 1;
                continue;
            }
            let at =
                statement.take().unwrap_or_else(|| panic!("{}:{}: a note without a statement", file.display(), i + 1));
            let outcome = match note {
                "ok" => Outcome::Ok,
                "not modelled" => Outcome::NotModelled,
                other => {
                    Outcome::Error(other.strip_prefix("error:").expect("ok, not modelled or error:").trim().into())
                }
            };
            counts.lines += 1;
            if outcome == Outcome::NotModelled {
                counts.not_modelled += 1;
            } else {
                counts.modelled += 1;
            }
            expected.push((at, outcome));
        } else if !trimmed.is_empty() && !trimmed.starts_with('#') {
            assert!(statement.is_none(), "{}:{}: the statement before has no note", file.display(), i + 1);
            statement = Some(i + 1);
        }
    }
    assert!(statement.is_none(), "{}: the last statement has no note", file.display());
    flush(lines.len(), &mut expected, &mut from, mismatches);
}

fn corpus_files() -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/dns");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "ps1"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_documented_dns_pattern_runs_as_its_page_says() {
    let mut counts = Counts::default();
    let mut mismatches = vec![];
    let files = corpus_files();
    assert!(files.len() >= 6, "{files:?}");
    for file in &files {
        run_file(file, &mut counts, &mut mismatches);
    }
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    println!(
        "corpus: {} runbooks, {} lines: {} modelled, {} not modelled; {} answers checked",
        files.len(),
        counts.lines,
        counts.modelled,
        counts.not_modelled,
        counts.answers
    );
    assert!(counts.modelled > 20 && counts.answers > 5, "{counts:?}");
}
