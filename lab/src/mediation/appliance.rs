//! One running appliance: its configuration, LocalStore, link to the tenant and replication
//! state, shared by the web service, the control API and the replication task.

use super::localstore::{LocalStore, LocalStoreFile};
use super::status::{ApplianceStatus, WebServiceState};
use super::ApplianceConfig;
use crate::clock::Clock;
use crate::http::{RemoteError, RemoteErrorKind};
use crate::tenant::TenantRemote;
use crate::tenant::{ApplianceContact, ApplianceRecord, ApplianceRegistration};
use std::collections::BTreeSet;
use std::net::IpAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

pub const LINK_CUT: &str = "the link to the tenant is cut";
/// How long a status read waits for the tenant before calling the link down.
const LINK_PROBE_TIMEOUT: Duration = Duration::from_secs(2);
pub const NOT_YET_CONTACTED: &str = "the appliance has not contacted the tenant yet";

/// Cheap to share: handlers and the replication task hold it in an `Arc`.
pub struct Appliance {
    pub config: ApplianceConfig,
    pub clock: Clock,
    tenant: TenantRemote,
    /// Holds the lab's pool of connections to the tenant open while this appliance runs.
    _pool: Option<crate::http::pool::PooledClient>,
    file: LocalStoreFile,
    /// The in-memory LocalStore; the file is its durable twin, written before this is replaced.
    store: Mutex<LocalStore>,
    /// A sync has written the file since the last [`Appliance::put_back`] (or none was done):
    /// until one does, the file still holds what that put back.
    written_since_put_back: AtomicBool,
    /// Set by `POST /lab/link` (the embedded backend's fault): syncs fail without sending.
    link_cut: AtomicBool,
    replication: Mutex<Replication>,
    /// Gateways stopped by the lab's fault (`fault stop gateway`): calls fail over past them.
    gateways_down: Mutex<BTreeSet<IpAddr>>,
    /// Calls taken so far: splits them over the gateways.
    calls: AtomicU64,
}

/// What the last sync attempts left behind, for `Get-CcApplianceStatus`.
#[derive(Debug, Clone)]
struct Replication {
    registered: bool,
    tenant_reachable: bool,
    tenant_error: Option<String>,
    last_successful_sync: Option<Duration>,
    next_sync: Duration,
}

impl Appliance {
    pub fn new(config: ApplianceConfig, clock: Clock, file: LocalStoreFile, store: LocalStore) -> Appliance {
        // The lab's appliances share kept-alive connections to their tenant when it is on
        // loopback: a sync is then two requests, not two connections as well.
        let pool = crate::http::pool::for_peer_keeping(&config.tenant_url, crate::http::pool::TO_TENANT);
        let mut tenant = TenantRemote::new(&config.tenant_url, &config.credential)
            .with_timeout(super::replication::TENANT_REQUEST_TIMEOUT);
        if let Some(pool) = &pool {
            tenant = tenant.with_http(pool.http());
        }
        let replication = Replication {
            registered: false,
            tenant_reachable: false,
            tenant_error: Some(NOT_YET_CONTACTED.into()),
            last_successful_sync: store.synced_at,
            next_sync: Duration::ZERO,
        };
        Appliance {
            config,
            clock,
            tenant,
            _pool: pool,
            file,
            store: Mutex::new(store),
            written_since_put_back: AtomicBool::new(true),
            link_cut: AtomicBool::new(false),
            replication: Mutex::new(replication),
            gateways_down: Mutex::new(BTreeSet::new()),
            calls: AtomicU64::new(0),
        }
    }

    /// A snapshot of the LocalStore.
    pub fn local_store(&self) -> LocalStore {
        self.store.lock().unwrap().clone()
    }

    pub fn set_link(&self, up: bool) {
        self.link_cut.store(!up, Ordering::SeqCst);
    }

    /// Marks one of this Mediation Server's gateways down or up; `false` when it has no such gateway.
    pub fn set_gateway(&self, gateway: IpAddr, up: bool) -> bool {
        if !self.config.gateways.contains(&gateway) {
            return false;
        }
        let mut down = self.gateways_down.lock().unwrap();
        if up {
            down.remove(&gateway);
        } else {
            down.insert(gateway);
        }
        true
    }

    /// The gateway for the next call and the ones it failed over; `Err` lists them all when
    /// every gateway is down.
    pub fn next_gateway(&self) -> Result<(IpAddr, Vec<IpAddr>), Vec<IpAddr>> {
        let call_number = self.calls.fetch_add(1, Ordering::SeqCst);
        let down = self.gateways_down.lock().unwrap().clone();
        super::gateway::pick_gateway(&self.config.gateways, &down, call_number)
    }

    /// See [`super::MediationServer::put_back`].
    pub fn put_back(&self, store: &LocalStore) -> Result<(), super::LocalStoreError> {
        // A lab reset puts thousands of appliances back: where no sync wrote the file since the
        // last reset, it still holds what is put back, and is left as it is.
        let written = self.written_since_put_back.load(Ordering::SeqCst);
        if written || *self.store.lock().unwrap() != *store {
            self.file.save(store)?;
        }
        self.written_since_put_back.store(false, Ordering::SeqCst);
        *self.store.lock().unwrap() = store.clone();
        let mut r = self.replication.lock().unwrap();
        r.registered = true;
        r.tenant_reachable = true;
        r.tenant_error = None;
        r.last_successful_sync = store.synced_at;
        drop(r);
        self.link_cut.store(false, Ordering::SeqCst);
        self.gateways_down.lock().unwrap().clear();
        self.calls.store(0, Ordering::SeqCst);
        Ok(())
    }

    pub fn set_next_sync(&self, at: Duration) {
        self.replication.lock().unwrap().next_sync = at;
    }

    /// One sync at lab time `now`: register if needed, pull, write the LocalStore, report the
    /// contact. A failure is recorded in the status and retried at the next scheduled time.
    pub async fn sync(&self, now: Duration) {
        let outcome = self.try_sync(now).await;
        let mut r = self.replication.lock().unwrap();
        match outcome {
            Ok(()) => {
                r.tenant_reachable = true;
                r.tenant_error = None;
                r.last_successful_sync = Some(now);
            }
            Err(failure) => {
                tracing::debug!(appliance = %self.config.name, "sync failed: {}", failure.message);
                r.tenant_reachable = failure.tenant_answered;
                r.tenant_error = Some(failure.message);
                if failure.forget_registration {
                    r.registered = false;
                }
            }
        }
    }

    async fn try_sync(&self, now: Duration) -> Result<(), SyncFailure> {
        let pulling = super::replication::pull_slot().await;
        if !self.replication.lock().unwrap().registered {
            self.link()?;
            let registration = self.registration(false);
            self.tenant.register(&registration).await.map_err(SyncFailure::from_tenant)?;
            self.replication.lock().unwrap().registered = true;
        }
        self.link()?;
        let configuration = self.tenant.pull(&self.config.name).await.map_err(SyncFailure::from_tenant)?;
        let version = configuration.version;
        let updated = self.local_store().replicated(configuration, now);
        self.keep(updated).map_err(|e| SyncFailure {
            message: format!("the tenant answered but the LocalStore could not be written: {e}"),
            tenant_answered: true,
            forget_registration: false,
        })?;
        drop(pulling);
        let _reporting = super::replication::report_slot().await;
        self.link()?;
        let contact = ApplianceContact { name: self.config.name.clone(), at: now, replicated_version: version };
        self.tenant.report_contact(&contact).await.map_err(SyncFailure::from_tenant)
    }

    /// Makes `updated` the LocalStore, file first. A copy that brings nothing new but the sync's
    /// time only stamps the file with it.
    fn keep(&self, updated: LocalStore) -> Result<(), super::LocalStoreError> {
        let current = self.local_store();
        let unchanged = updated.configuration == current.configuration
            && updated.bypass_ever_enabled == current.bypass_ever_enabled;
        self.written_since_put_back.store(true, Ordering::SeqCst);
        match (unchanged, updated.synced_at) {
            (true, Some(at)) => self.file.stamp(at).or_else(|_| self.file.save(&updated))?,
            _ => self.file.save(&updated)?,
        }
        *self.store.lock().unwrap() = updated;
        Ok(())
    }

    fn registration(&self, explicit: bool) -> ApplianceRegistration {
        ApplianceRegistration {
            name: self.config.name.clone(),
            site_name: self.config.site_name.clone(),
            fqdn: self.config.fqdn.clone(),
            address: self.config.address,
            explicit,
        }
    }

    /// `Register-CcAppliance`: registers with the tenant now; refused when already registered.
    pub async fn register(&self) -> Result<ApplianceRecord, RemoteError> {
        let record = self.tenant.register(&self.registration(true)).await?;
        self.replication.lock().unwrap().registered = true;
        Ok(record)
    }

    /// `Unregister-CcAppliance`: the tenant keeps the record, marked unregistered; syncs stop
    /// until the appliance registers again.
    pub async fn unregister(&self) -> Result<ApplianceRecord, RemoteError> {
        let record = self.tenant.unregister(&self.config.name).await?;
        self.replication.lock().unwrap().registered = false;
        Ok(record)
    }

    fn link(&self) -> Result<(), SyncFailure> {
        if self.link_cut.load(Ordering::SeqCst) {
            return Err(SyncFailure { message: LINK_CUT.into(), tenant_answered: false, forget_registration: false });
        }
        Ok(())
    }

    /// Whether the tenant can be reached right now, asked when the status is read: the last
    /// sync may be a day old, and a cut or healed link must show at once.
    pub async fn probe_link(&self) -> bool {
        self.link().is_ok() && self.tenant.reachable(LINK_PROBE_TIMEOUT).await.is_ok()
    }

    /// `Get-CcApplianceStatus` as `GET /lab/status` answers it: with the tenant probed now.
    pub async fn status_probed(&self) -> ApplianceStatus {
        let mut status = self.status();
        status.tenant_link_up = Some(self.probe_link().await);
        status
    }

    /// `Get-CcApplianceStatus`.
    pub fn status(&self) -> ApplianceStatus {
        let store = self.local_store();
        let r = self.replication.lock().unwrap().clone();
        let settings =
            store.configuration.as_ref().map(|c| c.network.media_bypass_settings.clone()).unwrap_or_default();
        ApplianceStatus {
            appliance_name: self.config.name.clone(),
            site_name: self.config.site_name.clone(),
            mediation_server_fqdn: self.config.fqdn.clone(),
            mediation_server_ip_address: self.config.address,
            tenant_reachable: r.tenant_reachable,
            tenant_link_up: None,
            tenant_error: r.tenant_error,
            last_successful_sync: r.last_successful_sync,
            next_sync: r.next_sync,
            replicated_version: store.version(),
            web_service_state: if settings.enabled { WebServiceState::Serving } else { WebServiceState::Rejecting },
            bypass_enabled: settings.enabled,
            always_bypass: settings.always_bypass,
            bypass_id: settings.bypass_id,
        }
    }
}

/// Why a sync stopped, as the status will show it.
struct SyncFailure {
    message: String,
    /// The tenant answered (refusal, bad answer, local write failure): it is reachable.
    tenant_answered: bool,
    /// A refusal may mean the tenant no longer knows this appliance: register again next time.
    forget_registration: bool,
}

impl SyncFailure {
    fn from_tenant(e: RemoteError) -> SyncFailure {
        let (tenant_answered, forget_registration) = match &e.kind {
            RemoteErrorKind::Unreachable { .. } => (false, false),
            RemoteErrorKind::Refused { .. } => (true, true),
            RemoteErrorKind::Malformed(_) => (true, false),
        };
        SyncFailure { message: e.to_string(), tenant_answered, forget_registration }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::auth::Secrets;
    use crate::tenant::TenantConfiguration;
    use crate::topology::Topology;
    use std::os::unix::fs::MetadataExt;

    fn appliance(dir: &std::path::Path) -> Appliance {
        let topology = Topology::seed();
        let secrets = Secrets::well_known(&topology);
        let config =
            super::super::appliance_config(&topology, &secrets, "sea-cce1", "http://127.0.0.1:9", Some(dir.into()))
                .unwrap();
        let file = LocalStoreFile::in_dir(dir);
        let store = file.load().unwrap();
        Appliance::new(config, Clock::new(), file, store)
    }

    fn configuration(version: u64, enabled: bool) -> TenantConfiguration {
        let mut c = TenantConfiguration { version, ..Default::default() };
        c.network.media_bypass_settings.enabled = enabled;
        c
    }

    #[test]
    fn a_put_back_rewrites_the_file_only_when_a_sync_wrote_it_since() {
        let dir = tempfile::tempdir().unwrap();
        let a = appliance(dir.path());
        let checkpoint = LocalStore::default().replicated(configuration(1, false), Duration::ZERO);
        let file = a.file.path().to_path_buf();
        let inode = || std::fs::metadata(&file).unwrap().ino();

        a.put_back(&checkpoint).unwrap();
        assert_eq!(a.file.load().unwrap(), checkpoint);
        let first = inode();
        a.put_back(&checkpoint).unwrap();
        assert_eq!(inode(), first, "nothing wrote the file since: it is left as it is");

        // A sync that brings a change replaces the file; the next put back writes it again.
        a.keep(checkpoint.replicated(configuration(2, true), Duration::from_secs(60))).unwrap();
        assert_eq!(a.file.load().unwrap().version(), Some(2));
        a.put_back(&checkpoint).unwrap();
        assert_eq!(a.file.load().unwrap(), checkpoint);
        assert_eq!(a.local_store(), checkpoint);

        // A sync that only stamps its time is a write too.
        a.keep(checkpoint.replicated(configuration(1, false), Duration::from_secs(86_400))).unwrap();
        assert_eq!(a.file.load().unwrap().synced_at, Some(Duration::from_secs(86_400)));
        a.put_back(&checkpoint).unwrap();
        assert_eq!(a.file.load().unwrap(), checkpoint, "the stamp went with the rewrite");
    }
}
