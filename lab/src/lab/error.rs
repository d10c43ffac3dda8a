use crate::backend::BackendError;
use crate::clock::ClockError;
use crate::dns::lookup::LookupError;
use crate::http::RemoteError;
use crate::runbook::RunbookError;
use crate::topology::TopologyError;

/// Everything that can go wrong driving a lab, each saying which part failed.
#[derive(Debug, thiserror::Error)]
pub enum LabError {
    #[error(transparent)]
    Topology(#[from] TopologyError),
    #[error(transparent)]
    Backend(#[from] BackendError),
    #[error(transparent)]
    Remote(#[from] RemoteError),
    #[error(transparent)]
    Runbook(#[from] Box<RunbookError>),
    #[error(transparent)]
    Clock(#[from] ClockError),
    /// A role did not take a move of the clock: the lab stands at `reached`, not at `target`.
    #[error("lab time stopped at {reached} on its way to {target}: {source}")]
    ClockStopped {
        reached: String,
        target: String,
        #[source]
        source: Box<LabError>,
    },
    #[error(transparent)]
    Dns(#[from] LookupError),
    #[error("appliance {appliance}: {reason}")]
    Appliance { appliance: String, reason: String },
    #[error("client {user}: {reason}")]
    Client { user: String, reason: String },
    #[error("no running lab found in {dir}: {reason} (start one with `bypass-lab up`)")]
    NoLab { dir: String, reason: String },
    #[error("{0}")]
    NotReady(String),
    #[error("the lab did not start: {0}")]
    RoleFailed(#[source] crate::backend::RoleFailure),
    #[error("{0}")]
    Invalid(String),
}

impl LabError {
    /// A role that failed while its backend started is reported as that role's failure, the
    /// same as one that dies before the lab is ready.
    pub(crate) fn role_failure_first(self) -> LabError {
        match self {
            LabError::Backend(crate::backend::BackendError::RoleFailed(failure)) => LabError::RoleFailed(failure),
            other => other,
        }
    }
}
