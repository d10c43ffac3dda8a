//! `rehearsal.junit.xml`: a runbook rehearsal's verdict as JUnit XML, so every CI system shows it
//! natively, beside `rehearsal.json` (plain `rehearse` writes `bypass-lab.junit.xml` for the
//! features: the two never share a name).
//!
//! One `<testsuite>` per phase of the runbook; in it one `<testcase>` per region of the phase's
//! matrix (site or outside subnet, the range where a subnet splits, the window of the day), and
//! one for the phase as a whole, which holds the findings about no one place (a failed runbook
//! line, the tenant's settings, where the runbook stopped). A test case with an error finding
//! fails: one `<failure>` (the one most consumers read), whose message is the first error with
//! the runbook lines it blames, and whose text lists every error with its lines. Warnings go to
//! the case's `<system-out>`, as does what the region's client saw. Phases after a stop are
//! skipped.

use super::escape::html;
use crate::rollout::model::{Finding, PhaseVerdict, Severity, SubnetRow};
use crate::rollout::RunbookRehearsal;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The file's name in the report folder.
pub const FILE: &str = "rehearsal.junit.xml";

/// The test case of a phase that holds its findings about no one place.
pub const WHOLE_PHASE: &str = "the phase as a whole";

/// Text for an attribute value: escaped, with line breaks and tabs as character references so an
/// XML parser keeps them (it would turn them into spaces).
fn attribute(text: &str) -> String {
    html(text).replace('\n', "&#10;").replace('\r', "&#13;").replace('\t', "&#9;")
}

/// The region a row stands for, as a test case name: `Sydney 10.40.8.0/24`, with the range
/// where the subnet splits and the window of the day where the place's answers change.
pub fn region_name(site: &str, subnet: &str, range: &str, window: Option<&str>) -> String {
    let mut name = format!("{site} {subnet}");
    if !range.is_empty() && range != subnet {
        let _ = write!(name, " {range}");
    }
    if let Some(window) = window {
        let _ = write!(name, " {window}");
    }
    name
}

/// `rollout.ps1 line 22` or `rollout.ps1 lines 9, 22`: where a finding's cause is written.
pub fn lines_of(origin: &str, lines: &[usize]) -> Option<String> {
    let numbers: Vec<String> = lines.iter().map(usize::to_string).collect();
    match lines {
        [] => None,
        [_] => Some(format!("{origin} line {}", numbers[0])),
        _ => Some(format!("{origin} lines {}", numbers.join(", "))),
    }
}

/// One test case as it will be written.
struct Case<'a> {
    name: String,
    findings: Vec<&'a Finding>,
    /// What the region's client saw, for `<system-out>`.
    observed: Vec<String>,
}

/// Whether `finding` is about the region of `row`: the same place, range and window, or, for
/// a finding that spans a subnet's regions, every region of that subnet (in its window).
fn is_about(finding: &Finding, row: &SubnetRow) -> bool {
    finding.site == row.site
        && finding.subnet == row.subnet
        && (finding.range == row.range || finding.range == finding.subnet || finding.range.is_empty())
        && (finding.window.is_none() || finding.window == row.window)
}

fn observed(row: &SubnetRow) -> String {
    let resolved = match row.resolved.as_slice() {
        [] => "nothing".to_string(),
        ips => {
            let ips: Vec<String> = ips.iter().map(|ip| ip.to_string()).collect();
            format!("{} ({})", ips.join(" "), row.resolved_site.as_deref().unwrap_or("?"))
        }
    };
    let web = serde_json::to_value(row.web_service).ok().and_then(|v| v.as_str().map(str::to_string));
    let decision = serde_json::to_value(row.decision).ok().and_then(|v| v.as_str().map(str::to_string));
    format!(
        "client {} at {} resolved {resolved}; web service {}; decision {}; media {}",
        row.client,
        row.address,
        web.unwrap_or_default(),
        decision.unwrap_or_default(),
        row.media
    )
}

/// The cases of a phase that was judged: one per region, then the phase as a whole.
fn cases<'a>(phase: &PhaseVerdict, findings: &[&'a Finding]) -> Vec<Case<'a>> {
    let mut placed = vec![false; findings.len()];
    let mut out: Vec<Case<'a>> = vec![];
    for row in &phase.rows {
        let mut name = region_name(&row.site, &row.subnet, &row.range, row.window.as_deref());
        // Rows of one region split by the plan's declared client populations.
        if let Some(population) = &row.population {
            let _ = write!(name, " ({population})");
        }
        let mut case = Case { name, findings: vec![], observed: vec![observed(row)] };
        for (i, f) in findings.iter().enumerate() {
            if is_about(f, row) {
                case.findings.push(f);
                placed[i] = true;
            }
        }
        out.push(case);
    }
    // Findings about no region of the matrix (`all`, or a place it has no row for).
    let whole: Vec<&'a Finding> = findings.iter().zip(&placed).filter(|(_, p)| !**p).map(|(f, _)| *f).collect();
    out.push(Case { name: WHOLE_PHASE.into(), findings: whole, observed: vec![] });
    out
}

/// A finding as a line of a failure's text or of `<system-out>`: its place (unless it is about
/// no one place), the runbook lines it blames, its message.
fn finding_line(origin: &str, f: &Finding) -> String {
    let mut said: Vec<String> = vec![];
    if f.site != "all" {
        said.push(region_name(&f.site, &f.subnet, &f.range, f.window.as_deref()));
    }
    if let Some(lines) = lines_of(origin, &f.lines) {
        said.push(format!("({lines})"));
    }
    match said.is_empty() {
        true => f.message.clone(),
        false => format!("{}: {}", said.join(" "), f.message),
    }
}

/// The blamed lines as the runbook has them, one under the other: `\n  22 | Add-Dns…`.
fn quoted_lines(source: &str, lines: &[usize]) -> String {
    let text: Vec<&str> = source.lines().collect();
    lines.iter().filter_map(|n| Some(format!("\n  {n} | {}", text.get(n.checked_sub(1)?)?.trim_end()))).collect()
}

fn write_case(out: &mut String, (phase, origin, source): (&str, &str, &str), case: &Case<'_>) {
    let errors: Vec<&&Finding> = case.findings.iter().filter(|f| f.severity == Severity::Error).collect();
    let warnings: Vec<&&Finding> = case.findings.iter().filter(|f| f.severity == Severity::Warning).collect();
    let _ = write!(
        out,
        "    <testcase classname=\"{}\" name=\"{}\" file=\"{}\"",
        attribute(phase),
        attribute(&case.name),
        attribute(origin)
    );
    if let Some(line) = errors.first().and_then(|f| f.lines.first()) {
        let _ = write!(out, " line=\"{line}\"");
    }
    if errors.is_empty() && warnings.is_empty() && case.observed.is_empty() {
        out.push_str("/>\n");
        return;
    }
    out.push_str(">\n");
    if let Some(first) = errors.first() {
        let message = match lines_of(origin, &first.lines) {
            Some(lines) => format!("{lines}: {}", first.message),
            None => first.message.clone(),
        };
        let text: Vec<String> =
            errors.iter().map(|f| finding_line(origin, f) + &quoted_lines(source, &f.lines)).collect();
        let _ = writeln!(
            out,
            "      <failure type=\"error\" message=\"{}\">{}</failure>",
            attribute(&message),
            html(&text.join("\n"))
        );
    }
    let mut said: Vec<String> = case.observed.clone();
    said.extend(warnings.iter().map(|f| format!("warning: {}", finding_line(origin, f))));
    if !said.is_empty() {
        let _ = writeln!(out, "      <system-out>{}</system-out>", html(&said.join("\n")));
    }
    out.push_str("    </testcase>\n");
}

/// The whole file.
pub fn render(done: &RunbookRehearsal) -> String {
    let origin = done.origin.as_str();
    let report = &done.report;
    let declared: Vec<String> = crate::rollout::phase::split(&done.source)
        .map(|phases| phases.into_iter().map(|p| p.name).collect())
        .unwrap_or_default();
    let mut suites = String::new();
    let (mut tests, mut failures, mut skipped) = (0, 0, 0);
    let mut names: Vec<&str> = report.phases.iter().map(|p| p.name.as_str()).collect();
    if let Some(stop) = &done.failure {
        if !names.iter().any(|n| *n == stop.phase) {
            names.push(&stop.phase);
        }
    }
    for name in &names {
        let findings: Vec<&Finding> = report.findings.iter().filter(|f| f.phase == *name).collect();
        let cases = match report.phases.iter().find(|p| p.name == *name) {
            Some(phase) => cases(phase, &findings),
            // The phase the runbook stopped in has no matrix: its findings are the phase's.
            None => vec![Case { name: WHOLE_PHASE.into(), findings, observed: vec![] }],
        };
        let failed = cases.iter().filter(|c| c.findings.iter().any(|f| f.severity == Severity::Error)).count();
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failed}\" errors=\"0\" skipped=\"0\">",
            attribute(&format!("phase {name}")),
            cases.len()
        );
        if let Some(phase) = report.phases.iter().find(|p| p.name == *name) {
            suites.push_str("    <properties>\n");
            let intent = phase.intent.as_deref().unwrap_or("judged by tenant state only");
            let _ = writeln!(suites, "      <property name=\"intent\" value=\"{}\"/>", attribute(intent));
            let _ = writeln!(suites, "      <property name=\"judged_at\" value=\"{}\"/>", attribute(&phase.judged_at));
            suites.push_str("    </properties>\n");
        }
        for case in &cases {
            write_case(&mut suites, (name, origin, &done.source), case);
        }
        suites.push_str("  </testsuite>\n");
        tests += cases.len();
        failures += failed;
    }
    // Phases after a stop never ran: each is one skipped case, so the count of phases is whole.
    for name in declared.iter().filter(|d| !names.iter().any(|n| n == d)) {
        let why = match &done.failure {
            Some(stop) => format!("not run: the runbook stopped in phase {} at line {}", stop.phase, stop.line),
            None => "not run".to_string(),
        };
        let _ = writeln!(
            suites,
            "  <testsuite name=\"{}\" tests=\"1\" failures=\"0\" errors=\"0\" skipped=\"1\">\n    <testcase classname=\"{}\" name=\"{WHOLE_PHASE}\" file=\"{}\">\n      <skipped message=\"{}\"/>\n    </testcase>\n  </testsuite>",
            attribute(&format!("phase {name}")),
            attribute(name),
            attribute(origin),
            attribute(&why)
        );
        tests += 1;
        skipped += 1;
    }
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"{}\" tests=\"{tests}\" failures=\"{failures}\" errors=\"0\" skipped=\"{skipped}\">\n{suites}</testsuites>\n",
        attribute(&format!("bypass-lab rehearsal of {origin}"))
    )
}

/// Renders the file and writes it as `dir/rehearsal.junit.xml`, returning its path.
pub fn write(dir: &Path, done: &RunbookRehearsal) -> Result<PathBuf, super::ReportError> {
    let file = dir.join(FILE);
    std::fs::write(&file, render(done)).map_err(|source| super::ReportError::Write { file: file.clone(), source })?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::model::{Decision, RehearsalReport, WebServiceVerdict};
    use crate::rollout::RunbookFailure;
    use quick_xml::events::Event;

    const HOSTILE: &str = r#"Lyon & <Annecy> "x" ]]>"#;

    fn row(site: &str, subnet: &str, range: &str, window: Option<&str>) -> SubnetRow {
        SubnetRow {
            site: site.into(),
            subnet: subnet.into(),
            range: range.into(),
            address: "10.80.2.255".parse().unwrap(),
            window: window.map(str::to_string),
            client: "mumbai-1".into(),
            resolved: vec![],
            resolved_site: None,
            web_service: WebServiceVerdict::NoUrl,
            decision: Decision::NoBypass,
            reason: "no URL".into(),
            media: "client <-> Mediation Server <-> gateway".into(),
            population: None,
        }
    }

    fn finding(severity: Severity, phase: &str, place: (&str, &str, &str), lines: &[usize], message: &str) -> Finding {
        let (site, subnet, range) = place;
        Finding {
            severity,
            phase: phase.into(),
            site: site.into(),
            subnet: subnet.into(),
            range: range.into(),
            window: None,
            lines: lines.to_vec(),
            message: message.into(),
        }
    }

    const RUNBOOK: &str = "# phase: dns\nAdd-DnsServerClientSubnet -Name \"MumbaiSubnet\" -IPv4Subnet \"10.80.3.0/24\"\n# phase: enable\nthrow \"stop\"\n# phase: verify\nGet-CsTenant\n";

    /// A rehearsal of three phases that stopped in the second: a split /23, a window of the day,
    /// a hostile site name, a phase-wide warning.
    fn rehearsal() -> RunbookRehearsal {
        let phase = PhaseVerdict {
            name: "dns".into(),
            rows: vec![
                row("Mumbai", "10.80.2.0/23", "10.80.2.0/24", None),
                row("Mumbai", "10.80.2.0/23", "10.80.3.0/24", None),
                row(HOSTILE, "10.9.0.0/24", "10.9.0.0/24", Some("08:00-18:00")),
                row(HOSTILE, "10.9.0.0/24", "10.9.0.0/24", Some("18:00-08:00")),
            ],
            appliances: vec![],
            intent: Some("bypass off".into()),
            judged_at: "day 2 08:00".into(),
            output: vec![],
            timeline: None,
            populations: vec![],
        };
        let mut night =
            finding(Severity::Error, "dns", (HOSTILE, "10.9.0.0/24", "10.9.0.0/24"), &[], "at night & <more>");
        night.window = Some("18:00-08:00".into());
        let findings = vec![
            finding(
                Severity::Error,
                "dns",
                ("Mumbai", "10.80.2.0/23", "10.80.2.0/24"),
                &[2],
                "no client subnet covers it",
            ),
            finding(Severity::Error, "dns", ("Mumbai", "10.80.2.0/23", "10.80.2.0/24"), &[2, 4], "and a second"),
            night,
            finding(Severity::Warning, "dns", ("all", "all", "all"), &[], "once media bypass is enabled: a warning"),
            finding(Severity::Error, "enable", ("all", "all", "all"), &[4], "the runbook stopped at r.ps1 line 4"),
        ];
        RunbookRehearsal {
            report: RehearsalReport { phases: vec![phase], findings, ..Default::default() },
            source: RUNBOOK.into(),
            origin: "runbooks/r&d.ps1".into(),
            failure: Some(RunbookFailure { phase: "enable".into(), line: 4, column: 1, message: "stop".into() }),
        }
    }

    /// An element read back: its name, its attributes and the text inside it.
    type Element = (String, Vec<(String, String)>, String);

    fn element(e: &quick_xml::events::BytesStart<'_>) -> Element {
        let attributes = e
            .attributes()
            .map(|a| {
                let a = a.unwrap();
                let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned();
                (String::from_utf8(a.key.as_ref().to_vec()).unwrap(), value)
            })
            .collect();
        (String::from_utf8(e.name().as_ref().to_vec()).unwrap(), attributes, String::new())
    }

    /// Each element as (name, attributes, text inside), read by an XML parser that fails the test
    /// on anything not well-formed.
    fn parse(xml: &str) -> Vec<Element> {
        let mut reader = quick_xml::Reader::from_str(xml);
        let mut out: Vec<Element> = vec![];
        let mut open: Vec<usize> = vec![];
        loop {
            match reader.read_event().unwrap_or_else(|e| panic!("not well-formed: {e}\n{xml}")) {
                Event::Start(e) => {
                    out.push(element(&e));
                    open.push(out.len() - 1);
                }
                Event::Empty(e) => out.push(element(&e)),
                Event::Text(t) => {
                    if let Some(i) = open.last() {
                        out[*i].2.push_str(&t.xml_content(quick_xml::XmlVersion::Implicit1_0).unwrap());
                    }
                }
                Event::GeneralRef(r) => {
                    if let Some(i) = open.last() {
                        let name = String::from_utf8(r.to_vec()).unwrap();
                        let c = match name.as_str() {
                            "amp" => "&",
                            "lt" => "<",
                            "gt" => ">",
                            "quot" => "\"",
                            "apos" | "#39" => "'",
                            other => panic!("unexpected entity {other}"),
                        };
                        out[*i].2.push_str(c);
                    }
                }
                Event::End(_) => {
                    open.pop();
                }
                Event::Eof => return out,
                _ => {}
            }
        }
    }

    fn attribute<'a>(element: &'a Element, name: &str) -> &'a str {
        element.1.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str()).unwrap_or_else(|| panic!("no {name}"))
    }

    #[test]
    fn each_region_of_each_phase_is_a_case_and_each_error_fails_it_naming_its_lines() {
        let xml = render(&rehearsal());
        let elements = parse(&xml);
        let cases: Vec<_> = elements.iter().filter(|e| e.0 == "testcase").collect();
        let names: Vec<String> =
            cases.iter().map(|c| format!("{}/{}", attribute(c, "classname"), attribute(c, "name"))).collect();
        assert_eq!(
            names,
            [
                "dns/Mumbai 10.80.2.0/23 10.80.2.0/24",
                "dns/Mumbai 10.80.2.0/23 10.80.3.0/24",
                &format!("dns/{HOSTILE} 10.9.0.0/24 08:00-18:00"),
                &format!("dns/{HOSTILE} 10.9.0.0/24 18:00-08:00"),
                "dns/the phase as a whole",
                "enable/the phase as a whole",
                "verify/the phase as a whole",
            ]
        );
        let failures: Vec<_> = elements.iter().filter(|e| e.0 == "failure").collect();
        assert_eq!(failures.len(), 3, "the split half, the night window and the stop");
        assert_eq!(attribute(failures[0], "message"), "runbooks/r&d.ps1 line 2: no client subnet covers it");
        assert!(failures[0].2.contains("(runbooks/r&d.ps1 lines 2, 4): and a second"), "{}", failures[0].2);
        assert!(
            failures[0].2.contains("\n  2 | Add-DnsServerClientSubnet -Name \"MumbaiSubnet\""),
            "{}",
            failures[0].2
        );
        assert_eq!(attribute(failures[1], "message"), "at night & <more>");
        assert_eq!(attribute(failures[2], "message"), "runbooks/r&d.ps1 line 4: the runbook stopped at r.ps1 line 4");
        // The case that failed names its first blamed line.
        assert_eq!(attribute(cases[0], "line"), "2");
        // A warning is no failure, but is told.
        let whole = elements.iter().position(|e| e.0 == "testcase" && attribute(e, "name") == WHOLE_PHASE).unwrap();
        assert_eq!(elements[whole + 1].0, "system-out");
        assert_eq!(elements[whole + 1].2, "warning: once media bypass is enabled: a warning");
        // The phase after the stop never ran.
        let skipped: Vec<_> = elements.iter().filter(|e| e.0 == "skipped").collect();
        assert_eq!(attribute(skipped[0], "message"), "not run: the runbook stopped in phase enable at line 4");
        // The counts agree with the elements.
        let root = &elements[0];
        assert_eq!((root.0.as_str(), attribute(root, "tests"), attribute(root, "failures")), ("testsuites", "7", "3"));
        assert_eq!(attribute(root, "skipped"), "1");
        let suites: Vec<_> = elements.iter().filter(|e| e.0 == "testsuite").collect();
        let counts: Vec<(&str, &str, &str)> =
            suites.iter().map(|s| (attribute(s, "tests"), attribute(s, "failures"), attribute(s, "skipped"))).collect();
        assert_eq!(counts, [("5", "2", "0"), ("1", "1", "0"), ("1", "0", "1")]);
    }
}
