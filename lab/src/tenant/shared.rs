//! The tenant's live state: the stored document, the store it is committed to, and a
//! generation counter long-polling readers wait on.

use super::api_error::ApiError;
use super::store::{Store, TenantState};
use crate::auth::Secrets;
use crate::topology::Topology;
use std::sync::Arc;
use tokio::sync::{watch, Mutex};
use tokio_util::sync::CancellationToken;

#[derive(Clone)]
pub struct Tenant {
    inner: Arc<Inner>,
}

struct Inner {
    /// Held across the commit, so changes are applied and stored one at a time.
    state: Mutex<TenantState>,
    store: Store,
    /// Bumped after every committed change; waiters re-check their condition.
    generation: watch::Sender<u64>,
    topology: Topology,
    secrets: Secrets,
    /// Cancels long polls when the tenant stops, so shutdown does not wait for them.
    shutdown: CancellationToken,
}

impl Tenant {
    pub fn new(state: TenantState, store: Store, topology: Topology, secrets: Secrets, shutdown: CancellationToken) -> Tenant {
        Tenant {
            inner: Arc::new(Inner {
                state: Mutex::new(state),
                store,
                generation: watch::Sender::new(0),
                topology,
                secrets,
                shutdown,
            }),
        }
    }

    pub fn topology(&self) -> &Topology {
        &self.inner.topology
    }

    pub fn secrets(&self) -> &Secrets {
        &self.inner.secrets
    }

    pub fn shutdown(&self) -> &CancellationToken {
        &self.inner.shutdown
    }

    pub async fn snapshot(&self) -> TenantState {
        self.inner.state.lock().await.clone()
    }

    /// Notified after each committed change.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.inner.generation.subscribe()
    }

    /// Applies `change` to a copy, commits the copy durably, and only then makes it current;
    /// a change that fails (validation or store) leaves nothing behind.
    pub async fn update<T>(&self, change: impl FnOnce(&mut TenantState) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let mut current = self.inner.state.lock().await;
        let mut next = current.clone();
        let answer = change(&mut next)?;
        self.inner.store.save(&next).await?;
        *current = next;
        drop(current);
        self.inner.generation.send_modify(|g| *g += 1);
        Ok(answer)
    }
}
