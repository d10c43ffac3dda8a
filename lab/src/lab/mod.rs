//! The one handle through which the CLI, the runbook runner and the features drive a lab,
//! whatever backend runs it: start or attach, run runbooks, move time, drive clients, inject
//! faults, read status, stop.

mod appliances;
mod clients;
mod dns_servers;
mod dns_status;
mod error;
mod lab_file;
mod runbook;

pub use appliances::StatusRow;
pub use clients::DEFAULT_NUMBER;
pub use dns_status::DnsStatusRow;
pub use error::LabError;
pub use lab_file::{LabFile, DEFAULT_STATE_DIR};
pub use runbook::{modelled_cmdlets, RoleExecutors, RunOn};

use crate::auth::Secrets;
use crate::backend::embedded::Embedded;
use crate::backend::remote::Remote;
use crate::backend::{Backend, BackendKind, DnsStart, Endpoints};
use crate::clock::{format_duration, ClockReading, MOVE_BUDGET};
use crate::dns::{lookup, Answer, Transport};
use crate::tenant::model::{ApplianceRecord, TenantConfiguration};
use crate::tenant::remote::TenantRemote;
use crate::topology::Topology;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

/// How long a lab may take to come up before it is reported as not ready.
pub const READY_DEADLINE: Duration = Duration::from_secs(60);

/// Progress lines while a lab starts (image builds, containers).
pub type Progress = Arc<dyn Fn(&str) + Send + Sync>;

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
    pub progress: Progress,
}

impl Default for LabOptions {
    fn default() -> Self {
        LabOptions {
            backend: BackendKind::Embedded,
            data_dir: None,
            control: false,
            dns: DnsStart::Planned,
            lab_file: None,
            progress: Arc::new(|_| {}),
        }
    }
}

pub struct Lab {
    topology: Topology,
    secrets: Secrets,
    backend: Box<dyn Backend>,
    http: reqwest::Client,
}

impl Lab {
    /// Starts every role of `topology` and returns once the lab is ready: the tenant answers,
    /// and every appliance has registered and replicated the tenant's current configuration.
    pub async fn start(topology: Topology, options: LabOptions) -> Result<Lab, LabError> {
        let secrets = Secrets::generate(&topology);
        let backend: Result<Box<dyn Backend>, LabError> = match options.backend {
            BackendKind::Embedded => {
                Embedded::start(&topology, &secrets, options.data_dir.as_deref(), options.control, options.dns)
                    .await
                    .map(|b| Box::new(b) as Box<dyn Backend>)
                    .map_err(LabError::from)
            }
            BackendKind::Containers => containers_backend(&topology, &secrets, &options).await,
        };
        let backend = backend.map_err(LabError::role_failure_first)?;
        let lab = Lab { topology, secrets, backend, http: crate::http::client(crate::http::LAB_TIMEOUT) };
        if let Err(e) = lab.wait_ready().await {
            let _ = lab.backend.stop().await;
            return Err(e);
        }
        Ok(lab)
    }

    /// The lab described by `<dir>/lab.json`, started earlier by `bypass-lab up`.
    pub async fn attach(dir: &Path) -> Result<Lab, LabError> {
        let no_lab = |reason: String| LabError::NoLab { dir: dir.display().to_string(), reason };
        let file = LabFile::read(dir).map_err(no_lab)?;
        let topology = Topology::parse(&file.topology, file.topology_origin.as_deref())?;
        let backend: Box<dyn Backend> = match file.backend {
            BackendKind::Embedded => {
                Box::new(Remote::new(file.endpoints.clone(), file.dial.clone(), file.secrets.control.clone()))
            }
            BackendKind::Containers => attach_containers(&file).await?,
        };
        Ok(Lab { topology, secrets: file.secrets, backend, http: crate::http::client(crate::http::LAB_TIMEOUT) })
    }

    /// Writes `<dir>/lab.json` so that other commands find this lab.
    pub fn save(&self, dir: &Path) -> Result<(), LabError> {
        let file = LabFile {
            backend: self.backend.kind(),
            topology: toml::to_string(&self.topology).map_err(|e| LabError::Invalid(e.to_string()))?,
            topology_origin: self.topology.origin.clone(),
            secrets: self.secrets.clone(),
            endpoints: self.backend.endpoints(),
            dial: self.backend.address_map(),
            pid: Some(std::process::id()),
            containers: self.backend.saved_state(),
        };
        file.write(dir)
            .map_err(|e| LabError::Invalid(format!("cannot write {}: {e}", LabFile::path(dir).display())))?;
        // Saved, the lab belongs to its file: it outlives this handle until `down`.
        self.backend.detach();
        Ok(())
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    pub fn endpoints(&self) -> Endpoints {
        self.backend.endpoints()
    }

    pub fn backend_kind(&self) -> BackendKind {
        self.backend.kind()
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The tenant as its administrator sees it (remote PowerShell).
    pub fn tenant(&self) -> TenantRemote {
        TenantRemote::new(self.endpoints().tenant, self.secrets.admin.clone())
    }

    pub async fn tenant_configuration(&self) -> Result<TenantConfiguration, LabError> {
        Ok(self.tenant().configuration().await?)
    }

    /// `Get-CsHybridPSTNAppliance`.
    pub async fn tenant_appliances(&self) -> Result<Vec<ApplianceRecord>, LabError> {
        Ok(self.tenant().appliances().await?)
    }

    // --- time ---

    /// Lab time since the lab started.
    pub async fn now(&self) -> Result<Duration, LabError> {
        if let Some(clock) = self.backend.local_clock() {
            return Ok(clock.now());
        }
        let url = self
            .endpoints()
            .clocks
            .first()
            .cloned()
            .ok_or_else(|| LabError::Invalid("the lab keeps no clock".into()))?;
        let reading: ClockReading = self.control_get(&format!("{url}/lab/clock")).await?;
        Ok(Duration::from_millis(reading.now_ms))
    }

    /// Moves lab time forward; returns once every role has done the work due by then
    /// (appliances' syncs, clients' re-fetches).
    pub async fn advance(&self, by: Duration) -> Result<Duration, LabError> {
        self.advance_reporting(by, &|_| {}).await
    }

    /// [`Lab::advance`], calling `progress` with the time reached whenever a long advance has
    /// moved part of the way. Any role that does not take a move is an error that names the
    /// time the lab actually stands at.
    pub async fn advance_reporting(
        &self,
        by: Duration,
        progress: &(dyn Fn(Duration) + Sync),
    ) -> Result<Duration, LabError> {
        if let Some(clock) = self.backend.local_clock() {
            let target = clock.now() + by;
            loop {
                let reached = clock
                    .advance_toward(target, Some(MOVE_BUDGET))
                    .await
                    .map_err(|e| stopped(clock.now(), target, e.into()))?;
                if reached >= target {
                    return Ok(reached);
                }
                progress(reached);
            }
        }
        // Containers step every role through the union of their due instants themselves.
        if let Some(moved) = self.backend.advance(by).await {
            return Ok(moved?);
        }
        let start = self.now().await?;
        let target = start + by;
        let mut reached = start;
        loop {
            let moves = self.endpoints().clocks.into_iter().map(|url| {
                let body = serde_json::json!({ "to_ms": target.as_millis() as u64 });
                async move { self.control_post::<ClockReading>(&format!("{url}/lab/clock"), body).await }
            });
            let mut lowest: Option<Duration> = None;
            let mut failure = None;
            for result in futures::future::join_all(moves).await {
                match result {
                    Ok(reading) => {
                        let at = Duration::from_millis(reading.now_ms);
                        lowest = Some(lowest.map_or(at, |l| l.min(at)));
                    }
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = failure {
                let at = self.lowest_clock().await.unwrap_or(reached);
                return Err(stopped(at, target, e));
            }
            reached = lowest.unwrap_or(target);
            if reached >= target {
                return Ok(reached);
            }
            progress(reached);
        }
    }

    /// The earliest of the roles' clocks (they differ when a move failed part of the way).
    async fn lowest_clock(&self) -> Option<Duration> {
        let reads = self.endpoints().clocks.into_iter().map(|url| async move {
            self.control_get::<ClockReading>(&format!("{url}/lab/clock"))
                .await
                .ok()
                .map(|r| Duration::from_millis(r.now_ms))
        });
        futures::future::join_all(reads).await.into_iter().collect::<Option<Vec<_>>>()?.into_iter().min()
    }

    /// Runs the clock at `speed` lab seconds per real second (only for a lab in this process).
    pub fn run_clock(&self, speed: f64) -> Option<tokio::task::JoinHandle<()>> {
        self.backend.local_clock().filter(|_| speed > 0.0).map(|c| c.run_at_speed(speed))
    }

    /// One full replication window: long enough for every reachable appliance to sync.
    pub async fn pass_replication_window(&self) -> Result<Duration, LabError> {
        self.advance(self.topology.tenant.replication_window).await
    }

    /// Waits until every registered appliance reports `version` (an event on the tenant).
    pub async fn wait_replicated(&self, version: u64, timeout: Duration) -> Result<Vec<ApplianceRecord>, LabError> {
        Ok(self.tenant().appliances_at(version, timeout).await?)
    }

    // --- DNS ---

    /// What a client at `from` gets for `name` from the DNS server its site uses.
    pub async fn resolve(&self, name: &str, from: IpAddr, transport: Transport) -> Result<Answer, LabError> {
        let endpoints = self.endpoints();
        let index = self.topology.dns_server_index_for(from);
        let server = endpoints.dns_servers.get(index).map(|d| d.dns).unwrap_or(endpoints.dns);
        Ok(lookup(server, name, Some(from), transport).await?)
    }

    // --- faults ---

    pub(crate) fn appliance_name(&self, key: &str) -> Result<String, LabError> {
        self.topology
            .find_appliance(key)
            .map(|(_, a)| a.name.clone())
            .ok_or_else(|| LabError::Backend(crate::backend::BackendError::UnknownAppliance(key.to_string())))
    }

    /// Cuts the appliance off from the tenant; it keeps serving what its LocalStore holds.
    pub async fn cut(&self, appliance: &str) -> Result<(), LabError> {
        Ok(self.backend.cut(&self.appliance_name(appliance)?).await?)
    }

    pub async fn heal(&self, appliance: &str) -> Result<(), LabError> {
        Ok(self.backend.heal(&self.appliance_name(appliance)?).await?)
    }

    pub async fn restart(&self, appliance: &str, kill: bool) -> Result<(), LabError> {
        Ok(self.backend.restart(&self.appliance_name(appliance)?, kill).await?)
    }

    /// `fault stop|restart dns [NAME]`: a `[[dns_server]]` by name, or the first server.
    pub async fn dns_fault(&self, server: Option<&str>, fault: crate::backend::DnsFault) -> Result<(), LabError> {
        let plans = self.topology.dns_server_plans();
        let name = match server {
            None => plans[0].name.clone(),
            Some(n) => {
                plans.iter().find(|p| p.name.eq_ignore_ascii_case(n.trim())).map(|p| p.name.clone()).ok_or_else(
                    || {
                        LabError::Invalid(format!(
                            "no DNS server named '{n}' in this topology (servers: {})",
                            plans.iter().map(|p| p.name.as_str()).collect::<Vec<_>>().join(", ")
                        ))
                    },
                )?
            }
        };
        Ok(self.backend.dns_fault(&name, fault).await?)
    }

    /// Stops every role and removes what the lab created.
    pub async fn stop(self) -> Result<(), LabError> {
        Ok(self.backend.stop().await?)
    }

    async fn wait_ready(&self) -> Result<(), LabError> {
        let ready = async {
            if let Some(clock) = self.backend.local_clock() {
                clock.settle().await?;
            }
            self.dns_problem()
                .await
                .map_err(|e| LabError::NotReady(format!("the lab did not become ready: dns: {e}")))?;
            self.client_hosts_problem()
                .await
                .map_err(|e| LabError::NotReady(format!("the lab did not become ready: {e}")))?;
            let version = self.tenant_configuration().await?.version;
            let records = self.wait_replicated(version, READY_DEADLINE).await?;
            let expected = self.topology.appliances().count();
            let behind: Vec<String> = self
                .topology
                .appliances()
                .filter(|(_, a)| !records.iter().any(|r| r.name == a.name && r.replicated_version >= Some(version)))
                .map(|(_, a)| a.name.clone())
                .collect();
            // The DNS server answers only once its policies are configured: one answer of any
            // kind says it is serving.
            if let Some(from) = self.topology.sites.first().and_then(|s| self.topology.client_address(s, 0)) {
                self.resolve(&self.topology.tenant.service_name, from, Transport::Udp).await?;
            }
            if records.len() < expected || !behind.is_empty() {
                let mut why = Vec::new();
                for name in &behind {
                    let reason = match self.appliance_status(name).await {
                        Ok(s) => s.tenant_error.unwrap_or_else(|| "no sync yet".into()),
                        Err(e) => e.to_string(),
                    };
                    why.push(format!("{name} ({reason})"));
                }
                return Err(LabError::NotReady(format!(
                    "the lab did not become ready: appliances not registered or not at version {version}: {}",
                    why.join(", ")
                )));
            }
            Ok(())
        };
        let ready = async {
            tokio::select! {
                result = ready => result,
                failure = self.backend.role_failed() => Err(LabError::RoleFailed(failure)),
            }
        };
        match tokio::time::timeout(READY_DEADLINE, ready).await {
            Ok(result) => result,
            Err(_) => Err(LabError::NotReady(format!("the lab did not become ready within {READY_DEADLINE:?}"))),
        }
    }

    async fn control_get<T: serde::de::DeserializeOwned>(&self, url: &str) -> Result<T, LabError> {
        let reply = self.http.get(url).bearer_auth(&self.secrets.control).send().await;
        read_reply(url, reply).await
    }

    async fn control_post<T: serde::de::DeserializeOwned>(
        &self,
        url: &str,
        body: serde_json::Value,
    ) -> Result<T, LabError> {
        let reply = self.http.post(url).bearer_auth(&self.secrets.control).json(&body).send().await;
        read_reply(url, reply).await
    }
}

fn stopped(reached: Duration, target: Duration, cause: LabError) -> LabError {
    LabError::ClockStopped {
        reached: format_duration(reached),
        target: format_duration(target),
        source: Box::new(cause),
    }
}

async fn read_reply<T: serde::de::DeserializeOwned>(
    url: &str,
    reply: Result<reqwest::Response, reqwest::Error>,
) -> Result<T, LabError> {
    let reply = reply.map_err(|e| LabError::Invalid(format!("cannot reach {url}: {e}")))?;
    let status = reply.status();
    if !status.is_success() {
        let text = reply.text().await.unwrap_or_default();
        return Err(LabError::Invalid(format!("{url} answered {status}: {text}")));
    }
    reply.json().await.map_err(|e| LabError::Invalid(format!("{url} answered something unreadable: {e}")))
}

async fn containers_backend(
    topology: &Topology,
    secrets: &Secrets,
    options: &LabOptions,
) -> Result<Box<dyn Backend>, LabError> {
    use crate::backend::containers::{Containers, Owner};
    let progress = options.progress.clone();
    let owner = options.lab_file.as_deref().map_or_else(Owner::this_process, Owner::lab_file);
    let lab = Containers::start(topology, secrets, owner, options.dns, &move |line: &str| progress(line)).await?;
    Ok(Box::new(lab))
}

async fn attach_containers(file: &LabFile) -> Result<Box<dyn Backend>, LabError> {
    let saved =
        file.containers.as_ref().ok_or_else(|| LabError::Invalid("the lab file has no containers state".into()))?;
    Ok(Box::new(crate::backend::containers::Containers::attach_saved(saved).await?))
}
