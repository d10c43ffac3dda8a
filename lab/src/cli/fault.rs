//! `bypass-lab fault`: what goes wrong in a real rollout, on demand.

use bypass_lab::backend::DnsFault;
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
    Stop { role: StoppableRole, name: Option<String> },
}

/// What `fault stop` stops; only DNS servers for now.
#[derive(Clone, Copy, clap::ValueEnum)]
pub enum StoppableRole {
    Dns,
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
        FaultVerb::Restart { appliance, name, kill } if appliance.eq_ignore_ascii_case("dns") => {
            anyhow::ensure!(!kill, "--kill applies to appliances; a DNS server restarts with its configuration");
            lab.dns_fault(name.as_deref(), DnsFault::Restart).await?;
            println!("restarted: DNS server {}", name.as_deref().unwrap_or("(first)"));
        }
        FaultVerb::Restart { appliance, name: Some(extra), .. } => {
            anyhow::bail!("fault restart {appliance} {extra}: a name after the target is only for `fault restart dns NAME`");
        }
        FaultVerb::Restart { appliance, kill, .. } => {
            lab.restart(&appliance, kill).await?;
            println!("restarted: {appliance}{}", if kill { " (killed)" } else { "" });
        }
        FaultVerb::Stop { role: StoppableRole::Dns, name } => {
            lab.dns_fault(name.as_deref(), DnsFault::Stop).await?;
            println!("stopped: DNS server {}", name.as_deref().unwrap_or("(first)"));
        }
    }
    Ok(ExitCode::SUCCESS)
}
