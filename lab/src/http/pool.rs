//! Kept-alive connections to one peer on loopback, shared by the many callers of one lab.
//!
//! The lab's shared client ([`super::control::shared`]) opens a connection per request: one
//! process may host several runtimes, and a pooled connection must not outlive the runtime that
//! opened it. An embedded lab's own calls are the exception worth pooling for: they all run on the
//! lab's runtime, and a new connection per request (connect, accept, a task on each side,
//! teardown, and an entry in the kernel's connection tracking for two minutes after) costs more
//! than the request itself. Its appliances keep a pool to their tenant, and the lab keeps one to
//! each role answering on a single port (tenant, client host, DNS management), which every
//! [`super::ControlClient`] to that role borrows ([`kept`]).
//!
//! A pool is shared by every holder of its [`PooledClient`] for one base URL and dropped with the
//! last of them, so a lab that stops takes its connections with it and the next lab on the same
//! port starts a pool of its own. Only loopback peers are pooled: on a container network the lab
//! cuts a link by disconnecting it, and a request must then fail at once on a new connection
//! rather than wait out its timeout on an old one.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// How many idle connections a pool keeps: at most this many requests to the peer are in
/// flight at once from one lab's appliances, so more would never be reused.
pub const MAX_IDLE: usize = 32;

/// A client keeping connections to one peer; clones share the pool.
#[derive(Clone)]
pub struct PooledClient {
    client: Arc<reqwest::Client>,
}

impl PooledClient {
    pub fn http(&self) -> reqwest::Client {
        (*self.client).clone()
    }
}

/// The pool for `base` (e.g. `http://127.0.0.1:41000`) shared with every other holder, or `None`
/// when `base` is not on loopback (see the module's header).
pub fn for_peer(base: &str) -> Option<PooledClient> {
    if !on_loopback(base) {
        return None;
    }
    let mut pools = pools().lock().unwrap();
    if let Some(client) = pools.get(base).and_then(Weak::upgrade) {
        return Some(PooledClient { client });
    }
    pools.retain(|_, pool| pool.strong_count() > 0);
    let client = Arc::new(build());
    pools.insert(base.to_string(), Arc::downgrade(&client));
    Some(PooledClient { client })
}

/// The pool for `base` while another holder keeps it, without starting one: for a caller that
/// makes too few requests to keep connections of its own, but may share those kept for a run of
/// many (a runbook run keeps its DNS servers', and each cmdlet's request borrows them).
pub fn kept(base: &str) -> Option<PooledClient> {
    pools().lock().unwrap().get(base).and_then(Weak::upgrade).map(|client| PooledClient { client })
}

/// Every pool by base URL, held weakly: a pool lives as long as its holders.
fn pools() -> &'static Mutex<HashMap<String, Weak<reqwest::Client>>> {
    static POOLS: OnceLock<Mutex<HashMap<String, Weak<reqwest::Client>>>> = OnceLock::new();
    POOLS.get_or_init(Default::default)
}

/// Idle connections are dropped well before a role closes them as idle ([`super::POOL_IDLE`]),
/// so a request never goes out on a connection the role is closing.
fn build() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(super::LAB_TIMEOUT)
        .connect_timeout(super::CONNECT_TIMEOUT)
        .pool_idle_timeout(super::POOL_IDLE)
        .pool_max_idle_per_host(MAX_IDLE)
        .no_proxy()
        .build()
        .expect("an HTTP client without TLS builds")
}

fn on_loopback(base: &str) -> bool {
    let Some(host) = reqwest::Url::parse(base).ok().and_then(|url| url.host_str().map(str::to_string)) else {
        return false;
    };
    match host.trim_start_matches('[').trim_end_matches(']').parse::<std::net::IpAddr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => host.eq_ignore_ascii_case("localhost"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_of_one_loopback_peer_share_a_pool_until_the_last_lets_go() {
        let first = for_peer("http://127.0.0.1:1").expect("loopback is pooled");
        let second = for_peer("http://127.0.0.1:1").expect("loopback is pooled");
        assert!(Arc::ptr_eq(&first.client, &second.client), "one pool per peer");
        let other = for_peer("http://127.0.0.1:2").expect("loopback is pooled");
        assert!(!Arc::ptr_eq(&first.client, &other.client), "each peer its own pool");
        let weak = Arc::downgrade(&first.client);
        drop((first, second));
        assert!(weak.upgrade().is_none(), "the pool goes with its last holder");
    }

    #[test]
    fn a_kept_pool_is_lent_and_none_is_started_for_the_borrower() {
        assert!(kept("http://127.0.0.1:3").is_none(), "nobody keeps one yet");
        let keeper = for_peer("http://127.0.0.1:3").expect("loopback is pooled");
        let borrowed = kept("http://127.0.0.1:3").expect("the keeper's pool");
        assert!(Arc::ptr_eq(&keeper.client, &borrowed.client));
        drop((keeper, borrowed));
        assert!(kept("http://127.0.0.1:3").is_none(), "gone with its holders, and not started again");
    }

    #[test]
    fn peers_off_loopback_are_not_pooled() {
        assert!(for_peer("http://172.30.0.2:8080").is_none());
        assert!(for_peer("http://tenant:8080").is_none());
        assert!(for_peer("not a url").is_none());
        assert!(for_peer("http://[::1]:8080").is_some());
        assert!(for_peer("http://localhost:8080").is_some());
    }
}
