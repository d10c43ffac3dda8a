//! The internal DNS server, with Windows Server 2016 DNS policies (geo-location traffic
//! management).

pub mod admin;
pub mod cmdlets;
mod cmdlets_output;
pub mod handler;
pub mod lookup;
pub mod plan;
pub mod policy;
pub mod remote;
pub mod udp;

pub use plan::{removal_script, topology_script};

use crate::auth::Secrets;
use crate::clock::Clock;
use cmdlets::DnsExecutor;
use hickory_server::Server;
use policy::DnsState;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use crate::topology::Topology;
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
    /// the system picks a port free for both (retrying when another program holds the UDP
    /// port's TCP twin).
    pub async fn bind(address: std::net::SocketAddr, admin: std::net::SocketAddr) -> std::io::Result<DnsSockets> {
        let admin = TcpListener::bind(admin).await?;
        if address.port() != 0 {
            let udp = UdpSocket::bind(address).await?;
            let tcp = TcpListener::bind(address).await?;
            return Ok(DnsSockets { udp, tcp, admin });
        }
        let mut last = None;
        for _ in 0..32 {
            let udp = UdpSocket::bind(address).await?;
            match TcpListener::bind(udp.local_addr()?).await {
                Ok(tcp) => return Ok(DnsSockets { udp, tcp, admin }),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no port free for DNS over UDP and TCP")))
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

#[derive(Debug, thiserror::Error)]
pub enum DnsError {
    #[error("DNS service: {0}")]
    Io(#[from] std::io::Error),
    #[error("DNS start-up script: {0}")]
    Script(String),
}

/// How long a TCP client may stay idle before the server closes its connection.
const TCP_IDLE: Duration = Duration::from_secs(10);

/// Answers DNS on UDP and TCP and the management API until `shutdown` is cancelled, keeping
/// its own lab clock, which `POST /lab/clock` on the management API moves (a DNS server in its
/// own process or container).
pub async fn serve(sockets: DnsSockets, config: DnsConfig, shutdown: CancellationToken) -> Result<(), DnsError> {
    serve_on_clock(sockets, config, Clock::new(), shutdown).await
}

/// As [`serve`], reading `-TimeOfDay` against `clock` (the embedded lab's shared clock).
pub async fn serve_on_clock(sockets: DnsSockets, config: DnsConfig, clock: Clock, shutdown: CancellationToken) -> Result<(), DnsError> {
    let start = config.topology.as_ref().map(|t| t.tenant.start_time_of_day).unwrap_or_default();
    let mut state = DnsState::default();
    state.set_clock(clock.clone(), start);
    let state = Arc::new(RwLock::new(state));
    let dns_addr = sockets.udp.local_addr()?;
    let answers_on = if dns_addr.ip().is_unspecified() {
        SocketAddr::new(if dns_addr.is_ipv4() { Ipv4Addr::LOCALHOST.into() } else { Ipv6Addr::LOCALHOST.into() }, dns_addr.port())
    } else {
        dns_addr
    };
    let executor = DnsExecutor { state: state.clone(), answers_on: Some(answers_on) };
    configure(&executor, &config).await?;

    let udp = tokio::spawn(udp::run(sockets.udp, state.clone(), shutdown.clone()));
    let mut server = Server::new(handler::PolicyHandler { state, interface: dns_addr.ip(), soa: Default::default() });
    server.register_listener(sockets.tcp, TCP_IDLE, 64);
    let admin = axum::serve(sockets.admin, admin::router(executor, clock, &config.secrets.control))
        .with_graceful_shutdown(shutdown.clone().cancelled_owned());
    let admin = tokio::spawn(async move { admin.await });
    shutdown.cancelled().await;
    server.shutdown_gracefully().await.map_err(|e| DnsError::Io(std::io::Error::other(e.to_string())))?;
    admin.await.map_err(|e| DnsError::Io(std::io::Error::other(e.to_string())))??;
    udp.await.map_err(|e| DnsError::Io(std::io::Error::other(e.to_string())))??;
    Ok(())
}

/// The topology's configuration, then the start-up script, through the cmdlet executor.
pub async fn configure(executor: &DnsExecutor, config: &DnsConfig) -> Result<(), DnsError> {
    if let Some(topology) = &config.topology {
        for call in plan::topology_invocations(topology) {
            executor.apply(&call).map_err(|e| DnsError::Script(format!("{}: {e}", plan::render(&call))))?;
        }
    }
    if let Some(script) = &config.script {
        let targets = crate::runbook::Targets { dns: Some(Arc::new(executor.clone())), ..Default::default() };
        crate::runbook::run(script, &targets).await.map_err(|e| DnsError::Script(e.to_string()))?;
    }
    Ok(())
}
