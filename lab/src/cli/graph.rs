//! `bypass-lab graph`: draw a plan (sites, subnets, appliances, gateways, DNS, tenant, outside).

use anyhow::Context;
use bypass_lab::report::graph::{render, GraphFormat};
use clap::Args;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Args)]
pub struct Graph {
    /// The deployment plan (default: the seed's adatum.biz).
    #[arg(long)]
    topology: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = GraphFormat::Svg)]
    format: GraphFormat,
    /// Write to this file instead of printing.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub fn run(args: Graph) -> anyhow::Result<ExitCode> {
    let topology = crate::cli::input::topology(args.topology.as_deref())?;
    let drawing = render(&topology, args.format);
    match args.output {
        Some(file) => {
            std::fs::write(&file, drawing).with_context(|| format!("cannot write {}", file.display()))?;
            eprintln!("wrote {}", file.display());
        }
        None => print!("{drawing}"),
    }
    Ok(ExitCode::SUCCESS)
}
