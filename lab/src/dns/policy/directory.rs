//! Active Directory as the DNS servers of one forest see it. An AD-integrated zone (one added
//! with `-ReplicationScope`) lives in the directory: what one domain controller writes to it
//! (the zone, its zone scopes and their records) reaches the others after the AD replication
//! delay on the lab clock ("DNS Policies for split-brain with Active Directory": zones, zone
//! scopes and records replicate; client subnets and query resolution policies stay on the
//! server they were configured on, so they never enter the directory).
//!
//! Lab choice: replication is modelled as last-writer-wins per zone by lab time; a server sees
//! its own writes at once and another server's once the delay has passed.

use super::zone::Zone;
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
    /// `None`: the zone was removed.
    zone: Option<Arc<Zone>>,
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
        writes.entry(name.to_string()).or_default().push(Write {
            at,
            seq,
            origin: origin.to_string(),
            zone: zone.map(Arc::new),
        });
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
