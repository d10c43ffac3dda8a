//! Active Directory as the DNS servers of one forest see it. An AD-integrated zone (one added
//! with `-ReplicationScope`) lives in the directory: what one domain controller writes to it
//! (the zone, its zone scopes and their records) reaches the others after the AD replication
//! delay on the lab clock ("DNS Policies for split-brain with Active Directory": zones, zone
//! scopes and records replicate; client subnets and query resolution policies stay on the
//! server they were configured on, so they never enter the directory).
//!
//! Lab choice: replication is modelled as last-writer-wins per zone by lab time; a server sees
//! its own writes at once and another server's once the delay has passed. Servers in their own
//! processes (containers) each hold a copy of the directory and send one another their writes
//! ([`SharedWrite`]); visibility is still decided by each reader on the lab clock, so the delay
//! is the same as in one process.

use super::zone::Zone;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// One write of a zone to the directory.
#[derive(Debug, Clone)]
struct Write {
    at: Duration,
    /// Order among writes at the same instant.
    seq: u64,
    origin: String,
    /// Its place among its origin's writes: a copy received twice is kept once.
    origin_seq: u64,
    /// `None`: the zone was removed.
    zone: Option<Arc<Zone>>,
}

/// One write as domain controllers in separate processes send it to one another.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct SharedWrite {
    pub origin: String,
    pub origin_seq: u64,
    pub at_ms: u64,
    pub name: String,
    pub zone: Option<Zone>,
}

/// A cheap handle; clones (one per DNS server) share one directory.
#[derive(Debug, Clone)]
pub struct Directory {
    writes: Arc<Mutex<BTreeMap<String, Vec<Write>>>>,
    delay: Duration,
}

impl Directory {
    pub fn new(delay: Duration) -> Directory {
        Directory { writes: Arc::default(), delay }
    }

    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Records that `origin` wrote (or, with `None`, removed) a zone at lab time `at`.
    pub fn write(&self, origin: &str, at: Duration, name: &str, zone: Option<Zone>) {
        let mut writes = self.writes.lock().expect("directory lock");
        let seq = writes.values().map(Vec::len).sum::<usize>() as u64;
        let origin_seq = writes.values().flatten().filter(|w| w.origin == origin).count() as u64;
        writes.entry(name.to_string()).or_default().push(Write {
            at,
            seq,
            origin: origin.to_string(),
            origin_seq,
            zone: zone.map(Arc::new),
        });
    }

    /// Every write this copy holds, `origin`'s from its `from`th on when given, in the order
    /// they were made.
    pub fn shared(&self, origin: Option<(&str, u64)>) -> Vec<SharedWrite> {
        let writes = self.writes.lock().expect("directory lock");
        let mut all: Vec<(&String, &Write)> = writes
            .iter()
            .flat_map(|(name, ws)| ws.iter().map(move |w| (name, w)))
            .filter(|(_, w)| origin.is_none_or(|(o, from)| w.origin == o && w.origin_seq >= from))
            .collect();
        all.sort_by_key(|(_, w)| w.seq);
        all.into_iter()
            .map(|(name, w)| SharedWrite {
                origin: w.origin.clone(),
                origin_seq: w.origin_seq,
                at_ms: w.at.as_millis() as u64,
                name: name.clone(),
                zone: w.zone.as_deref().cloned(),
            })
            .collect()
    }

    /// How many writes `origin` made in this copy.
    pub fn written_by(&self, origin: &str) -> u64 {
        self.writes.lock().expect("directory lock").values().flatten().filter(|w| w.origin == origin).count() as u64
    }

    /// Takes the writes other domain controllers made, except `own`'s (a server makes its own
    /// again as it replays its journal) and those this copy already holds; returns those taken.
    pub fn receive(&self, writes: Vec<SharedWrite>, own: &str) -> Vec<SharedWrite> {
        let mut held = self.writes.lock().expect("directory lock");
        let mut taken = vec![];
        for w in writes {
            let known = held.values().flatten().any(|h| h.origin == w.origin && h.origin_seq == w.origin_seq);
            if w.origin == own || known {
                continue;
            }
            let seq = held.values().map(Vec::len).sum::<usize>() as u64;
            held.entry(w.name.clone()).or_default().push(Write {
                at: Duration::from_millis(w.at_ms),
                seq,
                origin: w.origin.clone(),
                origin_seq: w.origin_seq,
                zone: w.zone.clone().map(Arc::new),
            });
            taken.push(w);
        }
        taken
    }

    /// The zone as `server` sees it at `now`: the latest write visible to it. `None` when the
    /// directory holds no visible write of that zone; `Some(None)` when the visible write
    /// removed it.
    pub fn read(&self, server: &str, now: Duration, name: &str) -> Option<Option<Arc<Zone>>> {
        let writes = self.writes.lock().expect("directory lock");
        writes
            .get(name)?
            .iter()
            .filter(|w| self.visible(w, server, now))
            .max_by_key(|w| (w.at, w.seq))
            .map(|w| w.zone.clone())
    }

    /// Every zone `server` sees at `now`.
    pub fn zones(&self, server: &str, now: Duration) -> Vec<Arc<Zone>> {
        let names: Vec<String> = self.writes.lock().expect("directory lock").keys().cloned().collect();
        names.iter().filter_map(|n| self.read(server, now, n).flatten()).collect()
    }

    fn visible(&self, w: &Write, server: &str, now: Duration) -> bool {
        w.origin == server || w.at + self.delay <= now
    }
}
