//! `bypass-lab graph`: draw a plan (sites, subnets, appliances, gateways, DNS, tenant, outside),
//! or with `--dns` what decides each DNS server's answers (client subnet → policy → zone scope
//! → records): the plan's generated policies, or what `--runbook` leaves.

use crate::report::dns_plan::{self, DnsPlan};
use crate::report::graph::{render, GraphFormat};
use crate::rollout::dns_after::dns_after;
use crate::rollout::dns_view::{self, DnsServerView};
use crate::topology::Topology;
use anyhow::Context;
use clap::Args;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Args)]
pub struct Graph {
    /// The deployment plan (default: the seed's adatum.biz; `-`: standard input).
    #[arg(long)]
    topology: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = GraphFormat::Svg)]
    format: GraphFormat,
    /// Write to this file instead of printing.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Draw each DNS server's chain instead: client subnets, policies in processing order, the
    /// zone scopes they answer from and their records. Without --runbook: the plan's generated
    /// policies (what `dns-script` prints).
    #[arg(long)]
    dns: bool,
    /// With --dns: run this runbook (`-`: standard input) in an embedded lab whose DNS servers
    /// start empty, then draw what it left on them.
    #[arg(long, requires = "dns")]
    runbook: Option<PathBuf>,
}

pub async fn run(args: Graph) -> anyhow::Result<ExitCode> {
    use crate::cli::input;
    if let Some(runbook) = &args.runbook {
        if input::both_from_stdin(args.topology.as_deref(), runbook) {
            return Err(input::InvalidInput::msg(
                "--runbook - and --topology - both ask for standard input, which holds one file: give the other as a file",
            )
            .into());
        }
    }
    let topology = input::topology(args.topology.as_deref())?;
    let (drawing, code) = match (args.dns, &args.runbook) {
        (false, _) => (render(&topology, args.format), ExitCode::SUCCESS),
        (true, None) => (planned(&topology, args.format)?, ExitCode::SUCCESS),
        (true, Some(runbook)) => after_runbook(topology, runbook, args.format).await?,
    };
    match args.output {
        Some(file) => {
            std::fs::write(&file, drawing).with_context(|| format!("cannot write {}", file.display()))?;
            eprintln!("wrote {}", file.display());
        }
        None => print!("{drawing}"),
    }
    Ok(code)
}

/// The chain of every DNS server as the plan's generated policies make it.
fn planned(topology: &Topology, format: GraphFormat) -> anyhow::Result<String> {
    let view = dns_view::planned(topology).context("cannot apply the plan's generated DNS policies")?;
    let servers: Vec<DnsServerView> =
        topology.dns_server_plans().into_iter().map(|d| DnsServerView { name: d.name, view: view.clone() }).collect();
    let plan = DnsPlan::of(&servers, topology, "the plan's generated policies (no runbook given)");
    Ok(dns_plan::render(&plan, format))
}

/// The chain of every DNS server after `runbook` ran; exit 1 when a line of it failed or it
/// stopped (printed as `run` prints them), though what it left is drawn all the same.
async fn after_runbook(topology: Topology, runbook: &Path, format: GraphFormat) -> anyhow::Result<(String, ExitCode)> {
    let (source, file) = crate::cli::input::runbook(runbook)?;
    let origin = file.clone().unwrap_or_else(|| crate::cli::input::STANDARD_INPUT.to_string());
    let plan_of = topology.clone();
    let after = dns_after(topology, &source).await.context("cannot run the runbook in an embedded lab")?;
    for error in after.errors.iter().chain(&after.stopped) {
        eprint!("{}", error.render_in(&source, file.as_deref()));
    }
    let mut caption = match &after.stopped {
        Some(stop) => format!("after {origin}, which stopped at line {}", stop.line),
        None => format!("after {origin}"),
    };
    if plan_of.dns_servers.len() > 1 {
        caption.push_str(" and AD replication");
    }
    let plan = DnsPlan::of(&after.servers, &plan_of, &caption);
    let failed = !after.errors.is_empty() || after.stopped.is_some();
    Ok((dns_plan::render(&plan, format), if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }))
}
