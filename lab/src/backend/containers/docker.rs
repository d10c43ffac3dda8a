//! The Docker engine connection and the sweep that removes what the lab's labels mark.

use crate::backend::BackendError;
use bollard::query_parameters::{ListContainersOptions, ListNetworksOptions, ListVolumesOptions, RemoveVolumeOptions};
use bollard::Docker;
use futures::{StreamExt, TryStreamExt};
use std::collections::HashMap;

pub use super::labels::{APPLIANCE_LABEL, LAB_LABEL, ORDER_LABEL, ROLE_LABEL};

/// Connects to the local engine and agrees on an API version (the engine here speaks 1.41).
pub async fn connect() -> Result<Docker, BackendError> {
    let docker = Docker::connect_with_local_defaults().map_err(unavailable)?;
    let docker = docker.negotiate_version().await.map_err(unavailable)?;
    docker.ping().await.map_err(unavailable)?;
    Ok(docker)
}

fn unavailable(e: bollard::errors::Error) -> BackendError {
    BackendError::DockerUnavailable(e)
}

/// Wraps a Docker API failure with what was being done.
pub fn failed(doing: impl std::fmt::Display) -> impl FnOnce(bollard::errors::Error) -> BackendError {
    move |source| BackendError::Docker { action: doing.to_string(), source }
}

/// Whether the engine answered 404 (already gone) — fine when removing.
pub fn is_not_found(e: &bollard::errors::Error) -> bool {
    matches!(e, bollard::errors::Error::DockerResponseServerError { status_code: 404, .. })
}

use super::teardown::REMOVALS_AT_ONCE;

/// `label=bypass-lab.lab=<id>`.
fn filter(lab: &str) -> HashMap<String, Vec<String>> {
    HashMap::from([("label".to_string(), vec![format!("{LAB_LABEL}={lab}")])])
}

/// What a sweep removed, for progress lines.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub containers: usize,
    pub networks: usize,
    pub volumes: usize,
}

/// Removes the containers, then networks, then volumes of one lab: never more than one, so a
/// lab can only be removed by name.
pub async fn sweep(docker: &Docker, lab: &str) -> Result<Swept, BackendError> {
    let containers = docker
        .list_containers(Some(ListContainersOptions { all: true, filters: Some(filter(lab)), ..Default::default() }))
        .await
        .map_err(failed("cannot list the lab's containers"))?;
    let containers = containers.into_iter().filter_map(super::teardown::Leaving::from_summary).collect();
    let mut swept = super::teardown::take_down(docker, containers).await?;
    // What no container held: a network or volume left by an interrupted start or sweep.
    let networks = docker
        .list_networks(Some(ListNetworksOptions { filters: Some(filter(lab)) }))
        .await
        .map_err(failed("cannot list the lab's networks"))?;
    let removals = networks.into_iter().filter_map(|n| Some((docker.clone(), n.id?, n.name)));
    let removed: Vec<bool> = futures::stream::iter(removals)
        .map(|(docker, id, name)| async move { remove_network(&docker, &id, name.as_deref()).await })
        .buffer_unordered(REMOVALS_AT_ONCE)
        .try_collect()
        .await?;
    swept.networks += removed.into_iter().filter(|r| *r).count();
    let volumes = docker
        .list_volumes(Some(ListVolumesOptions { filters: Some(filter(lab)) }))
        .await
        .map_err(failed("cannot list the lab's volumes"))?;
    let removals: Vec<(Docker, String)> =
        volumes.volumes.unwrap_or_default().into_iter().map(|v| (docker.clone(), v.name)).collect();
    let removed: Vec<bool> = futures::stream::iter(removals)
        .map(|(docker, name)| async move { remove_volume(&docker, &name).await })
        .buffer_unordered(REMOVALS_AT_ONCE)
        .try_collect()
        .await?;
    swept.volumes += removed.into_iter().filter(|r| *r).count();
    Ok(swept)
}

/// Removes a network with no endpoint left (`shown` names it in messages, else `network`); one
/// already gone is fine.
pub async fn remove_network(docker: &Docker, network: &str, shown: Option<&str>) -> Result<bool, BackendError> {
    let shown = shown.unwrap_or(network);
    match docker.remove_network(network).await {
        Ok(()) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(source) if source.to_string().contains("active endpoints") => {
            let action = format!(
                "cannot remove network {shown}: the Docker engine still counts an endpoint on it that no container \
                 holds (a Docker engine fault); restart the Docker engine to clear it"
            );
            Err(BackendError::Docker { action, source })
        }
        Err(e) => Err(failed(format!("cannot remove network {shown}"))(e)),
    }
}

/// Removes a volume; one already gone is fine.
pub async fn remove_volume(docker: &Docker, name: &str) -> Result<bool, BackendError> {
    match docker.remove_volume(name, Some(RemoveVolumeOptions { force: true })).await {
        Ok(()) => Ok(true),
        Err(e) if is_not_found(&e) => Ok(false),
        Err(e) => Err(failed(format!("cannot remove volume {name}"))(e)),
    }
}

impl std::fmt::Display for Swept {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} containers, {} networks, {} volumes", self.containers, self.networks, self.volumes)
    }
}

/// Removes one lab by its id (`bypass-lab down`, `down --lab ID`). A Compose lab belongs to
/// its Compose project: `docker-compose down` removes it, never this.
pub async fn remove_lab(lab: &str) -> Result<Swept, BackendError> {
    if lab == super::compose::COMPOSE_LAB {
        return Err(BackendError::ComposeOwned);
    }
    let docker = connect().await?;
    sweep(&docker, lab).await
}

/// Sweeps one lab from a plain thread: usable from `Drop`, even inside a runtime.
pub fn sweep_blocking(lab: String) {
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        runtime.block_on(async {
            let docker = connect().await.ok()?;
            sweep(&docker, &lab).await.ok()
        })
    });
    let _ = worker.join();
}

#[cfg(test)]
mod tests {
    #[tokio::test]
    async fn a_compose_lab_is_never_removed_by_id() {
        let refused = super::remove_lab(super::super::compose::COMPOSE_LAB).await;
        assert!(matches!(refused, Err(crate::backend::BackendError::ComposeOwned)), "{refused:?}");
    }
}
