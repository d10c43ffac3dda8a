//! The top of the page: the verdict as a pill, the answer to "may we roll out?" in one sentence,
//! what produced the page, and the counts.

use super::View;
use crate::report::escape::html;
use crate::report::page::plural;
use crate::report::provenance::Provenance;
use std::fmt::Write as _;

pub fn section(body: &mut String, view: &View, provenance: &Provenance) {
    let word = view.verdict_word();
    let report = view.report;
    let errors = view.errors();
    let warnings = report.findings.len() - errors;
    let _ = writeln!(
        body,
        "<h1>Rehearsal of <span class=\"name\">{}</span> <span class=\"verdict {word}\" data-verdict=\"{word}\">{}</span></h1>",
        html(&view.topology.tenant.domain),
        word.to_uppercase()
    );
    let _ = writeln!(body, "<p class=\"answer\" data-verdict=\"{word}\">{}</p>", answer(view, errors, warnings));
    body.push_str(&provenance.html());
    let rows: usize = report.phases.iter().map(|p| p.rows.len()).sum();
    let _ = writeln!(
        body,
        "<div class=\"counts\"><span data-count=\"phases\">{}</span><span data-count=\"rows\">{}</span>\
         <span data-count=\"errors\">{}</span><span data-count=\"warnings\">{}</span>\
         <span data-count=\"runbook\">runbook: {}</span></div>",
        plural(report.phases.len(), "phase"),
        plural(rows, "place verdict"),
        plural(errors, "error"),
        plural(warnings, "warning"),
        match view.failure {
            Some(f) => format!("stopped at line {}", f.line),
            None => "ran to the end".into(),
        }
    );
}

/// May the rollout go ahead, and where to look first.
fn answer(view: &View, errors: usize, warnings: usize) -> String {
    let first = "<a href=\"#finding-1\">the first finding</a>";
    if let Some(f) = view.failure {
        return format!(
            "<b>Not yet.</b> The runbook stopped at <a href=\"#line-{}\">line {}</a>; the lines after it never ran.",
            f.line, f.line
        );
    }
    if errors > 0 {
        let mut phases: Vec<&str> = vec![];
        for f in view.report.findings.iter().filter(|f| f.severity == crate::rollout::Severity::Error) {
            if !phases.contains(&f.phase.as_str()) {
                phases.push(&f.phase);
            }
        }
        return format!(
            "<b>Not yet.</b> {} in {}; start with {first}.",
            plural(errors, "error"),
            plural(phases.len(), "phase")
        );
    }
    match warnings {
        0 => "<b>Yes.</b> Every place saw, in every phase, what the phase expects.".into(),
        n => format!("<b>Yes,</b> once {} {} read: {first}.", plural(n, "warning"), if n == 1 { "is" } else { "are" }),
    }
}
