//! `bypass-lab fault`: what goes wrong in a real rollout, on demand.

use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum FaultVerb {
    /// Cut the link between an appliance and the tenant (`fault cut ams-cce1 tenant`).
    Cut { appliance: String, peer: Peer },
    /// Restore a cut link.
    Heal { appliance: String, peer: Peer },
    /// Restart an appliance (with --kill: without a clean shutdown).
    Restart {
        appliance: String,
        #[arg(long)]
        kill: bool,
    },
}

/// The far end of a link; only the tenant for now.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Peer {
    Tenant,
}

pub async fn run(verb: FaultVerb, state: &Path) -> anyhow::Result<ExitCode> {
    let lab = crate::cli::lab::attach(state).await?;
    match verb {
        FaultVerb::Cut { appliance, peer: Peer::Tenant } => {
            lab.cut(&appliance).await?;
            println!("cut: {appliance} <-> tenant");
        }
        FaultVerb::Heal { appliance, peer: Peer::Tenant } => {
            lab.heal(&appliance).await?;
            println!("healed: {appliance} <-> tenant");
        }
        FaultVerb::Restart { appliance, kill } => {
            lab.restart(&appliance, kill).await?;
            println!("restarted: {appliance}{}", if kill { " (killed)" } else { "" });
        }
    }
    Ok(ExitCode::SUCCESS)
}
