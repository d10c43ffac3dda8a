//! `rehearsal.html` for the rehearsal of an admin's own rollout: the verdict, the plan's
//! picture, a coloured matrix per phase, the appliances, the findings and the runbook with its
//! failing line marked.
//!
//! Cells carry `data-phase`, `data-site`, `data-subnet` and classes named after what they show
//! (`decision bypass`, `finding error`, `line failing`), so tests and admins' own scripts find
//! them without parsing the layout.

use super::escape::html;
use super::graph;
use super::page::{document, plural};
use crate::rollout::model::{
    ApplianceRow, Decision, Finding, PhaseVerdict, RehearsalReport, Severity, SubnetRow, WebServiceVerdict,
};
pub use crate::rollout::RunbookFailure;
use crate::topology::Topology;
use std::fmt::Write as _;

/// Plans with more sites than this show their picture folded.
const UNFOLDED_SITES: usize = 24;

/// The whole page. `runbook` is the runbook's text as the admin wrote it; `failure` is where it
/// stopped, if it did.
pub fn render(
    report: &RehearsalReport,
    topology: &Topology,
    runbook: &str,
    failure: Option<&RunbookFailure>,
) -> String {
    let mut body = String::new();
    header(&mut body, report, topology, failure);
    let _ = writeln!(
        body,
        "<h2 id=\"topology\">The plan</h2>\n<details class=\"picture\"{}><summary>{}, {}</summary>\n{}</details>",
        // A picture of a few sites is read at once; one of a hundred would push the verdicts
        // far down, so it starts folded (lab choice).
        if topology.sites.len() <= UNFOLDED_SITES { " open" } else { "" },
        plural(topology.sites.len(), "site"),
        plural(topology.appliances().count(), "appliance"),
        graph::svg(topology)
    );
    for phase in &report.phases {
        phase_section(&mut body, phase, &report.findings);
    }
    findings_section(&mut body, &report.findings);
    runbook_section(&mut body, runbook, failure, &report.phases, &report.findings);
    document(&format!("Rehearsal of {}: {}", topology.tenant.domain, verdict_word(report, failure)), &body)
}

/// Renders the page and writes it as `dir/rehearsal.html`, returning its path.
pub fn write(
    dir: &std::path::Path,
    report: &RehearsalReport,
    topology: &Topology,
    runbook: &str,
    failure: Option<&RunbookFailure>,
) -> Result<std::path::PathBuf, super::ReportError> {
    let file = dir.join("rehearsal.html");
    std::fs::write(&file, render(report, topology, runbook, failure))
        .map_err(|source| super::ReportError::Write { file: file.clone(), source })?;
    Ok(file)
}

fn passed(report: &RehearsalReport, failure: Option<&RunbookFailure>) -> bool {
    !report.has_errors() && failure.is_none()
}

fn verdict_word(report: &RehearsalReport, failure: Option<&RunbookFailure>) -> &'static str {
    if passed(report, failure) {
        "pass"
    } else {
        "fail"
    }
}

fn header(body: &mut String, report: &RehearsalReport, topology: &Topology, failure: Option<&RunbookFailure>) {
    let word = verdict_word(report, failure);
    let errors = report.findings.iter().filter(|f| f.severity == Severity::Error).count();
    let warnings = report.findings.len() - errors;
    let rows: usize = report.phases.iter().map(|p| p.rows.len()).sum();
    let _ = writeln!(
        body,
        "<h1>Rehearsal of {} <span class=\"verdict {word}\" data-verdict=\"{word}\">{}</span></h1>",
        html(&topology.tenant.domain),
        word.to_uppercase()
    );
    let _ = writeln!(
        body,
        "<p class=\"lead\">Plan: {} ({}, {}), service name <span class=\"mono\">{}</span>.</p>",
        html(&topology.origin_name()),
        plural(topology.sites.len(), "site"),
        plural(topology.appliances().count(), "appliance"),
        html(&topology.tenant.service_name)
    );
    let _ = writeln!(
        body,
        "<div class=\"counts\"><span data-count=\"phases\">{}</span><span data-count=\"rows\">{}</span>\
         <span data-count=\"errors\">{}</span><span data-count=\"warnings\">{}</span>\
         <span data-count=\"runbook\">runbook: {}</span></div>",
        plural(report.phases.len(), "phase"),
        plural(rows, "subnet verdict"),
        plural(errors, "error"),
        plural(warnings, "warning"),
        match failure {
            Some(f) => format!("stopped at line {}", f.line),
            None => "ran to the end".into(),
        }
    );
}

/// Whether two ranges (CIDR blocks joined by `, `) share an address.
fn overlaps(a: &str, b: &str) -> bool {
    let nets = |t: &str| t.split(',').filter_map(|n| n.trim().parse::<ipnet::IpNet>().ok()).collect::<Vec<_>>();
    let (a, b) = (nets(a), nets(b));
    a.iter().any(|x| b.iter().any(|y| x.contains(&y.network()) || y.contains(&x.network())))
}

/// Whether two windows of the day (spans `08:00-18:00` joined by `, `; None: all day) share a
/// minute.
fn same_time(a: Option<&str>, b: Option<&str>) -> bool {
    use crate::clock::TimeOfDay;
    let spans = |text: &str| -> Vec<(TimeOfDay, TimeOfDay)> {
        text.split(',')
            .filter_map(|s| s.trim().split_once('-'))
            .filter_map(|(from, to)| Some((from.parse().ok()?, to.parse().ok()?)))
            .collect()
    };
    let within = crate::dns::policy::criteria::within;
    match (a, b) {
        (Some(a), Some(b)) => spans(a)
            .iter()
            .any(|(af, at)| spans(b).iter().any(|(bf, bt)| within(*bf, *af, *at) || within(*af, *bf, *bt))),
        _ => true,
    }
}

/// Whether a finding is about (part of) a row: its site and subnet, an overlapping range and
/// overlapping hours.
fn about(f: &Finding, phase: &str, row: &SubnetRow) -> bool {
    f.phase == phase
        && f.site == row.site
        && f.subnet == row.subnet
        && (f.range.is_empty() || overlaps(&f.range, &row.range))
        && same_time(f.window.as_deref(), row.window.as_deref())
}

/// The worst finding about this row, if any.
fn row_severity(phase: &str, row: &SubnetRow, findings: &[Finding]) -> Option<Severity> {
    findings.iter().filter(|f| about(f, phase, row)).map(|f| f.severity).min()
}

fn severity_class(severity: Option<Severity>) -> &'static str {
    match severity {
        Some(Severity::Error) => "error",
        Some(Severity::Warning) => "warning",
        None => "ok",
    }
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

fn phase_section(body: &mut String, phase: &PhaseVerdict, findings: &[Finding]) {
    let name = html(&phase.name);
    let bypassing = phase.rows.iter().filter(|r| r.decision == Decision::Bypass).count();
    let _ = writeln!(body, "<section class=\"phase\" data-phase=\"{name}\">");
    let _ = writeln!(
        body,
        "<h2>Phase <span class=\"mono\">{name}</span></h2>\n<p class=\"lead\">{bypassing} of {} subnets bypass.</p>",
        phase.rows.len()
    );
    let _ = writeln!(
        body,
        "<p class=\"lead intent\">{}</p>",
        match &phase.intent {
            Some(intent) => format!("Judged at {}. Meant to leave: {}.", html(&phase.judged_at), html(intent)),
            None => format!("Judged at {}, by the tenant's state only: the phase's name is no step of the deployment guide and it has no <span class=\"mono\"># expect:</span> line.", html(&phase.judged_at)),
        }
    );
    let timed = phase.rows.iter().any(|r| r.window.is_some());
    let declared = phase.rows.iter().any(|r| r.population.is_some());
    let _ = writeln!(
        body,
        "<table class=\"matrix\">\n<thead><tr><th>site</th><th>subnet</th><th>range</th><th>client</th>{}<th>address</th>{}\
         <th>resolved</th><th>resolved site</th><th>web service</th><th>decision</th><th>reason</th><th>media</th></tr></thead>\n<tbody>",
        if declared { "<th>population</th>" } else { "" },
        if timed { "<th>window</th>" } else { "" }
    );
    for row in &phase.rows {
        let state = severity_class(row_severity(&phase.name, row, findings));
        let messages: Vec<&str> =
            findings.iter().filter(|f| about(f, &phase.name, row)).map(|f| f.message.as_str()).collect();
        let title =
            if messages.is_empty() { String::new() } else { format!(" title=\"{}\"", html(&messages.join("\n"))) };
        let (decision, decision_word) = match row.decision {
            Decision::Bypass => ("bypass", "bypass"),
            Decision::NoBypass => ("no-bypass", "no bypass"),
        };
        let expected = if state == "ok" && row.decision == Decision::Bypass { " expected" } else { "" };
        let resolved = if row.resolved.is_empty() {
            "<span class=\"none\">nothing</span>".to_string()
        } else {
            html(&row.resolved.iter().map(|a| a.to_string()).collect::<Vec<_>>().join(", "))
        };
        let site_class = if row.site == "outside" { " outside" } else { "" };
        let attrs =
            format!("data-phase=\"{name}\" data-site=\"{}\" data-subnet=\"{}\"", html(&row.site), html(&row.subnet));
        let population = match (declared, &row.population) {
            (false, _) => String::new(),
            (true, Some(p)) => format!("<td class=\"population\">{}</td>", html(p)),
            (true, None) => "<td class=\"population\"><span class=\"none\">-</span></td>".into(),
        };
        let window = match (timed, &row.window) {
            (false, _) => String::new(),
            (true, Some(w)) => format!("<td class=\"window mono\">{}</td>", html(w)),
            (true, None) => "<td class=\"window\">all day</td>".into(),
        };
        let _ = writeln!(
            body,
            "<tr class=\"row {state}{site_class}\" {attrs} data-range=\"{range}\"{title}>\
             <td class=\"site\">{}</td><td class=\"subnet mono\">{}</td><td class=\"range mono\">{range}</td>\
             <td class=\"client mono\">{}</td>{population}<td class=\"address mono\">{}</td>{window}\
             <td class=\"resolved mono\" {attrs}>{resolved}</td><td class=\"resolved-site\">{}</td>\
             <td class=\"web-service\" data-web-service=\"{ws}\">{ws}</td>\
             <td class=\"decision {decision}{expected}\" {attrs} data-decision=\"{decision}\">{decision_word}</td>\
             <td class=\"reason\">{}</td><td class=\"media\">{}</td></tr>",
            html(&row.site),
            html(&row.subnet),
            html(&row.client),
            row.address,
            row.resolved_site.as_deref().map(html).unwrap_or_else(|| "<span class=\"none\">none</span>".into()),
            html(&row.reason),
            html(&row.media),
            ws = web_service_word(row.web_service),
            range = html(&row.range),
        );
    }
    body.push_str("</tbody>\n</table>\n");
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
    appliances_table(body, &name, &phase.appliances);
    body.push_str("</section>\n");
}

/// The replication window of a phase that changed the tenant: the chart and one line per site.
fn timeline_section(body: &mut String, phase: &str, timeline: &crate::rollout::model::Timeline) {
    let _ = writeln!(
        body,
        "<h3>Replication window after <span class=\"mono\">{phase}</span></h3>\n<div class=\"timeline\" data-phase=\"{phase}\">{}</div>\n<ul class=\"timeline-sites\">",
        super::timeline_svg::svg(timeline)
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

fn appliances_table(body: &mut String, phase: &str, appliances: &[ApplianceRow]) {
    let _ = writeln!(body, "<h3>Appliances after <span class=\"mono\">{phase}</span></h3>");
    if appliances.is_empty() {
        body.push_str("<p class=\"none\">No appliance was read.</p>\n");
        return;
    }
    body.push_str(
        "<table class=\"appliances\">\n<thead><tr><th>site</th><th>appliance</th><th>address</th>\
         <th>LocalStore version</th><th>bypass enabled</th><th>always bypass</th><th>web service</th></tr></thead>\n<tbody>\n",
    );
    for a in appliances {
        let ws = if a.web_service.eq_ignore_ascii_case("serving") {
            "serving"
        } else if a.web_service.eq_ignore_ascii_case("rejecting") {
            "rejecting"
        } else {
            "unread"
        };
        let _ = writeln!(
            body,
            "<tr class=\"appliance {ws}\" data-phase=\"{phase}\" data-site=\"{}\" data-appliance=\"{}\">\
             <td>{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td><td class=\"mono\">{}</td>\
             <td class=\"enabled {}\">{}</td><td>{}</td><td class=\"web-service\">{}</td></tr>",
            html(&a.site),
            html(&a.appliance),
            html(&a.site),
            html(&a.appliance),
            a.address,
            a.version.map(|v| v.to_string()).unwrap_or_else(|| "none".into()),
            a.enabled,
            if a.enabled { "yes" } else { "no" },
            if a.always_bypass { "yes" } else { "no" },
            html(&a.web_service),
        );
    }
    body.push_str("</tbody>\n</table>\n");
}

fn findings_section(body: &mut String, findings: &[Finding]) {
    body.push_str("<h2 id=\"findings\">Findings</h2>\n");
    if findings.is_empty() {
        body.push_str("<p class=\"none findings-none\">None: every site and subnet saw what the tenant's configuration says it should.</p>\n");
        return;
    }
    body.push_str(
        "<table class=\"findings\">\n<thead><tr><th>severity</th><th>phase</th><th>site</th><th>subnet</th>\
         <th>finding</th><th>lines</th></tr></thead>\n<tbody>\n",
    );
    let mut sorted: Vec<&Finding> = findings.iter().collect();
    sorted.sort_by_key(|f| f.severity);
    for f in sorted {
        let severity = severity_class(Some(f.severity));
        let _ = writeln!(
            body,
            "<tr class=\"finding {severity}\" data-severity=\"{severity}\" data-phase=\"{}\" data-site=\"{}\" data-subnet=\"{}\">\
             <td class=\"severity\">{severity}</td><td class=\"mono\">{}</td><td>{}</td><td class=\"mono\">{}</td>\
             <td class=\"message\">{}</td><td class=\"lines\">{}</td></tr>",
            html(&f.phase),
            html(&f.site),
            html(&f.subnet),
            html(&f.phase),
            html(&f.site),
            html(&f.subnet),
            html(&f.message),
            f.lines.iter().map(|n| format!("<a href=\"#line-{n}\">{n}</a>")).collect::<Vec<_>>().join(" "),
        );
    }
    body.push_str("</tbody>\n</table>\n");
}

fn is_phase_marker(line: &str) -> bool {
    let t = line.trim_start();
    t.strip_prefix('#').is_some_and(|rest| rest.trim_start().to_ascii_lowercase().starts_with("phase:"))
}

fn runbook_section(
    body: &mut String,
    runbook: &str,
    failure: Option<&RunbookFailure>,
    phases: &[PhaseVerdict],
    findings: &[Finding],
) {
    let blamed: std::collections::BTreeSet<usize> = findings.iter().flat_map(|f| f.lines.iter().copied()).collect();
    body.push_str("<h2 id=\"runbook\">Runbook</h2>\n");
    if crate::rollout::phase::split(runbook).is_ok_and(|p| p.iter().all(|p| p.marker_line == 0)) {
        body.push_str("<p class=\"lead one-phase\">The runbook has no <span class=\"mono\"># phase: NAME</span> marker: it was judged as one phase, at its end.</p>\n");
    }
    body.push_str("<div class=\"runbook\">\n");
    let outputs: std::collections::HashMap<usize, &crate::rollout::model::OutputLine> =
        phases.iter().flat_map(|p| p.output.iter()).map(|o| (o.line, o)).collect();
    let lines: Vec<&str> = runbook.lines().collect();
    for (i, line) in lines.iter().enumerate() {
        let n = i + 1;
        let failing = failure.is_some_and(|f| f.line == n) || outputs.get(&n).is_some_and(|o| o.error.is_some());
        let class = match (failing, blamed.contains(&n), is_phase_marker(line)) {
            (true, _, _) => "line failing",
            (false, true, _) => "line blamed",
            (false, false, true) => "line phase",
            (false, false, false) => "line",
        };
        let _ = writeln!(
            body,
            "<div class=\"{class}\" id=\"line-{n}\" data-line=\"{n}\"><span class=\"no\">{n}</span><span class=\"text\">{}</span></div>",
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
        "<div class=\"failure\" data-line=\"{}\" data-column=\"{}\">line {}, column {}: {}</div>",
        failure.line,
        failure.column,
        failure.line,
        failure.column,
        html(&failure.message)
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::graph::tests::{assert_balanced, plan};

    fn row(site: &str, subnet: &str, decision: Decision) -> SubnetRow {
        SubnetRow {
            site: site.into(),
            subnet: subnet.into(),
            range: subnet.into(),
            address: "10.0.0.200".parse().unwrap(),
            window: None,
            client: "user1@fabrikam.example".into(),
            population: None,
            resolved: vec!["10.0.0.10".parse().unwrap()],
            resolved_site: Some(site.into()),
            web_service: WebServiceVerdict::Served,
            decision,
            reason: "bypassEnabled <true> & mode \"Any\"".into(),
            media: "client ↔ gateway".into(),
        }
    }

    fn report() -> RehearsalReport {
        RehearsalReport {
            phases: vec![PhaseVerdict {
                name: "enable".into(),
                rows: vec![
                    row("Site000", "10.0.0.0/24", Decision::Bypass),
                    row("Site000", "10.0.8.0/24", Decision::NoBypass),
                ],
                appliances: vec![],
                intent: None,
                judged_at: "day 1 00:00".into(),
                output: vec![],
                timeline: None,
                populations: vec![],
            }],
            findings: vec![Finding {
                severity: Severity::Error,
                phase: "enable".into(),
                site: "Site000".into(),
                subnet: "10.0.8.0/24".into(),
                range: "10.0.8.0/24".into(),
                window: None,
                lines: vec![],
                message: "no client subnet covers 10.0.8.0/24, so its queries fall to the default scope".into(),
            }],
        }
    }

    const RUNBOOK: &str = "# phase: dns\n# <script>alert(\"x\")</script>\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl \"http://a&b\"\n";

    #[test]
    fn a_finding_colours_only_the_rows_of_its_range_and_hours() {
        let mut night = row("Seattle", "10.20.0.0/24", Decision::NoBypass);
        night.window = Some("18:00-08:00".into());
        let mut day = row("Seattle", "10.20.0.0/24", Decision::Bypass);
        day.window = Some("08:00-18:00".into());
        let mut lower = row("Mumbai", "10.80.2.0/23", Decision::NoBypass);
        lower.range = "10.80.2.0/24".into();
        let mut upper = row("Mumbai", "10.80.2.0/23", Decision::Bypass);
        upper.range = "10.80.3.0/24".into();
        let finding = |site: &str, subnet: &str, range: &str, window: Option<&str>| Finding {
            severity: Severity::Error,
            phase: "enable".into(),
            site: site.into(),
            subnet: subnet.into(),
            range: range.into(),
            window: window.map(str::to_string),
            lines: vec![],
            message: "m".into(),
        };
        let at_night = [finding("Seattle", "10.20.0.0/24", "10.20.0.0/24", Some("18:00-08:00"))];
        assert_eq!(row_severity("enable", &night, &at_night), Some(Severity::Error));
        assert_eq!(row_severity("enable", &day, &at_night), None);
        let lower_half = [finding("Mumbai", "10.80.2.0/23", "10.80.2.0/24", None)];
        assert_eq!(row_severity("enable", &lower, &lower_half), Some(Severity::Error));
        assert_eq!(row_severity("enable", &upper, &lower_half), None);
    }

    #[test]
    fn runbook_text_is_escaped_and_the_failing_line_marked() {
        let failure =
            RunbookFailure { phase: "enable".into(), line: 3, column: 5, message: "unknown parameter <Foo>".into() };
        let page = render(&report(), &plan(3), RUNBOOK, Some(&failure));
        assert!(!page.contains("<script"), "the runbook's markup reached the page raw");
        assert!(page.contains("# &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
        assert!(page.contains("<div class=\"line failing\" id=\"line-3\" data-line=\"3\">"));
        assert!(page.contains("line 3, column 5: unknown parameter &lt;Foo&gt;"));
        assert!(page.contains("<div class=\"line phase\" id=\"line-1\" data-line=\"1\">"));
        assert!(page.contains("data-verdict=\"fail\""));
        assert_balanced(page.split_once("<body>").unwrap().1.split_once("</body>").unwrap().0);
    }

    #[test]
    fn cells_say_where_they_are_and_how_they_are_coloured() {
        let page = render(&report(), &plan(3), RUNBOOK, None);
        assert!(page.contains(
            "<td class=\"decision bypass expected\" data-phase=\"enable\" data-site=\"Site000\" data-subnet=\"10.0.0.0/24\""
        ));
        assert!(page.contains(
            "<tr class=\"row error\" data-phase=\"enable\" data-site=\"Site000\" data-subnet=\"10.0.8.0/24\""
        ));
        assert!(page.contains(
            "<tr class=\"finding error\" data-severity=\"error\" data-phase=\"enable\" data-site=\"Site000\""
        ));
        assert!(page.contains("bypassEnabled &lt;true&gt; &amp; mode &quot;Any&quot;"));
        assert!(page.contains("data-verdict=\"fail\""), "an error finding fails the rehearsal");
    }

    #[test]
    fn a_clean_rehearsal_passes_and_loads_nothing() {
        let mut clean = report();
        clean.findings.clear();
        let page = render(&clean, &plan(3), RUNBOOK, None);
        assert!(page.contains("data-verdict=\"pass\""));
        assert!(page.contains("default-src 'none'"));
        for loading in ["<script", "<link", "src=", "@import", "url("] {
            assert!(!page.contains(loading), "the page would load something: {loading}");
        }
    }

    #[test]
    fn the_picture_of_a_large_plan_starts_folded() {
        let small = render(&report(), &plan(3), RUNBOOK, None);
        let large = render(&report(), &plan(200), RUNBOOK, None);
        assert!(small.contains("<details class=\"picture\" open><summary>3 sites, 6 appliances</summary>"));
        assert!(large.contains("<details class=\"picture\"><summary>200 sites, 500 appliances</summary>"));
        assert!(large.contains("data-appliance=\"cce-199-3\""), "folded, not left out");
    }
}
