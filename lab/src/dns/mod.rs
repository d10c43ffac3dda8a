//! The internal DNS server, with Windows Server 2016 DNS policies (geo-location traffic
//! management).
//!
//! The submodules are private; what other parts of the lab name is re-exported here.
//!
//! Layout: `policy/` the server's configuration and the answer a query gets, without sockets;
//! `handler.rs`, `udp.rs`, `tcp.rs` the transports around it; `routes.rs` the management API and the lab clock;
//! `cmdlets.rs` and `cmdlets_output.rs` the DNS Server cmdlets and what they print,
//! `cmdlets_forwarders.rs` the forwarder cmdlets; `forward.rs` asking a forwarder; `script.rs`
//! the configuration a topology calls for, as cmdlets; `remote.rs` and `servers.rs` the cmdlets as
//! a client runs them, on one of several servers; `lookup.rs` and `stub.rs` asking a DNS server
//! as a client would.

pub(crate) mod cmdlets;
mod cmdlets_forwarders;
pub(crate) mod cmdlets_output;
#[cfg(test)]
mod corpus;
mod forward;
mod handler;
mod lookup;
pub(crate) mod policy;
mod remote;
mod replica;
mod routes;
mod script;
mod servers;
mod stub;
mod tcp;
mod udp;
mod udp_batch;
mod udp_receive;
mod udp_trains;

pub use cmdlets::DnsExecutor;
pub use forward::ForwardPath;
pub use handler::RECORD_TTL;
pub use lookup::{lookup, lookup_type, lookup_with_ttl, Answer, LookupError, Transport, SILENCE};
pub use policy::{Directory, DnsState};
pub use remote::DnsRemote;
pub use replica::{Replica, ReplicaArgs};
pub use script::{
    quote, records_script, removal_invocations, removal_script, service_zone, topology_invocations, topology_script,
};
pub use servers::{DnsServers, NamedServer};
pub use stub::resolve_with_ttl;

use crate::auth::Secrets;
use crate::clock::Clock;
use crate::topology::Topology;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::net::{TcpListener, UdpSocket};
use tokio_util::sync::CancellationToken;

/// The sockets a DNS role answers on.
pub struct DnsSockets {
    pub udp: UdpSocket,
    /// DNS over TCP, on the same port as `udp` where possible.
    pub tcp: TcpListener,
    /// The management API the DNS cmdlets talk to (HTTP).
    pub admin: TcpListener,
}

impl DnsSockets {
    /// DNS on UDP and TCP at the same `address`, and the management API at `admin`. With port 0
    /// a port free for both, outside the kernel's range for outgoing connections
    /// ([`crate::ports`]).
    pub async fn bind(address: std::net::SocketAddr, admin: std::net::SocketAddr) -> std::io::Result<DnsSockets> {
        let admin = crate::ports::listen(admin).await?;
        let (udp, tcp) = crate::ports::listen_udp_and_tcp(address).await?;
        Ok(DnsSockets { udp, tcp, admin })
    }
}

#[derive(Debug, Clone)]
pub struct DnsConfig {
    /// When set, the server starts with the configuration generated from this topology.
    pub topology: Option<Topology>,
    /// A cmdlet script run at start, after the topology's configuration.
    pub script: Option<String>,
    pub secrets: Secrets,
}

/// What starting a DNS server takes beyond the topology and the secrets: `bypass-lab serve dns`
/// parses it, and a lab's plan renders it back to that command line.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct DnsArgs {
    /// DNS over UDP and TCP.
    #[arg(long, default_value = "127.0.0.1:5353")]
    pub listen: SocketAddr,
    /// The management API the DNS cmdlets use.
    #[arg(long, default_value = "127.0.0.1:8053")]
    pub admin: SocketAddr,
    /// A cmdlet script to run at start.
    #[arg(long)]
    pub script: Option<PathBuf>,
    /// Start empty instead of with the topology's configuration.
    #[arg(long)]
    pub empty: bool,
    #[command(flatten)]
    pub replica: ReplicaArgs,
}

impl DnsArgs {
    /// The configuration, with the start-up script read from its file.
    pub fn config(&self, topology: &Topology, secrets: &Secrets) -> Result<DnsConfig, DnsError> {
        let script = match &self.script {
            Some(path) => Some(
                std::fs::read_to_string(path)
                    .map_err(|source| DnsError::ScriptFile { path: path.display().to_string(), source })?,
            ),
            None => None,
        };
        Ok(DnsConfig { topology: (!self.empty).then(|| topology.clone()), script, secrets: secrets.clone() })
    }

    /// The arguments as `serve dns` reads them.
    pub fn argv(&self) -> Vec<String> {
        let mut argv = vec!["--listen".into(), self.listen.to_string(), "--admin".into(), self.admin.to_string()];
        if let Some(script) = &self.script {
            argv.extend(["--script".into(), script.to_string_lossy().into_owned()]);
        }
        if self.empty {
            argv.push("--empty".into());
        }
        argv.extend(self.replica.argv());
        argv
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("DNS service: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot read the DNS start-up script {path}")]
    ScriptFile {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("DNS start-up script: {0}")]
    Script(String),
    #[error(transparent)]
    Panicked(#[from] crate::role_tasks::RolePanicked),
}

/// How long a TCP client may stay idle before the server closes its connection.
const TCP_IDLE: Duration = Duration::from_secs(10);

/// Answers DNS on UDP and TCP and the management API until `shutdown` is cancelled, keeping
/// its own lab clock, which `POST /lab/clock` on the management API moves (a DNS server in its
/// own process or container).
pub async fn serve(sockets: DnsSockets, config: DnsConfig, shutdown: CancellationToken) -> Result<(), DnsError> {
    start(sockets, config, shutdown).await?.await
}

/// Configures the server (the topology, then the start-up script) and only then returns the
/// future that serves it: a failing script fails the start, before anything answers, so no
/// backend can call a lab ready whose DNS server is dead. The server keeps its own lab clock.
pub async fn start(
    sockets: DnsSockets,
    config: DnsConfig,
    shutdown: CancellationToken,
) -> Result<impl std::future::Future<Output = Result<(), DnsError>> + Send + 'static, DnsError> {
    start_on_clock(sockets, config, Clock::new(), shutdown).await
}

/// As [`start`], for a server that keeps a journal or is one domain controller among several
/// in their own processes (`replica`): it joins its own copy of the forest's directory,
/// replays its journal and catches up with its peers before anything answers.
pub async fn start_replica(
    sockets: DnsSockets,
    config: DnsConfig,
    replica: &ReplicaArgs,
    shutdown: CancellationToken,
) -> Result<impl std::future::Future<Output = Result<(), DnsError>> + Send + 'static, DnsError> {
    let clock = Clock::new();
    let member = replica.computer_name.as_ref().map(|name| {
        let delay = config.topology.as_ref().map(|t| t.tenant.ad_replication_delay).unwrap_or_default();
        (Directory::new(delay), name.clone())
    });
    let state = new_state(&config, clock.clone(), member.clone());
    let replica = Arc::new(Replica::new(replica, member, &config.secrets.control));
    serve_state(sockets, config, state, clock, true, replica, Default::default(), None, shutdown).await
}

/// As [`start`], reading `-TimeOfDay` against `clock` (the embedded lab's shared clock).
pub async fn start_on_clock(
    sockets: DnsSockets,
    config: DnsConfig,
    clock: Clock,
    shutdown: CancellationToken,
) -> Result<impl std::future::Future<Output = Result<(), DnsError>> + Send + 'static, DnsError> {
    let state = new_state(&config, clock.clone(), None);
    start_state(sockets, config, state, clock, true, Default::default(), None, shutdown).await
}

/// A server's configuration store, kept apart from its sockets so it outlives a restart
/// (Windows keeps it in AD and zone files).
pub fn new_state(config: &DnsConfig, clock: Clock, directory: Option<(Directory, String)>) -> Arc<RwLock<DnsState>> {
    Arc::new(RwLock::new(fresh_state(config, clock, directory)))
}

/// A server's state before anything is configured on it: what [`new_state`] shares, and what a
/// lab reset puts in its place.
pub fn fresh_state(config: &DnsConfig, clock: Clock, directory: Option<(Directory, String)>) -> DnsState {
    let start = config.topology.as_ref().map(|t| t.tenant.start_time_of_day).unwrap_or_default();
    let mut state = DnsState::default();
    state.set_clock(clock, start);
    if let Some((directory, name)) = directory {
        state.join_directory(directory, &name);
    }
    state
}

/// Serves `state`; with `configure_first`, first applies the topology's configuration and the
/// start-up script (a first start, not a restart), failing before anything answers. `forward`
/// says how it reaches the forwarders a runbook gives it. With `admin_slot`, the management API
/// is served through that slot by a server that outlives this start (an embedded lab's reset,
/// `http::slot`), and `sockets.admin` (the same socket) is let go.
#[allow(clippy::too_many_arguments)]
pub async fn start_state(
    sockets: DnsSockets,
    config: DnsConfig,
    state: Arc<RwLock<DnsState>>,
    clock: Clock,
    configure_first: bool,
    forward: Arc<ForwardPath>,
    admin_slot: Option<Arc<crate::http::slot::RouterSlot>>,
    shutdown: CancellationToken,
) -> Result<impl std::future::Future<Output = Result<(), DnsError>> + Send + 'static, DnsError> {
    let replica = Arc::new(Replica::none());
    serve_state(sockets, config, state, clock, configure_first, replica, forward, admin_slot, shutdown).await
}

#[allow(clippy::too_many_arguments)]
async fn serve_state(
    sockets: DnsSockets,
    config: DnsConfig,
    state: Arc<RwLock<DnsState>>,
    clock: Clock,
    configure_first: bool,
    replica: Arc<Replica>,
    forward: Arc<ForwardPath>,
    admin_slot: Option<Arc<crate::http::slot::RouterSlot>>,
    shutdown: CancellationToken,
) -> Result<impl std::future::Future<Output = Result<(), DnsError>> + Send + 'static, DnsError> {
    let dns_addr = sockets.udp.local_addr()?;
    let answers_on = if dns_addr.ip().is_unspecified() {
        SocketAddr::new(
            if dns_addr.is_ipv4() { Ipv4Addr::LOCALHOST.into() } else { Ipv6Addr::LOCALHOST.into() },
            dns_addr.port(),
        )
    } else {
        dns_addr
    };
    let executor = DnsExecutor { state: state.clone(), answers_on: Some(answers_on) };
    if configure_first {
        configure(&executor, &config).await?;
        replica.resume(&executor, &clock).await?;
    }
    Ok(async move {
        let tcp_handler = Arc::new(handler::PolicyHandler {
            state: state.clone(),
            interface: dns_addr.ip(),
            soa: Default::default(),
            forward: forward.clone(),
        });
        // UDP answers from its own loop (remembered replies); TCP from the lab's own accept loop.
        // A panic in any of the three stops all three.
        let tasks = crate::role_tasks::RoleTasks::new("dns", &shutdown);
        let stop = tasks.stop().clone();
        let udp = tasks.spawn("the UDP loop", udp_receive::run(sockets.udp, state, forward, stop.clone()));
        let tcp = tasks.spawn("the TCP accept loop", tcp::serve(sockets.tcp, tcp_handler, TCP_IDLE, stop.clone()));
        let router = tasks.router(routes::router(executor, clock, replica, &config.secrets.control));
        let admin = match admin_slot.clone() {
            None => tasks.spawn(
                "the management API",
                crate::http::server::serve(sockets.admin, router, Default::default(), stop.clone()),
            ),
            Some(slot) => {
                drop(sockets.admin);
                let installed = slot.install(router);
                let stop = stop.clone();
                tasks.spawn("the management API", async move {
                    stop.cancelled().await;
                    installed.withdraw().await;
                    Ok(())
                })
            }
        };
        stop.cancelled().await;
        let joined = |e: tokio::task::JoinError| DnsError::Io(std::io::Error::other(e.to_string()));
        let _ = tcp.await;
        let admin = admin.await.map_err(joined)?;
        let udp = udp.await.map_err(joined)?;
        if let (Some(slot), Some(_)) = (&admin_slot, tasks.panicked()) {
            slot.close();
        }
        tasks.outcome()?;
        admin??;
        udp??;
        Ok(())
    })
}

/// The topology's configuration, then the start-up script, through the cmdlet executor.
pub async fn configure(executor: &DnsExecutor, config: &DnsConfig) -> Result<(), DnsError> {
    if let Some(topology) = &config.topology {
        for call in script::topology_invocations(topology) {
            executor.apply(&call).map_err(|e| DnsError::Script(format!("{}: {e}", script::render(&call))))?;
        }
    }
    if let Some(script) = &config.script {
        let table = crate::runbook::CmdletTable::new().with(cmdlets::specs(), Some(Arc::new(executor.clone())));
        // A start-up script is the server's configuration: any failed line fails the start.
        crate::runbook::run(script, &table)
            .await
            .and_then(crate::runbook::Transcript::into_result)
            .map_err(|e| DnsError::Script(e.to_string()))?;
    }
    Ok(())
}
