//! The Windows DNS client cache of each simulated machine: an answer is kept for its TTL on the
//! lab clock, so a client that resolved the service name keeps the address after the records
//! are removed, until the TTL passes or `ipconfig /flushdns` (`client flushdns`) clears it.
//!
//! Lab choices: only answers with addresses are cached (not NXDOMAIN or failures); a machine is
//! a client address.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::Duration;

/// (machine, lower-case name).
type Key = (IpAddr, String);

/// Addresses and the lab instant they expire.
type Entry = (Vec<IpAddr>, Duration);

#[derive(Debug, Default)]
pub struct DnsCache {
    entries: Mutex<HashMap<Key, Entry>>,
}

impl DnsCache {
    /// The cached addresses of `name` on `machine`, while their TTL has not passed at `now`.
    pub fn get(&self, machine: IpAddr, name: &str, now: Duration) -> Option<Vec<IpAddr>> {
        let mut entries = self.entries.lock().expect("DNS cache lock");
        let key = (machine, name.trim_end_matches('.').to_ascii_lowercase());
        match entries.get(&key) {
            Some((addresses, expires)) if now < *expires => Some(addresses.clone()),
            Some(_) => {
                entries.remove(&key);
                None
            }
            None => None,
        }
    }

    pub fn put(&self, machine: IpAddr, name: &str, addresses: Vec<IpAddr>, ttl: Duration, now: Duration) {
        if ttl.is_zero() || addresses.is_empty() {
            return;
        }
        let key = (machine, name.trim_end_matches('.').to_ascii_lowercase());
        self.entries.lock().expect("DNS cache lock").insert(key, (addresses, now + ttl));
    }

    /// `ipconfig /flushdns` on one machine; returns how many names it forgot.
    pub fn flush(&self, machine: IpAddr) -> usize {
        let mut entries = self.entries.lock().expect("DNS cache lock");
        let before = entries.len();
        entries.retain(|(m, _), _| *m != machine);
        before - entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_live_for_their_ttl_per_machine_until_flushed() {
        let cache = DnsCache::default();
        let (pc1, pc2): (IpAddr, IpAddr) = ("192.168.1.77".parse().unwrap(), "10.10.1.77".parse().unwrap());
        let ams: Vec<IpAddr> = vec!["192.168.1.45".parse().unwrap()];
        let hour = Duration::from_secs(3600);
        cache.put(pc1, "HybridVoice.adatum.biz.", ams.clone(), hour, Duration::ZERO);
        assert_eq!(cache.get(pc1, "hybridvoice.adatum.biz", hour - Duration::from_secs(1)), Some(ams.clone()));
        assert_eq!(cache.get(pc2, "hybridvoice.adatum.biz", Duration::ZERO), None, "another machine has its own cache");
        assert_eq!(cache.get(pc1, "hybridvoice.adatum.biz", hour), None, "the TTL has passed");
        cache.put(pc1, "hybridvoice.adatum.biz", ams, hour, hour);
        assert_eq!(cache.flush(pc1), 1);
        assert_eq!(cache.get(pc1, "hybridvoice.adatum.biz", hour), None);
    }
}
