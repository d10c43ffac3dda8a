//! Skype for Business clients: sign-in with in-band provisioning, the UccApi trace log, the
//! hybridconfig fetch and the bypass decision, and PSTN calls.
//!
//! The submodules are private; what other parts of the lab name is re-exported here.
//!
//! Layout: `host.rs` the simulated users of one client host and what they do; `eligibility.rs`
//! which clients may bypass at all; `dns_cache.rs` each machine's DNS client cache on the lab
//! clock; `fetch.rs` and `outcome.rs` fetching the hybridconfig document and what the fetch ended
//! in; `call.rs` placing a PSTN call through a Mediation Server; `schedule.rs` the 8-hourly
//! re-fetch on the lab clock; `uccapi_log.rs` the client's trace log; `status.rs` what the control
//! API says about a user; `routes.rs` the control API; `remote.rs` driving a client host over it.

mod call;
mod dns_cache;
mod eligibility;
mod fetch;
mod host;
mod outcome;
mod remote;
mod routes;
mod schedule;
mod status;
mod uccapi_log;

pub use eligibility::{ClientKind, ClientVersion, Platform, Vpn, MINIMUM_VERSION};
pub use outcome::{DnsFailure, FetchOutcome};
pub use remote::ClientRemote;
pub use routes::{CallOrder, SignInRequest};
pub use status::{ClientStatus, FetchRecord, OUTSIDE};
pub use uccapi_log::LAB_EPOCH;

use crate::clock::{Clock, ClockError};
use crate::http::RemoteError;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
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

/// What starting a client host takes beyond the topology and the secrets: `bypass-lab serve
/// client` parses it, and a lab's plan renders it back to that command line.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct ClientArgs {
    /// The client host's control API.
    #[arg(long, default_value = "127.0.0.1:8090")]
    pub listen: SocketAddr,
    /// The tenant's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub tenant: String,
    /// The internal DNS server.
    #[arg(long, default_value = "127.0.0.1:5353")]
    pub dns: SocketAddr,
    /// State each client's address to DNS with EDNS Client Subnet.
    #[arg(long)]
    pub ecs: bool,
    /// Reach a Mediation Server's address elsewhere: `--dial 192.168.1.45=172.30.0.10:80`
    /// (repeatable).
    #[arg(long, value_parser = parse_dial)]
    pub dial: Vec<(IpAddr, SocketAddr)>,
    /// Users' UccApi logs.
    #[arg(long, default_value = ".bypass-lab/clients")]
    pub data: PathBuf,
}

impl ClientArgs {
    pub fn config(&self, topology: &crate::topology::Topology, secrets: &crate::auth::Secrets) -> ClientHostConfig {
        ClientHostConfig {
            tenant_url: self.tenant.clone(),
            dns: self.dns,
            state_address_by_ecs: self.ecs,
            dial: self.dial.iter().copied().collect(),
            topology: topology.clone(),
            user_password: secrets.users.clone(),
            control_token: secrets.control.clone(),
            data_dir: self.data.clone(),
        }
    }

    /// The arguments as `serve client` reads them.
    pub fn argv(&self) -> Vec<String> {
        let mut argv =
            vec!["--listen".into(), self.listen.to_string(), "--tenant".into(), self.tenant.clone(), "--dns".into()];
        argv.push(self.dns.to_string());
        if self.ecs {
            argv.push("--ecs".into());
        }
        argv.extend(["--data".into(), self.data.to_string_lossy().into_owned()]);
        for (from, to) in &self.dial {
            argv.extend(["--dial".into(), format!("{from}={to}")]);
        }
        argv
    }
}

fn parse_dial(text: &str) -> Result<(IpAddr, SocketAddr), String> {
    let (from, to) = text.split_once('=').ok_or_else(|| format!("'{text}' is not ADDRESS=ADDRESS:PORT"))?;
    let from = from.trim().parse().map_err(|e| format!("'{from}' is not an address: {e}"))?;
    let to = to.trim().parse().map_err(|e| format!("'{to}' is not an address:port: {e}"))?;
    Ok((from, to))
}

/// Clients re-fetch the hybridconfig document this often (documented: every 8 hours).
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(8 * 3600);

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("client host: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Panicked(#[from] crate::role_tasks::RolePanicked),
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("no user '{0}' has signed in on this client host")]
    UnknownUser(String),
    #[error("'{0}' is not a usable user name (expected letters, digits and @ . _ - +)")]
    BadUserName(String),
    #[error("cannot sign in: {0}")]
    BadSignIn(String),
    #[error("user '{0}' is not signed in")]
    NotSignedIn(String),
    #[error("sign-in of '{user}' failed: in-band provisioning: {source}")]
    Provisioning { user: String, source: RemoteError },
    #[error("no Mediation Server to call through: {0}")]
    NoMediationServer(String),
    #[error("the call through {mediation_server} ({address}) failed: {reason}")]
    CallFailed { mediation_server: String, address: IpAddr, reason: String },
    #[error(transparent)]
    Clock(#[from] ClockError),
}

/// Serves the client host's control API until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    config: ClientHostConfig,
    clock: Clock,
    shutdown: CancellationToken,
) -> Result<(), ClientError> {
    let name = format!("client host {}", listener.local_addr()?);
    let slot = crate::http::slot::RouterSlot::new(Default::default());
    // The listener stops with the host: a panic stops the whole role.
    let server = shutdown.child_token();
    let served = tokio::spawn(crate::http::server::serve_slot(listener, slot.clone(), server.clone()));
    let outcome = serve_in(slot, name, config, clock, shutdown).await;
    server.cancel();
    served.await.map_err(|e| std::io::Error::other(e.to_string()))??;
    outcome
}

/// As [`serve`], through `slot` (whose server outlives this host, as across an embedded lab's
/// reset, named `name`): returns once `shutdown` is cancelled (or a panic stopped the host),
/// every request on it has been answered and it has left the clock.
pub async fn serve_in(
    slot: std::sync::Arc<crate::http::slot::RouterSlot>,
    name: String,
    config: ClientHostConfig,
    clock: Clock,
    shutdown: CancellationToken,
) -> Result<(), ClientError> {
    let participant = clock.participant(name);
    let host = Arc::new(host::Host::new(config, clock.clone(), participant.announcer()));
    let tasks = crate::role_tasks::RoleTasks::new("client host", &shutdown);
    let refetch = tasks.spawn("the re-fetch schedule", schedule::run(host.clone(), participant, tasks.stop().clone()));
    let installed = slot.install(tasks.router(routes::router(host)));
    tasks.stop().cancelled().await;
    installed.withdraw().await;
    // Its participant leaves the clock with it, before the host counts as stopped: a lab being
    // reset rewinds its clock once every role has left.
    refetch.abort();
    let _ = refetch.await;
    let outcome = tasks.outcome();
    if outcome.is_err() {
        slot.close();
    }
    Ok(outcome?)
}

/// FNV-1a: a hash that stays the same across runs and releases, so "which of the answers does
/// this user pick" is reproducible.
pub(crate) fn stable_hash(text: &str) -> u64 {
    crate::fnv::fnv1a(text.bytes())
}

#[cfg(test)]
mod tests {
    use super::stable_hash;

    #[test]
    fn stable_hash_is_fnv_1a_and_never_changes() {
        // Published FNV-1a 64 values, and one user's pick: a change here reorders every run's answers.
        assert_eq!(stable_hash(""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(stable_hash("a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(stable_hash("foobar"), 0x8594_4171_f739_67e8);
        assert_eq!(stable_hash("alice@adatum.biz"), 0xebd3_abb4_4abe_fb6c);
    }
}
