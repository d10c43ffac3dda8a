//! The labs on the engine, read from their labels: who owns each, what it holds, whether it is
//! abandoned. Starting a lab, `down` and `ls` all decide from this one reading.

use super::docker::{failed, sweep, Swept, LAB_LABEL, ORDER_LABEL};
use super::owner::{Liveness, Owner};
use crate::backend::BackendError;
use bollard::query_parameters::{ListContainersOptions, ListNetworksOptions, ListVolumesOptions};
use bollard::Docker;
use ipnet::IpNet;
use std::collections::{BTreeMap, HashMap};

/// One lab as the engine holds it.
#[derive(Debug, Clone)]
pub struct LabEntry {
    /// The value of the `bypass-lab.lab` label.
    pub id: String,
    /// Who started it; None for labs made before owners were recorded.
    pub owner: Option<Owner>,
    pub liveness: Liveness,
    /// Container names, and whether each runs.
    pub containers: Vec<(String, bool)>,
    /// Network names with their subnets, in plan order.
    pub networks: Vec<(String, Vec<IpNet>)>,
    pub volumes: Vec<String>,
}

impl LabEntry {
    /// Every subnet the lab's networks hold.
    pub fn subnets(&self) -> impl Iterator<Item = &IpNet> {
        self.networks.iter().flat_map(|(_, s)| s)
    }

    /// Where it was started, how long ago and by what command, for messages that name it.
    pub fn describe(&self) -> String {
        match &self.owner {
            Some(owner) => format!("lab {} ({})", self.id, owner.details()),
            None => format!("lab {} (no owner recorded)", self.id),
        }
    }

    /// What stops it, for messages.
    pub fn how_to_stop(&self) -> String {
        if self.id == super::compose::COMPOSE_LAB {
            return "`docker-compose down -v` in the folder of its docker-compose.yml".into();
        }
        match self.owner.as_ref().and_then(|o| o.file.as_ref()) {
            Some(file) => format!(
                "`bypass-lab down` in {}, or `bypass-lab down --lab {}`",
                file.parent().and_then(|p| p.parent()).unwrap_or(file).display(),
                self.id
            ),
            None => format!("`bypass-lab down --lab {}`", self.id),
        }
    }
}

/// Every lab with at least one labelled container, network or volume.
pub async fn labs(docker: &Docker) -> Result<Vec<LabEntry>, BackendError> {
    let filter = HashMap::from([("label".to_string(), vec![LAB_LABEL.to_string()])]);
    let mut by_id = Census::new();
    let networks = docker
        .list_networks(Some(ListNetworksOptions { filters: Some(filter.clone()) }))
        .await
        .map_err(failed("cannot list the labs' networks"))?;
    // The engine lists networks in no stable order: the plan's order, else by name.
    let order = |n: &bollard::models::Network| {
        let place = n.labels.as_ref().and_then(|l| l.get(ORDER_LABEL)).and_then(|o| o.parse::<usize>().ok());
        (place.unwrap_or(usize::MAX), n.name.clone().unwrap_or_default())
    };
    let mut networks = networks;
    networks.sort_by_key(order);
    for network in networks {
        let labels = network.labels.clone().unwrap_or_default();
        let Some(id) = labels.get(LAB_LABEL) else { continue };
        let subnets = network
            .ipam
            .as_ref()
            .and_then(|i| i.config.as_ref())
            .into_iter()
            .flatten()
            .filter_map(|c| c.subnet.as_deref()?.parse().ok())
            .collect();
        entry(&mut by_id, id, &labels).networks.push((network.name.unwrap_or_default(), subnets));
    }
    let containers = docker
        .list_containers(Some(ListContainersOptions { all: true, filters: Some(filter.clone()), ..Default::default() }))
        .await
        .map_err(failed("cannot list the labs' containers"))?;
    for container in containers {
        let labels = container.labels.clone().unwrap_or_default();
        let Some(id) = labels.get(LAB_LABEL) else { continue };
        let name = container
            .names
            .unwrap_or_default()
            .first()
            .map(|n| n.trim_start_matches('/').to_string())
            .unwrap_or_default();
        let running = container.state.map(|s| s.to_string() == "running").unwrap_or(false);
        entry(&mut by_id, id, &labels).containers.push((name, running));
    }
    let volumes = docker
        .list_volumes(Some(ListVolumesOptions { filters: Some(filter) }))
        .await
        .map_err(failed("cannot list the labs' volumes"))?;
    for volume in volumes.volumes.unwrap_or_default() {
        let Some(id) = volume.labels.get(LAB_LABEL).cloned() else { continue };
        entry(&mut by_id, &id, &volume.labels).volumes.push(volume.name);
    }
    Ok(by_id
        .into_values()
        .map(|(owner, mut lab)| {
            lab.liveness = match &owner {
                Some(o) => o.liveness(&lab.id),
                None => Liveness::Unknown("no owner recorded".into()),
            };
            lab.owner = owner;
            lab
        })
        .collect())
}

type Census = BTreeMap<String, (Option<Owner>, LabEntry)>;

/// The entry of lab `id`, taking its owner from the first object that records one.
fn entry<'a>(by_id: &'a mut Census, id: &str, labels: &HashMap<String, String>) -> &'a mut LabEntry {
    let slot = by_id.entry(id.to_string()).or_insert_with(|| {
        let blank = LabEntry {
            id: id.to_string(),
            owner: None,
            liveness: Liveness::Unknown(String::new()),
            containers: Vec::new(),
            networks: Vec::new(),
            volumes: Vec::new(),
        };
        (None, blank)
    });
    if slot.0.is_none() {
        slot.0 = Owner::from_labels(labels);
    }
    &mut slot.1
}

/// The first lab other than `except` still held by someone whose networks overlap `subnets`.
pub fn holder_of<'a>(labs: &'a [LabEntry], subnets: &[IpNet], except: &str) -> Option<(&'a LabEntry, IpNet)> {
    labs.iter().filter(|l| l.id != except && !l.liveness.is_gone()).find_map(|lab| {
        let clash = lab
            .subnets()
            .find(|held| subnets.iter().any(|s| s.contains(&held.network()) || held.contains(&s.network())))?;
        Some((lab, *clash))
    })
}

/// Removes every lab whose owner is provably gone, and says which and why, and which could not
/// be removed: a network the engine will not remove (a stale endpoint, which only an engine
/// restart clears) must not stop every other lab from starting on a shared engine.
pub async fn sweep_abandoned(docker: &Docker) -> Result<Vec<(LabEntry, Result<Swept, BackendError>)>, BackendError> {
    let mut removed = Vec::new();
    for lab in labs(docker).await?.into_iter().filter(|l| l.liveness.is_gone()) {
        let swept = sweep(docker, &lab.id).await;
        removed.push((lab, swept));
    }
    Ok(removed)
}

/// The line that tells what sweeping an abandoned lab did; None when there was nothing left to
/// remove (its `down` ran as it was read).
pub fn swept_line(lab: &LabEntry, swept: &Result<Swept, BackendError>) -> Option<String> {
    match swept {
        Ok(swept) if *swept == Swept::default() => None,
        Ok(swept) => Some(format!("removed abandoned lab {} ({}): {swept}", lab.id, lab.liveness.reason())),
        Err(e) => Some(format!("left abandoned lab {} ({}) as it is: {e}", lab.id, lab.liveness.reason())),
    }
}

/// Removes the labs this very process holds: an interrupted rehearsal's, whatever state its
/// scenarios were in when the signal came.
pub async fn sweep_this_process() -> Result<Vec<(LabEntry, Swept)>, BackendError> {
    let docker = super::docker::connect().await?;
    let mut removed = Vec::new();
    for lab in labs(&docker).await?.into_iter().filter(|l| l.owner.as_ref().is_some_and(|o| o.is_this_process())) {
        let swept = sweep(&docker, &lab.id).await?;
        removed.push((lab, swept));
    }
    Ok(removed)
}
