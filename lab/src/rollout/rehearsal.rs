//! One rehearsal of an admin's runbook, phase by phase, and the value every report writer
//! (terminal, `rehearsal.json`, `rehearsal.html`) starts from.

use super::cause::Context;
use super::expect::{judge, removes_records, Expectation};
use super::model::{Finding, PhaseVerdict, RehearsalReport, Severity};
use super::observe::{appliances, observe, read_dns, service_host};
use super::phase::{split, Phase};
use super::sample::{samples, SampleClient};
use super::settle::settle;
use super::RolloutError;
use crate::backend::{BackendKind, DnsStart};
use crate::lab::{Lab, LabError, LabOptions, RunOn};
use crate::topology::Topology;
use std::sync::Arc;

/// What to rehearse.
pub struct Rollout {
    pub topology: Topology,
    /// The runbook's text, as the admin wrote it.
    pub source: String,
    /// The runbook's file name, for messages.
    pub origin: String,
    pub backend: BackendKind,
    /// Empty unless the admin asks for the planned policies.
    pub dns: DnsStart,
}

/// Where a runbook stopped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunbookFailure {
    pub phase: String,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

/// A finished rehearsal: the report of the phases done, the runbook and where it failed.
#[derive(Debug, Clone)]
pub struct RunbookRehearsal {
    pub report: RehearsalReport,
    /// The runbook as read, so a report can show it with the failing line marked.
    pub source: String,
    pub origin: String,
    pub failure: Option<RunbookFailure>,
}

impl RunbookRehearsal {
    /// Whether the rollout passed: the runbook ran to its end and no finding is an error.
    pub fn succeeded(&self) -> bool {
        self.failure.is_none() && !self.report.has_errors()
    }
}

/// What a rehearsal tells while it runs.
pub trait Progress: Send + Sync {
    /// The phases, before the lab starts.
    fn start(&self, _phases: &[String]) {}
    fn phase(&self, _index: usize, _name: &str) {}
    /// One step inside the current phase.
    fn step(&self, _line: &str) {}
    fn phase_done(&self, _index: usize, _name: &str, _errors: usize, _warnings: usize) {}
    fn finish(&self) {}
}

/// Stays silent.
pub struct Quiet;

impl Progress for Quiet {}

/// Starts a lab for the rollout's topology, runs each phase, settles, observes and judges, and
/// stops the lab. Bad input (a phase marker) fails before any lab starts; a runbook error ends
/// the rehearsal with the phases done so far.
pub async fn rehearse_rollout(rollout: Rollout, progress: Arc<dyn Progress>) -> Result<RunbookRehearsal, RolloutError> {
    let phases = split(&rollout.source)?;
    progress.start(&phases.iter().map(|p| p.name.clone()).collect::<Vec<_>>());
    let report_progress = progress.clone();
    let options = LabOptions {
        backend: rollout.backend,
        dns: rollout.dns,
        progress: Arc::new(move |line: &str| report_progress.step(line)),
        ..LabOptions::default()
    };
    let lab = match Lab::start(rollout.topology.clone(), options).await {
        Ok(lab) => lab,
        Err(e) => {
            progress.finish();
            return Err(e.into());
        }
    };
    let mut done = RunbookRehearsal {
        report: RehearsalReport::default(),
        source: rollout.source.clone(),
        origin: rollout.origin.clone(),
        failure: None,
    };
    let result = run_phases(&lab, &phases, &mut done, progress.as_ref()).await;
    let stopped = lab.stop().await;
    progress.finish();
    result?;
    stopped?;
    Ok(done)
}

async fn run_phases(
    lab: &Lab,
    phases: &[Phase],
    done: &mut RunbookRehearsal,
    progress: &dyn Progress,
) -> Result<(), LabError> {
    let clients = samples(lab.topology());
    for (index, phase) in phases.iter().enumerate() {
        progress.phase(index, &phase.name);
        if phase.has_statements() {
            progress.step("runbook");
            let ran = lab.run_runbook(&phase.source, &RunOn::AdminSession).await;
            match ran.and_then(|t| t.into_result().map_err(|e| LabError::Runbook(Box::new(e)))) {
                Ok(_) => {}
                Err(LabError::Runbook(failure)) => {
                    let failure = RunbookFailure {
                        phase: phase.name.clone(),
                        line: failure.line,
                        column: failure.column,
                        message: failure.message,
                    };
                    done.report.findings.push(Finding {
                        severity: Severity::Error,
                        phase: phase.name.clone(),
                        site: "all".into(),
                        subnet: "all".into(),
                        message: format!(
                            "the runbook stopped at {} line {}, column {}: {}",
                            done.origin, failure.line, failure.column, failure.message
                        ),
                    });
                    done.failure = Some(failure);
                    progress.phase_done(index, &phase.name, 1, 0);
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        settle(lab, &clients, index == 0, &|line| progress.step(line)).await?;
        progress.step("observing every subnet and appliance");
        let (verdict, findings) = judge_phase(lab, &phase.name, removes_records(&phase.source), &clients).await?;
        let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
        progress.phase_done(index, &phase.name, errors, findings.len() - errors);
        done.report.phases.push(verdict);
        done.report.findings.extend(findings);
    }
    Ok(())
}

/// Observes every sample client and appliance after a settled phase, and judges them.
async fn judge_phase(
    lab: &Lab,
    phase: &str,
    records_removed: bool,
    clients: &[SampleClient],
) -> Result<(PhaseVerdict, Vec<Finding>), LabError> {
    let topology = lab.topology();
    let config = lab.tenant_configuration().await?;
    let host = service_host(topology, config.hybrid.hybrid_config_service_internal_url.as_deref());
    let view = read_dns(lab).await?;
    let appliance_rows = appliances(lab).await?;
    let observations = futures::future::join_all(clients.iter().map(|c| observe(lab, c, &host)))
        .await
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;
    let expectation = Expectation::new(&config, records_removed);
    let cx =
        Context { topology, view: &view, appliances: &appliance_rows, host: &host, tenant_version: config.version };
    let mut findings = judge(phase, &expectation, &observations, &cx);
    // A DNS server lacking another's subnets or policies breaks its sites once clients are
    // sent to the name; before that it is a warning of what the enable will meet.
    let in_use = expectation.url.is_some() && expectation.enabled;
    findings.extend(lab.dns_server_findings(phase).await?.into_iter().map(|mut f| {
        if !in_use {
            f.severity = Severity::Warning;
            f.message = format!("once media bypass is enabled: {}", f.message);
        }
        f
    }));
    let verdict = PhaseVerdict {
        name: phase.to_string(),
        rows: observations.iter().map(|o| o.row(topology)).collect(),
        appliances: appliance_rows,
    };
    Ok((verdict, findings))
}
