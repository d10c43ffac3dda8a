//! The internal DNS server, with Windows Server 2016 DNS policies (geo-location traffic
//! management).

pub mod cmdlets;
pub mod lookup;

use crate::auth::Secrets;
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

/// Answers DNS on UDP and TCP and the management API until `shutdown` is cancelled.
pub async fn serve(sockets: DnsSockets, config: DnsConfig, shutdown: CancellationToken) -> Result<(), DnsError> {
    let _ = (sockets, config, shutdown);
    todo!("dns role")
}
