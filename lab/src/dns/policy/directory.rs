//! Active Directory as the DNS servers of one forest see it. An AD-integrated zone (one added
//! with `-ReplicationScope`) lives in the directory: what one domain controller writes to it
//! (the zone, its zone scopes and their records) reaches the others after the AD replication
//! delay on the lab clock ("DNS Policies for split-brain with Active Directory": zones, zone
//! scopes and records replicate; client subnets and query resolution policies stay on the
//! server they were configured on, so they never enter the directory).
//!
//! Lab choice: replication is modelled as last-writer-wins per zone by lab time; a server sees
//! its own writes at once and another server's once the delay has passed.
//!
//! A write that no server can see any more is forgotten: every edit stores the whole zone, and a
//! zone of thousands of records filled one record at a time would otherwise keep a copy per
//! record.

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

/// Every zone's writes still visible to some server, and the order of the next write.
#[derive(Debug, Default)]
struct Writes {
    zones: BTreeMap<String, Vec<Write>>,
    next_seq: u64,
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
        let history = writes.zones.entry(name.to_string()).or_default();
        // Hidden from every server from now on: an earlier write of the same origin at the same
        // instant (whoever sees it sees this one, which wins), and anything before the latest
        // write every server already sees.
        history.retain(|w| !(w.origin == origin && w.at == at));
        if let Some(seen_by_all) = history.iter().filter(|w| w.at + self.delay <= at).map(|w| (w.at, w.seq)).max() {
            history.retain(|w| (w.at, w.seq) >= seen_by_all);
        }
        history.push(Write { at, seq, origin: origin.to_string(), zone: zone.map(Arc::new) });
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
}
