//! A Cloud Connector appliance's Mediation Server: the replication agent, its LocalStore, the
//! hybridconfig web service and the PSTN call path.
//!
//! The submodules are private; what other parts of the lab name is re-exported here.
//!
//! Layout: `schedule.rs` sync offsets and times on the virtual clock; `localstore.rs` the
//! Mediation Server's copy of the tenant configuration, on disk; `document.rs` and
//! `web_service.rs` the hybridconfig web service's document and its answer, from the LocalStore
//! alone; `call.rs` and `gateway.rs` a PSTN call, its media path (bypass IDs compared) and which
//! gateway takes it; `appliance.rs` one running appliance's shared state and its sync;
//! `replication.rs` the sync loop as a clock participant, and how long a sync waits; `status.rs`
//! what an appliance says about its replication; `routes.rs` the HTTP surface: web service, calls,
//! health, the lab's control API; `cmdlets.rs` `-LocalStore` gets and `Get-CcApplianceStatus`;
//! `remote.rs` calling a Mediation Server over HTTP.

mod appliance;
mod call;
pub(crate) mod cmdlets;
mod document;
mod gateway;
mod localstore;
mod remote;
mod replication;
pub use replication::{CONCURRENT_PULLS, CONCURRENT_REPORTS};
mod routes;
pub(crate) mod schedule;
mod status;
mod web_service;

pub use appliance::LINK_CUT;
pub use call::{CallRequest, CallResult, Direction, MediaPath, BYPASS_CODEC, TRANSCODED_CODEC};
pub use document::{rejection_reason, rejection_xml, DocumentError, HybridConfigDocument};
pub use localstore::{LocalStore, LocalStoreContentError, LocalStoreError, LocalStoreFile};
pub use remote::{ApplianceRemote, PEER};
pub use status::{ApplianceStatus, WebServiceState};
pub use web_service::{WebServiceAnswer, WebServiceReply, REASON_DISABLED, REASON_NEVER_CONFIGURED};

use crate::clock::Clock;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How one appliance is started.
#[derive(Debug, Clone)]
pub struct ApplianceConfig {
    pub name: String,
    pub site_name: String,
    pub fqdn: String,
    /// The Mediation Server's address in the topology (what DNS hands to clients).
    pub address: IpAddr,
    /// The site's PSTN gateway.
    pub gateway: IpAddr,
    /// Every gateway this Mediation Server splits calls over (`gateway` first).
    pub gateways: Vec<IpAddr>,
    /// The plan's service name: the web service answers for it and for the host of its
    /// replicated service URL.
    pub service_name: String,
    /// Base URL of the tenant, e.g. `http://127.0.0.1:41000`.
    pub tenant_url: String,
    /// This appliance's own credential towards the tenant.
    pub credential: String,
    /// The lab's control credential (status, cmdlets, clock, faults).
    pub control_token: String,
    /// The users' credential: a client places its calls with it.
    pub user_credential: String,
    /// Holds the LocalStore; survives restart and kill -9.
    pub data_dir: PathBuf,
    pub replication_window: Duration,
    /// This appliance's sync offset inside the window.
    pub sync_offset: Duration,
    /// The plan's wall-clock time at lab time 0: its cmdlets print times on the plan's clock.
    pub start_time_of_day: crate::clock::TimeOfDay,
}

/// What starting one appliance's Mediation Server takes beyond the topology and the secrets:
/// `bypass-lab serve mediation` parses it, and a lab's plan renders it back to that command line.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct MediationArgs {
    /// The appliance's name in the topology.
    #[arg(long)]
    pub appliance: String,
    /// The web service, calls and the lab's control API.
    #[arg(long, default_value = "127.0.0.1:8081")]
    pub listen: SocketAddr,
    /// The tenant's base URL.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    pub tenant: String,
    /// Holds the LocalStore (default: `.bypass-lab/appliances/<name>`).
    #[arg(long)]
    pub data: Option<PathBuf>,
}

impl MediationArgs {
    pub fn config(
        &self,
        topology: &crate::topology::Topology,
        secrets: &crate::auth::Secrets,
    ) -> Result<ApplianceConfig, MediationError> {
        appliance_config(topology, secrets, &self.appliance, &self.tenant, self.data.clone())
    }

    /// The arguments as `serve mediation` reads them.
    pub fn argv(&self) -> Vec<String> {
        let mut argv = vec![
            "--appliance".into(),
            self.appliance.clone(),
            "--listen".into(),
            self.listen.to_string(),
            "--tenant".into(),
            self.tenant.clone(),
        ];
        if let Some(data) = &self.data {
            argv.extend(["--data".into(), data.to_string_lossy().into_owned()]);
        }
        argv
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MediationError {
    #[error("no appliance named '{0}' in the topology")]
    UnknownAppliance(String),
    #[error("the secrets hold no credential for appliance '{0}' (expected one per appliance of the topology)")]
    MissingCredential(String),
    #[error("appliance {name}: LocalStore at {path}: {reason}")]
    LocalStore { name: String, path: String, reason: String },
    #[error("appliance service: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Panicked(#[from] crate::role_tasks::RolePanicked),
}

/// Runs the appliance (replication on `clock`, web service and control API on `listener`) until
/// `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    config: ApplianceConfig,
    clock: Clock,
    shutdown: CancellationToken,
) -> Result<(), MediationError> {
    MediationServer::open(config, clock)?.run(listener, shutdown).await
}

/// One appliance's Mediation Server with its LocalStore loaded. A lab keeps the handle to put
/// the appliance back as its checkpoint held it ([`MediationServer::put_back`]).
#[derive(Clone)]
pub struct MediationServer {
    appliance: Arc<appliance::Appliance>,
}

impl MediationServer {
    /// Loads the LocalStore before anything answers, so a restarted Mediation Server serves what
    /// it held at once; the first sync runs beside it once it runs.
    pub fn open(config: ApplianceConfig, clock: Clock) -> Result<MediationServer, MediationError> {
        let file = localstore::LocalStoreFile::in_dir(&config.data_dir);
        let store = file.load().map_err(|e| MediationError::LocalStore {
            name: config.name.clone(),
            path: e.path.clone(),
            reason: e.reason.clone(),
        })?;
        Ok(MediationServer { appliance: Arc::new(appliance::Appliance::new(config, clock, file, store)) })
    }

    /// Serves until `shutdown` is cancelled; replicates meanwhile.
    pub async fn run(&self, listener: TcpListener, shutdown: CancellationToken) -> Result<(), MediationError> {
        let appliance = self.appliance.clone();
        // Joined before anything can await, so an advance issued right after start waits for it.
        let participant = appliance.clock.batched_participant(format!("appliance {}", appliance.config.name));
        // Polled inside this future rather than spawned: when it is dropped (a task aborted to
        // rehearse a kill), replication stops with it and leaves the clock's barrier.
        let tasks = crate::role_tasks::RoleTasks::new(format!("appliance {}", appliance.config.name), &shutdown);
        let replicating = tasks.watch("replication", replication::replicate(appliance.clone(), participant));
        let router = tasks.router(routes::router(appliance));
        let served = crate::http::server::serve(listener, router, Default::default(), tasks.stop().clone());
        tokio::pin!(served);
        tokio::select! {
            served = &mut served => served?,
            Err(panic) = replicating => {
                // Its listener closes with the role: the health check fails from here on.
                served.await?;
                return Err(panic.into());
            }
        }
        Ok(tasks.outcome()?)
    }

    /// Its status as `GET /lab/status` answers it, read in this process (the embedded lab's
    /// own reads, which no client makes).
    pub async fn status(&self) -> ApplianceStatus {
        self.appliance.status_probed().await
    }

    /// The LocalStore as it stands (file and memory agree).
    pub fn local_store(&self) -> LocalStore {
        self.appliance.local_store()
    }

    /// Puts the appliance back as it stood when a lab's state was kept (after its first sync, or
    /// later): `store` in its LocalStore (file and memory), registered, no fault, no call
    /// taken. The clock's put-back then puts its next sync back on schedule. Only a lab put
    /// back, which puts the tenant's records back beside it, may call this, and only while no
    /// sync runs (the clock settled).
    pub fn put_back(&self, store: &LocalStore) -> Result<(), LocalStoreError> {
        self.appliance.put_back(store)
    }
}

/// The configuration of appliance `name` of a topology (sync offset seeded from the topology).
pub fn appliance_config(
    topology: &crate::topology::Topology,
    secrets: &crate::auth::Secrets,
    name: &str,
    tenant_url: &str,
    data_dir: Option<PathBuf>,
) -> Result<ApplianceConfig, MediationError> {
    // By name first: a lab of thousands configures each of its appliances this way, and the
    // general lookup renders every appliance's FQDN on its way.
    let (site, appliance) = topology
        .appliances()
        .find(|(_, a)| a.name.eq_ignore_ascii_case(name.trim()))
        .or_else(|| topology.find_appliance(name))
        .ok_or_else(|| MediationError::UnknownAppliance(name.to_string()))?;
    let credential =
        secrets.appliance(&appliance.name).ok_or_else(|| MediationError::MissingCredential(appliance.name.clone()))?;
    let window = topology.tenant.replication_window;
    Ok(ApplianceConfig {
        name: appliance.name.clone(),
        site_name: site.name.clone(),
        fqdn: topology.fqdn(appliance),
        address: appliance.address,
        gateway: site.gateway,
        gateways: topology.gateways_of(site, appliance),
        service_name: topology.tenant.service_name.clone(),
        tenant_url: tenant_url.trim_end_matches('/').to_string(),
        credential: credential.to_string(),
        control_token: secrets.control.clone(),
        user_credential: secrets.users.clone(),
        data_dir: data_dir.unwrap_or_else(|| PathBuf::from(".bypass-lab/appliances").join(&appliance.name)),
        replication_window: window,
        sync_offset: schedule::sync_offset(topology.tenant.replication_seed, &appliance.name, window),
        start_time_of_day: topology.tenant.start_time_of_day,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Secrets;
    use crate::topology::Topology;

    #[test]
    fn an_appliance_config_comes_from_the_topology_and_the_secrets() {
        let topology = Topology::seed();
        let secrets = Secrets::well_known(&topology);
        let c = appliance_config(&topology, &secrets, "sea-cce2", "http://127.0.0.1:41000/", None).unwrap();
        assert_eq!(c.site_name, "Seattle");
        assert_eq!(c.fqdn, "sea-cce2.adatum.biz");
        assert_eq!(c.address, "10.10.1.9".parse::<IpAddr>().unwrap());
        assert_eq!(c.gateway, "10.10.1.1".parse::<IpAddr>().unwrap());
        assert_eq!(c.service_name, "hybridvoice.adatum.biz");
        assert_eq!(c.tenant_url, "http://127.0.0.1:41000");
        assert_eq!(c.credential, "lab-appliance-sea-cce2");
        assert_eq!(c.control_token, "lab-control");
        assert_eq!(c.data_dir, PathBuf::from(".bypass-lab/appliances/sea-cce2"));
        assert_eq!(c.replication_window, Duration::from_secs(86_400));
        assert!(c.sync_offset < c.replication_window);
        let again = appliance_config(&topology, &secrets, "SEA-CCE2", "http://x", Some("/tmp/x".into())).unwrap();
        assert_eq!(again.sync_offset, c.sync_offset, "the offset depends on the seed and the name only");
        assert_eq!(again.data_dir, PathBuf::from("/tmp/x"));
    }

    #[test]
    fn an_unknown_appliance_is_named() {
        let topology = Topology::seed();
        let err =
            appliance_config(&topology, &Secrets::well_known(&topology), "fra-cce1", "http://x", None).unwrap_err();
        assert!(matches!(&err, MediationError::UnknownAppliance(n) if n == "fra-cce1"), "{err}");
    }
}
