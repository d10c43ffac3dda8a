//! The one handle through which the CLI, the runbook runner and the features drive a lab,
//! whatever backend runs it: start or attach, run runbooks, move time, drive clients, inject
//! faults, read status, stop.

mod appliances;
mod clients;
mod dns_servers;
mod dns_status;
mod error;
mod kept;
mod lab_file;
mod options;
mod runbook;

pub use appliances::StatusRow;
pub use clients::DEFAULT_NUMBER;
pub use dns_status::DnsStatusRow;
pub use error::LabError;
pub use lab_file::{LabFile, LabFileError, DEFAULT_STATE_DIR};
pub use options::{LabOptions, Progress};
pub use runbook::{modelled_cmdlets, RoleExecutors, RunOn};

use crate::auth::Secrets;
use crate::backend::{Backend, BackendError, Endpoints};
use crate::dns::{lookup, Answer, Transport};
use crate::tenant::{ApplianceRecord, TenantConfiguration, TenantRemote};
use crate::topology::Topology;
use std::net::IpAddr;
use std::path::Path;
use std::time::Duration;

/// How long a lab may take to come up before it is reported as not ready.
pub const READY_DEADLINE: Duration = Duration::from_secs(60);

pub struct Lab {
    topology: Topology,
    secrets: Secrets,
    backend: Box<dyn Backend>,
    /// The first fault injected through this handle: a fault may act outside the roles (a cut
    /// link, a restarted container), which a reset does not undo, so such a lab is not reused.
    fault: std::sync::Mutex<Option<String>>,
    /// What the driver remembered with each state it kept ([`Lab::keep`]), by label.
    kept: kept::Memos,
}

impl Lab {
    /// Starts every role of `topology` and returns once the lab is ready: the tenant answers,
    /// and every appliance has registered and replicated the tenant's current configuration.
    pub async fn start(topology: Topology, options: LabOptions) -> Result<Lab, LabError> {
        let secrets = Secrets::generate(&topology);
        let backend = options.backend.start(&topology, &secrets, &options.start_options()).await?;
        let lab = Lab { topology, secrets, backend, fault: Default::default(), kept: Default::default() };
        let ready = async {
            // Appliances the plan cuts off start without their link to the tenant.
            for (_, a) in lab.topology.appliances().filter(|(_, a)| a.cut) {
                lab.backend.cut(&a.name).await?;
            }
            lab.wait_ready().await?;
            Ok::<_, LabError>(lab.backend.checkpoint().await?)
        };
        if let Err(e) = ready.await {
            let _ = lab.backend.stop().await;
            return Err(e);
        }
        Ok(lab)
    }

    /// The lab described by `<dir>/lab.json`, started earlier by `bypass-lab up`.
    pub async fn attach(dir: &Path) -> Result<Lab, LabError> {
        let file = LabFile::read(dir).map_err(|source| LabError::NoLab { dir: dir.display().to_string(), source })?;
        let topology = Topology::parse(&file.topology, file.topology_origin.as_deref())?;
        let backend = file.backend.attach(&file.endpoints, &file.secrets).await.map_err(|e| match e {
            e @ BackendError::ProcessEnded { .. } => {
                LabError::NotRunning { file: LabFile::path(dir).display().to_string(), cause: Box::new(e) }
            }
            other => other.into(),
        })?;
        Ok(Lab { topology, secrets: file.secrets, backend, fault: Default::default(), kept: Default::default() })
    }

    /// Writes `<dir>/lab.json` so that other commands find this lab.
    pub fn save(&self, dir: &Path) -> Result<(), LabError> {
        let file = LabFile::new(
            &self.topology,
            self.secrets.clone(),
            (*self.backend.endpoints()).clone(),
            self.backend.saved(),
        )?;
        file.write(dir)?;
        // Saved, the lab belongs to its file: it outlives this handle until `down`.
        self.backend.detach();
        Ok(())
    }

    /// Whether the lab keeps running after this process ends (saved, until `down`).
    pub fn outlives_process(&self) -> bool {
        self.backend.outlives_process()
    }

    pub fn topology(&self) -> &Topology {
        &self.topology
    }

    pub fn endpoints(&self) -> std::sync::Arc<Endpoints> {
        self.backend.endpoints()
    }

    pub fn secrets(&self) -> &Secrets {
        &self.secrets
    }

    /// The tenant as its administrator sees it (remote PowerShell).
    pub fn tenant(&self) -> TenantRemote {
        TenantRemote::new(self.endpoints().tenant.clone(), self.secrets.admin.clone())
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
        Ok(self.backend.now().await?)
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
        Ok(self.backend.advance(by, progress).await?)
    }

    /// Runs the clock at `speed` lab seconds per real second, where the backend can.
    pub fn run_clock(&self, speed: f64) -> Option<tokio::task::JoinHandle<()>> {
        self.backend.run_clock(speed)
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
        // Behind a forwarder (`dns_via`), the server sees the forwarder's address.
        Ok(lookup(server, name, Some(self.topology.query_source(from)), transport).await?)
    }

    // --- faults ---

    pub(crate) fn appliance_name(&self, key: &str) -> Result<String, LabError> {
        self.topology
            .find_appliance(key)
            .map(|(_, a)| a.name.clone())
            .ok_or_else(|| LabError::Backend(BackendError::UnknownAppliance(key.to_string())))
    }

    /// Remembers that a fault was injected, before it acts (a half-done fault counts).
    fn faulted(&self, what: String) {
        self.fault.lock().unwrap().get_or_insert(what);
    }

    /// Cuts the appliance off from the tenant; it keeps serving what its LocalStore holds.
    pub async fn cut(&self, appliance: &str) -> Result<(), LabError> {
        let name = self.appliance_name(appliance)?;
        self.faulted(format!("{name} was cut off"));
        Ok(self.backend.cut(&name).await?)
    }

    pub async fn heal(&self, appliance: &str) -> Result<(), LabError> {
        let name = self.appliance_name(appliance)?;
        self.faulted(format!("{name} was reconnected"));
        Ok(self.backend.heal(&name).await?)
    }

    pub async fn restart(&self, appliance: &str, kill: bool) -> Result<(), LabError> {
        let name = self.appliance_name(appliance)?;
        self.faulted(format!("{name} was {}", if kill { "killed" } else { "restarted" }));
        Ok(self.backend.restart(&name, kill).await?)
    }

    /// `fault stop|restart dns [NAME]`: a `[[dns_server]]` by name, or the first server.
    pub async fn dns_fault(&self, server: Option<&str>, fault: crate::backend::DnsFault) -> Result<(), LabError> {
        let plans = self.topology.dns_server_plans();
        let name = match server {
            None => plans[0].name.clone(),
            Some(n) => {
                plans.iter().find(|p| p.name.eq_ignore_ascii_case(n.trim())).map(|p| p.name.clone()).ok_or_else(
                    || LabError::UnknownDnsServer {
                        name: n.to_string(),
                        servers: plans.iter().map(|p| p.name.clone()).collect(),
                    },
                )?
            }
        };
        self.faulted(format!("DNS server {name}: {fault:?}"));
        Ok(self.backend.dns_fault(&name, fault).await?)
    }

    /// The roles of the lab that do not run (a stopped or removed container), in plan order.
    pub fn roles_down(&self) -> Vec<crate::backend::RoleDown> {
        self.backend.roles_down()
    }

    /// Brings every role that does not run back, at the lab's time with the state it kept;
    /// returns those it brought back.
    pub async fn repair(&self) -> Result<Vec<crate::backend::RoleDown>, LabError> {
        let down = self.backend.roles_down();
        if !down.is_empty() {
            self.faulted(format!(
                "{} brought back",
                down.iter().map(|d| d.role.as_str()).collect::<Vec<_>>().join(", ")
            ));
        }
        Ok(self.backend.repair().await?)
    }

    // --- reuse ---

    /// Whether [`Lab::reset`] can hand this lab to another scenario: its backend resets in
    /// place, and no fault has acted on it.
    pub fn reusable(&self) -> bool {
        self.backend.resets() && self.fault.lock().unwrap().is_none()
    }

    /// Puts the lab back as a fresh start of the same plan: every role's store, state and
    /// clock at its first instant, no client host, and ready as [`Lab::start`] returns it.
    pub async fn reset(&self) -> Result<(), LabError> {
        if let Some(fault) = self.fault.lock().unwrap().clone() {
            return Err(LabError::NotReusable { why: fault });
        }
        self.backend.reset().await?;
        self.wait_ready().await
    }

    /// Stops every role and removes what the lab created.
    pub async fn stop(self) -> Result<(), LabError> {
        Ok(self.backend.stop().await?)
    }

    async fn wait_ready(&self) -> Result<(), LabError> {
        let ready = async {
            self.backend.settle().await?;
            self.dns_problem().await.map_err(|e| LabError::NotReady { part: "dns", source: Box::new(e) })?;
            self.client_hosts_problem()
                .await
                .map_err(|e| LabError::NotReady { part: "client hosts", source: Box::new(e) })?;
            let version = self.tenant_configuration().await?.version;
            let records = self.wait_replicated(version, READY_DEADLINE).await?;
            // An appliance the plan leaves unregistered or cut off never syncs: readiness does
            // not wait on it.
            let expected = self.topology.appliances().filter(|(_, a)| Topology::syncs(a)).count();
            let behind: Vec<String> = self
                .topology
                .appliances()
                .filter(|(_, a)| Topology::syncs(a))
                .filter(|(_, a)| !records.iter().any(|r| r.name == a.name && r.replicated_version >= Some(version)))
                .map(|(_, a)| a.name.clone())
                .collect();
            // The DNS server answers only once its policies are configured: one answer of any
            // kind says it is serving.
            if let Some(from) = self.topology.sites.first().and_then(|s| self.topology.client_address(s, 0)) {
                self.resolve(&self.topology.tenant.service_name, from, Transport::Udp).await?;
            }
            if records.iter().filter(|r| r.registered).count() < expected || !behind.is_empty() {
                let mut why = Vec::new();
                for name in &behind {
                    let reason = match self.appliance_status(name).await {
                        Ok(s) => s.tenant_error.unwrap_or_else(|| "no sync yet".into()),
                        Err(e) => crate::http::error_chain(&e),
                    };
                    why.push(format!("{name} ({reason})"));
                }
                return Err(LabError::NotReplicated { version, behind: why });
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
            Err(_) => Err(LabError::ReadyTimeout { waited: READY_DEADLINE }),
        }
    }
}
