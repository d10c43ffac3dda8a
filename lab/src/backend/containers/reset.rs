//! Putting a running containers lab back as a fresh start of the same plan leaves it, so one lab
//! serves many scenarios. Each role's process (`bypass-lab serve`) runs its role under a small
//! supervisor listening on [`SUPERVISOR_PORT`]: `POST /lab/reset`, with the lab's control
//! credential, stops the role, empties its data directory and starts it again from the same
//! spec on the same sockets, and answers once the new instance listens. Client hosts are not
//! part of a fresh lab: they are removed. See `docs/design/containers.md`.

use std::time::Duration;
#[cfg(feature = "containers")]
use {
    super::docker::{failed, is_not_found},
    super::Containers,
    crate::backend::role_plan::{self, Sources},
    crate::backend::{BackendError, DnsStart},
    crate::http::ControlClient,
    bollard::models::NetworkDisconnectRequest,
    bollard::query_parameters::{RemoveContainerOptions, RemoveVolumeOptions},
    std::net::SocketAddr,
};

/// The supervisor's port in every role's container, beside the role's own.
pub const SUPERVISOR_PORT: u16 = 9099;
/// The environment variable that gives `serve` its supervisor's socket; without it, `serve`
/// runs the role once (tests, Compose).
pub const SUPERVISOR_ENV: &str = "BYPASS_LAB_SUPERVISOR";
/// How long one role may take to stop, be wiped and listen again.
pub const RESET_DEADLINE: Duration = Duration::from_secs(20);

/// `POST /lab/reset`'s answer: the instance now serving, counted from 1 at the container's start,
/// so a caller knows it talks to the new instance and not the old.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ResetDone {
    pub generation: u64,
}

#[cfg(feature = "containers")]
impl Containers {
    /// Every role back to its first instant: the tenant first (appliances register with it as
    /// they start), then the DNS server and the appliances at once, while the client hosts go.
    pub(super) async fn reset_roles(&self) -> Result<(), BackendError> {
        self.check_present().await?;
        let control = self.state.lock().unwrap().secrets.control.clone();
        // Every role the plan starts, as it starts them: a role added to the plan is reset too.
        let specs = role_plan::on_networks(self.plan(), DnsStart::Planned, &Sources::in_container());
        let supervisors = specs
            .iter()
            .map(|spec| {
                let at = spec.health.ok_or_else(|| BackendError::NoHealthAddress { container: spec.name.clone() })?;
                let base = format!("http://{}", SocketAddr::new(at.ip(), SUPERVISOR_PORT));
                let peer = format!("the supervisor of {}", spec.name);
                Ok(ControlClient::new(peer, base, control.clone()).with_timeout(RESET_DEADLINE))
            })
            .collect::<Result<Vec<_>, BackendError>>()?;
        let (tenant, others) = supervisors.split_first().expect("a plan starts with the tenant");
        let roles = async {
            reset_one(tenant).await?;
            futures::future::try_join_all(others.iter().map(reset_one)).await.map(drop)
        };
        let (roles, clients) = tokio::join!(roles, self.remove_client_hosts());
        roles.and(clients)
    }

    /// Removes every client host (container and volume) and forgets it.
    async fn remove_client_hosts(&self) -> Result<(), BackendError> {
        let clients: Vec<String> = {
            let mut s = self.state.lock().unwrap();
            let urls: Vec<String> = s.endpoints.clients.values().cloned().collect();
            s.endpoints.clocks.retain(|u| !urls.contains(u));
            s.endpoints.clients.clear();
            std::mem::take(&mut s.clients).into_values().collect()
        };
        for name in clients {
            // Disconnected first, as a sweep does: a stale endpoint would hold the network.
            if let Ok(inspected) = self.docker.inspect_container(&name, None).await {
                let networks = inspected.network_settings.and_then(|n| n.networks).unwrap_or_default();
                for network in networks.keys() {
                    let request = NetworkDisconnectRequest { container: name.clone(), force: Some(true) };
                    let _ = self.docker.disconnect_network(network, request).await;
                }
            }
            let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
            match self.docker.remove_container(&name, Some(options)).await {
                Ok(()) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(failed(format!("cannot remove client host {name}"))(e)),
            }
            match self.docker.remove_volume(&name, Some(RemoveVolumeOptions { force: true })).await {
                Ok(()) => {}
                Err(e) if is_not_found(&e) => {}
                Err(e) => return Err(failed(format!("cannot remove volume {name}"))(e)),
            }
        }
        Ok(())
    }
}

#[cfg(feature = "containers")]
async fn reset_one(supervisor: &ControlClient) -> Result<ResetDone, BackendError> {
    supervisor
        .post::<_, ResetDone>("/lab/reset", &serde_json::json!({}))
        .await
        .map_err(|source| BackendError::ResetRefused { role: supervisor.peer().to_string(), source })
}
