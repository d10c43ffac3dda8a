//! Kept-alive connections to peers on loopback, shared by the many callers of one lab.
//!
//! The lab's shared client ([`super::control::shared`]) opens a connection per request: one
//! process may host several runtimes, and a pooled connection must not outlive the runtime that
//! opened it. An embedded lab's own calls are the exception worth pooling for: they all run on the
//! lab's runtime, and a new connection per request (connect, accept, a task on each side,
//! teardown, and an entry in the kernel's connection tracking for two minutes after) costs more
//! than the request itself. Its appliances keep a pool to their tenant; the lab keeps one to each
//! role answering on a single port (tenant, client host, DNS management) and one shared by its
//! Mediation Servers ([`for_peers`]), which every [`super::ControlClient`] to those roles, and
//! every client's fetch of a web service, borrows ([`kept`]).
//!
//! A pool is shared by every holder of its [`PooledClient`] for its base URLs and dropped with
//! the last of them, so a lab that stops takes its connections with it and the next lab on the
//! same port starts a pool of its own. Its idle connections are bounded by the process's
//! descriptors ([`super::budget::Budget::keep`]): a pool keeps what the budget grants, and the
//! Mediation Servers' pool covers only as many of them as it was granted connections (the rest
//! are reached a connection per request, as before). Only loopback peers are pooled: on a
//! container network the lab cuts a link by disconnecting it, and a request must then fail at
//! once on a new connection rather than wait out its timeout on an old one.

use super::budget::{Budget, KeptReserve};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, Weak};

/// How many idle connections a pool to one peer keeps: the lab's steps and status reads ask a
/// single-port role at most this many things at once, so more would never be reused.
pub const MAX_IDLE: usize = 32;

/// How many idle connections the pool to a lab's tenant keeps: its appliances' syncs have at
/// most this many requests in flight at once (pulls, and contact reports waiting for commits).
pub const TO_TENANT: usize = crate::mediation::CONCURRENT_PULLS + crate::mediation::CONCURRENT_REPORTS;

/// How many idle connections the Mediation Servers' pool keeps to each of them: the lab asks
/// many Mediation Servers at once but each rarely twice at once, and thousands of them share the
/// descriptors.
pub const IDLE_PER_MEDIATION_SERVER: usize = 1;

/// A client keeping connections to its peers; clones share the pool.
#[derive(Clone)]
pub struct PooledClient {
    client: Arc<Kept>,
}

/// A pool and the descriptors it holds in the process's budget.
struct Kept {
    http: reqwest::Client,
    _reserve: KeptReserve,
}

impl PooledClient {
    pub fn http(&self) -> reqwest::Client {
        self.client.http.clone()
    }
}

/// The pool for `base` (e.g. `http://127.0.0.1:41000`) shared with every other holder, or `None`
/// when `base` is not on loopback (see the module's header) or the budget has no room for it.
pub fn for_peer(base: &str) -> Option<PooledClient> {
    for_peer_keeping(base, MAX_IDLE)
}

/// As [`for_peer`], a new pool keeping up to `idle` connections (an existing one stays as it is).
pub fn for_peer_keeping(base: &str, idle: usize) -> Option<PooledClient> {
    if !on_loopback(base) {
        return None;
    }
    let mut pools = pools().lock().unwrap();
    if let Some(client) = pools.get(base).and_then(Weak::upgrade) {
        return Some(PooledClient { client });
    }
    let reserve = Budget::process().keep(idle as u64);
    let idle = reserve.granted() as usize;
    if idle == 0 {
        return None;
    }
    pools.retain(|_, pool| pool.strong_count() > 0);
    let client = Arc::new(Kept { http: build(idle), _reserve: reserve });
    pools.insert(base.to_string(), Arc::downgrade(&client));
    Some(PooledClient { client })
}

/// One pool for many peers of one kind (a lab's Mediation Servers), keeping
/// [`IDLE_PER_MEDIATION_SERVER`] idle connections to each of the first of `bases` on loopback
/// that the budget has room for; `None` when it has room for none. A base already kept by
/// another pool stays with it.
pub fn for_peers<'a>(bases: impl IntoIterator<Item = &'a str>) -> Option<PooledClient> {
    let bases: Vec<&str> = bases.into_iter().filter(|base| on_loopback(base)).collect();
    let reserve = Budget::process().keep((bases.len() * IDLE_PER_MEDIATION_SERVER) as u64);
    let peers = reserve.granted() as usize / IDLE_PER_MEDIATION_SERVER;
    if peers == 0 {
        return None;
    }
    let client = Arc::new(Kept { http: build(IDLE_PER_MEDIATION_SERVER), _reserve: reserve });
    let mut pools = pools().lock().unwrap();
    pools.retain(|_, pool| pool.strong_count() > 0);
    for base in bases.into_iter().take(peers) {
        pools.entry(base.to_string()).or_insert_with(|| Arc::downgrade(&client));
    }
    Some(PooledClient { client })
}

/// How many embedded labs of `appliances` Mediation Servers and `single_port_roles` other
/// roles this process can run at once with every connection each lab keeps
/// (`backend::embedded`: [`MAX_IDLE`] to each single-port role but the tenant, [`TO_TENANT`] to
/// it, [`IDLE_PER_MEDIATION_SERVER`] to each Mediation Server) within its descriptors. Beyond it a lab's Mediation Servers are
/// reached a connection per request, which at 3,200 of them cost tens of thousands of
/// connections per rehearsal.
pub fn labs_keeping_all(appliances: usize, single_port_roles: usize) -> usize {
    let kept = appliances * IDLE_PER_MEDIATION_SERVER + single_port_roles.saturating_sub(1) * MAX_IDLE + TO_TENANT;
    Budget::process().groups_keeping_all((appliances + single_port_roles) as u64, kept as u64) as usize
}

/// The pool for `base` while another holder keeps it, without starting one: for a caller that
/// makes too few requests to keep connections of its own, but may share those kept for a run of
/// many (a runbook run keeps its DNS servers', and each cmdlet's request borrows them).
pub fn kept(base: &str) -> Option<PooledClient> {
    pools().lock().unwrap().get(base).and_then(Weak::upgrade).map(|client| PooledClient { client })
}

/// Sends `request`, and sends it once more on a new connection when it is idempotent (`GET`,
/// `HEAD`, `PUT`, `DELETE`) and the connection it went out on was closed under it before any
/// answer (reset, or closed before the answer began). A kept connection is the usual one: a role
/// at capacity closes an idle connection for a newcomer (`http::budget`), and a pool may take
/// that very connection in the same moment. HTTP lets a client repeat an idempotent request
/// after such a close (RFC 9110, 9.2.2); anything else is reported as it failed.
pub async fn send(request: reqwest::RequestBuilder) -> reqwest::Result<reqwest::Response> {
    use reqwest::Method;
    // Built once: the copy kept for a second try is made only for an idempotent request.
    let (client, request) = request.build_split();
    let request = request?;
    let idempotent = matches!(*request.method(), Method::GET | Method::HEAD | Method::PUT | Method::DELETE);
    let again = if idempotent { request.try_clone() } else { None };
    match (client.execute(request).await, again) {
        (Err(e), Some(again)) if closed_under(&e) => client.execute(again).await,
        (sent, _) => sent,
    }
}

/// The connection closed before any answer: reset by the peer, or closed before the answer
/// began.
fn closed_under(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(cause) = source {
        if let Some(hyper) = cause.downcast_ref::<hyper::Error>() {
            if hyper.is_incomplete_message() {
                return true;
            }
        }
        if let Some(io) = cause.downcast_ref::<std::io::Error>() {
            if matches!(io.kind(), std::io::ErrorKind::ConnectionReset | std::io::ErrorKind::BrokenPipe) {
                return true;
            }
        }
        source = cause.source();
    }
    false
}

/// The client for `base`: its kept pool if someone keeps one, else the lab's shared client (a
/// connection per request).
pub fn http_for(base: &str) -> reqwest::Client {
    kept(base.trim_end_matches('/')).map_or_else(super::control::shared, |pool| pool.http())
}

/// Every pool by base URL, held weakly: a pool lives as long as its holders.
fn pools() -> &'static Mutex<HashMap<String, Weak<Kept>>> {
    static POOLS: OnceLock<Mutex<HashMap<String, Weak<Kept>>>> = OnceLock::new();
    POOLS.get_or_init(Default::default)
}

/// Idle connections are dropped well before a role closes them as idle ([`super::POOL_IDLE`]),
/// so a request never goes out on a connection the role is closing.
fn build(idle_per_peer: usize) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(super::LAB_TIMEOUT)
        .connect_timeout(super::CONNECT_TIMEOUT)
        .pool_idle_timeout(super::POOL_IDLE)
        .pool_max_idle_per_host(idle_per_peer)
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
    fn many_peers_share_one_pool_and_each_base_stays_with_its_first_keeper() {
        let alone = for_peer("http://127.0.0.1:4").expect("loopback is pooled");
        let shared = for_peers(["http://127.0.0.1:4", "http://127.0.0.1:5", "http://10.0.0.1:6"]).expect("pooled");
        let five = kept("http://127.0.0.1:5").expect("kept by the shared pool");
        assert!(Arc::ptr_eq(&five.client, &shared.client));
        assert!(Arc::ptr_eq(&kept("http://127.0.0.1:4").unwrap().client, &alone.client), "kept already");
        assert!(kept("http://10.0.0.1:6").is_none(), "off loopback");
        drop((shared, five));
        assert!(kept("http://127.0.0.1:5").is_none(), "gone with its holders");
    }

    /// A peer that closes its first connection once a request arrived on it, without answering,
    /// and answers `{}` on the others; counts connections.
    async fn closing_first_peer() -> (String, Arc<std::sync::atomic::AtomicUsize>) {
        use std::sync::atomic::{AtomicUsize, Ordering};
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let first = count.fetch_add(1, Ordering::SeqCst) == 0;
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    if matches!(stream.read(&mut buf).await, Ok(0) | Err(_)) || first {
                        return;
                    }
                    let answer = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\n{}";
                    let _ = stream.write_all(answer).await;
                });
            }
        });
        (base, accepted)
    }

    #[tokio::test]
    async fn an_idempotent_request_whose_connection_closed_under_it_goes_out_once_more() {
        use std::sync::atomic::Ordering;
        let (base, accepted) = closing_first_peer().await;
        let http = build(1);
        let answer = send(http.get(format!("{base}/x"))).await.expect("answered on a second connection");
        assert_eq!(answer.text().await.unwrap(), "{}");
        assert_eq!(accepted.load(Ordering::SeqCst), 2);

        let (base, accepted) = closing_first_peer().await;
        let refused = send(http.post(format!("{base}/x")).body("{}")).await;
        assert!(refused.is_err(), "a POST is not repeated");
        assert_eq!(accepted.load(Ordering::SeqCst), 1);
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
