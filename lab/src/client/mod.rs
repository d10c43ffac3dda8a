//! Skype for Business clients: sign-in with in-band provisioning, the UccApi trace log, the
//! hybridconfig fetch and the bypass decision, and PSTN calls.

use crate::clock::Clock;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How a client host (one or more simulated users) is started.
#[derive(Debug, Clone)]
pub struct ClientHostConfig {
    /// Base URL of the tenant (provisioning at sign-in).
    pub tenant_url: String,
    /// The internal DNS server clients ask.
    pub dns: SocketAddr,
    /// When true, queries carry EDNS Client Subnet with the client's address (the embedded
    /// backend, where every client really sends from loopback).
    pub state_address_by_ecs: bool,
    /// Where a Mediation Server address (port 80) is really reached; absent = dial it directly.
    pub dial: BTreeMap<IpAddr, SocketAddr>,
    /// Sites' subnets and appliances: which Mediation Server a call goes through.
    pub topology: crate::topology::Topology,
    pub user_password: String,
    pub control_token: String,
    /// Users' UccApi logs live under here.
    pub data_dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("client host: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves the client host's control API until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    config: ClientHostConfig,
    clock: Clock,
    shutdown: CancellationToken,
) -> Result<(), ClientError> {
    let _ = (listener, config, clock, shutdown);
    todo!("client host")
}
