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
//!
//! A write that no server can see any more is forgotten: every edit stores the whole zone, and a
//! zone of thousands of records filled one record at a time would otherwise keep a copy per
//! record.

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

/// Every zone's writes still visible to some server, the order of the next write, and how many
/// writes of each origin this copy has made or taken (a forgotten write is still counted, so a
/// copy received again is not taken again).
#[derive(Debug, Default)]
struct Writes {
    zones: BTreeMap<String, Vec<Write>>,
    next_seq: u64,
    by_origin: BTreeMap<String, u64>,
}

impl Writes {
    fn insert(&mut self, delay: Duration, name: &str, write: Write) {
        let history = self.zones.entry(name.to_string()).or_default();
        // Hidden from every server from now on: an earlier write of the same origin at the same
        // instant (whoever sees it sees this one, which wins), and anything before the latest
        // write every server already sees.
        history.retain(|w| !(w.origin == write.origin && w.at == write.at));
        if let Some(seen_by_all) = history.iter().filter(|w| w.at + delay <= write.at).map(|w| (w.at, w.seq)).max() {
            history.retain(|w| (w.at, w.seq) >= seen_by_all);
        }
        history.push(write);
    }
}

/// A cheap handle; clones (one per DNS server) share one directory.
#[derive(Debug, Clone)]
pub struct Directory {
    writes: Arc<Mutex<Writes>>,
    delay: Duration,
}

impl Directory {
    pub fn new(delay: Duration) -> Directory {
        Directory { writes: Arc::default(), delay }
    }

    pub fn delay(&self) -> Duration {
        self.delay
    }

    /// Records that `origin` wrote (or, with `None`, removed) a zone at lab time `at` (the lab
    /// time now: it never goes back).
    pub fn write(&self, origin: &str, at: Duration, name: &str, zone: Option<Zone>) {
        let mut writes = self.writes.lock().expect("directory lock");
        let seq = writes.next_seq;
        writes.next_seq += 1;
        let count = writes.by_origin.entry(origin.to_string()).or_default();
        let origin_seq = *count;
        *count += 1;
        let write = Write { at, seq, origin: origin.to_string(), origin_seq, zone: zone.map(Arc::new) };
        writes.insert(self.delay, name, write);
    }

    /// Every write this copy holds, `origin`'s from its `from`th on when given, in the order
    /// they were made.
    pub fn shared(&self, origin: Option<(&str, u64)>) -> Vec<SharedWrite> {
        let writes = self.writes.lock().expect("directory lock");
        let mut all: Vec<(&String, &Write)> = writes
            .zones
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

    /// How many writes `origin` made (or, another origin's, this copy took), forgotten ones too.
    pub fn written_by(&self, origin: &str) -> u64 {
        self.writes.lock().expect("directory lock").by_origin.get(origin).copied().unwrap_or(0)
    }

    /// Takes the writes other domain controllers made, except `own`'s (a server makes its own
    /// again as it replays its journal) and those this copy already took (each origin's writes
    /// arrive in the order it made them); returns those taken.
    pub fn receive(&self, writes: Vec<SharedWrite>, own: &str) -> Vec<SharedWrite> {
        let mut held = self.writes.lock().expect("directory lock");
        let mut taken = vec![];
        for w in writes {
            let count = held.by_origin.get(&w.origin).copied().unwrap_or(0);
            if w.origin == own || w.origin_seq < count {
                continue;
            }
            held.by_origin.insert(w.origin.clone(), w.origin_seq + 1);
            let seq = held.next_seq;
            held.next_seq += 1;
            let write = Write {
                at: Duration::from_millis(w.at_ms),
                seq,
                origin: w.origin.clone(),
                origin_seq: w.origin_seq,
                zone: w.zone.clone().map(Arc::new),
            };
            held.insert(self.delay, &w.name, write);
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
            .zones
            .get(name)?
            .iter()
            .filter(|w| self.visible(w, server, now))
            .max_by_key(|w| (w.at, w.seq))
            .map(|w| w.zone.clone())
    }

    /// When a zone written on another server that `server` does not see yet at `now` reaches it:
    /// the writer and the lab time it becomes visible. `None` when no such write is on its way.
    pub fn arriving(&self, server: &str, now: Duration, name: &str) -> Option<(String, Duration)> {
        let writes = self.writes.lock().expect("directory lock");
        writes
            .zones
            .get(name)?
            .iter()
            .filter(|w| w.zone.is_some() && !self.visible(w, server, now))
            .min_by_key(|w| (w.at, w.seq))
            .map(|w| (w.origin.clone(), w.at + self.delay))
    }

    /// Every zone `server` sees at `now`.
    pub fn zones(&self, server: &str, now: Duration) -> Vec<Arc<Zone>> {
        let names: Vec<String> = self.writes.lock().expect("directory lock").zones.keys().cloned().collect();
        names.iter().filter_map(|n| self.read(server, now, n).flatten()).collect()
    }

    fn visible(&self, w: &Write, server: &str, now: Duration) -> bool {
        w.origin == server || w.at + self.delay <= now
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DELAY: Duration = Duration::from_secs(900);

    /// The zone as written the `version`th time (its serial tells the versions apart).
    fn zone(version: u32) -> Zone {
        let mut z = Zone::new("adatum.biz", None, Some("Forest".into())).unwrap();
        z.serial = version;
        z
    }

    fn seen(d: &Directory, server: &str, now: Duration) -> Option<u32> {
        d.read(server, now, "adatum.biz").flatten().map(|z| z.serial)
    }

    fn kept(d: &Directory) -> usize {
        d.writes.lock().unwrap().zones.values().map(Vec::len).sum()
    }

    #[test]
    fn a_zone_filled_one_record_at_a_time_keeps_one_copy_and_reads_the_same() {
        let d = Directory::new(DELAY);
        d.write("dc1", Duration::ZERO, "adatum.biz", Some(zone(0)));
        d.write("dc2", Duration::from_secs(60), "adatum.biz", Some(zone(100)));
        for n in 1..=50 {
            d.write("dc1", Duration::from_secs(60), "adatum.biz", Some(zone(n)));
        }
        assert_eq!(kept(&d), 3, "dc1's first write, dc2's, and dc1's last at 60 s");
        // dc1 sees its own latest; dc2 its own until dc1's replicate, then dc1's (a later seq).
        assert_eq!(seen(&d, "dc1", Duration::from_secs(60)), Some(50));
        assert_eq!(seen(&d, "dc2", Duration::from_secs(60)), Some(100));
        assert_eq!(seen(&d, "dc3", Duration::from_secs(60)), None, "nothing replicated yet");
        assert_eq!(seen(&d, "dc3", DELAY), Some(0));
        assert_eq!(seen(&d, "dc3", DELAY + Duration::from_secs(60)), Some(50));
        assert_eq!(seen(&d, "dc2", DELAY + Duration::from_secs(60)), Some(50));
    }

    #[test]
    fn writes_every_server_sees_past_are_forgotten() {
        let d = Directory::new(DELAY);
        for minute in 0..100u64 {
            d.write("dc1", Duration::from_secs(minute * 60), "adatum.biz", Some(zone(minute as u32)));
        }
        // Writes made within the last delay are still replicating; one before them stays seen.
        assert!(kept(&d) <= 17, "kept {} writes", kept(&d));
        let now = Duration::from_secs(99 * 60);
        assert_eq!(seen(&d, "dc1", now), Some(99));
        assert_eq!(seen(&d, "dc2", now), Some(84), "the write made one delay ago");
        let removed_at = Duration::from_secs(100 * 60);
        d.write("dc2", removed_at, "adatum.biz", None);
        assert!(matches!(d.read("dc2", removed_at, "adatum.biz"), Some(None)), "dc2 sees its removal");
        assert_eq!(seen(&d, "dc1", removed_at + DELAY), None);
    }

    /// A copy in another process takes each write once, even one it has since forgotten, and
    /// reads what the writer's own copy reads.
    #[test]
    fn a_copy_takes_each_write_once_even_after_forgetting_it() {
        let (dc1, dc2) = (Directory::new(DELAY), Directory::new(DELAY));
        for minute in 0..40u64 {
            dc1.write("dc1", Duration::from_secs(minute * 60), "adatum.biz", Some(zone(minute as u32)));
        }
        assert_eq!(dc1.written_by("dc1"), 40, "forgotten writes are still counted");
        let all = dc1.shared(None);
        assert!(all.len() < 40, "dc1 forgot writes every server sees past");
        assert_eq!(dc2.receive(all.clone(), "dc2").len(), all.len());
        assert!(dc2.receive(all, "dc2").is_empty(), "a write received twice is taken once");
        assert!(dc2.receive(dc1.shared(Some(("dc1", 0))), "dc2").is_empty());
        let now = Duration::from_secs(39 * 60);
        assert_eq!(seen(&dc2, "dc2", now), seen(&dc1, "dc2", now));
        assert_eq!(seen(&dc2, "dc2", now + DELAY), Some(39));
    }
}
