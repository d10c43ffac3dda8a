//! How a sweep takes a lab's containers down: each leaves its networks one container at a time
//! on any one network (networks side by side), and is removed as soon as it has left them all,
//! while the others are still leaving.
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
//! the others' leaving, instead of waiting for the last one to leave. See "Removing a lab" in
//! `docs/design/containers.md`.

use super::docker::{failed, is_not_found};
use crate::backend::BackendError;
use bollard::models::NetworkDisconnectRequest;
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

/// Takes down `containers` (id, the networks it is on) and says how many were removed (not
/// already gone).
pub async fn take_down(docker: &Docker, containers: Vec<(String, Vec<String>)>) -> Result<usize, BackendError> {
    let (free, freed) = mpsc::unbounded_channel::<String>();
    let mut by_network: HashMap<String, Vec<String>> = HashMap::new();
    let mut still_on: HashMap<String, usize> = HashMap::new();
    for (id, networks) in containers {
        if networks.is_empty() {
            let _ = free.send(id);
            continue;
        }
        still_on.insert(id.clone(), networks.len());
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
                    let count = still_on.entry(id.clone()).or_insert(1);
                    *count -= 1;
                    *count == 0
                };
                if left_all {
                    let _ = free.send(id);
                }
            }
        }
    }));
    // The last sender goes with the leaving, so the removals end when every container is free.
    drop(free);
    let removals = arrivals(freed)
        .map(|id| {
            let docker = docker.clone();
            async move {
                let options = RemoveContainerOptions { force: true, v: true, ..Default::default() };
                match docker.remove_container(&id, Some(options)).await {
                    Ok(()) => Ok(true),
                    Err(e) if is_not_found(&e) => Ok(false),
                    Err(e) => Err(failed(format!("cannot remove container {id}"))(e)),
                }
            }
        })
        .buffer_unordered(REMOVALS_AT_ONCE)
        .try_collect::<Vec<bool>>();
    let (_, removed) = futures::future::join(leaving, removals).await;
    Ok(removed?.into_iter().filter(|r| *r).count())
}

/// The ids as they are freed, as a stream.
fn arrivals(mut freed: mpsc::UnboundedReceiver<String>) -> impl futures::Stream<Item = String> {
    futures::stream::poll_fn(move |cx| freed.poll_recv(cx))
}
