//! How a sweep takes a lab's containers down: each leaves its networks one container at a time
//! on any one network (networks side by side), and is removed, with its volumes, as soon as it
//! has left them all, while the others are still leaving; a network is removed as soon as its
//! last container has left it.
//!
//! Why one at a time per network: Docker 20.10 counts a network's endpoints in a counter that
//! concurrent endpoint removals on that network can leave too high, and a network whose counter
//! is too high can never be removed (nor its subnet used again) until the engine restarts.
//! Killing or removing connected containers at once removes their endpoints at once, so nothing
//! is killed or removed while it is still connected.
//!
//! Why removals start early: every container is on the online network, whose endpoints leave
//! one by one, so that network sets the pace; removing each container once it is free overlaps
//! the engine's slow part of a removal (its process killed, its file system unmounted) with
//! the others' leaving, instead of waiting for the last one to leave; the sites' networks, left
//! early, go meanwhile too. See "Labels and sweeping" in `docs/design/containers.md`.

use super::docker::{failed, is_not_found, remove_network, remove_volume, Swept};
use crate::backend::BackendError;
use bollard::models::{ContainerSummary, NetworkDisconnectRequest};
use bollard::query_parameters::RemoveContainerOptions;
use bollard::Docker;
use futures::{StreamExt, TryStreamExt};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio::sync::mpsc;

/// How many containers are removed at once: enough to keep the engine busy on two cores, few
/// enough that it does not queue hundreds of requests (200 Mediation Servers removed one at a
/// time took 123 s).
pub const REMOVALS_AT_ONCE: usize = 8;

/// A container of the lab as the sweep finds it.
pub struct Leaving {
    pub id: String,
    /// The networks it is on, by name.
    pub networks: Vec<String>,
    /// The named volumes it mounts (its role's data).
    pub volumes: Vec<String>,
}

impl Leaving {
    pub fn from_summary(c: ContainerSummary) -> Option<Leaving> {
        let networks = c.network_settings.and_then(|n| n.networks).unwrap_or_default().into_keys().collect();
        let volumes = c
            .mounts
            .unwrap_or_default()
            .into_iter()
            .filter(|m| m.typ.as_deref() == Some("volume"))
            .filter_map(|m| m.name)
            .collect();
        Some(Leaving { id: c.id?, networks, volumes })
    }
}

/// Takes down `containers`, their networks and their volumes, and says how many of each were
/// removed (not already gone).
pub async fn take_down(docker: &Docker, containers: Vec<Leaving>) -> Result<Swept, BackendError> {
    let (free, freed) = mpsc::unbounded_channel::<(String, Vec<String>)>();
    let mut by_network: HashMap<String, Vec<String>> = HashMap::new();
    let mut still_on: HashMap<String, (usize, Vec<String>)> = HashMap::new();
    for Leaving { id, networks, volumes } in containers {
        if networks.is_empty() {
            let _ = free.send((id, volumes));
            continue;
        }
        still_on.insert(id.clone(), (networks.len(), volumes));
        for network in networks {
            by_network.entry(network).or_default().push(id.clone());
        }
    }
    let still_on = Arc::new(Mutex::new(still_on));
    let leaving = futures::future::join_all(by_network.into_iter().map(|(network, ids)| {
        let (docker, free, still_on) = (docker.clone(), free.clone(), still_on.clone());
        async move {
            for id in ids {
                let request = NetworkDisconnectRequest { container: id.clone(), force: Some(true) };
                // Already gone or already disconnected: nothing to leave.
                let _ = docker.disconnect_network(&network, request).await;
                let left_all = {
                    let mut still_on = still_on.lock().unwrap_or_else(|e| e.into_inner());
                    match still_on.get_mut(&id) {
                        Some((count, _)) if *count > 1 => {
                            *count -= 1;
                            None
                        }
                        _ => still_on.remove(&id).map(|(_, volumes)| volumes),
                    }
                };
                if let Some(volumes) = left_all {
                    let _ = free.send((id, volumes));
                }
            }
            // Nothing of the lab is on it any more.
            remove_network(&docker, &network, None).await
        }
    }));
    // The last sender goes with the leaving, so the removals end when every container is free.
    drop(free);
    let removals = arrivals(freed)
        .map(|(id, volumes)| {
            let docker = docker.clone();
            async move {
                let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
                let removed = match docker.remove_container(&id, Some(options)).await {
                    Ok(()) => true,
                    Err(e) if is_not_found(&e) => false,
                    Err(e) => return Err(failed(format!("cannot remove container {id}"))(e)),
                };
                let mut volumes_removed = 0;
                for volume in volumes {
                    volumes_removed += usize::from(remove_volume(&docker, &volume).await?);
                }
                Ok((removed, volumes_removed))
            }
        })
        .buffer_unordered(REMOVALS_AT_ONCE)
        .try_collect::<Vec<(bool, usize)>>();
    let (networks, removed) = futures::future::join(leaving, removals).await;
    let removed = removed?;
    let mut swept = Swept {
        containers: removed.iter().filter(|(c, _)| *c).count(),
        volumes: removed.iter().map(|(_, v)| v).sum(),
        networks: 0,
    };
    for network in networks {
        swept.networks += usize::from(network?);
    }
    Ok(swept)
}

/// The ids as they are freed, as a stream.
fn arrivals<T>(mut freed: mpsc::UnboundedReceiver<T>) -> impl futures::Stream<Item = T> {
    futures::stream::poll_fn(move |cx| freed.poll_recv(cx))
}
