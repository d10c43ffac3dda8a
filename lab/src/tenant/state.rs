//! The tenant's live state, the store it is committed to, and a generation counter
//! long-polling readers wait on.
//!
//! Every change is committed durably before it becomes visible or is answered. Configuration
//! changes are committed one at a time. Appliance records (registrations, contact reports: up to
//! 3,200 appliances syncing within moments of each other) go through a group committer that
//! writes everything pending in one transaction, so a burst costs a few disk syncs, not thousands.

use super::access::Credentials;
use super::api_error::ApiError;
use super::model::{ApplianceRecord, TenantConfiguration};
use super::store::{Store, TenantState};
use crate::auth::Secrets;
use crate::role_tasks::RoleTasks;
use crate::topology::Topology;
use axum::http::StatusCode;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot, watch};
use tokio_util::sync::CancellationToken;

/// At most this many records go into one group commit.
const GROUP_COMMIT_MAX: usize = 4096;

/// Ends once the last handle to the tenant is dropped and its committer has let go of the
/// store: the file is then closed, as a restart or a copy of it needs.
pub type Closed = tokio::task::JoinHandle<Result<(), crate::role_tasks::RolePanicked>>;

type Pending = (String, ApplianceRecord, oneshot::Sender<Result<(), String>>);

#[derive(Clone)]
pub struct Tenant {
    inner: Arc<Inner>,
}

struct Inner {
    /// Only ever held briefly, never across an await.
    state: Mutex<TenantState>,
    store: Store,
    /// Serialises configuration changes across their commit.
    configuration_writer: tokio::sync::Mutex<()>,
    /// One writer per appliance, held from reading its record to making the committed one
    /// current: two writers for one appliance never build from the same snapshot, so every
    /// acknowledgement is what is stored and an identity is created once. Writers for different
    /// appliances still share group commits. Keys are the topology's appliances (only they hold
    /// credentials), so the map stays small.
    appliance_writers: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    committer: mpsc::UnboundedSender<Pending>,
    /// Bumped after every committed change; waiters re-check their condition.
    generation: watch::Sender<u64>,
    topology: Topology,
    /// The topology's appliances as records are keyed (lower-case names), computed once: a long
    /// poll checks them all on every committed change.
    appliance_keys: Vec<String>,
    credentials: Credentials,
    /// Cancels long polls when the tenant stops, so shutdown does not wait for them.
    shutdown: CancellationToken,
    /// The committer and the commits, watched: a panic in them stops the tenant.
    tasks: RoleTasks,
}

impl Tenant {
    pub fn new(
        state: TenantState,
        store: Store,
        topology: Topology,
        secrets: Secrets,
        tasks: RoleTasks,
    ) -> (Tenant, Closed) {
        let (committer, pending) = mpsc::unbounded_channel();
        let closed = tasks.spawn("the group committer", group_commit(store.clone(), pending, tasks.clone()));
        let tenant = Tenant {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                store,
                configuration_writer: tokio::sync::Mutex::new(()),
                appliance_writers: Mutex::new(HashMap::new()),
                committer,
                generation: watch::Sender::new(0),
                appliance_keys: appliance_keys(&topology),
                topology,
                credentials: Credentials::new(secrets),
                shutdown: tasks.stop().clone(),
                tasks,
            }),
        };
        (tenant, closed)
    }

    pub fn topology(&self) -> &Topology {
        &self.inner.topology
    }

    /// Every appliance of the topology that the plan registers, keyed as its record is.
    pub fn appliance_keys(&self) -> &[String] {
        &self.inner.appliance_keys
    }

    pub fn credentials(&self) -> &Credentials {
        &self.inner.credentials
    }

    pub fn shutdown(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    pub fn configuration(&self) -> TenantConfiguration {
        self.inner.state.lock().unwrap().configuration.clone()
    }

    pub fn appliances(&self) -> Vec<ApplianceRecord> {
        self.inner.state.lock().unwrap().appliances.values().cloned().collect()
    }

    /// Reads the state without copying it.
    pub fn with_state<R>(&self, read: impl FnOnce(&TenantState) -> R) -> R {
        read(&self.inner.state.lock().unwrap())
    }

    /// Notified after each committed change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.generation.subscribe()
    }

    /// Applies `change` to a copy of the configuration, commits the copy durably, and only then
    /// makes it current; a change that fails (validation or store) leaves nothing behind.
    pub async fn update_configuration<T>(
        &self,
        change: impl FnOnce(&mut TenantConfiguration) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let _writer = self.inner.configuration_writer.lock().await;
        let mut next = self.configuration();
        let answer = change(&mut next)?;
        let (store, committed) = (self.inner.store.clone(), next.clone());
        self.inner
            .tasks
            .blocking("the configuration's commit", move || store.save_configuration(&committed))
            .await
            .map_err(super::TenantError::from)??;
        self.inner.state.lock().unwrap().configuration = next;
        self.inner.generation.send_modify(|g| *g += 1);
        Ok(answer)
    }

    /// Builds the appliance's new record from its current one (None: not registered), commits it
    /// durably, and only then makes it current; one appliance's updates run one after another.
    pub async fn update_appliance(
        &self,
        name: &str,
        change: impl FnOnce(Option<&ApplianceRecord>) -> Result<ApplianceRecord, ApiError>,
    ) -> Result<ApplianceRecord, ApiError> {
        let key = name.to_ascii_lowercase();
        let writer = self.inner.appliance_writers.lock().unwrap().entry(key.clone()).or_default().clone();
        let _writer = writer.lock().await;
        let record = self.with_state(|s| change(s.appliances.get(&key)))?;
        let (done, committed) = oneshot::channel();
        let stopped = || ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "the tenant is stopping");
        self.inner.committer.send((key.clone(), record.clone(), done)).map_err(|_| stopped())?;
        committed
            .await
            .map_err(|_| stopped())?
            .map_err(|reason| ApiError::from(super::TenantError::Store { path: "tenant.redb".into(), reason }))?;
        self.inner.state.lock().unwrap().appliances.insert(key, record.clone());
        self.inner.generation.send_modify(|g| *g += 1);
        Ok(record)
    }
}

/// The topology's appliances that sync, as their records are keyed, each once: one the plan
/// leaves unregistered (`registered = false`) or cut off (`cut = true`) is never waited for.
fn appliance_keys(topology: &Topology) -> Vec<String> {
    let mut keys: Vec<String> =
        topology.appliances().filter(|(_, a)| Topology::syncs(a)).map(|(_, a)| a.name.to_ascii_lowercase()).collect();
    keys.sort();
    keys.dedup();
    keys
}

/// Writes everything pending in one transaction, then answers every waiter.
async fn group_commit(store: Store, mut pending: mpsc::UnboundedReceiver<Pending>, tasks: RoleTasks) {
    while let Some(first) = pending.recv().await {
        let mut batch = vec![first];
        // What is pending now, and what arrives while the other ready tasks (tenant handlers
        // with contacts of their own) get one turn: the batch stops growing when a turn brings
        // nothing. Each commit costs the same however few records it holds.
        let mut turns = 0;
        loop {
            let before = batch.len();
            while batch.len() < GROUP_COMMIT_MAX {
                match pending.try_recv() {
                    Ok(next) => batch.push(next),
                    Err(_) => break,
                }
            }
            if batch.len() >= GROUP_COMMIT_MAX || (turns > 0 && batch.len() == before) {
                break;
            }
            turns += 1;
            tokio::task::yield_now().await;
        }
        let records: Vec<(String, ApplianceRecord)> = batch.iter().map(|(k, r, _)| (k.clone(), r.clone())).collect();
        let writer = store.clone();
        let outcome = tasks
            .blocking("the appliance records' group commit", move || writer.save_appliances(&records))
            .await
            .unwrap_or_else(|panic| Err(panic.to_string()));
        for (_, _, done) in batch {
            let _ = done.send(outcome.clone());
        }
    }
}
