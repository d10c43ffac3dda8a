//! One phase in detail: what it is meant to leave, a tally that counts site subnets only, the
//! matrix of every place, the appliances' LocalStore and the replication window.

use super::reading::{State, Word, OUTSIDE};
use super::View;
use crate::mediation::MediaPath;
use crate::report::escape::html;
use crate::report::fit::{Fit, Reflow};
use crate::report::page::plural;
use crate::rollout::model::{ApplianceRow, Decision, PhaseVerdict, WebServiceVerdict};
use std::fmt::Write as _;

pub fn section(body: &mut String, view: &View, index: usize, reflow: &mut Reflow) {
    let phase = &view.report.phases[index];
    let name = html(&phase.name);
    let _ = writeln!(body, "<section class=\"phase\" id=\"{}\" data-phase=\"{name}\">", view.anchors.phase(index));
    let _ = writeln!(body, "<h2>Phase <span class=\"name mono\">{name}</span></h2>");
    let _ = writeln!(
        body,
        "<p class=\"lead intent\">{}</p>",
        match &phase.intent {
            Some(intent) => format!("Judged at {}. Meant to leave: {}.", html(&phase.judged_at), html(intent)),
            None => format!(
                "Judged at {}, by the tenant's state only: the phase's name is no step of the deployment guide and it \
                 has no <span class=\"mono\"># expect:</span> line.",
                html(&phase.judged_at)
            ),
        }
    );
    let _ = writeln!(body, "<p class=\"lead tally\">{}</p>", tally(view, index));
    matrix(body, view, index, reflow);
    if !phase.populations.is_empty() {
        body.push_str("<ul class=\"populations\">\n");
        for share in &phase.populations {
            let _ = writeln!(
                body,
                "<li data-phase=\"{name}\" data-site=\"{}\" data-percent=\"{}\">{}</li>",
                html(&share.site),
                share.percent,
                html(&share.summary)
            );
        }
        body.push_str("</ul>\n");
    }
    if let Some(timeline) = &phase.timeline {
        timeline_section(body, &name, timeline);
    }
    appliances_table(body, &name, &phase.appliances, reflow);
    body.push_str("</section>\n");
}

/// How many of the site subnets bypass (outside subnets never count), and whether every place
/// is what the phase expects, so a passing phase reads as one.
fn tally(view: &View, index: usize) -> String {
    let phase = &view.report.phases[index];
    let readings = &view.readings[index];
    let mut subnets: Vec<(&str, &str, bool)> = vec![];
    for (row, reading) in phase.rows.iter().zip(readings).filter(|(r, _)| r.site != OUTSIDE) {
        match subnets.iter_mut().find(|(s, n, _)| *s == row.site && *n == row.subnet) {
            // A subnet bypasses when every region of it does.
            Some(entry) => entry.2 &= reading.bypassed(),
            None => subnets.push((&row.site, &row.subnet, reading.bypassed())),
        }
    }
    let bypassing = subnets.iter().filter(|s| s.2).count();
    let expected = if view.expects[index].bypass { "bypass" } else { "no bypass" };
    let count = |state: State| readings.iter().filter(|r| r.state == state).count();
    let agreement = match (count(State::Error), count(State::Warning)) {
        (0, 0) => "every place is what the phase expects".to_string(),
        (errors, warnings) => {
            let mut parts = vec![];
            if errors > 0 {
                let verb = if errors == 1 { "is" } else { "are" };
                parts.push(format!("{} {verb} not what the phase expects", plural(errors, "place")));
            }
            if warnings > 0 {
                parts.push(format!("{} doubtful", plural(warnings, "place")));
            }
            parts.join(", ")
        }
    };
    let outside: Vec<&Word> =
        phase.rows.iter().zip(readings).filter(|(r, _)| r.site == OUTSIDE).map(|(_, r)| &r.observed).collect();
    let outside = if outside.is_empty() {
        ""
    } else if outside.iter().any(|w| **w == Word::Bypass) {
        " An outside client bypasses."
    } else if outside.iter().all(|w| **w == Word::Edge) {
        " Outside clients' media goes through the Edge."
    } else {
        " Outside clients resolve the service name; their media still goes through the Edge."
    };
    format!(
        "{bypassing} of {} bypass (expected: {expected}); {agreement}.{outside}",
        plural(subnets.len(), "site subnet")
    )
}

const COLUMNS: [&str; 8] = ["place", "client", "window", "DNS answer", "web service", "decision", "media", "why"];

fn matrix(body: &mut String, view: &View, index: usize, reflow: &mut Reflow) {
    let phase = &view.report.phases[index];
    let timed = phase.rows.iter().any(|r| r.window.is_some());
    let columns: Vec<&str> = COLUMNS.iter().copied().filter(|c| timed || *c != "window").collect();
    let mut fit = Fit::default();
    let mut rows = String::new();
    for r in 0..phase.rows.len() {
        row(&mut rows, view, index, r, timed, &mut fit);
    }
    for (i, c) in columns.iter().enumerate() {
        fit.words(i, c);
    }
    let _ = write!(
        body,
        "<table class=\"matrix\" data-phase=\"{}\"{}>\n<thead><tr>",
        html(&phase.name),
        reflow.attribute(&fit)
    );
    for c in &columns {
        let _ = write!(body, "<th>{c}</th>");
    }
    let _ = write!(body, "</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n");
}

fn web_service_word(v: WebServiceVerdict) -> &'static str {
    match v {
        WebServiceVerdict::Served => "served",
        WebServiceVerdict::Rejected => "rejected",
        WebServiceVerdict::Unreachable => "unreachable",
        WebServiceVerdict::NoUrl => "no URL",
        WebServiceVerdict::NotAsked => "not asked",
    }
}

fn row(out: &mut String, view: &View, p: usize, r: usize, timed: bool, fit: &mut Fit) {
    let phase: &PhaseVerdict = &view.report.phases[p];
    let row = &phase.rows[r];
    let reading = &view.readings[p][r];
    let name = html(&phase.name);
    let state = reading.state.class();
    let messages: Vec<&str> = reading.findings.iter().map(|&i| view.report.findings[i].message.as_str()).collect();
    let title = if messages.is_empty() { String::new() } else { format!(" title=\"{}\"", html(&messages.join("\n"))) };
    let attrs =
        format!("data-phase=\"{name}\" data-site=\"{}\" data-subnet=\"{}\"", html(&row.site), html(&row.subnet));
    let range = if row.range != row.subnet {
        format!(" <span class=\"note range mono\">{} of it</span>", html(&row.range))
    } else {
        String::new()
    };
    let mut c = 0;
    let mut column = |fit: &mut Fit, pieces: &[&str]| {
        fit.cell(c, pieces.iter().copied());
        c += 1;
    };
    column(fit, &[&row.site, &row.subnet]);
    let population_words: Vec<&str> = row.population.as_deref().map(|p| p.split(' ').collect()).unwrap_or_default();
    column(fit, &[&[row.client.as_str(), &row.address.to_string()][..], &population_words[..]].concat());
    // A declared population rides in the client's cell: the plan's clients are what it adds.
    let population = row
        .population
        .as_deref()
        .map(|p| format!(" <span class=\"note population\">{}</span>", html(p)))
        .unwrap_or_default();
    let window = match (timed, &row.window) {
        (false, _) => String::new(),
        (true, Some(w)) => {
            column(fit, &[w]);
            format!("<td class=\"window mono\" data-label=\"window\">{}</td>", html(w))
        }
        (true, None) => {
            column(fit, &["all", "day"]);
            "<td class=\"window\" data-label=\"window\">all day</td>".into()
        }
    };
    let addresses: Vec<String> = row.resolved.iter().map(|a| a.to_string()).collect();
    let resolved = if row.resolved.is_empty() {
        column(fit, &["nothing"]);
        "<span class=\"none\">nothing</span>".to_string()
    } else {
        let site = row.resolved_site.as_deref().unwrap_or("unknown");
        column(fit, &addresses.iter().map(String::as_str).chain([site]).collect::<Vec<_>>());
        format!(
            "{} <span class=\"note resolved-site\">{}</span>",
            addresses.iter().map(|a| format!("<span class=\"name\">{a}</span>")).collect::<Vec<_>>().join(", "),
            html(site)
        )
    };
    let ws = web_service_word(row.web_service);
    column(fit, &ws.split(' ').collect::<Vec<_>>());
    // What the call did: an outside client's media goes through the Edge whatever the client
    // decided, so the cell says so rather than `bypass`.
    let via_edge = row.site == OUTSIDE && row.media == MediaPath::ThroughEdge.as_str();
    let (decision_key, decision_word) = match (via_edge, row.decision) {
        (true, _) => ("edge", "via Edge"),
        (false, Decision::Bypass) => ("bypass", "bypass"),
        (false, Decision::NoBypass) => ("no-bypass", "no bypass"),
    };
    let client_decision = match row.decision {
        Decision::Bypass => "bypass",
        Decision::NoBypass => "no-bypass",
    };
    let asked = if row.decision == Decision::Bypass && decision_key == "edge" {
        "<span class=\"note\">the client asked to bypass</span>"
    } else {
        ""
    };
    let note =
        reading.detail().map(|n| format!("<span class=\"expected-word\">{}</span>", html(&n))).unwrap_or_default();
    column(fit, &[decision_word]);
    column(fit, &["Mediation"]);
    column(fit, &["bypassEnabled"]);
    let _ = writeln!(
        out,
        "<tr class=\"row {state}\" id=\"{id}\" {attrs} data-range=\"{range_attr}\"{title}>\
         <td class=\"place\" data-label=\"place\"><span class=\"name site\">{site}</span> <span class=\"name mono subnet\">{subnet}</span>{range}</td>\
         <td class=\"client\" data-label=\"client\"><span class=\"name\">{client}</span> <span class=\"name mono address\">{address}</span>{population}</td>{window}\
         <td class=\"resolved mono\" data-label=\"DNS answer\" {attrs}>{resolved}</td>\
         <td class=\"web-service\" data-label=\"web service\" data-web-service=\"{ws}\">{ws}</td>\
         <td class=\"decision {decision_key}\" data-label=\"decision\" {attrs} data-decision=\"{client_decision}\" \
         data-expected=\"{expected}\" data-observed=\"{observed}\"><span class=\"mark\">{mark}</span> <span class=\"word\">{decision_word}</span>{note}{asked}</td>\
         <td class=\"media\" data-label=\"media\">{media}</td>\
         <td class=\"reason\" data-label=\"why\">{reason}</td></tr>",
        id = view.anchors.row(p, r),
        range_attr = html(&row.range),
        site = html(&row.site),
        subnet = html(&row.subnet),
        client = html(&row.client),
        address = row.address,
        expected = reading.expected.key(),
        observed = reading.observed.key(),
        mark = reading.state.mark(),
        media = html(&row.media),
        reason = html(&row.reason),
    );
}

/// The replication window of a phase that changed the tenant: the chart and one line per site.
fn timeline_section(body: &mut String, phase: &str, timeline: &crate::rollout::model::Timeline) {
    let _ = writeln!(
        body,
        "<h3>Replication window after <span class=\"name mono\">{phase}</span></h3>\n<div class=\"timeline\" data-phase=\"{phase}\">{}</div>\n<ul class=\"timeline-sites\">",
        crate::report::timeline_svg::svg(timeline)
    );
    for site in &timeline.sites {
        let _ = writeln!(
            body,
            "<li data-site=\"{}\">{}</li>",
            html(&site.site),
            html(&crate::rollout::timeline::summary(timeline, site))
        );
    }
    body.push_str("</ul>\n");
}

const APPLIANCE_COLUMNS: [&str; 7] =
    ["site", "appliance", "address", "LocalStore version", "bypass enabled", "always bypass", "web service"];

fn appliances_table(body: &mut String, phase: &str, appliances: &[ApplianceRow], reflow: &mut Reflow) {
    let _ = writeln!(body, "<h3>Appliances after <span class=\"name mono\">{phase}</span></h3>");
    if appliances.is_empty() {
        body.push_str("<p class=\"none\">No appliance was read.</p>\n");
        return;
    }
    let mut fit = Fit::default();
    let mut rows = String::new();
    for a in appliances {
        let ws = if a.web_service.eq_ignore_ascii_case("serving") {
            "serving"
        } else if a.web_service.eq_ignore_ascii_case("rejecting") {
            "rejecting"
        } else {
            "unread"
        };
        let address = a.address.to_string();
        let version = a.version.map(|v| v.to_string()).unwrap_or_else(|| "none".into());
        for (i, pieces) in
            [vec![a.site.as_str()], vec![a.appliance.as_str()], vec![address.as_str()], vec![version.as_str()]]
                .into_iter()
                .enumerate()
        {
            fit.cell(i, pieces);
        }
        fit.words(6, if ws == "unread" { "unread-words" } else { &a.web_service });
        let _ = writeln!(
            rows,
            "<tr class=\"appliance {ws}\" data-phase=\"{phase}\" data-site=\"{}\" data-appliance=\"{}\">\
             <td data-label=\"site\"><span class=\"name\">{}</span></td><td class=\"mono\" data-label=\"appliance\"><span class=\"name\">{}</span></td>\
             <td class=\"mono\" data-label=\"address\">{address}</td><td class=\"mono\" data-label=\"LocalStore version\">{version}</td>\
             <td class=\"enabled {}\" data-label=\"bypass enabled\">{}</td><td data-label=\"always bypass\">{}</td>\
             <td class=\"web-service\" data-label=\"web service\">{}</td></tr>",
            html(&a.site),
            html(&a.appliance),
            html(&a.site),
            html(&a.appliance),
            a.enabled,
            if a.enabled { "yes" } else { "no" },
            if a.always_bypass { "yes" } else { "no" },
            html(&a.web_service),
        );
    }
    for (i, c) in APPLIANCE_COLUMNS.iter().enumerate() {
        fit.words(i, c);
    }
    let _ = write!(body, "<table class=\"appliances\"{}>\n<thead><tr>", reflow.attribute(&fit));
    for c in APPLIANCE_COLUMNS {
        let _ = write!(body, "<th>{c}</th>");
    }
    let _ = write!(body, "</tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n");
}
