use super::LabFileError;
use crate::backend::BackendError;
use crate::clock::{format_duration, ClockError};
use crate::dns::LookupError;
use crate::http::RemoteError;
use crate::runbook::RunbookError;
use crate::topology::TopologyError;
use std::net::IpAddr;
use std::time::Duration;

/// Everything that can go wrong driving a lab, each saying which part failed.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    Topology(#[from] TopologyError),
    #[error(transparent)]
    Backend(BackendError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Runbook(#[from] Box<RunbookError>),
    #[error(transparent)]
    Clock(#[from] ClockError),
    /// A role did not take a move of the clock: the lab stands at `reached`, not at `target`.
    #[error("lab time stopped at {reached} on its way to {target}")]
    ClockStopped {
        reached: String,
        target: String,
        #[source]
        source: Box<BackendError>,
    },
    #[error(transparent)]
    Dns(#[from] LookupError),
    #[error("appliance {appliance}: {reason}")]
    Appliance { appliance: String, reason: String },
    #[error("client {user}: {reason}")]
    Client { user: String, reason: String },
    #[error(transparent)]
    LabFile(#[from] LabFileError),
    /// No lab file to attach to.
    #[error("no running lab found in {dir} (start one with `bypass-lab up`)")]
    NoLab {
        dir: String,
        #[source]
        source: LabFileError,
    },
    /// A lab file whose lab has ended without `down` (a crash, a kill).
    #[error("the lab described in {file} is not running ({cause}); clear what it left with `bypass-lab down`, then start one with `bypass-lab up`")]
    NotRunning { file: String, cause: Box<BackendError> },
    /// A fault acted on the lab in ways a reset does not undo.
    #[error("the lab cannot be reset for reuse: {why}")]
    NotReusable { why: String },
    /// A part of the lab did not answer while the lab started.
    #[error("the lab did not become ready: {part}")]
    NotReady {
        part: &'static str,
        #[source]
        source: Box<LabError>,
    },
    #[error(
        "the lab did not become ready: appliances not registered or not at version {version}: {}",
        behind.join(", ")
    )]
    NotReplicated { version: u64, behind: Vec<String> },
    #[error("the lab did not become ready within {waited:?}")]
    ReadyTimeout { waited: Duration },
    /// A role's health check did not answer.
    #[error("{what} does not answer")]
    Unanswered {
        what: String,
        #[source]
        source: reqwest::Error,
    },
    /// A role's health check answered an error status.
    #[error("{what} answered {status}")]
    Unhealthy { what: String, status: reqwest::StatusCode },
    #[error("the lab did not start: {0}")]
    RoleFailed(#[source] crate::backend::RoleFailure),
    #[error("no DNS server named '{name}' in this topology (servers: {})", servers.join(", "))]
    UnknownDnsServer { name: String, servers: Vec<String> },
    #[error("{address} is not a gateway of any appliance in this topology")]
    NotAGateway { address: IpAddr },
    /// A client host did not list its users.
    #[error("client host {url}")]
    ClientHost {
        url: String,
        #[source]
        source: RemoteError,
    },
    /// A DNS server refused a cmdlet the lab sent it.
    #[error("DNS server {server}: {message}")]
    DnsServer { server: String, message: String },
}

/// A role that failed while its backend started is reported as that role's failure, the same as
/// one that dies before the lab is ready; a clock move that stopped says where the lab stands.
impl LabError {
    /// Whether another lab or run holds the plan's subnets (see [`BackendError::is_busy`]).
    pub fn is_busy(&self) -> bool {
        matches!(self, LabError::Backend(e) if e.is_busy())
    }
}

impl From<BackendError> for LabError {
    fn from(e: BackendError) -> LabError {
        match e {
            BackendError::RoleFailed(failure) => LabError::RoleFailed(failure),
            BackendError::ClockStopped { reached, target, source } => {
                LabError::ClockStopped { reached: format_duration(reached), target: format_duration(target), source }
            }
            other => LabError::Backend(other),
        }
    }
}
