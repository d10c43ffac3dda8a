//! Which backend runs a lab, and everything that differs by that choice before a lab exists:
//! how a lab starts, what it needs first (the containers' image), and how many labs may run
//! at once. The one place that branches on the kind, so nothing above `backend/` has to.

#[cfg(feature = "containers")]
use super::containers::{Containers, Owner};
use super::embedded::Embedded;
use super::{Backend, BackendError};
use crate::auth::Secrets;
use crate::topology::Topology;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[cfg(feature = "containers")]
pub use super::containers::Turn;
#[cfg(not(feature = "containers"))]
pub use super::without_containers::Turn;

/// How long a run may wait for its turn when the environment says so: `cargo test` has no
/// `--wait`.
pub const WAIT_ENV: &str = "BYPASS_LAB_WAIT";

/// [`WAIT_ENV`] as a duration (`10m`); unset or empty, no waiting.
pub fn wait_from_env() -> Result<Option<Duration>, BackendError> {
    match std::env::var(WAIT_ENV).ok().map(|v| v.trim().to_string()).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(value) => {
            crate::clock::parse_duration(&value).map(Some).map_err(|source| BackendError::BadWait { value, source })
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default, clap::ValueEnum)]
#[serde(rename_all = "lowercase")]
pub enum BackendKind {
    #[default]
    Embedded,
    Containers,
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

/// Progress lines while a lab starts (image builds, containers).
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

/// What a start needs besides the plan and its credentials.
#[derive(Clone)]
pub struct StartOptions {
    /// Keep the roles' data here; None = a scratch directory removed on stop (embedded).
    pub data_dir: Option<PathBuf>,
    /// Serve the control API other processes use (embedded `up`).
    pub control: bool,
    pub dns: DnsStart,
    /// The lab file that will describe the lab; containers record it as the lab's owner. None =
    /// the lab belongs to this process.
    pub lab_file: Option<PathBuf>,
    /// A containers lab's online network; None = the first free 172.30.x.0/24.
    pub online_subnet: Option<ipnet::Ipv4Net>,
    pub progress: Progress,
}

/// How many Mediation Servers embedded labs may keep busy at once, all labs together: above it,
/// labs only compete for the same cores and every step slows down.
const APPLIANCES_AT_ONCE: usize = 64;
/// The most embedded labs at once, however small the plan.
const MOST_EMBEDDED_LABS: usize = 4;
/// The fewest by the cores, however large the plan: labs are reset, not started, between
/// scenarios, and much of a step is one role waiting on another's answer; a second lab keeps the
/// cores busy meanwhile. The descriptors may allow fewer ([`BackendKind::labs_at_once`]).
const FEWEST_EMBEDDED_LABS: usize = 2;

impl BackendKind {
    /// `LAB_BACKEND` selects the backend for the test suite.
    pub fn from_env() -> Result<BackendKind, BackendError> {
        match std::env::var("LAB_BACKEND").ok().as_deref().map(str::trim) {
            None | Some("") | Some("embedded") => Ok(BackendKind::Embedded),
            Some("containers") => Ok(BackendKind::Containers),
            Some(other) => Err(BackendError::UnknownBackend { value: other.to_string() }),
        }
    }

    /// Whether this build runs labs of this kind: a build without the `containers` feature
    /// refuses a containers lab before a command prints or prepares anything for it.
    pub fn built(self) -> Result<(), BackendError> {
        match self {
            BackendKind::Embedded => Ok(()),
            #[cfg(feature = "containers")]
            BackendKind::Containers => Ok(()),
            #[cfg(not(feature = "containers"))]
            BackendKind::Containers => Err(super::without_containers::refusal("a containers lab")),
        }
    }

    /// How many labs of `topology` may run at once in this process (one per rehearsed scenario).
    /// Embedded labs are independent: as many as fit in `APPLIANCES_AT_ONCE` appliances, within
    /// `FEWEST_EMBEDDED_LABS..=MOST_EMBEDDED_LABS`, and no more than keep every connection they
    /// want within the process's descriptors (`http::pool::labs_keeping_all`; lab choice,
    /// docs/design/backends.md): at 3,200 Mediation Servers under a 20,000 limit, one. Two labs
    /// there left one lab's roles reached a connection per request: 34,000 connections against
    /// 14,500 with one lab, and slower (bench/README.md). Container labs hold the topology's
    /// subnets, so one at a time.
    pub fn labs_at_once(self, topology: &Topology) -> usize {
        match self {
            BackendKind::Embedded => {
                let appliances = topology.appliances().count();
                let by_cores = (APPLIANCES_AT_ONCE / appliances.max(1)).clamp(FEWEST_EMBEDDED_LABS, MOST_EMBEDDED_LABS);
                // Tenant, client host and each DNS server's management API.
                let single_port_roles = 2 + topology.dns_server_plans().len();
                let keeping_all = crate::http::pool::labs_keeping_all(appliances, single_port_roles);
                by_cores.min(keeping_all)
            }
            BackendKind::Containers => 1,
        }
    }

    /// What must exist before a lab of this kind starts, made once: the containers' image (a
    /// cold build of the static binary takes minutes). Returns what was prepared, if anything.
    pub async fn prepare(self, progress: &(dyn Fn(&str) + Send + Sync)) -> Result<Option<String>, BackendError> {
        match self {
            BackendKind::Embedded => Ok(None),
            #[cfg(feature = "containers")]
            BackendKind::Containers => Ok(Some(super::containers::image::build_image(progress).await?)),
            #[cfg(not(feature = "containers"))]
            BackendKind::Containers => {
                let _ = progress;
                Err(super::without_containers::refusal("a containers lab"))
            }
        }
    }

    /// Takes this run's turn for `topology`'s subnets before it starts any lab: containers labs of
    /// one plan take turns on a shared engine (see `containers::take_turn`); embedded labs never
    /// meet. `wait`: how long to wait for the turn; None refuses at once when the subnets are
    /// held.
    pub async fn take_turn(
        self,
        topology: &Topology,
        wait: Option<Duration>,
        progress: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<Turn, BackendError> {
        match self {
            BackendKind::Embedded => Ok(Turn::none()),
            #[cfg(feature = "containers")]
            BackendKind::Containers => super::containers::take_turn(topology, wait, progress).await,
            #[cfg(not(feature = "containers"))]
            BackendKind::Containers => {
                let _ = (topology, wait, progress);
                Err(super::without_containers::refusal("a containers lab"))
            }
        }
    }

    /// Starts every role of `topology` on this backend.
    pub async fn start(
        self,
        topology: &Topology,
        secrets: &Secrets,
        options: &StartOptions,
    ) -> Result<Box<dyn Backend>, BackendError> {
        match self {
            BackendKind::Embedded => {
                let lab = Embedded::start(topology, secrets, options.data_dir.as_deref(), options.control, options.dns)
                    .await?;
                Ok(Box::new(lab))
            }
            #[cfg(not(feature = "containers"))]
            BackendKind::Containers => Err(super::without_containers::refusal("a containers lab")),
            #[cfg(feature = "containers")]
            BackendKind::Containers => {
                let owner = options.lab_file.as_deref().map_or_else(Owner::this_process, Owner::lab_file);
                let progress = options.progress.clone();
                let progress = &move |line: &str| progress(line);
                let lab =
                    Containers::start(topology, secrets, owner, options.dns, options.online_subnet, progress).await?;
                Ok(Box::new(lab))
            }
        }
    }

    /// After SIGINT or SIGTERM: removes what this process started that outlives it, and says
    /// what went (embedded labs end with the process).
    pub async fn remove_this_process_labs(self) -> Result<Vec<String>, BackendError> {
        match self {
            BackendKind::Embedded => Ok(vec![]),
            #[cfg(not(feature = "containers"))]
            BackendKind::Containers => Ok(vec![]),
            #[cfg(feature = "containers")]
            BackendKind::Containers => {
                let mut removed: Vec<String> = super::containers::sweep_this_process()
                    .await?
                    .into_iter()
                    .map(|(lab, swept)| format!("removed lab {}: {swept}", lab.id))
                    .collect();
                let docker = super::containers::connect().await?;
                for place in super::containers::queue::sweep_this_process(&docker).await? {
                    if place.stage == super::containers::queue::Stage::Waiting {
                        removed.push(format!("left the queue: removed {}", place.volume));
                    }
                }
                Ok(removed)
            }
        }
    }
}

/// The free functions of the factory, for callers that hold a kind.
pub async fn start(
    kind: BackendKind,
    topology: &Topology,
    secrets: &Secrets,
    options: &StartOptions,
) -> Result<Box<dyn Backend>, BackendError> {
    kind.start(topology, secrets, options).await
}

/// See [`BackendKind::prepare`].
pub async fn prepare(
    kind: BackendKind,
    progress: &(dyn Fn(&str) + Send + Sync),
) -> Result<Option<String>, BackendError> {
    kind.prepare(progress).await
}
