//! `bypass-lab fault`: what goes wrong in a real rollout, on demand.

use crate::backend::DnsFault;
use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum FaultVerb {
    /// Cut the link between an appliance and the tenant (`fault cut ams-cce1 tenant`).
    Cut { appliance: String, peer: Peer },
    /// Restore a cut link.
    Heal { appliance: String, peer: Peer },
    /// Restart an appliance (with --kill: without a clean shutdown), or `restart dns [NAME]` a
    /// DNS server (the first without NAME), which keeps its configuration.
    Restart {
        appliance: String,
        /// With `dns`: the DNS server's name.
        name: Option<String>,
        #[arg(long)]
        kill: bool,
    },
    /// `stop dns [NAME]`: stop a DNS server (the first without NAME); its clients resolve nothing.
    /// `stop gateway ADDRESS`: stop a PSTN gateway; Mediation Servers fail over to the next.
    Stop {
        what: Stoppable,
        /// The DNS server's name, or the gateway's address.
        target: Option<String>,
    },
    /// `start gateway ADDRESS`: start a stopped gateway again.
    Start { what: Stoppable, target: String },
}

/// What `fault stop` / `fault start` act on.
#[derive(Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Stoppable {
    Dns,
    Gateway,
}

/// The far end of a link; only the tenant for now.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum Peer {
    Tenant,
}

fn gateway(target: Option<&str>) -> anyhow::Result<std::net::IpAddr> {
    let text = target
        .ok_or_else(|| anyhow::anyhow!("name the gateway by its address, e.g. `fault stop gateway 192.168.1.10`"))?;
    text.parse().map_err(|_| anyhow::anyhow!("'{text}' is not a gateway address (an IPv4 or IPv6 address)"))
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
        FaultVerb::Restart { appliance, name, kill } if appliance.eq_ignore_ascii_case("dns") => {
            anyhow::ensure!(!kill, "--kill applies to appliances; a DNS server restarts with its configuration");
            lab.dns_fault(name.as_deref(), DnsFault::Restart).await?;
            println!("restarted: DNS server {}", name.as_deref().unwrap_or("(first)"));
        }
        FaultVerb::Restart { appliance, name: Some(extra), .. } => {
            anyhow::bail!(
                "fault restart {appliance} {extra}: a name after the target is only for `fault restart dns NAME`"
            );
        }
        FaultVerb::Restart { appliance, kill, .. } => {
            lab.restart(&appliance, kill).await?;
            println!("restarted: {appliance}{}", if kill { " (killed)" } else { "" });
        }
        FaultVerb::Stop { what: Stoppable::Dns, target } => {
            lab.dns_fault(target.as_deref(), DnsFault::Stop).await?;
            println!("stopped: DNS server {}", target.as_deref().unwrap_or("(first)"));
        }
        FaultVerb::Stop { what: Stoppable::Gateway, target } => {
            let address = gateway(target.as_deref())?;
            let users = lab.set_gateway(address, false).await?;
            println!("stopped: gateway {address} (used by {})", users.join(", "));
        }
        FaultVerb::Start { what: Stoppable::Gateway, target } => {
            let address = gateway(Some(&target))?;
            let users = lab.set_gateway(address, true).await?;
            println!("started: gateway {address} (used by {})", users.join(", "));
        }
        FaultVerb::Start { what: Stoppable::Dns, .. } => {
            anyhow::bail!("a stopped DNS server comes back with `fault restart dns [NAME]`");
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `bypass-lab repair`: every role down (a container stopped or removed) back, at the lab's
/// time, with the state its volume kept.
pub async fn repair(state: &Path) -> anyhow::Result<ExitCode> {
    let lab = crate::cli::lab::attach(state).await?;
    let repaired = lab.repair().await?;
    if repaired.is_empty() {
        println!("every role runs: nothing to repair");
    }
    for role in repaired {
        println!("brought back: {} (was {})", role.role, if role.missing { "missing" } else { "stopped" });
    }
    Ok(ExitCode::SUCCESS)
}
