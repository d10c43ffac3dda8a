//! `bypass-lab serve <role>`: one role in the foreground until Ctrl-C or SIGTERM.

use anyhow::Context;
use bypass_lab::auth::Secrets;
use bypass_lab::clock::Clock;
use bypass_lab::topology::Topology;
use clap::{Args, Subcommand};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

#[derive(Args, Clone)]
pub struct Common {
    /// The deployment plan (default: the seed's adatum.biz).
    #[arg(long)]
    topology: Option<PathBuf>,
    /// Credentials as JSON (default: $BYPASS_LAB_SECRETS, else the well-known lab credentials).
    #[arg(long)]
    secrets: Option<PathBuf>,
}

#[derive(Subcommand)]
pub enum Role {
    /// The mock Skype for Business Online tenant.
    Tenant {
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[arg(long, default_value = ".bypass-lab/tenant")]
        data: PathBuf,
        #[command(flatten)]
        common: Common,
    },
    /// The internal DNS server.
    Dns {
        /// DNS over UDP and TCP.
        #[arg(long, default_value = "127.0.0.1:5353")]
        listen: SocketAddr,
        /// The management API the DNS cmdlets use.
        #[arg(long, default_value = "127.0.0.1:8053")]
        admin: SocketAddr,
        /// A cmdlet script to run at start.
        #[arg(long)]
        script: Option<PathBuf>,
        /// Start empty instead of with the topology's configuration.
        #[arg(long)]
        empty: bool,
        #[command(flatten)]
        common: Common,
    },
    /// One appliance's Mediation Server.
    Mediation {
        /// The appliance's name in the topology.
        #[arg(long)]
        appliance: String,
        #[arg(long, default_value = "127.0.0.1:8081")]
        listen: SocketAddr,
        /// The tenant's base URL.
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        tenant: String,
        #[arg(long)]
        data: Option<PathBuf>,
        #[command(flatten)]
        common: Common,
    },
    /// A host of simulated Skype for Business clients.
    Client {
        #[arg(long, default_value = "127.0.0.1:8090")]
        listen: SocketAddr,
        #[arg(long, default_value = "http://127.0.0.1:8080")]
        tenant: String,
        /// The internal DNS server.
        #[arg(long, default_value = "127.0.0.1:5353")]
        dns: SocketAddr,
        /// State each client's address to DNS with EDNS Client Subnet.
        #[arg(long)]
        ecs: bool,
        /// Reach a Mediation Server's address elsewhere: `--dial 192.168.1.45=172.30.0.10:80`
        /// (repeatable).
        #[arg(long, value_parser = parse_dial)]
        dial: Vec<(std::net::IpAddr, SocketAddr)>,
        #[arg(long, default_value = ".bypass-lab/clients")]
        data: PathBuf,
        #[command(flatten)]
        common: Common,
    },
}

pub async fn run(role: Role) -> anyhow::Result<ExitCode> {
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        stop_signal().await;
        on_signal.cancel();
    });
    match role {
        Role::Tenant { listen, data, common } => {
            let (topology, secrets) = common.load()?;
            let listener = bind(listen).await?;
            let address = listener.local_addr()?;
            let config = bypass_lab::tenant::TenantConfig { data_dir: data, topology, secrets };
            let tenant = bypass_lab::tenant::start(listener, config, shutdown)?;
            ready_at("tenant", address)?;
            tenant.await?;
        }
        Role::Dns { listen, admin, script, empty, common } => {
            let (topology, secrets) = common.load()?;
            let script = match script {
                Some(p) => Some(std::fs::read_to_string(&p).with_context(|| format!("cannot read {}", p.display()))?),
                None => None,
            };
            let sockets = bypass_lab::dns::DnsSockets::bind(listen, admin)
                .await
                .with_context(|| format!("cannot listen on {listen} (DNS) and {admin} (management)"))?;
            let config = bypass_lab::dns::DnsConfig { topology: (!empty).then_some(topology), script, secrets };
            let admin = sockets.admin.local_addr()?;
            let server = bypass_lab::dns::start(sockets, config, shutdown).await?;
            ready_at("dns", admin)?;
            server.await?;
        }
        Role::Mediation { appliance, listen, tenant, data, common } => {
            let (topology, secrets) = common.load()?;
            let config = bypass_lab::mediation::appliance_config(&topology, &secrets, &appliance, &tenant, data)?;
            // Read before saying ready: a LocalStore that cannot be read is refused, never replaced.
            let file = bypass_lab::mediation::localstore::LocalStoreFile::in_dir(&config.data_dir);
            file.load().map_err(|e| {
                anyhow::anyhow!(
                    "appliance {}: LocalStore at {}: {}; to start this Mediation Server afresh, move the file away (it copies the tenant's configuration again at its next sync)",
                    config.name,
                    e.path,
                    e.reason
                )
            })?;
            let listener = bind(listen).await?;
            ready("mediation", &listener)?;
            let clock = Clock::new();
            bypass_lab::mediation::serve(listener, config, clock, shutdown).await?;
        }
        Role::Client { listen, tenant, dns, ecs, dial, data, common } => {
            let (topology, secrets) = common.load()?;
            let config = bypass_lab::client::ClientHostConfig {
                tenant_url: tenant,
                dns,
                state_address_by_ecs: ecs,
                dial: dial.into_iter().collect(),
                topology,
                user_password: secrets.users.clone(),
                control_token: secrets.control.clone(),
                data_dir: data,
            };
            let listener = bind(listen).await?;
            ready("client", &listener)?;
            bypass_lab::client::serve(listener, config, Clock::new(), shutdown).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

impl Common {
    fn load(&self) -> anyhow::Result<(Topology, Secrets)> {
        let topology = Topology::load_or_seed(self.topology.as_deref())?;
        let secrets = Secrets::resolve(self.secrets.as_deref(), &topology)?;
        Ok((topology, secrets))
    }
}

fn parse_dial(text: &str) -> Result<(std::net::IpAddr, SocketAddr), String> {
    let (from, to) = text.split_once('=').ok_or_else(|| format!("'{text}' is not ADDRESS=ADDRESS:PORT"))?;
    let from = from.trim().parse().map_err(|e| format!("'{from}' is not an address: {e}"))?;
    let to = to.trim().parse().map_err(|e| format!("'{to}' is not an address:port: {e}"))?;
    Ok((from, to))
}

/// The line a supervisor (a test, a container runtime) waits for: from here on the role's port
/// accepts connections, so nobody needs to poll it.
pub const READY_LINE: &str = "listening on";

fn ready(role: &str, listener: &tokio::net::TcpListener) -> anyhow::Result<()> {
    ready_at(role, listener.local_addr()?)
}

fn ready_at(role: &str, address: SocketAddr) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{role} {READY_LINE} {address}")?;
    out.flush()?;
    Ok(())
}

async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))
}

/// Ctrl-C or SIGTERM (what `docker stop` sends).
pub async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
