//! The runbook as the admin wrote it, numbered: `# phase:` markers in bold, the lines findings
//! blame marked and linked back to their findings, a failing line in red with its message, what
//! each line printed beside it, and the lines after a stop greyed as "not run".

use super::anchors::Anchors;
use super::View;
use crate::report::escape::html;
use crate::rollout::model::OutputLine;
use crate::rollout::RunbookFailure;
use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

fn is_phase_marker(line: &str) -> bool {
    let t = line.trim_start();
    t.strip_prefix('#').is_some_and(|rest| rest.trim_start().to_ascii_lowercase().starts_with("phase:"))
}

/// A line PowerShell would run: neither blank nor a comment.
fn is_statement(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty() && !t.starts_with('#')
}

pub fn section(body: &mut String, view: &View) {
    let runbook = view.runbook;
    let failure = view.failure;
    // Each blamed line with the numbers of the findings that blame it, in the order shown.
    let mut blamed: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for (n, &i) in view.order.iter().enumerate() {
        for &line in &view.report.findings[i].lines {
            blamed.entry(line).or_default().push(n + 1);
        }
    }
    body.push_str("<h2 id=\"runbook\">Runbook</h2>\n");
    if crate::rollout::phase::split(runbook).is_ok_and(|p| p.iter().all(|p| p.marker_line == 0)) {
        body.push_str("<p class=\"lead one-phase\">The runbook has no <span class=\"mono\"># phase: NAME</span> marker: it was judged as one phase, at its end.</p>\n");
    }
    let stop = failure.map(|f| f.line).filter(|&l| l > 0);
    if let Some(line) = stop {
        let _ = writeln!(
            body,
            "<p class=\"lead not-run-note\">The runbook stopped at line {line}: the lines after it never ran and are greyed.</p>"
        );
    }
    body.push_str("<div class=\"runbook\">\n");
    let outputs: HashMap<usize, &OutputLine> =
        view.report.phases.iter().flat_map(|p| p.output.iter()).map(|o| (o.line, o)).collect();
    let lines: Vec<&str> = runbook.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let failing = failure.is_some_and(|f| f.line == n) || outputs.get(&n).is_some_and(|o| o.error.is_some());
        let not_run = stop.is_some_and(|s| n > s);
        let mut class = match (failing, blamed.contains_key(&n), is_phase_marker(line)) {
            (true, _, _) => "line failing".to_string(),
            (false, true, _) => "line blamed".to_string(),
            (false, false, true) => "line phase".to_string(),
            (false, false, false) => "line".to_string(),
        };
        if not_run {
            class.push_str(" not-run");
        }
        let number = match blamed.get(&n) {
            Some(findings) => format!("<a href=\"#{}\">{n}</a>", Anchors::finding(findings[0])),
            None => n.to_string(),
        };
        let mut tags = String::new();
        if let Some(findings) = blamed.get(&n) {
            let links: Vec<String> =
                findings.iter().map(|f| format!("<a href=\"#{}\">{f}</a>", Anchors::finding(*f))).collect();
            let noun = if findings.len() == 1 { "finding" } else { "findings" };
            let _ = write!(tags, "<span class=\"tag blame\">{noun} {}</span>", links.join(" "));
        }
        if not_run && is_statement(line) {
            tags.push_str("<span class=\"tag not-run\">not run</span>");
        }
        let _ = writeln!(
            body,
            "<div class=\"{class}\" id=\"{}\" data-line=\"{n}\"><span class=\"no\">{number}</span><span class=\"text\">{}</span>{tags}</div>",
            Anchors::line(n),
            html(line.trim_end_matches('\r'))
        );
        if let Some(f) = failure.filter(|f| f.line == n) {
            failure_note(body, f);
        }
        // The printed text holds a failed line's error already, in PowerShell's layout.
        if let Some(out) = outputs.get(&n).filter(|o| !o.text.is_empty()) {
            let class = if out.error.is_some() { "output failed" } else { "output" };
            let _ = writeln!(body, "<pre class=\"{class}\" data-line=\"{n}\">{}</pre>", html(&out.text));
        }
    }
    if let Some(f) = failure.filter(|f| f.line == 0 || f.line > lines.len()) {
        failure_note(body, f);
    }
    body.push_str("</div>\n");
}

fn failure_note(body: &mut String, failure: &RunbookFailure) {
    let _ = writeln!(
        body,
        "<div class=\"failure\" id=\"failure\" data-line=\"{}\" data-column=\"{}\">line {}, column {}: {}</div>",
        failure.line,
        failure.column,
        failure.line,
        failure.column,
        html(&failure.message)
    );
}
