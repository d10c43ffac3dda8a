//! One rehearsal of an admin's runbook, phase by phase, and the value every report writer
//! (terminal, `rehearsal.json`, `rehearsal.html`) starts from.

use super::blame::Ledger;
use super::cause::Context;
use super::directive::{directives, Directive};
use super::expect::{judge, removes_records, Expectation};
use super::intent::{intents, Intent};
use super::intent_check;
use super::merge;
use super::model::{Finding, OutputLine, PhaseVerdict, RehearsalReport, Severity};
use super::observe::{
    appliances, observe, read_client_subnets, read_named_views, read_views, service_host, Observation,
};
use super::phase::{split, Phase};
use super::populations;
use super::route::Router;
use super::sample::{self, SampleClient, Users};
use super::settle::settle;
use super::stale::stale_appliances;
use super::window::{windows, Window};
use super::RolloutError;
use crate::backend::{BackendKind, DnsStart};
use crate::clock::TimeOfDay;
use crate::lab::{Lab, LabError, LabOptions, RunOn};
use crate::runbook::Transcript;
use crate::topology::Topology;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

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

    /// Whether the runbook has no `# phase:` marker, so it was judged only once, at its end.
    pub fn judged_as_one_phase(&self) -> bool {
        split(&self.source).is_ok_and(|phases| phases.iter().all(|p| p.marker_line == 0))
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
    let intents = intents(&phases)?;
    let directives = phases.iter().map(|p| directives(p, &rollout.topology)).collect::<Result<Vec<_>, _>>()?;
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
    let plan = Plan { phases: &phases, intents: &intents, directives: &directives };
    let mut result = run_phases(&lab, &plan, &mut done, progress.as_ref()).await;
    if result.is_ok() {
        // What the runbook left, also where it stopped: what the pages draw.
        progress.step("reading what the DNS servers hold");
        result = read_named_views(&lab).await.map(|views| done.report.dns_servers = views);
    }
    let stopped = lab.stop().await;
    progress.finish();
    result?;
    stopped?;
    Ok(done)
}

/// The runbook read before any lab starts: its phases, what each is for, its lab directives.
struct Plan<'a> {
    phases: &'a [Phase],
    intents: &'a [Option<Intent>],
    directives: &'a [Vec<(usize, Directive)>],
}

async fn run_phases(
    lab: &Lab,
    plan: &Plan<'_>,
    done: &mut RunbookRehearsal,
    progress: &dyn Progress,
) -> Result<(), LabError> {
    let (phases, intents) = (plan.phases, plan.intents);
    let ledger = Ledger::of(&done.source);
    let taken = sample::taken(lab.topology());
    let mut users = Users::default();
    let mut signed_in = HashSet::new();
    for (index, phase) in phases.iter().enumerate() {
        progress.phase(index, &phase.name);
        // Lab directives act when the phase starts, before its lines run.
        for (line, directive) in plan.directives.get(index).map(Vec::as_slice).unwrap_or_default() {
            match directive {
                Directive::Cut(name) => {
                    progress.step(&format!("line {line}: {name} cut off from the tenant"));
                    lab.cut(name).await?
                }
                Directive::Heal(name) => {
                    progress.step(&format!("line {line}: {name} reconnected to the tenant"));
                    lab.heal(name).await?
                }
            }
        }
        let before = lab.tenant_configuration().await?;
        let mut output = vec![];
        let mut line_errors: Vec<Finding> = vec![];
        if phase.has_statements() {
            progress.step("runbook");
            match lab.run_runbook(&phase.source, &RunOn::AdminSession).await {
                Ok(transcript) => {
                    output = output_lines(&transcript);
                    // PowerShell writes a failed statement's error and goes on: so does the
                    // phase, and each such line is an error of the rollout.
                    line_errors = transcript
                        .failures()
                        .map(|e| {
                            Finding::everywhere(
                                Severity::Error,
                                &phase.name,
                                format!(
                                    "{} line {}, column {} failed (the runbook went on): {}",
                                    done.origin, e.line, e.column, e.message
                                ),
                            )
                        })
                        .collect();
                }
                Err(LabError::Runbook(failure)) => {
                    let failure = RunbookFailure {
                        phase: phase.name.clone(),
                        line: failure.line,
                        column: failure.column,
                        message: failure.message,
                    };
                    let mut stopped = Finding::everywhere(
                        Severity::Error,
                        &phase.name,
                        format!(
                            "the runbook stopped at {} line {}, column {}: {}",
                            done.origin, failure.line, failure.column, failure.message
                        ),
                    );
                    stopped.lines = vec![failure.line];
                    done.report.findings.push(stopped);
                    done.failure = Some(failure);
                    progress.phase_done(index, &phase.name, 1, 0);
                    return Ok(());
                }
                Err(e) => return Err(e),
            }
        }
        let after = lab.tenant_configuration().await?;
        // The regions come from the client subnets the phase left; they do not change while
        // the phase settles, so the samples sign in where they will be judged.
        let clients = users.samples(lab.topology(), &read_client_subnets(lab).await?, &taken);
        let timeline = settle(lab, &clients, &mut signed_in, &before, &after, &|line| progress.step(line)).await?;
        progress.step("observing every region and appliance");
        let judged = Judged {
            name: &phase.name,
            source: &phase.source,
            intent: intents.get(index).copied().flatten(),
            clients: &clients,
        };
        let (mut verdict, findings) = judge_phase(lab, &judged, progress).await?;
        verdict.output = output;
        verdict.timeline = timeline;
        let mut findings: Vec<Finding> = line_errors.into_iter().chain(findings).collect();
        for f in &mut findings {
            f.lines = ledger.lines(&f.message);
        }
        let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
        progress.phase_done(index, &phase.name, errors, findings.len() - errors);
        done.report.phases.push(verdict);
        done.report.findings.extend(findings);
    }
    Ok(())
}

/// What each line of a phase printed, as `run` prints it.
fn output_lines(transcript: &Transcript) -> Vec<OutputLine> {
    transcript
        .steps
        .iter()
        .map(|step| {
            let shown = transcript.of_steps(vec![step.clone()]).render();
            let text: Vec<&str> = shown.lines().skip(1).collect();
            let errors: Vec<String> = step.errors.iter().map(|e| e.message.clone()).collect();
            OutputLine {
                line: step.line,
                command: step.source.clone(),
                text: text.join("\n").trim_matches('\n').to_string(),
                error: (!errors.is_empty()).then(|| errors.join("\n")),
            }
        })
        .collect()
}

/// A settled phase about to be judged.
struct Judged<'a> {
    name: &'a str,
    /// The phase's lines, with the file's line numbers.
    source: &'a str,
    /// What the phase is for, when its name or an `# expect:` line says.
    intent: Option<Intent>,
    clients: &'a [SampleClient],
}

/// The lab's time of day now.
async fn time_of_day(lab: &Lab) -> Result<TimeOfDay, LabError> {
    Ok(lab.topology().tenant.start_time_of_day.after(lab.now().await?))
}

/// Observes `clients` at the lab's present time of day.
async fn observe_all(
    lab: &Lab,
    clients: &[&SampleClient],
    host: &str,
    window: Option<Window>,
) -> Result<Vec<Observation>, LabError> {
    let time = time_of_day(lab).await?;
    futures::future::join_all(clients.iter().map(|c| observe(lab, c, host, time, window))).await.into_iter().collect()
}

/// Observes the clients of places whose DNS server has time-of-day policies once in every
/// window of the day: the lab moves to each window's start in turn, and each such client
/// forgets its cached answers and fetches again there.
async fn observe_windows(
    lab: &Lab,
    timed: &[(&SampleClient, &[Window])],
    host: &str,
    progress: &dyn Progress,
) -> Result<Vec<Observation>, LabError> {
    let mut all: Vec<Window> = timed.iter().flat_map(|(_, ws)| ws.iter().copied()).collect();
    all.sort();
    all.dedup();
    let now = time_of_day(lab).await?;
    let ahead = |w: &Window| (w.from.minutes() + 24 * 60 - now.minutes()) % (24 * 60);
    all.sort_by_key(ahead);
    let mut out = vec![];
    for window in all {
        let here = time_of_day(lab).await?;
        let minutes = (window.from.minutes() + 24 * 60 - here.minutes()) % (24 * 60);
        lab.advance(Duration::from_secs(u64::from(minutes) * 60)).await?;
        let members: Vec<&SampleClient> =
            timed.iter().filter(|(_, ws)| ws.contains(&window)).map(|(c, _)| *c).collect();
        progress.step(&format!("{} clients fetch again {}", members.len(), window.words()));
        let refetch = members.iter().map(|c| async move {
            lab.client_flushdns(&c.user).await?;
            lab.fetch(&c.user).await
        });
        for result in futures::future::join_all(refetch).await {
            result?;
        }
        out.extend(observe_all(lab, &members, host, Some(window)).await?);
    }
    Ok(out)
}

/// Observes every sample client and appliance after a settled phase, and judges them.
async fn judge_phase(
    lab: &Lab,
    phase: &Judged<'_>,
    progress: &dyn Progress,
) -> Result<(PhaseVerdict, Vec<Finding>), LabError> {
    let topology = lab.topology();
    let judged_at = topology.clock_reading(lab.now().await?);
    let config = lab.tenant_configuration().await?;
    let host = service_host(topology, config.hybrid.hybrid_config_service_internal_url.as_deref());
    let views = read_views(lab).await?;
    let appliance_rows = appliances(lab).await?;
    let windows: Vec<Vec<Window>> = views.iter().map(|v| windows(&Router::new(v).time_boundaries())).collect();
    let windows_of = |c: &SampleClient| windows.get(c.server).map(Vec::as_slice).unwrap_or_default();
    let steady: Vec<&SampleClient> = phase.clients.iter().filter(|c| windows_of(c).is_empty()).collect();
    let timed: Vec<(&SampleClient, &[Window])> =
        phase.clients.iter().filter(|c| !windows_of(c).is_empty()).map(|c| (c, windows_of(c))).collect();
    let mut observations = observe_all(lab, &steady, &host, None).await?;
    observations.extend(observe_windows(lab, &timed, &host, progress).await?);
    // Places in plan order, regions in address order, windows through the day.
    let order = |o: &Observation| phase.clients.iter().position(|c| c.user == o.sample.user);
    observations.sort_by_key(|o| (order(o), o.window));
    // Records are expected gone when the phase removes them or is meant to.
    let records_removed = removes_records(phase.source) || phase.intent.is_some_and(|i| i.records == Some(false));
    let expectation = Expectation::new(&config, records_removed);
    let cx = Context::new(topology, &views, &appliance_rows, &host, config.version);
    let mut findings = match &phase.intent {
        Some(intent) => intent_check::check(phase.name, intent, &config, phase.source, &views, &host, topology),
        None => vec![],
    };
    findings.extend(judge(phase.name, &expectation, &observations, &cx));
    // A DNS server lacking another's subnets or policies breaks its sites once clients are
    // sent to the name; before that it is a warning of what the enable will meet.
    let in_use = expectation.url.is_some() && expectation.enabled;
    if in_use && !expectation.records_removed {
        findings.extend(stale_appliances(phase.name, &observations, &cx));
    }
    findings.extend(lab.dns_server_findings(phase.name).await?.into_iter().map(|mut f| {
        if !in_use {
            f.severity = Severity::Warning;
            f.message = format!("once media bypass is enabled: {}", f.message);
        }
        f
    }));
    let verdict = PhaseVerdict {
        name: phase.name.to_string(),
        rows: merge::rows(&observations, topology),
        appliances: appliance_rows,
        intent: phase.intent.map(|i| i.to_string()),
        judged_at,
        output: vec![],
        timeline: None,
        populations: populations::shares(&observations, in_use && !expectation.records_removed),
    };
    Ok((verdict, merge::findings(findings, &observations)))
}
