//! `rehearsal.html` for the rehearsal of an admin's own rollout, the page a change reviewer reads
//! to decide whether the rollout may go ahead. It answers that first and details after:
//!
//! 1. the verdict and what produced the page ([`header`]);
//! 2. the findings, each linked to its rows and to the runbook lines it blames ([`findings`]);
//! 3. every place × every phase, one word a cell ([`summary`]);
//! 4. each phase's matrix, appliances and replication window ([`phase`]);
//! 5. the plan's picture, and the runbook with blamed, failing and never-run lines marked
//!    ([`runbook`]);
//! 6. what decides each DNS server's answers as the runbook left it
//!    ([`crate::report::dns_plan::html_section`]).
//!
//! Cells carry `data-phase`, `data-site`, `data-subnet` and classes named after what they show
//! (`decision bypass`, `finding error`, `line failing`), so tests and admins' own scripts find
//! them without parsing the layout.

mod anchors;
mod findings;
mod header;
mod phase;
pub mod reading;
mod runbook;
mod summary;

use super::fit::Reflow;
use super::graph;
use super::page::{document, plural};
use super::provenance::Provenance;
use crate::rollout::model::{RehearsalReport, Severity};
pub use crate::rollout::RunbookFailure;
use crate::rollout::RunbookRehearsal;
use crate::topology::Topology;
use anchors::Anchors;
use reading::{PhaseExpects, Reading};
use std::fmt::Write as _;

/// Plans with more sites than this show their picture folded.
const UNFOLDED_SITES: usize = 24;

/// Everything the sections draw from, computed once: what each phase expects, how each row
/// reads, the ids, and the order findings are shown in.
struct View<'a> {
    report: &'a RehearsalReport,
    topology: &'a Topology,
    runbook: &'a str,
    failure: Option<&'a RunbookFailure>,
    expects: Vec<PhaseExpects>,
    /// Per phase, per row.
    readings: Vec<Vec<Reading>>,
    anchors: Anchors,
    /// Indices into the report's findings, errors first, then in phase order.
    order: Vec<usize>,
}

impl<'a> View<'a> {
    fn new(
        report: &'a RehearsalReport,
        topology: &'a Topology,
        runbook: &'a str,
        failure: Option<&'a RunbookFailure>,
    ) -> View<'a> {
        use crate::rollout::{expect::removes_records, intent::intents, phase::split};
        // The runbook validated before it ran, so its phases and intents read again here.
        let split = split(runbook).unwrap_or_default();
        let intents = intents(&split).unwrap_or_default();
        let expects: Vec<PhaseExpects> = report
            .phases
            .iter()
            .map(|p| {
                let at = split.iter().position(|s| s.name.eq_ignore_ascii_case(&p.name));
                let intent = at.and_then(|i| intents.get(i).copied().flatten());
                let removes = at.is_some_and(|i| removes_records(&split[i].source));
                PhaseExpects::of(p, intent.as_ref(), removes)
            })
            .collect();
        let readings = report
            .phases
            .iter()
            .zip(&expects)
            .map(|(p, e)| p.rows.iter().map(|r| reading::read(r, &p.name, e, &report.findings, topology)).collect())
            .collect();
        let phase_order = |name: &str| report.phases.iter().position(|p| p.name == name).unwrap_or(usize::MAX);
        let mut order: Vec<usize> = (0..report.findings.len()).collect();
        order.sort_by_key(|&i| (report.findings[i].severity, phase_order(&report.findings[i].phase)));
        View { report, topology, runbook, failure, expects, readings, anchors: Anchors::new(report), order }
    }

    fn passed(&self) -> bool {
        !self.report.has_errors() && self.failure.is_none()
    }

    fn verdict_word(&self) -> &'static str {
        if self.passed() {
            "pass"
        } else {
            "fail"
        }
    }

    fn errors(&self) -> usize {
        self.report.findings.iter().filter(|f| f.severity == Severity::Error).count()
    }
}

/// The whole page. `runbook` is the runbook's text as the admin wrote it; `failure` is where it
/// stopped, if it did; `provenance` what produced the page.
pub fn render(
    report: &RehearsalReport,
    topology: &Topology,
    runbook: &str,
    failure: Option<&RunbookFailure>,
    provenance: &Provenance,
) -> String {
    let view = View::new(report, topology, runbook, failure);
    let mut reflow = Reflow::default();
    let mut body = String::new();
    header::section(&mut body, &view, provenance);
    findings::section(&mut body, &view, &mut reflow);
    summary::section(&mut body, &view, &mut reflow);
    for index in 0..report.phases.len() {
        phase::section(&mut body, &view, index, &mut reflow);
    }
    plan_section(&mut body, topology);
    runbook::section(&mut body, &view);
    body.push_str(&super::dns_plan::html_section(&report.dns_servers, topology));
    document(&format!("Rehearsal of {}: {}", topology.tenant.domain, view.verdict_word()), &reflow.css(), &body)
}

/// The plan's picture, inline.
fn plan_section(body: &mut String, topology: &Topology) {
    let _ = writeln!(
        body,
        "<h2 id=\"topology\">The plan</h2>\n<details class=\"picture\"{}><summary>{}, {}</summary>\n{}</details>",
        // A picture of a few sites is read at once; one of a hundred would make the page long
        // for little, so it starts folded (lab choice).
        if topology.sites.len() <= UNFOLDED_SITES { " open" } else { "" },
        plural(topology.sites.len(), "site"),
        plural(topology.appliances().count(), "appliance"),
        graph::svg(topology)
    );
}

/// Renders the page of `rehearsal` and writes it as `dir/rehearsal.html`, returning its path. The
/// page names this process's command line, the plan, the runbook, the version and the time.
pub fn write(
    dir: &std::path::Path,
    rehearsal: &RunbookRehearsal,
    topology: &Topology,
) -> Result<std::path::PathBuf, super::ReportError> {
    let provenance = Provenance::of_this_process(&topology.origin_name(), ("runbook", &rehearsal.origin));
    let file = dir.join("rehearsal.html");
    let page = render(&rehearsal.report, topology, &rehearsal.source, rehearsal.failure.as_ref(), &provenance);
    std::fs::write(&file, page).map_err(|source| super::ReportError::Write { file: file.clone(), source })?;
    Ok(file)
}

#[cfg(test)]
mod tests;
