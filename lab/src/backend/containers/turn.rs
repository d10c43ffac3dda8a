//! A run's turn on a shared engine. Once, before it starts any lab, a run (a rehearsal, `up`, a
//! containers test) takes its place in the engine's queue (`queue.rs`) and goes on when no lab
//! and no run ahead of it holds the plan's subnets. Without a wait it is refused at once, naming
//! the holder; with one it waits, woken by the engine's events and by a poll that catches owners
//! that died, until its deadline. It keeps its turn until it is done with the subnets.

use super::census::{self, LabEntry};
use super::docker::{self, sweep};
use super::owner::Owner;
use super::plan::fixed_subnets;
use super::queue::{self, Joined, Place, Stage};
use crate::backend::BackendError;
use crate::topology::Topology;
use bollard::query_parameters::EventsOptions;
use bollard::Docker;
use futures::{FutureExt, Stream, StreamExt};
use ipnet::IpNet;
use std::collections::HashMap;
use std::pin::Pin;
use std::time::Duration;
use tokio::time::Instant;

/// How often the queue is read again when the engine reports nothing: the one change it cannot
/// report is a holder's process ending.
const POLL: Duration = Duration::from_secs(1);
/// How long a run waits for another that was taking its number at the same moment (it takes
/// milliseconds; one on another host that died mid-way is given up on after this).
const CHOOSING_DEADLINE: Duration = Duration::from_secs(30);

/// The plan's subnets, held by this run until it is released or dropped. A run on the embedded
/// backend needs no turn and holds none.
#[derive(Debug)]
pub struct Turn {
    joined: Option<Joined>,
    /// How long the run waited for it.
    pub waited: Duration,
}

impl Turn {
    /// A turn that holds nothing (the embedded backend).
    pub fn none() -> Turn {
        Turn { joined: None, waited: Duration::ZERO }
    }

    /// Gives the subnets to the next run in the queue. Dropping the turn does the same from a
    /// plain thread.
    pub async fn release(mut self) -> Result<(), BackendError> {
        match self.joined.take() {
            Some(joined) => joined.leave(&docker::connect().await?).await,
            None => Ok(()),
        }
    }
}

/// What keeps a run from its turn, for messages.
struct Blocked {
    holder: String,
    holds: String,
    how: String,
    /// How many other runs than the holder's are queued ahead of this one for its subnets.
    ahead: usize,
    /// Which run holds the subnets (its place in the queue, else the lab's owner): a new holder
    /// is worth a new line; the same run's next lab, or its growing age, is not.
    key: String,
}

type Progress<'a> = &'a (dyn Fn(&str) + Send + Sync);
type Changes<'a> =
    Pin<Box<dyn Stream<Item = Result<bollard::models::EventMessage, bollard::errors::Error>> + Send + 'a>>;

/// Takes this run's turn for `topology`'s subnets: at once when nothing holds them; else, with
/// `wait`, once they are free and every run queued before this one has had its turn, within
/// `wait`. Abandoned labs and places are swept on the way.
pub async fn take_turn(
    topology: &Topology,
    wait: Option<Duration>,
    progress: Progress<'_>,
) -> Result<Turn, BackendError> {
    let subnets = fixed_subnets(topology);
    let docker = docker::connect().await?;
    let wait = wait.filter(|w| !w.is_zero());
    let started = Instant::now();
    // Subscribed at the first wait: a removal the engine reports before then is seen by the
    // next look, at most one poll later.
    let mut changes: Option<Changes<'_>> = Some(Box::pin(destroyed(&docker)));
    // Abandoned labs the engine will not remove, told once.
    let mut stuck: Vec<String> = Vec::new();
    sweep_abandoned(&docker, progress, &mut stuck).await?;
    let mut joined = queue::join(&docker, &subnets).await?;
    // The holder last named, and how many runs were ahead then.
    let mut said: Option<(String, usize)> = None;
    loop {
        if started.elapsed() > CHOOSING_DEADLINE {
            joined.choosing_seen.clear();
        }
        let (labs, places) = sweep_abandoned(&docker, progress, &mut stuck).await?;
        // A run seen taking its number may not have seen this one: compared with once it has one.
        let choosing = places.iter().any(|p| p.stage == Stage::Choosing && joined.choosing_seen.contains(&p.ticket));
        let blocked = if choosing { None } else { blocker(&labs, &places, &joined.place, &subnets) };
        if !choosing && blocked.is_none() {
            break;
        }
        if let Some(blocked) = blocked {
            let waited = started.elapsed();
            match wait {
                None => {
                    joined.leave(&docker).await?;
                    return Err(BackendError::TurnTaken {
                        holder: blocked.holder,
                        holds: blocked.holds,
                        how: blocked.how,
                    });
                }
                Some(limit) if waited >= limit => {
                    joined.leave(&docker).await?;
                    let waited = Duration::from_secs(waited.as_secs());
                    return Err(BackendError::TurnNotCome {
                        waited,
                        holder: blocked.holder,
                        holds: blocked.holds,
                        how: blocked.how,
                    });
                }
                Some(limit) if said.as_ref() != Some(&(blocked.key.clone(), blocked.ahead)) => {
                    progress(&format!(
                        "waiting for this topology's subnets (up to {}): {} {}{}",
                        crate::clock::format_duration(limit),
                        blocked.holder,
                        blocked.holds,
                        match blocked.ahead {
                            0 => String::new(),
                            1 => "; 1 more run queued ahead of this one".into(),
                            n => format!("; {n} more runs queued ahead of this one"),
                        }
                    ));
                    said = Some((blocked.key, blocked.ahead));
                }
                Some(_) => {}
            }
        }
        let until = match wait {
            Some(limit) => started + limit,
            None => started + CHOOSING_DEADLINE,
        };
        changed(&mut changes, until).await;
    }
    let waited = started.elapsed();
    if said.is_some() {
        progress(&format!("waited {:.1} s for this topology's subnets; they are free now", waited.as_secs_f64()));
    }
    Ok(Turn { joined: Some(joined), waited })
}

/// Removes the labs and queue places whose owners provably ended, says which, and returns what
/// is left of each.
async fn sweep_abandoned(
    docker: &Docker,
    progress: Progress<'_>,
    stuck: &mut Vec<String>,
) -> Result<(Vec<LabEntry>, Vec<Place>), BackendError> {
    let (gone, labs): (Vec<_>, Vec<_>) = census::labs(docker).await?.into_iter().partition(|l| l.liveness.is_gone());
    for lab in gone {
        // One the engine will not remove is said once, and left: it holds no turn.
        if stuck.contains(&lab.id) {
            continue;
        }
        let swept = sweep(docker, &lab.id).await;
        if swept.is_err() {
            stuck.push(lab.id.clone());
        }
        if let Some(line) = census::swept_line(&lab, &swept) {
            progress(&line);
        }
    }
    let (gone, places): (Vec<_>, Vec<_>) = queue::places(docker).await?.into_iter().partition(|p| p.liveness.is_gone());
    for place in gone {
        queue::remove(docker, &place.volume).await?;
        if place.stage == Stage::Waiting {
            progress(&format!("removed an abandoned place in the queue ({})", place.liveness.reason()));
        }
    }
    Ok((labs, places))
}

/// The lab that holds any of `subnets`, else the first run queued before `mine` for any of them.
fn blocker(labs: &[LabEntry], places: &[Place], mine: &Place, subnets: &[IpNet]) -> Option<Blocked> {
    let mut ahead: Vec<&Place> = places
        .iter()
        .filter(|p| p.stage == Stage::Waiting && p.ticket != mine.ticket && p.overlaps(subnets) && p.before(mine))
        .collect();
    ahead.sort_by(|a, b| (a.number, &a.ticket).cmp(&(b.number, &b.ticket)));
    if let Some((lab, subnet)) = census::holder_of(labs, subnets, "") {
        // The run whose lab it is, when it is queued too: one holder, not one more run ahead.
        let run = ahead.iter().find(|p| owner_key(&p.owner).is_some() && owner_key(&p.owner) == owner_key(&lab.owner));
        return Some(Blocked {
            holder: lab.describe(),
            holds: format!("runs on {subnet}"),
            how: lab.how_to_stop(),
            ahead: ahead.len() - usize::from(run.is_some()),
            key: run.map(|p| p.ticket.clone()).or_else(|| owner_key(&lab.owner)).unwrap_or_else(|| lab.id.clone()),
        });
    }
    let head = ahead.first()?;
    let subnet = head.shared(subnets).map(|s| s.to_string()).unwrap_or_default();
    Some(Blocked {
        holder: head.describe(),
        holds: format!("comes first in the queue for {subnet}"),
        how: head.how_to_stop(),
        ahead: ahead.len() - 1,
        key: head.ticket.clone(),
    })
}

/// Who an owner is, whatever it holds: a lab file, else a process on a host.
fn owner_key(owner: &Option<Owner>) -> Option<String> {
    let owner = owner.as_ref()?;
    match (&owner.file, &owner.process) {
        (Some(file), _) => Some(file.display().to_string()),
        (None, Some((pid, boot))) => Some(format!("{pid} {boot} {}", owner.host)),
        (None, None) => None,
    }
}

/// The engine's reports of removed networks and volumes: a lab ending, a place leaving.
fn destroyed(
    docker: &Docker,
) -> impl Stream<Item = Result<bollard::models::EventMessage, bollard::errors::Error>> + Send + '_ {
    let filters = HashMap::from([
        ("type".to_string(), vec!["network".to_string(), "volume".to_string()]),
        ("event".to_string(), vec!["destroy".to_string()]),
    ]);
    docker.events(Some(EventsOptions { filters: Some(filters), ..Default::default() }))
}

/// Returns at the engine's next report of a removal, at the next poll, or at `until`, whichever
/// comes first. A stream that fails leaves the poll alone.
async fn changed(changes: &mut Option<Changes<'_>>, until: Instant) {
    let tick = (Instant::now() + POLL).min(until);
    let Some(stream) = changes.as_mut() else {
        tokio::time::sleep_until(tick).await;
        return;
    };
    tokio::select! {
        next = stream.next() => match next {
            // A sweep removes many objects at once: one look for them all.
            Some(Ok(_)) => while let Some(Some(Ok(_))) = stream.next().now_or_never() {},
            _ => *changes = None,
        },
        _ = tokio::time::sleep_until(tick) => {}
    }
}
