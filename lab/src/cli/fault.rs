//! `bypass-lab fault`: what goes wrong in a real rollout, on demand.

use bypass_lab::lab::Lab;
use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum FaultVerb {
    /// Cut the link between an appliance and the tenant (`fault cut ams-cce1 tenant`).
    Cut { appliance: String, peer: Peer },
    /// Restore a cut link.
    Heal { appliance: String, peer: Peer },
    /// Stop a PSTN gateway (`fault stop gateway 192.168.1.10`): Mediation Servers fail over.
    Stop { what: Stoppable, address: std::net::IpAddr },
    /// Start a stopped gateway again.
    Start { what: Stoppable, address: std::net::IpAddr },
    /// Restart an appliance (with --kill: without a clean shutdown).
    Restart {
        appliance: String,
        #[arg(long)]
        kill: bool,
    },
}

/// What `fault stop` / `fault start` act on.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Stoppable {
    Gateway,
}

/// The far end of a link; only the tenant for now.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Peer {
    Tenant,
}

pub async fn run(verb: FaultVerb, state: &Path) -> anyhow::Result<ExitCode> {
    let lab = Lab::attach(state).await?;
    match verb {
        FaultVerb::Cut { appliance, peer: Peer::Tenant } => {
            lab.cut(&appliance).await?;
            println!("cut: {appliance} <-> tenant");
        }
        FaultVerb::Heal { appliance, peer: Peer::Tenant } => {
            lab.heal(&appliance).await?;
            println!("healed: {appliance} <-> tenant");
        }
        FaultVerb::Stop { what: Stoppable::Gateway, address } => {
            let users = lab.set_gateway(address, false).await?;
            println!("stopped: gateway {address} (used by {})", users.join(", "));
        }
        FaultVerb::Start { what: Stoppable::Gateway, address } => {
            let users = lab.set_gateway(address, true).await?;
            println!("started: gateway {address} (used by {})", users.join(", "));
        }
        FaultVerb::Restart { appliance, kill } => {
            lab.restart(&appliance, kill).await?;
            println!("restarted: {appliance}{}", if kill { " (killed)" } else { "" });
        }
    }
    Ok(ExitCode::SUCCESS)
}
