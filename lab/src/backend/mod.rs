//! Where a lab's roles run. Two backends, one interface: `embedded` (every role in this
//! process on loopback) and `containers` (one container per role on Docker networks with the
//! topology's subnets and addresses). The [`crate::lab::Lab`] handle talks to roles over their
//! network endpoints; only what differs between the two (starting, reaching an address, faults,
//! placing a client) is behind [`Backend`].

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    #[default]
    Embedded,
    Containers,
}

impl BackendKind {
    /// `LAB_BACKEND` selects the backend for the test suite.
    pub fn from_env() -> Result<BackendKind, BackendError> {
        match std::env::var("LAB_BACKEND").ok().as_deref().map(str::trim) {
            None | Some("") | Some("embedded") => Ok(BackendKind::Embedded),
            Some("containers") => Ok(BackendKind::Containers),
            Some(other) => {
                Err(BackendError::Unsupported(format!("LAB_BACKEND={other}: use 'embedded' or 'containers'")))
            }
        }
    }
}

/// How the lab's DNS server starts. A rehearsal of the admin's own runbook needs it empty, because
/// the runbook itself builds the zone, client subnets, zone scopes, records and policies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum DnsStart {
    /// With the topology's generated geo-location policies (one client subnet, zone scope and
    /// policy per site).
    #[default]
    Planned,
    /// With no zone at all.
    Empty,
}

/// Where this process reaches each role of a running lab.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Endpoints {
    /// Tenant base URL.
    pub tenant: String,
    /// The DNS server (UDP and TCP).
    pub dns: SocketAddr,
    /// The DNS server's management API base URL.
    pub dns_admin: String,
    /// Each appliance's Mediation Server base URL (web service, calls, control), by name.
    pub appliances: BTreeMap<String, String>,
    /// Base URLs whose `POST /lab/clock` moves the lab's time (one for embedded, every
    /// clock-keeping role for containers).
    pub clocks: Vec<String>,
    /// Client hosts' base URLs, by the address their clients live at (`*` = any address).
    pub clients: BTreeMap<String, String>,
    /// The embedded `up` process's control API (restarts), when there is one.
    pub control: Option<String>,
    /// Every DNS server by its computer name, in topology order; the first is `dns` /
    /// `dns_admin`. Empty when the lab has just that one.
    #[serde(default)]
    pub dns_servers: Vec<DnsEndpoint>,
}

/// `fault stop dns` and `fault restart dns`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DnsFault {
    /// Stopped: its clients resolve nothing.
    Stop,
    /// Stopped if running, then started again with the configuration it had.
    Restart,
}

/// Where this process reaches one DNS server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct DnsEndpoint {
    pub name: String,
    /// Its address in the topology (what `-ComputerName` may give).
    pub address: IpAddr,
    pub dns: SocketAddr,
    pub admin: String,
}

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    #[error("{0}")]
    Unsupported(String),
    #[error("cannot start the lab: {0}")]
    Start(String),
    #[error("no appliance named '{0}' in this lab")]
    UnknownAppliance(String),
    #[error("{0}")]
    Fault(String),
    #[error("{0}")]
    Docker(String),
    /// The lab a lab file describes no longer runs: nothing may be sent to its addresses.
    #[error("the containers lab {lab} is gone ({missing}); nothing was sent to its addresses. Remove what is left with `bypass-lab down`, start another with `bypass-lab up --backend containers`")]
    Gone { lab: String, missing: String },
    /// Another lab, still held by its owner, runs on subnets this topology needs.
    #[error("{holder} already runs on {subnet}, which this topology needs; it was left untouched. Stop it with {how}")]
    Occupied { holder: String, subnet: String, how: String },
    /// A role did not take a move of the lab's clock: lab time is no longer the same everywhere.
    #[error("{role} did not move to lab time {at}: {reason}")]
    ClockRefused { role: String, at: String, reason: String },
    /// The host would send a role's traffic somewhere else than the lab's own bridge.
    #[error(
        "refusing to talk to lab {lab}: {strays}; a packet to those addresses would leave through the host's network"
    )]
    OffLab { lab: String, strays: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A role that could not even start (its configuration failed before it served).
    #[error(transparent)]
    RoleFailed(#[from] RoleFailure),
}

/// What differs between running roles in this process and running them in containers.
#[async_trait]
pub trait Backend: Send + Sync {
    fn kind(&self) -> BackendKind;

    /// Where this process reaches each role.
    fn endpoints(&self) -> Endpoints;

    /// The lab's clock when it lives in this process; otherwise the Lab moves time through
    /// `POST /lab/clock` on every URL of [`Endpoints::clocks`].
    fn local_clock(&self) -> Option<&crate::clock::Clock> {
        None
    }

    /// What another process needs to attach to this lab (containers: ids and names).
    fn saved_state(&self) -> Option<serde_json::Value> {
        None
    }

    /// Topology address → where this process reaches it, for addresses that differ (embedded).
    fn address_map(&self) -> BTreeMap<IpAddr, SocketAddr> {
        BTreeMap::new()
    }

    /// The client host for clients at `at`, started on demand.
    async fn client_host(&self, at: IpAddr) -> Result<String, BackendError>;

    /// Cuts the link between an appliance and the tenant; the appliance keeps running.
    async fn cut(&self, appliance: &str) -> Result<(), BackendError>;

    /// Restores the link cut by [`Backend::cut`].
    async fn heal(&self, appliance: &str) -> Result<(), BackendError>;

    /// Stops and starts an appliance; with `kill`, without letting it shut down cleanly.
    async fn restart(&self, appliance: &str, kill: bool) -> Result<(), BackendError>;

    /// Stops or restarts a DNS server by name; its configuration survives.
    async fn dns_fault(&self, server: &str, fault: DnsFault) -> Result<(), BackendError> {
        let _ = (server, fault);
        Err(BackendError::Unsupported("this backend cannot stop or restart a DNS server yet".into()))
    }

    /// Stops every role and removes what the lab created (except where asked to keep it).
    async fn stop(&self) -> Result<(), BackendError>;

    /// Resolves when a role has ended in error, with the role and the cause, so that a start
    /// never reports ready while a role is dead. Never resolves where roles cannot be watched.
    async fn role_failed(&self) -> RoleFailure {
        std::future::pending().await
    }

    /// Moves lab time forward by `by` when the clocks live in this backend's roles, and returns
    /// the new lab time; None when the Lab moves time itself.
    async fn advance(&self, _by: std::time::Duration) -> Option<Result<std::time::Duration, BackendError>> {
        None
    }

    /// Leaves the lab running when this handle goes: it is saved in a lab file, and other
    /// processes drive it until `down`.
    fn detach(&self) {}
}

/// A role that ended in error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {role} role failed: {cause}")]
pub struct RoleFailure {
    pub role: String,
    pub cause: String,
}

pub mod containers;
pub mod embedded;
pub mod remote;
pub mod role_plan;
