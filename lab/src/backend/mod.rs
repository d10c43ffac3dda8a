//! Where a lab's roles run. Two backends, one interface: `embedded` (every role in this
//! process on loopback) and `containers` (one container per role on Docker networks with the
//! topology's subnets and addresses). The [`crate::lab::Lab`] handle talks to roles over their
//! network endpoints; only what differs between the two (starting, lab time, what a lab file
//! keeps, faults, placing a client) is behind [`Backend`], [`BackendKind`] and [`SavedBackend`],
//! so nothing above this module branches on which backend runs a lab.

mod error;
mod kind;
mod saved;
#[cfg(not(feature = "containers"))]
mod without_containers;
#[cfg(not(feature = "containers"))]
pub use without_containers::refusal as containers_not_built;

pub use error::BackendError;
pub use kind::{prepare, start, wait_from_env, BackendKind, DnsStart, Progress, StartOptions, Turn, WAIT_ENV};
pub use saved::{attach, SavedBackend};

use async_trait::async_trait;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

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

/// What differs between running roles in this process and running them in containers.
#[async_trait]
pub trait Backend: Send + Sync {
    /// Where this process reaches each role.
    fn endpoints(&self) -> std::sync::Arc<Endpoints>;

    /// What a lab file keeps so that another process can drive this lab.
    fn saved(&self) -> SavedBackend;

    /// Whether the lab keeps running when this process ends (a saved containers lab runs until
    /// `down`; an embedded lab ends with its process).
    fn outlives_process(&self) -> bool {
        false
    }

    // --- lab time ---

    /// Lab time since the lab started.
    async fn now(&self) -> Result<Duration, BackendError>;

    /// Moves lab time forward by `by`; returns once every role has done the work due by then
    /// (appliances' syncs, clients' re-fetches), with the time reached. `progress` hears of the
    /// time reached whenever a long move has gone part of the way. A role that does not take a
    /// move fails it with [`BackendError::ClockStopped`], naming the time the lab stands at.
    async fn advance(&self, by: Duration, progress: &(dyn Fn(Duration) + Sync)) -> Result<Duration, BackendError>;

    /// Lets lab time run at `speed` lab seconds per real second, where the clock lives in this
    /// process; None where it cannot.
    fn run_clock(&self, speed: f64) -> Option<tokio::task::JoinHandle<()>> {
        let _ = speed;
        None
    }

    /// Returns once the work due at the current lab time is done (a lab that just started).
    async fn settle(&self) -> Result<(), BackendError> {
        Ok(())
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
    async fn dns_fault(&self, server: &str, fault: DnsFault) -> Result<(), BackendError>;

    /// An appliance's status (what its `GET /lab/status` answers) read without the network, where
    /// the backend hosts the appliance in this process; `None`: read it over the network. Only
    /// the lab reads its appliances' status, never a client, so the read needs no connection:
    /// at 3,200 Mediation Servers the steps' status reads were a third of a rehearsal's
    /// connections.
    async fn appliance_status(
        &self,
        _appliance: &str,
    ) -> Option<Result<crate::mediation::ApplianceStatus, crate::http::RemoteError>> {
        None
    }

    /// The lab has just become ready after its start. A backend that resets by putting the lab
    /// back as it stands now keeps what it needs here.
    async fn checkpoint(&self) -> Result<(), BackendError> {
        Ok(())
    }

    /// Whether [`Backend::reset`] can put this lab back as a fresh start of its plan would have
    /// it, faster than stopping it and starting another.
    fn resets(&self) -> bool {
        false
    }

    /// Puts every role back at its first instant: stores emptied, lab time zero, client hosts
    /// gone. The lab is not ready until the caller has waited as after a start. Faults that act
    /// outside the roles (cut links, restarted containers) are the caller's to rule out.
    async fn reset(&self) -> Result<(), BackendError> {
        Err(BackendError::NoReset)
    }

    /// Keeps the tenant, the appliances and lab time as they stand now under `label`, for
    /// [`Backend::put_back`] (replacing what was kept under it). DNS servers and client hosts
    /// are not kept: a put-back starts them as the plan does, as a reset does, so a caller keeps
    /// a state only where they are still as the last start or reset left them. False where the
    /// backend keeps no states (nothing is kept).
    async fn keep(&self, _label: &str) -> Result<bool, BackendError> {
        Ok(false)
    }

    /// Puts the lab back as it was kept under `label`, as [`Backend::reset`] puts it back as
    /// it started; false when nothing is kept under it. The lab is not ready until the caller
    /// has waited as after a start.
    async fn put_back(&self, _label: &str) -> Result<bool, BackendError> {
        Ok(false)
    }

    /// Stops every role and removes what the lab created (except where asked to keep it).
    async fn stop(&self) -> Result<(), BackendError>;

    /// Resolves when a role has ended in error, with the role and the cause, so that a start
    /// never reports ready while a role is dead. Never resolves where roles cannot be watched.
    async fn role_failed(&self) -> RoleFailure {
        std::future::pending().await
    }

    /// Leaves the lab running when this handle goes: it is saved in a lab file, and other
    /// processes drive it until `down`.
    fn detach(&self) {}

    /// The role `role` (a plan name: `tenant`, a DNS server's, an appliance's) when it does not
    /// run, so a command that needs it says so instead of waiting on an address nobody holds.
    fn role_down(&self, _role: &str) -> Option<RoleDown> {
        None
    }

    /// Every role of the lab that does not run, in plan order.
    fn roles_down(&self) -> Vec<RoleDown> {
        Vec::new()
    }

    /// Brings every role that does not run back, at the lab's time and with the state it kept;
    /// returns those it brought back.
    async fn repair(&self) -> Result<Vec<RoleDown>, BackendError> {
        Ok(Vec::new())
    }
}

/// A role of a running lab that does not run: its container was stopped or removed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{role} is down (its container {container} is {}); bring it back with `{remedy}`", if *.missing { "missing" } else { "stopped" })]
pub struct RoleDown {
    /// Its name in the plan: `tenant`, a DNS server's, an appliance's, or `client-<address>`.
    pub role: String,
    pub container: String,
    /// Removed, rather than stopped.
    pub missing: bool,
    /// The command that brings it back.
    pub remedy: String,
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
pub mod role_plan;
