//! The findings, first on the page: errors first, each linked to the rows it is about (or its
//! phase, for a finding about the whole tenant) and to the runbook lines it blames.

use super::anchors::Anchors;
use super::reading::about;
use super::View;
use crate::report::escape::html;
use crate::report::fit::{Fit, Reflow};
use std::fmt::Write as _;

const COLUMNS: [&str; 6] = ["#", "severity", "phase", "where", "finding", "see"];

pub fn section(body: &mut String, view: &View, reflow: &mut Reflow) {
    body.push_str("<h2 id=\"findings\">Findings</h2>\n");
    if view.report.findings.is_empty() {
        body.push_str(
            "<p class=\"none findings-none\">None: every place saw, in every phase, what the phase expects.</p>\n",
        );
        return;
    }
    let mut fit = Fit::default();
    let mut rows = String::new();
    for (n, &index) in view.order.iter().enumerate() {
        row(&mut rows, view, n + 1, index, &mut fit);
    }
    for (column, name) in COLUMNS.iter().enumerate() {
        fit.words(column, name);
    }
    let _ = write!(body, "<table class=\"findings\"{}>\n<thead><tr>", reflow.attribute(&fit));
    for name in COLUMNS {
        let _ = write!(body, "<th>{name}</th>");
    }
    let _ = write!(body, "</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n");
}

fn row(out: &mut String, view: &View, number: usize, index: usize, fit: &mut Fit) {
    let f = &view.report.findings[index];
    let severity = match f.severity {
        crate::rollout::Severity::Error => "error",
        crate::rollout::Severity::Warning => "warning",
    };
    let mut links: Vec<(String, String, String)> = vec![];
    let phase = view.report.phases.iter().position(|p| p.name == f.phase);
    if let Some(p) = phase {
        let verdict = &view.report.phases[p];
        let rows: Vec<usize> = (0..verdict.rows.len()).filter(|&r| about(f, &f.phase, &verdict.rows[r])).collect();
        if rows.is_empty() {
            links.push(("phase-link".into(), view.anchors.phase(p).to_string(), format!("phase {}", f.phase)));
        }
        for r in rows {
            let row = &verdict.rows[r];
            let label = if rows_of_subnet(verdict, row) > 1 { row.range.clone() } else { "row".to_string() };
            let label = match &row.window {
                Some(w) => format!("{label} {w}"),
                None => label,
            };
            links.push(("row-link".into(), view.anchors.row(p, r).to_string(), label));
        }
    }
    for line in &f.lines {
        links.push(("line-link".into(), Anchors::line(*line), format!("line {line}")));
    }
    let place = if f.site == "all" {
        "<span class=\"none\">the whole tenant</span>".to_string()
    } else {
        let range = if !f.range.is_empty() && f.range != f.subnet {
            format!(" <span class=\"note mono\">{} of it</span>", html(&f.range))
        } else {
            String::new()
        };
        format!(
            "<span class=\"name\">{}</span> <span class=\"name mono\">{}</span>{range}",
            html(&f.site),
            html(&f.subnet)
        )
    };
    fit.cell(0, [number.to_string().as_str()]);
    fit.words(1, severity);
    fit.cell(2, [f.phase.as_str()]);
    fit.cell(3, [f.site.as_str(), f.subnet.as_str()]);
    fit.cell(4, ["a-usual-long-word"]);
    fit.cell(5, links.iter().map(|(_, _, label)| label.as_str()));
    let _ = writeln!(
        out,
        "<tr class=\"finding {severity}\" id=\"{}\" data-finding=\"{number}\" data-severity=\"{severity}\" \
         data-phase=\"{}\" data-site=\"{}\" data-subnet=\"{}\" data-lines=\"{}\">\
         <td class=\"number\" data-label=\"#\">{number}</td>\
         <td class=\"severity\" data-label=\"severity\">{severity}</td>\
         <td class=\"phase\" data-label=\"phase\"><span class=\"name mono\">{}</span></td>\
         <td class=\"where\" data-label=\"where\">{place}</td>\
         <td class=\"message\" data-label=\"finding\">{}</td>\
         <td class=\"links\" data-label=\"see\">{}</td></tr>",
        Anchors::finding(number),
        html(&f.phase),
        html(&f.site),
        html(&f.subnet),
        f.lines.iter().map(|l| l.to_string()).collect::<Vec<_>>().join(" "),
        html(&f.phase),
        html(&f.message),
        links
            .iter()
            .map(|(class, id, label)| format!("<a class=\"{class}\" href=\"#{}\">{}</a>", html(id), html(label)))
            .collect::<Vec<_>>()
            .join(" "),
    );
}

/// How many rows a row's subnet has in its phase (regions, windows).
fn rows_of_subnet(phase: &crate::rollout::model::PhaseVerdict, row: &crate::rollout::model::SubnetRow) -> usize {
    phase.rows.iter().filter(|r| r.site == row.site && r.subnet == row.subnet).count()
}
