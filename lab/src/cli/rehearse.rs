//! `bypass-lab rehearse`: run the features against fresh labs of the admin's own plan, or with
//! `--runbook`, rehearse the admin's own rollout phase by phase.

use crate::backend::{BackendKind, DnsStart};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

#[derive(Args)]
pub struct Rehearse {
    /// Your own rollout runbook (PowerShell, phases split by '# phase: NAME' lines): rehearse it
    /// phase by phase instead of running the features.
    #[arg(long, conflicts_with_all = ["features", "tags"])]
    runbook: Option<PathBuf>,
    /// The deployment plan (default: the seed's adatum.biz).
    #[arg(long)]
    topology: Option<PathBuf>,
    /// Your own feature files (default: the ones built into this binary).
    #[arg(long)]
    features: Option<PathBuf>,
    /// Only scenarios matching this tag expression, e.g. '@seed or not @slow'.
    #[arg(long)]
    tags: Option<String>,
    /// Where to write the reports (rehearsal.json, rehearsal.junit.xml and rehearsal.html with
    /// --runbook, and gl-code-quality-report.json inside GitLab CI; JUnit XML,
    /// Cucumber JSON and features.html otherwise): the two never overwrite each other.
    #[arg(long, default_value = "reports")]
    report: PathBuf,
    #[arg(long, value_enum, default_value_t = BackendKind::Embedded)]
    backend: BackendKind,
    /// With --runbook: how the DNS server starts, `empty` (your runbook builds it) or `planned`
    /// (the topology's generated policies).
    #[arg(long, value_enum, default_value_t = DnsStart::Empty, requires = "runbook")]
    dns: DnsStart,
    /// Containers: when another lab or run holds the plan's subnets on the Docker engine, wait
    /// for this run's turn (up to DURATION, default 30m) instead of being refused at once. The
    /// environment's BYPASS_LAB_WAIT=DURATION does the same.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = crate::cli::input::DEFAULT_WAIT, value_parser = crate::cli::input::duration)]
    wait: Option<Duration>,
}

pub async fn run(mut args: Rehearse) -> anyhow::Result<ExitCode> {
    args.backend.built()?;
    args.wait = crate::cli::input::wait(args.wait)?;
    if let Some(runbook) = args.runbook {
        return crate::cli::rollout::run(crate::cli::rollout::RolloutArgs {
            runbook,
            topology: args.topology,
            report: args.report,
            backend: args.backend,
            dns: args.dns,
            wait: args.wait,
        })
        .await;
    }
    features(args).await
}

/// The features against fresh labs, through cucumber.
#[cfg(feature = "rehearsal")]
async fn features(args: Rehearse) -> anyhow::Result<ExitCode> {
    use crate::lab::LabOptions;
    use crate::steps::{rehearse, Rehearsal};

    let topology = crate::cli::input::topology(args.topology.as_deref())?;
    println!(
        "Rehearsing media bypass for {} ({} sites, {} appliances) on the {:?} backend",
        topology.tenant.service_name,
        topology.sites.len(),
        topology.appliances().count(),
        args.backend
    );
    let backend = args.backend;
    let lab = LabOptions { backend, wait: args.wait, ..LabOptions::default() };
    let rehearsal =
        rehearse(Rehearsal { topology, lab, features: args.features, tags: args.tags, report_dir: args.report });
    // Interrupted, the dropped rehearsal stops its scenarios' labs; then whatever this process
    // still holds goes.
    let finished = tokio::select! {
        outcome = rehearsal => Some(outcome),
        _ = crate::cli::serve::stop_signal() => None,
    };
    let Some(outcome) = finished else { return crate::cli::ls::interrupted(backend).await };
    let outcome = match outcome {
        Ok(outcome) => outcome,
        Err(e) if e.is::<crate::steps::InvalidFeatures>() => {
            return Err(crate::cli::input::InvalidInput::from(e).into())
        }
        Err(e) => return Err(e),
    };
    println!("\n{}", outcome.summary());
    println!("rehearsal: {} passed, {} failed", outcome.passed, outcome.failed);
    Ok(if outcome.succeeded() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
}

/// A binary built for the role image leaves cucumber out; only `--runbook` rehearses there.
#[cfg(not(feature = "rehearsal"))]
async fn features(_: Rehearse) -> anyhow::Result<ExitCode> {
    anyhow::bail!("this bypass-lab was built without the features (cargo feature `rehearsal`): use --runbook")
}
