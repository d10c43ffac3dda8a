//! The queue of runs waiting for a plan's subnets on one Docker engine.
//!
//! Two labs of one plan cannot share an engine (Docker refuses overlapping networks), so runs of
//! one plan take turns. The queue lives on the engine, not in any process: each run's place is
//! a small labelled volume that records its owner (host, boot, pid, command), the subnets it
//! needs and its number, so every process reads the same queue, and a place whose process ended
//! (a `kill -9`) is swept as an abandoned lab is. Numbers are taken as in Lamport's bakery: a
//! run marks itself *choosing*, reads the highest number on the engine, takes the next one, and
//! only then drops the mark; it compares itself with a run it saw choosing once that run's mark
//! is gone. See "Taking turns" in `docs/design/containers.md`.

use super::docker::{failed, is_not_found};
use super::owner::{Liveness, Owner};
use crate::backend::BackendError;
use bollard::models::VolumeCreateRequest;
use bollard::query_parameters::{ListVolumesOptions, RemoveVolumeOptions};
use bollard::Docker;
use ipnet::IpNet;
use std::collections::HashMap;

/// On every place of the queue: `choosing` while its run takes a number, `waiting` after.
pub const QUEUE_LABEL: &str = "bypass-lab.queue";
/// The run's id in the queue (8 hex digits), the same on both of its volumes.
pub const TICKET_LABEL: &str = "bypass-lab.queue.ticket";
/// The run's number: lower numbers are served first.
pub const NUMBER_LABEL: &str = "bypass-lab.queue.number";
/// The subnets the run needs, comma-separated: runs whose subnets do not overlap never wait
/// for each other.
pub const SUBNETS_LABEL: &str = "bypass-lab.queue.subnets";

/// Where a run stands in the queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Reading the queue to take its number.
    Choosing,
    /// Holding its number until it has had its turn.
    Waiting,
}

impl Stage {
    fn label(self) -> &'static str {
        match self {
            Stage::Choosing => "choosing",
            Stage::Waiting => "waiting",
        }
    }
}

/// One run's place as the engine holds it.
#[derive(Debug, Clone)]
pub struct Place {
    /// The volume that is the place.
    pub volume: String,
    pub ticket: String,
    pub stage: Stage,
    /// 0 while choosing.
    pub number: u64,
    pub subnets: Vec<IpNet>,
    pub owner: Option<Owner>,
    pub liveness: Liveness,
}

impl Place {
    fn from_volume(volume: String, labels: &HashMap<String, String>) -> Option<Place> {
        let stage = match labels.get(QUEUE_LABEL)?.as_str() {
            "choosing" => Stage::Choosing,
            "waiting" => Stage::Waiting,
            _ => return None,
        };
        let ticket = labels.get(TICKET_LABEL)?.clone();
        let subnets = labels
            .get(SUBNETS_LABEL)
            .map(|s| s.split(',').filter_map(|n| n.trim().parse().ok()).collect())
            .unwrap_or_default();
        let owner = Owner::from_labels(labels);
        let liveness = match &owner {
            Some(o) => o.liveness(&ticket),
            None => Liveness::Unknown("no owner recorded".into()),
        };
        let number = labels.get(NUMBER_LABEL).and_then(|n| n.parse().ok()).unwrap_or(0);
        Some(Place { volume, ticket, stage, number, subnets, owner, liveness })
    }

    /// Whether this place asks for any of `subnets`.
    pub fn overlaps(&self, subnets: &[IpNet]) -> bool {
        self.subnets.iter().any(|a| subnets.iter().any(|b| a.contains(&b.network()) || b.contains(&a.network())))
    }

    /// The first of `subnets` this place asks for too.
    pub fn shared(&self, subnets: &[IpNet]) -> Option<IpNet> {
        subnets
            .iter()
            .copied()
            .find(|b| self.subnets.iter().any(|a| a.contains(&b.network()) || b.contains(&a.network())))
    }

    /// Whether this place is served before `other`: the lower number, then the lower ticket.
    pub fn before(&self, other: &Place) -> bool {
        (self.number, &self.ticket) < (other.number, &other.ticket)
    }

    /// The run holding the place, for messages: its process, since when and its command.
    pub fn describe(&self) -> String {
        match &self.owner {
            Some(owner) => {
                let mut text = format!("the run of {} (queued {} ago", owner.describe(), owner.age());
                if let Some(command) = &owner.command {
                    text.push_str(&format!(", by `{command}`"));
                }
                text + ")"
            }
            None => format!("the run queued as {} (no owner recorded)", self.ticket),
        }
    }

    /// What ends the run, for messages.
    pub fn how_to_stop(&self) -> String {
        match self.owner.as_ref().and_then(|o| Some((o.process.as_ref()?.0, &o.host))) {
            Some((pid, host)) => format!("`kill {pid}` on {host}"),
            None => format!("`docker volume rm {}`", self.volume),
        }
    }
}

/// Every place of the queue on the engine, in no particular order.
pub async fn places(docker: &Docker) -> Result<Vec<Place>, BackendError> {
    let filter = HashMap::from([("label".to_string(), vec![QUEUE_LABEL.to_string()])]);
    let listed = docker
        .list_volumes(Some(ListVolumesOptions { filters: Some(filter) }))
        .await
        .map_err(failed("cannot read the queue for subnets (docker volume ls)"))?;
    Ok(listed.volumes.unwrap_or_default().into_iter().filter_map(|v| Place::from_volume(v.name, &v.labels)).collect())
}

async fn create(docker: &Docker, name: &str, labels: HashMap<String, String>) -> Result<(), BackendError> {
    let request = VolumeCreateRequest { name: Some(name.into()), labels: Some(labels), ..Default::default() };
    docker.create_volume(request).await.map(drop).map_err(failed(format!("cannot join the queue for subnets ({name})")))
}

/// Removes one place; one already gone is fine.
pub async fn remove(docker: &Docker, volume: &str) -> Result<(), BackendError> {
    match docker.remove_volume(volume, Some(RemoveVolumeOptions { force: true })).await {
        Ok(()) => Ok(()),
        Err(e) if is_not_found(&e) => Ok(()),
        Err(e) => Err(failed(format!("cannot leave the queue for subnets ({volume})"))(e)),
    }
}

/// Removes one place from a plain thread: usable from `Drop`, even inside a runtime.
pub fn remove_blocking(volume: String) {
    let worker = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        runtime.block_on(async {
            let docker = super::docker::connect().await.ok()?;
            remove(&docker, &volume).await.ok()
        })
    });
    let _ = worker.join();
}

/// Removes the places this very process holds (an interrupted run).
pub async fn sweep_this_process(docker: &Docker) -> Result<Vec<Place>, BackendError> {
    let mut removed = Vec::new();
    for place in places(docker).await?.into_iter().filter(|p| p.owner.as_ref().is_some_and(|o| o.is_this_process())) {
        remove(docker, &place.volume).await?;
        removed.push(place);
    }
    Ok(removed)
}

/// A run's place, taken by [`join`]: removed when dropped.
#[derive(Debug)]
pub struct Joined {
    pub place: Place,
    /// The runs that were choosing their numbers when this one had its own: they may have read
    /// the queue before this place existed, so this run waits until their marks are gone.
    pub choosing_seen: Vec<String>,
    left: bool,
}

impl Joined {
    /// Leaves the queue.
    pub async fn leave(mut self, docker: &Docker) -> Result<(), BackendError> {
        self.left = true;
        remove(docker, &self.place.volume).await
    }
}

impl Drop for Joined {
    fn drop(&mut self) {
        if !self.left {
            remove_blocking(self.place.volume.clone());
        }
    }
}

/// Takes a place at the end of the queue for `subnets`, numbered as the bakery numbers: one
/// above the highest number on the engine, read while this run's choosing mark stands.
pub async fn join(docker: &Docker, subnets: &[IpNet]) -> Result<Joined, BackendError> {
    let ticket = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
    let owner = Owner::this_process();
    let mut labels = owner.labels();
    labels.insert(TICKET_LABEL.into(), ticket.clone());
    labels.insert(SUBNETS_LABEL.into(), subnets.iter().map(ToString::to_string).collect::<Vec<_>>().join(","));
    let with = |stage: Stage, number: Option<u64>| {
        let mut labels = labels.clone();
        labels.insert(QUEUE_LABEL.into(), stage.label().into());
        if let Some(n) = number {
            labels.insert(NUMBER_LABEL.into(), n.to_string());
        }
        labels
    };
    let choosing = format!("bypass-lab-queue-{ticket}-choosing");
    create(docker, &choosing, with(Stage::Choosing, None)).await?;
    let volume = format!("bypass-lab-queue-{ticket}");
    let numbered = async {
        let highest = places(docker).await?.iter().filter(|p| p.stage == Stage::Waiting).map(|p| p.number).max();
        let number = highest.unwrap_or(0) + 1;
        create(docker, &volume, with(Stage::Waiting, Some(number))).await?;
        Ok::<_, BackendError>(number)
    }
    .await;
    let unmarked = remove(docker, &choosing).await;
    let number = match numbered {
        Ok(number) => number,
        Err(e) => {
            let _ = remove(docker, &volume).await;
            return Err(e);
        }
    };
    let place = Place {
        volume,
        ticket: ticket.clone(),
        stage: Stage::Waiting,
        number,
        subnets: subnets.to_vec(),
        liveness: Liveness::Live("this process".into()),
        owner: Some(owner),
    };
    let mut joined = Joined { place, choosing_seen: Vec::new(), left: false };
    unmarked?;
    joined.choosing_seen = places(docker)
        .await?
        .into_iter()
        .filter(|p| p.stage == Stage::Choosing && p.ticket != ticket)
        .map(|p| p.ticket)
        .collect();
    Ok(joined)
}
