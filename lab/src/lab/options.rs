//! How a lab is to run: which backend, where its data goes, how its DNS server starts. The
//! rehearsal and the features hold these options and ask them what depends on the backend (how
//! many labs at once, what to prepare first) without naming a backend themselves.

use super::LabError;
use crate::backend::{BackendError, BackendKind, DnsStart, StartOptions, Turn};
use crate::topology::Topology;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use crate::backend::Progress;

#[derive(Clone)]
pub struct LabOptions {
    pub backend: BackendKind,
    /// Keep the roles' data here; None = a scratch directory removed on stop.
    pub data_dir: Option<PathBuf>,
    /// Serve the control API other processes use (`up`).
    pub control: bool,
    /// How the DNS server starts: with the topology's policies, or empty for a runbook that
    /// builds them.
    pub dns: DnsStart,
    /// The lab file that will describe the lab (`up`); None = the lab lives as long as this
    /// process. Containers record it as the lab's owner.
    pub lab_file: Option<PathBuf>,
    /// A containers lab's online network (a /24 or larger); None = the first free
    /// 172.30.x.0/24. The way out when that range is the host's own.
    pub online_subnet: Option<ipnet::Ipv4Net>,
    /// How long a run may wait for its turn on a shared engine while another lab or run holds
    /// the plan's subnets (`--wait`, `BYPASS_LAB_WAIT`); None: refused at once.
    pub wait: Option<Duration>,
    pub progress: Progress,
}

impl std::fmt::Debug for LabOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabOptions")
            .field("backend", &self.backend)
            .field("data_dir", &self.data_dir)
            .field("control", &self.control)
            .field("dns", &self.dns)
            .field("lab_file", &self.lab_file)
            .field("wait", &self.wait)
            .finish_non_exhaustive()
    }
}

impl Default for LabOptions {
    fn default() -> Self {
        LabOptions {
            backend: BackendKind::Embedded,
            data_dir: None,
            control: false,
            dns: DnsStart::Planned,
            lab_file: None,
            online_subnet: None,
            wait: None,
            progress: Arc::new(|_| {}),
        }
    }
}

impl LabOptions {
    /// The test suite's options: `LAB_BACKEND` selects the backend, `BYPASS_LAB_WAIT` how long
    /// the run may wait for its turn on a shared engine.
    pub fn from_env() -> Result<LabOptions, LabError> {
        let wait = crate::backend::wait_from_env()?;
        Ok(LabOptions { backend: BackendKind::from_env()?, wait, ..LabOptions::default() })
    }

    /// Takes the run's turn for `topology`'s subnets, once, before its first lab starts; the run
    /// keeps it until it has stopped its last lab (see `BackendKind::take_turn`).
    pub async fn take_turn(
        &self,
        topology: &Topology,
        progress: &(dyn Fn(&str) + Send + Sync),
    ) -> Result<Turn, BackendError> {
        self.backend.take_turn(topology, self.wait, progress).await
    }

    /// How many labs of `topology` may run at once in this process (one per scenario).
    pub fn labs_at_once(&self, topology: &Topology) -> usize {
        self.backend.labs_at_once(topology)
    }

    /// Makes, once, what every lab of these options needs before it starts (the containers'
    /// image); says what it made, if anything.
    pub async fn prepare(&self, progress: &(dyn Fn(&str) + Send + Sync)) -> Result<Option<String>, LabError> {
        Ok(self.backend.prepare(progress).await?)
    }

    /// The backend's name, as reports print it.
    pub fn backend_name(&self) -> String {
        format!("{:?}", self.backend)
    }

    pub(super) fn start_options(&self) -> StartOptions {
        StartOptions {
            data_dir: self.data_dir.clone(),
            control: self.control,
            dns: self.dns,
            lab_file: self.lab_file.clone(),
            online_subnet: self.online_subnet,
            progress: self.progress.clone(),
        }
    }
}
