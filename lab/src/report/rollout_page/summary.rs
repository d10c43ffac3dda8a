//! Every place × every phase, one word a cell: what the place saw, with a mark and a colour
//! saying whether it is what the phase expects, and what that was when it is not. Each cell links
//! to its row in the phase's matrix.
//!
//! A place is a site subnet or an outside subnet, or one region of it where client subnets split
//! it (and one window of the day where time-of-day policies do). Phases may split a subnet
//! differently; its summary rows are the regions of the phase that splits it finest, and each
//! cell shows the phase's rows that overlap the region.

use super::reading::{overlaps, same_time, State, OUTSIDE};
use super::View;
use crate::report::escape::html;
use crate::report::fit::{Fit, Reflow};
use crate::rollout::model::SubnetRow;
use std::fmt::Write as _;

/// A summary row: where it is, from the row of the phase that split its subnet finest.
struct Place<'a> {
    row: &'a SubnetRow,
    /// Whether its subnet has more than one place (its range is then shown).
    split: bool,
}

/// The places of the summary, in plan order: sites, then outside; subnets as the plan lists them.
fn places<'a>(view: &View<'a>) -> Vec<Place<'a>> {
    let phases = &view.report.phases;
    let mut subnets: Vec<(&str, &str)> = vec![];
    for row in phases.iter().flat_map(|p| &p.rows) {
        if !subnets.contains(&(row.site.as_str(), row.subnet.as_str())) {
            subnets.push((&row.site, &row.subnet));
        }
    }
    let plan_order = |(site, subnet): &(&str, &str)| {
        let t = view.topology;
        let (s, list) = if *site == OUTSIDE {
            (usize::MAX, t.outside.subnets.iter().map(|n| n.to_string()).collect::<Vec<_>>())
        } else {
            match t.sites.iter().position(|x| x.name == *site) {
                Some(i) => (i, t.sites[i].subnets.iter().map(|n| n.to_string()).collect()),
                None => (usize::MAX - 1, vec![]),
            }
        };
        (s, list.iter().position(|n| n == subnet).unwrap_or(usize::MAX))
    };
    subnets.sort_by_key(plan_order);
    let mut out = vec![];
    for (site, subnet) in subnets {
        let finest = phases
            .iter()
            .map(|p| p.rows.iter().filter(|r| r.site == site && r.subnet == subnet).collect::<Vec<_>>())
            .max_by_key(|rows| rows.len())
            .unwrap_or_default();
        let split = finest.len() > 1;
        out.extend(finest.into_iter().map(|row| Place { row, split }));
    }
    out
}

pub fn section(body: &mut String, view: &View, reflow: &mut Reflow) {
    let phases = &view.report.phases;
    body.push_str("<h2 id=\"summary\">Every place, phase by phase</h2>\n");
    if phases.is_empty() {
        body.push_str("<p class=\"none\">No phase was judged: the runbook stopped before the first one ended.</p>\n");
        return;
    }
    body.push_str(
        "<p class=\"lead legend\">Each cell is what the place saw: <span class=\"mark\">✓</span> green when it is what \
         the phase expects, <span class=\"mark\">✗</span> red when not (with what was expected), \
         <span class=\"mark\">!</span> amber when doubtful or wrong before it is used. \
         <span class=\"mono\">→ SITE</span>: the DNS answer sends the place to SITE's Mediation Servers; \
         <span class=\"mono\">Edge</span>: an outside client's media goes through the Edge, as it must.</p>\n",
    );
    let mut fit = Fit::default();
    let mut rows = String::new();
    for place in places(view) {
        region_row(&mut rows, view, &place, &mut fit);
    }
    fit.words(0, "place");
    for (i, p) in phases.iter().enumerate() {
        fit.cell(i + 1, [p.name.as_str()]);
    }
    let _ = write!(body, "<table class=\"summary\"{}>\n<thead><tr><th>place</th>", reflow.attribute(&fit));
    for (i, p) in phases.iter().enumerate() {
        let _ = write!(
            body,
            "<th class=\"phase\" data-phase=\"{}\"><a href=\"#{}\"><span class=\"name mono\">{}</span></a></th>",
            html(&p.name),
            view.anchors.phase(i),
            html(&p.name)
        );
    }
    let _ = write!(body, "</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n");
}

fn region_row(out: &mut String, view: &View, place: &Place, fit: &mut Fit) {
    let row = place.row;
    let range =
        if place.split { format!(" <span class=\"note mono\">{}</span>", html(&row.range)) } else { String::new() };
    let window = match &row.window {
        Some(w) => format!(" <span class=\"note mono\">{}</span>", html(w)),
        None => String::new(),
    };
    fit.cell(0, [row.site.as_str(), row.subnet.as_str()]);
    let _ = write!(
        out,
        "<tr class=\"place\" data-site=\"{}\" data-subnet=\"{}\" data-range=\"{}\">\
         <td class=\"region\" data-label=\"place\"><span class=\"name\">{}</span> <span class=\"name mono\">{}</span>{range}{window}</td>",
        html(&row.site),
        html(&row.subnet),
        html(&row.range),
        html(&row.site),
        html(&row.subnet),
    );
    for (p, phase) in view.report.phases.iter().enumerate() {
        let here: Vec<usize> = (0..phase.rows.len())
            .filter(|&r| {
                let other = &phase.rows[r];
                other.site == row.site
                    && other.subnet == row.subnet
                    && overlaps(&other.range, &row.range)
                    && same_time(other.window.as_deref(), row.window.as_deref())
            })
            .collect();
        cell(out, view, p, &here, fit);
    }
    out.push_str("</tr>\n");
}

/// One phase's cell for a place: the rows of the phase that overlap it (one, unless the phase
/// splits the place further), worst first.
fn cell(out: &mut String, view: &View, p: usize, rows: &[usize], fit: &mut Fit) {
    let phase = &view.report.phases[p];
    let name = html(&phase.name);
    let Some(&worst) = rows.iter().max_by_key(|&&r| view.readings[p][r].state) else {
        let _ = write!(out, "<td class=\"cell none\" data-label=\"{name}\" data-phase=\"{name}\">not judged</td>");
        return;
    };
    let reading = &view.readings[p][worst];
    let mut words: Vec<String> = vec![];
    for &r in rows {
        let word = view.readings[p][r].observed.text();
        if !words.contains(&word) {
            words.push(word);
        }
    }
    let observed = words.join(" / ");
    fit.cell(p + 1, [observed.as_str()]);
    fit.words(p + 1, reading.note().as_deref().unwrap_or_default());
    let messages: Vec<&str> =
        reading.findings.iter().map(|&i| view.report.findings[i].message.as_str()).collect::<Vec<_>>();
    let title = if messages.is_empty() {
        match reading.state {
            State::Ok => format!("expected {}, saw {}", reading.expected.text(), reading.observed.text()),
            _ => format!(
                "expected {}, saw {}: {}",
                reading.expected.text(),
                reading.observed.text(),
                if reading.latent() {
                    "the DNS answer names another site's Mediation Servers; no client uses it before bypass is on"
                } else {
                    "not what the phase expects"
                }
            ),
        }
    } else {
        messages.join("\n")
    };
    let note = reading.note().map(|n| format!("<span class=\"expected-word\">{}</span>", html(&n))).unwrap_or_default();
    let state = reading.state.class();
    let _ = write!(
        out,
        "<td class=\"cell {state}\" data-label=\"{name}\" data-phase=\"{name}\" data-state=\"{state}\" \
         data-expected=\"{}\" data-observed=\"{}\" title=\"{}\"><a href=\"#{}\"><span class=\"mark\">{}</span> \
         <span class=\"word\">{}</span>{note}</a></td>",
        reading.expected.key(),
        reading.observed.key(),
        html(&title),
        view.anchors.row(p, worst),
        reading.state.mark(),
        html(&observed),
    );
}
