//! What a lab file keeps of a running lab's backend, so that another process can drive it
//! (attach), tell whether it still runs, and remove it (`down`).

#[cfg(feature = "containers")]
use super::containers::Containers;
use super::containers::{self, ContainersState};
use super::embedded::attached::{self, Attached};
use super::{Backend, BackendError, Endpoints};
use crate::auth::Secrets;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// One variant per backend, each with exactly what re-attaching needs.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum SavedBackend {
    /// Roles in the `up` process, on loopback.
    Embedded {
        /// Topology address → loopback listener, as the `up` process mapped them.
        dial: BTreeMap<IpAddr, SocketAddr>,
        /// The `up` process: the lab lives exactly as long as it does.
        pid: u32,
    },
    /// Roles in containers, labelled with the lab's id.
    Containers(Box<ContainersState>),
}

/// How long `down` waits for an embedded lab's process to stop.
const STOP_DEADLINE: Duration = Duration::from_secs(15);

impl SavedBackend {
    /// Drives the saved lab from this process. `endpoints` and `secrets` are the lab file's.
    pub async fn attach(&self, endpoints: &Endpoints, secrets: &Secrets) -> Result<Box<dyn Backend>, BackendError> {
        match self {
            SavedBackend::Embedded { dial, pid } => {
                if !attached::alive(*pid) {
                    return Err(BackendError::ProcessEnded { pid: *pid });
                }
                Ok(Box::new(Attached::new(endpoints.clone(), dial.clone(), *pid, secrets.control.clone())))
            }
            #[cfg(feature = "containers")]
            SavedBackend::Containers(state) => Ok(Box::new(Containers::attach((**state).clone()).await?)),
            #[cfg(not(feature = "containers"))]
            SavedBackend::Containers(_) => Err(super::without_containers::refusal("a containers lab's file")),
        }
    }

    /// Whether anything of the saved lab still runs (its process, or its objects on the engine).
    pub async fn still_running(&self) -> Result<bool, BackendError> {
        match self {
            SavedBackend::Embedded { pid, .. } => Ok(attached::alive(*pid)),
            #[cfg(not(feature = "containers"))]
            SavedBackend::Containers(_) => Err(super::without_containers::refusal("a containers lab's file")),
            #[cfg(feature = "containers")]
            SavedBackend::Containers(state) => {
                let docker = containers::connect().await?;
                Ok(containers::labs(&docker).await?.iter().any(|l| l.id == state.lab))
            }
        }
    }

    /// Stops the saved lab and removes what its backend created; says what went. A lab partly
    /// gone is removed all the same.
    pub async fn remove(&self) -> Result<String, BackendError> {
        match self {
            SavedBackend::Embedded { pid, .. } => attached::stop_process(*pid, STOP_DEADLINE).await,
            // The lab file goes; the Compose project's objects are `docker-compose down`'s.
            SavedBackend::Containers(state) if state.lab == containers::COMPOSE_LAB => {
                Ok(BackendError::ComposeOwned.to_string())
            }
            #[cfg(not(feature = "containers"))]
            SavedBackend::Containers(_) => Err(super::without_containers::refusal("a containers lab's file")),
            #[cfg(feature = "containers")]
            SavedBackend::Containers(state) => {
                let swept = containers::remove_lab(&state.lab).await?;
                Ok(format!("lab {} removed: {swept}", state.lab))
            }
        }
    }

    /// The id of the containers lab, for a saved containers lab.
    pub fn containers_lab(&self) -> Option<&str> {
        match self {
            SavedBackend::Containers(state) => Some(&state.lab),
            SavedBackend::Embedded { .. } => None,
        }
    }
}

/// Drives the lab a saved state describes; see [`SavedBackend::attach`].
pub async fn attach(
    saved: &SavedBackend,
    endpoints: &Endpoints,
    secrets: &Secrets,
) -> Result<Box<dyn Backend>, BackendError> {
    saved.attach(endpoints, secrets).await
}
