//! Resetting an embedded lab: it is put back as it stood the moment it became ready, instead of
//! being stopped and another started (docs/design/backends.md, "Reset in place").
//!
//! A fresh lab's state is what its start left: the tenant's store with every appliance
//! registered and its first contact, every LocalStore after its first sync, lab time zero, DNS
//! servers configured from the plan, no client signed in. The tenant's store and the LocalStores
//! are kept when the lab becomes ready and put back; DNS servers and the client host start
//! afresh from the plan. Appliances are put back in place, still serving: restarting thousands
//! of them, or repeating their first syncs, would cost as much as a start.

use super::Embedded;
use crate::backend::BackendError;
use crate::mediation::LocalStore;
use crate::tenant::{TenantRemote, TenantState};
use std::collections::BTreeMap;

pub struct Checkpoint {
    tenant: TenantState,
    appliances: BTreeMap<String, LocalStore>,
}

impl Embedded {
    /// Keeps what [`Embedded::put_back`] restores. Called once the lab is ready: every
    /// appliance has synced and the tenant has recorded it.
    pub(super) async fn take_checkpoint(&self) -> Result<(), BackendError> {
        let tenant = TenantRemote::new(self.endpoints.tenant.clone(), self.secrets.admin.clone());
        let configuration = tenant.configuration().await?;
        let appliances = tenant.appliances().await?;
        let tenant = TenantState {
            configuration,
            appliances: appliances.into_iter().map(|r| (r.name.to_ascii_lowercase(), r)).collect(),
        };
        let appliances = self.appliances.checkpoint().await;
        *self.checkpoint.lock().await = Some(Checkpoint { tenant, appliances });
        Ok(())
    }

    /// Puts the kept state back and lab time at zero, and serves the tenant, DNS servers and
    /// client host again on the same ports. The caller then waits for readiness as after a start.
    pub(super) async fn put_back(&self) -> Result<(), BackendError> {
        let checkpoint = self.checkpoint.lock().await;
        let checkpoint = checkpoint.as_ref().ok_or(BackendError::NoReset)?;
        // Work the last scenario left in flight (a step that gave up mid-advance) ends first.
        self.clock.settle().await?;
        self.client_host.stop().await;
        for server in self.dns_roles.iter() {
            server.stop().await;
        }
        self.tenant.stop().await;
        self.appliances.restore(&checkpoint.appliances).await?;
        self.clock.rewind();

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
        self.client_host.serve_again().await
    }
}

fn lost(part: &str, reason: &str) -> BackendError {
    BackendError::Checkpoint { part: part.into(), reason: reason.into() }
}
