//! Resetting an embedded lab: it is put back as it stood the moment it became ready, instead of
//! being stopped and another started (docs/design/backends.md, "Reset in place"); and putting it
//! back as it stood at another moment kept on the way ("Kept states").
//!
//! A fresh lab's state is what its start left: the tenant's store with every appliance
//! registered and its first contact, every LocalStore after its first sync, lab time zero, DNS
//! servers configured from the plan, no client signed in. The tenant's store, the LocalStores and
//! lab time are kept (when the lab becomes ready, and when asked) and put back; DNS servers and
//! the client host start afresh from the plan. Appliances are put back in place, still serving:
//! restarting thousands of them, or repeating their syncs, would cost as much as a start.

use super::Embedded;
use crate::backend::BackendError;
use crate::mediation::LocalStore;
use crate::tenant::{TenantRemote, TenantState};
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The label of the state the lab became ready in, which a reset puts back.
pub const START: &str = "";

pub struct Checkpoint {
    tenant: TenantState,
    appliances: Arc<BTreeMap<String, LocalStore>>,
    at: Duration,
}

impl Embedded {
    /// Keeps what [`Embedded::restore_checkpoint`] restores under `label`, replacing what it held. The
    /// clock must be settled: every appliance has done its syncs due so far, and the tenant has
    /// recorded them.
    pub(super) async fn take_checkpoint(&self, label: &str) -> Result<(), BackendError> {
        let at = self.clock.now();
        let tenant = TenantRemote::new(self.endpoints.tenant.clone(), self.secrets.admin.clone());
        let configuration = tenant.configuration().await?;
        let appliances = tenant.appliances().await?;
        let tenant = TenantState {
            configuration,
            appliances: appliances.into_iter().map(|r| (r.name.to_ascii_lowercase(), r)).collect(),
        };
        let appliances = Arc::new(self.appliances.checkpoint().await);
        self.checkpoints.lock().await.insert(label.to_string(), Checkpoint { tenant, appliances, at });
        Ok(())
    }

    /// Puts the state kept under `label` back, lab time with it, and serves the tenant, DNS
    /// servers and client host again on the same ports; false when nothing is kept under it.
    /// The caller then waits for readiness as after a start.
    pub(super) async fn restore_checkpoint(&self, label: &str) -> Result<bool, BackendError> {
        let checkpoints = self.checkpoints.lock().await;
        let Some(checkpoint) = checkpoints.get(label) else { return Ok(false) };
        // Work the last scenario left in flight (a step that gave up mid-advance) ends first.
        self.clock.settle().await?;
        self.client_host.stop().await;
        for server in self.dns_roles.iter() {
            server.stop().await;
        }
        self.tenant.stop().await;
        self.appliances.restore(&checkpoint.appliances).await?;
        self.clock.put_back_to(checkpoint.at);

        let tenant_data = self.tenant.data_dir().ok_or_else(|| lost("the tenant", "it has no data directory"))?;
        crate::tenant::Store::replace_with(tenant_data, &checkpoint.tenant)
            .map_err(|e| lost("the tenant", &e.to_string()))?;
        self.tenant.serve_again().await?;
        // A new forest: nothing any server wrote to AD survives, on any server.
        let directory = crate::dns::Directory::new(self.ad_replication_delay);
        for server in self.dns_roles.iter() {
            server.reset(&directory).await?;
        }
        if let Some(clients) = self.client_host.data_dir() {
            match std::fs::remove_dir_all(clients) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                    return Err(lost("the client host", &format!("cannot empty {}: {e}", clients.display())))
                }
                _ => {}
            }
        }
        self.client_host.serve_again().await?;
        Ok(true)
    }
}

fn lost(part: &str, reason: &str) -> BackendError {
    BackendError::Checkpoint { part: part.into(), reason: reason.into() }
}
