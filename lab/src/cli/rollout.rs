//! `bypass-lab rehearse --runbook FILE`: rehearse the admin's own rollout, print a matrix per
//! phase and the findings, write `rehearsal.json`, `rehearsal.junit.xml` and `rehearsal.html`,
//! and inside GitHub Actions or GitLab CI annotate the runbook's lines with the findings. Exit 0
//! without error findings, 1 with one or on a runbook error, 2 on invalid input (before any lab
//! starts).

use crate::backend::{BackendKind, DnsStart};
use crate::rollout::model::{Decision, PhaseVerdict};
use crate::rollout::{rehearse_rollout, Progress, Rollout, RunbookRehearsal, Severity};
use crate::runbook::StepError;
use crate::topology::Topology;
use anyhow::Context;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};

pub struct RolloutArgs {
    pub runbook: PathBuf,
    pub topology: Option<PathBuf>,
    pub report: PathBuf,
    pub backend: BackendKind,
    pub dns: DnsStart,
    /// How long to wait for the plan's turn on a shared engine; None: refused at once.
    pub wait: Option<std::time::Duration>,
}

fn invalid(message: impl std::fmt::Display) -> anyhow::Result<ExitCode> {
    eprintln!("error: {message}");
    Ok(ExitCode::from(crate::cli::input::INVALID_INPUT))
}

pub async fn run(args: RolloutArgs) -> anyhow::Result<ExitCode> {
    use crate::cli::input;
    if input::both_from_stdin(args.topology.as_deref(), &args.runbook) {
        return invalid(
            "--runbook - and --topology - both ask for standard input, which holds one file: give the other as a file",
        );
    }
    // Read as PowerShell reads a script: UTF-8 with or without a BOM, or UTF-16 with one.
    let (source, file) = match input::runbook(&args.runbook) {
        Ok(read) => read,
        Err(e) => return invalid(e),
    };
    let origin = file.unwrap_or_else(|| input::STANDARD_INPUT.to_string());
    let topology = match input::topology(args.topology.as_deref()) {
        Ok(t) => t,
        Err(e) => return invalid(e),
    };
    let checked = crate::rollout::phase::split(&source).and_then(|phases| {
        crate::rollout::intent::intents(&phases)?;
        phases.iter().try_for_each(|p| crate::rollout::directive::directives(p, &topology).map(|_| ()))
    });
    if let Err(e) = checked {
        return invalid(format!("{origin}: {e}"));
    }
    println!(
        "Rehearsing the rollout in {} for {} ({} sites, {} appliances) on the {:?} backend, DNS server {}",
        origin,
        topology.tenant.service_name,
        topology.sites.len(),
        topology.appliances().count(),
        args.backend,
        match args.dns {
            DnsStart::Empty => "empty",
            DnsStart::Planned => "with the planned policies",
        }
    );
    let plan = topology.clone();
    // Once, before the lab starts: another lab or run may hold the plan's subnets on a shared
    // engine. Kept until the rehearsal has stopped its lab.
    let options = crate::lab::LabOptions { backend: args.backend, wait: args.wait, ..Default::default() };
    let turn = options.take_turn(&plan, &|line: &str| eprintln!("{line}")).await?;
    let rollout = Rollout { topology, source, origin: origin.clone(), backend: args.backend, dns: args.dns };
    let progress: Arc<dyn Progress> = if std::io::stderr().is_terminal() && std::env::var_os("CI").is_none() {
        Arc::new(Bars::default())
    } else {
        Arc::new(Lines::default())
    };
    let done = match rehearse_rollout(rollout, progress).await {
        Ok(done) => done,
        Err(e) if e.is_input() => return invalid(format!("{origin}: {e}")),
        Err(e) => return Err(e.into()),
    };
    turn.release().await?;
    print!("{}", render(&done));
    println!();
    for file in write_reports(&done, &plan, &args.report)? {
        println!("report: {}", file.display());
    }
    annotate(&done, &args.report)?;
    Ok(if done.succeeded() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// Writes every report of a rehearsal into `dir`: each writer takes the rehearsal (report, runbook
/// text, where it failed) and the plan.
pub fn write_reports(done: &RunbookRehearsal, topology: &Topology, dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let json = write_json(done, dir)?;
    let junit = crate::report::junit::write(dir, done)?;
    let page = crate::report::rollout_page::write(dir, done, topology)?;
    Ok(vec![json, junit, page])
}

/// Inside a CI platform, the findings as its annotations on the runbook's lines: GitHub's
/// workflow commands on standard output, GitLab's Code Quality report beside the others.
fn annotate(done: &RunbookRehearsal, dir: &Path) -> anyhow::Result<()> {
    use crate::report::annotations::{self, Platform};
    let Some(platform) = Platform::detect(|name| std::env::var(name).ok()) else { return Ok(()) };
    let found = annotations::annotations(done);
    let stdin = done.origin == crate::cli::input::STANDARD_INPUT;
    let workspace = std::env::var_os(platform.workspace_variable()).map(PathBuf::from);
    let cwd = std::env::current_dir().context("cannot read the working folder")?;
    let path = annotations::repository_path(&done.origin, workspace.as_deref(), &cwd);
    match platform {
        Platform::GitHubActions => print!("{}", annotations::github(&found, (!stdin).then_some(path.as_str()))),
        Platform::GitLabCi => {
            let file = dir.join(annotations::GITLAB_FILE);
            std::fs::write(&file, annotations::gitlab(&found, &path))
                .with_context(|| format!("cannot write {}", file.display()))?;
            println!("report: {}", file.display());
        }
    }
    Ok(())
}

/// Writes `DIR/rehearsal.json`.
pub fn write_json(done: &RunbookRehearsal, dir: &Path) -> anyhow::Result<PathBuf> {
    std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    let file = dir.join("rehearsal.json");
    let json = serde_json::to_string_pretty(&done.report)?;
    std::fs::write(&file, json + "\n").with_context(|| format!("cannot write {}", file.display()))?;
    Ok(file)
}

fn matrix(phase: &PhaseVerdict) -> String {
    let mut out = format!("\n== phase {} ==\n", phase.name);
    out.push_str(&format!("judged at {}; ", phase.judged_at));
    match &phase.intent {
        Some(intent) => out.push_str(&format!("meant to leave: {intent}\n")),
        None => out.push_str(
            "judged by tenant state only (name the phase after a step of the guide, or add '# expect: ...')\n",
        ),
    }
    let timed = phase.rows.iter().any(|r| r.window.is_some());
    let declared = phase.rows.iter().any(|r| r.population.is_some());
    let mut header =
        vec!["SITE", "SUBNET", "RANGE", "CLIENT", "ADDRESS", "RESOLVED", "WEB SERVICE", "DECISION", "MEDIA"];
    if timed {
        header.insert(5, "WINDOW");
    }
    if declared {
        header.insert(4, "POPULATION");
    }
    let rows: Vec<Vec<String>> = phase
        .rows
        .iter()
        .map(|r| {
            let resolved = if r.resolved.is_empty() {
                "-".to_string()
            } else {
                let ips: Vec<String> = r.resolved.iter().map(|ip| ip.to_string()).collect();
                format!("{} ({})", ips.join(" "), r.resolved_site.as_deref().unwrap_or("?"))
            };
            let web = serde_json::to_value(r.web_service)
                .ok()
                .and_then(|v| v.as_str().map(str::to_string))
                .unwrap_or_default();
            let decision = match r.decision {
                Decision::Bypass => "bypass",
                Decision::NoBypass => "no-bypass",
            };
            // A range equal to its subnet says nothing new: a word keeps the eye on split ones.
            let range = if r.range == r.subnet { "whole".to_string() } else { r.range.clone() };
            let mut cells = vec![
                r.site.clone(),
                r.subnet.clone(),
                range,
                r.client.clone(),
                r.address.to_string(),
                resolved,
                web,
                decision.to_string(),
                r.media.clone(),
            ];
            if timed {
                cells.insert(5, r.window.clone().unwrap_or_else(|| "all day".into()));
            }
            if declared {
                cells.insert(4, r.population.clone().unwrap_or_else(|| "-".into()));
            }
            cells
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.len()).collect();
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: Vec<&str>| -> String {
        let mut l: String = cells.iter().zip(&widths).map(|(c, w)| format!("{c:<w$}  ")).collect();
        l.truncate(l.trim_end().len());
        l + "\n"
    };
    out.push_str(&line(header.to_vec()));
    for row in &rows {
        out.push_str(&line(row.iter().map(String::as_str).collect()));
    }
    let appliances: Vec<String> = phase
        .appliances
        .iter()
        .map(|a| {
            format!(
                "{} v{} {}{} {}",
                a.appliance,
                a.version.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                if a.enabled { "Enabled" } else { "Disabled" },
                if a.always_bypass { "+AlwaysBypass" } else { "" },
                a.web_service
            )
        })
        .collect();
    out.push_str(&format!("LocalStore: {}\n", appliances.join("; ")));
    for share in &phase.populations {
        out.push_str(&format!("clients: {}\n", share.summary));
    }
    if let Some(timeline) = &phase.timeline {
        out.push_str(&format!("replication of version {} ({} to {}):\n", timeline.version, timeline.from, timeline.to));
        for site in &timeline.sites {
            out.push_str(&format!("  {}\n", crate::rollout::timeline::summary(timeline, site)));
        }
    }
    out
}

/// The runbook's failed lines and its stop, each as `run` prints it: PowerShell's layout, the
/// line quoted and the word underlined, placed in the file (`At line:L` for standard input).
fn runbook_errors(done: &RunbookRehearsal) -> String {
    let file = (done.origin != crate::cli::input::STANDARD_INPUT).then_some(done.origin.as_str());
    let stop = done.failure.as_ref().map(|f| (f.phase.as_str(), f.line));
    let mut out = String::new();
    for phase in &done.report.phases {
        for line in &phase.output {
            let Some(message) = &line.error else { continue };
            if stop == Some((phase.name.as_str(), line.line)) {
                continue;
            }
            // A failed statement is marked from its first word, as PowerShell marks a cmdlet's error.
            let text = done.source.lines().nth(line.line.saturating_sub(1)).unwrap_or("");
            let column = text.len() - text.trim_start().len() + 1;
            let error = StepError { line: line.line, column, message: message.clone() };
            out.push_str(&format!("\nerror in phase {}:\n{}", phase.name, error.render_in(&done.source, file)));
        }
    }
    if let Some(f) = &done.failure {
        let error = StepError { line: f.line, column: f.column, message: f.message.clone() };
        out.push_str(&format!("\nthe runbook stopped in phase {}:\n{}", f.phase, error.render_in(&done.source, file)));
    }
    out
}

/// The terminal report: a matrix per phase, the runbook failure, the findings, a verdict line.
pub fn render(done: &RunbookRehearsal) -> String {
    let mut out = String::new();
    for phase in &done.report.phases {
        out.push_str(&matrix(phase));
    }
    out.push_str(&runbook_errors(done));
    let findings = &done.report.findings;
    if findings.is_empty() {
        out.push_str("\nno findings\n");
    } else {
        out.push_str(&format!("\nfindings ({}):\n", findings.len()));
        for f in findings {
            let severity = match f.severity {
                Severity::Error => "ERROR  ",
                Severity::Warning => "WARNING",
            };
            out.push_str(&format!("{severity} [{}] {} {}: {}\n", f.phase, f.site, f.subnet, f.message));
        }
    }
    let errors = findings.iter().filter(|f| f.severity == Severity::Error).count();
    let phases = if done.judged_as_one_phase() {
        "1 phase (no '# phase: NAME' marker: the runbook was judged as one phase, at its end)".to_string()
    } else {
        count(done.report.phases.len(), "phase")
    };
    out.push_str(&format!(
        "\nrollout rehearsal: {}, {}, {}: {}\n",
        phases,
        count(errors, "error"),
        count(findings.len() - errors, "warning"),
        if done.succeeded() { "PASSED" } else { "FAILED" }
    ));
    out
}

/// `1 phase`, `2 phases`, `0 errors`.
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Plain progress lines, for logs and CI.
#[derive(Default)]
struct Lines {
    phases: Mutex<Vec<String>>,
}

impl Progress for Lines {
    fn start(&self, phases: &[String]) {
        *self.phases.lock().expect("progress lock") = phases.to_vec();
        eprintln!("phases: {}", phases.join(", "));
    }

    fn phase(&self, index: usize, name: &str) {
        let total = self.phases.lock().expect("progress lock").len();
        eprintln!("phase {}/{total} {name}", index + 1);
    }

    fn step(&self, line: &str) {
        eprintln!("  {line}");
    }

    fn phase_done(&self, index: usize, name: &str, errors: usize, warnings: usize) {
        let total = self.phases.lock().expect("progress lock").len();
        eprintln!(
            "phase {}/{total} {name} done: {}, {}",
            index + 1,
            count(errors, "error"),
            count(warnings, "warning")
        );
    }
}

/// Progress bars on a terminal: one for the phases, one spinner for the current step.
#[derive(Default)]
struct Bars {
    bars: Mutex<Option<(MultiProgress, ProgressBar, ProgressBar)>>,
}

impl Progress for Bars {
    fn start(&self, phases: &[String]) {
        let multi = MultiProgress::new();
        let overall = multi.add(ProgressBar::new(phases.len() as u64));
        overall.set_style(
            ProgressStyle::with_template("{prefix:>8} [{bar:30}] {pos}/{len} {msg}")
                .expect("a valid template")
                .progress_chars("=> "),
        );
        overall.set_prefix("phases");
        let step = multi.add(ProgressBar::new_spinner());
        step.set_style(ProgressStyle::with_template("{prefix:>8} {spinner} {msg}").expect("a valid template"));
        step.set_prefix("step");
        step.enable_steady_tick(std::time::Duration::from_millis(100));
        *self.bars.lock().expect("progress lock") = Some((multi, overall, step));
    }

    fn phase(&self, _index: usize, name: &str) {
        if let Some((_, overall, _)) = &*self.bars.lock().expect("progress lock") {
            overall.set_message(name.to_string());
        }
    }

    fn step(&self, line: &str) {
        if let Some((_, _, step)) = &*self.bars.lock().expect("progress lock") {
            step.set_message(line.to_string());
        }
    }

    fn phase_done(&self, _index: usize, name: &str, errors: usize, warnings: usize) {
        if let Some((multi, overall, _)) = &*self.bars.lock().expect("progress lock") {
            let _ = multi.println(format!("phase {name}: {}, {}", count(errors, "error"), count(warnings, "warning")));
            overall.inc(1);
        }
    }

    fn finish(&self) {
        if let Some((_, overall, step)) = self.bars.lock().expect("progress lock").take() {
            step.finish_and_clear();
            overall.finish_and_clear();
        }
    }
}
