//! The process's descriptors as its connections may spend them, so that no caller can take the
//! descriptors a role needs (under `up` every role shares one process and one limit).
//!
//! - The capacity is the descriptor limit minus what the process needs besides its served
//!   connections: [`BASE_RESERVE`] for the process, [`ROLE_RESERVE`] for each role serving
//!   (listeners, stores, its own calls out), and the client ends of the connections its kept
//!   pools may hold idle ([`Budget::keep`], at most a quarter of what the reserves leave).
//! - A connection is *pending* until its route accepts a request on it (a credential, or a
//!   route open to anyone that reads no body), then *admitted*. Pending connections have a
//!   small budget of their own within the capacity ([`Budget::pending_cap`]): however many a
//!   caller opens, the rest stays for admitted ones.
//! - A newcomer over a budget takes the place of a connection on which the peer is the slow one:
//!   the oldest pending connection open for over [`PENDING_GRACE`] and waiting for bytes its
//!   peer has not sent, else (at capacity)
//!   the admitted connection idle the longest, if idle for over [`IDLE_GRACE`]. When there is
//!   none, the newcomer waits and its listener accepts nothing more: further clients wait in
//!   the kernel's listen backlog (and, past it, retry their connection), while connections in
//!   use keep being served.
//!
//! The lock is never held across an await.

use std::collections::BTreeMap;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Descriptors the process keeps besides its roles: standard streams, the runtime's own
/// (epoll, wakers, signals), log and state files, and the lab's own calls.
pub const BASE_RESERVE: u64 = 16;
/// Descriptors each serving role keeps besides its served connections: its listener, and a
/// newcomer accepted while it waits for room. A role's store file and its calls out are not
/// counted per role: a LocalStore is open only while written (at most 32 syncs at once in a
/// process, `mediation::CONCURRENT_PULLS`, and a reset's few threads), and calls go out on kept pools, which reserve
/// their own ([`Budget::keep`]); the rest of this reserve covers them, since a role holds one
/// descriptor (its listener) while no newcomer waits. (A lone Mediation Server holds 13
/// descriptors in all besides its served connections; the embedded lab of 200 × 16 appliances
/// holds about one per role.) Four per role, as before, left a process hosting two such labs
/// (6,400 roles) no capacity at all under a 20,000 limit.
pub const ROLE_RESERVE: u64 = 2;
/// A pending connection younger than this is never closed for a newcomer: a client that has
/// just connected may not have written its request yet.
pub const PENDING_GRACE: Duration = Duration::from_millis(100);
/// An admitted connection idle for less than this is in use (its client is between two
/// requests) and is never closed for a newcomer.
pub const IDLE_GRACE: Duration = Duration::from_secs(1);
/// How often a newcomer waiting for room looks again, besides each time a connection closes:
/// a connection becomes a fair victim (its peer goes quiet) without closing.
const RECHECK: Duration = Duration::from_millis(100);

/// The connections of one process (or of one test's servers) against its descriptors.
pub struct Budget {
    descriptors: u64,
    /// When `last_active` and `opened` count from (the runtime's clock, which tests may move).
    epoch: Instant,
    registry: Mutex<Registry>,
    released: tokio::sync::Notify,
}

#[derive(Default)]
struct Registry {
    next_id: u64,
    /// Roles serving now, each reserving [`ROLE_RESERVE`].
    roles: u64,
    /// Descriptors granted to kept pools ([`Budget::keep`]).
    kept: u64,
    /// By id, that is oldest first.
    pending: BTreeMap<u64, Arc<Connection>>,
    admitted: BTreeMap<u64, Arc<Connection>>,
}

/// One connection as the budget sees it.
pub struct Connection {
    id: u64,
    /// Closes the connection at once: it was chosen to make room.
    close: CancellationToken,
    /// Its last read found nothing to read: the peer owes bytes.
    waiting_on_peer: AtomicBool,
    /// A request on it is being answered.
    busy: AtomicBool,
    /// Milliseconds from the budget's epoch to its last request's start or end.
    last_active: AtomicU64,
    /// Milliseconds from the budget's epoch to its accept.
    opened: AtomicU64,
    admitted: AtomicBool,
}

impl Budget {
    /// The budget of a process allowed `descriptors` open files.
    pub fn for_descriptors(descriptors: u64) -> Arc<Budget> {
        Arc::new(Budget {
            descriptors,
            epoch: Instant::now(),
            registry: Mutex::new(Registry::default()),
            released: tokio::sync::Notify::new(),
        })
    }

    /// This process's budget, from its descriptor limit when first asked.
    pub fn process() -> Arc<Budget> {
        static PROCESS: OnceLock<Arc<Budget>> = OnceLock::new();
        PROCESS
            .get_or_init(|| {
                let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
                // No limit at all: as many as a kernel hands out by default.
                Budget::for_descriptors(limit.unwrap_or(1 << 20))
            })
            .clone()
    }

    /// Connections that may be open at once with the roles serving now.
    pub fn capacity(&self) -> usize {
        self.capacity_of(&self.registry.lock().unwrap())
    }

    fn capacity_of(&self, registry: &Registry) -> usize {
        self.reserves_leave(registry.roles).saturating_sub(registry.kept).max(1) as usize
    }

    /// Descriptors left after the process's and the roles' reserves.
    fn reserves_leave(&self, roles: u64) -> u64 {
        self.descriptors.saturating_sub(BASE_RESERVE + ROLE_RESERVE * roles)
    }

    /// Pending connections that may be open at once: a sixteenth of the capacity, between 16
    /// and 64, and never more than half of it.
    pub fn pending_cap(&self) -> usize {
        Self::pending_cap_of(self.capacity_of(&self.registry.lock().unwrap()))
    }

    /// Descriptors for the client ends of a pool's idle connections, up to `wanted`: kept pools
    /// together hold at most a quarter of what the process's and the roles' reserves leave.
    /// Their role ends are served connections too, so at least half of the capacity stays for
    /// other connections and a role rarely closes a kept connection for a newcomer (which may
    /// race a request going out on it). The capacity shrinks by what was granted
    /// ([`KeptReserve::granted`], possibly 0) until the guard is dropped. A kept connection to a
    /// role of this process costs two descriptors: the client's end, reserved here, and the
    /// role's, an admitted connection the role may close for a newcomer once idle (see the
    /// module's header).
    pub fn keep(self: &Arc<Budget>, wanted: u64) -> KeptReserve {
        let mut registry = self.registry.lock().unwrap();
        let room = (self.reserves_leave(registry.roles) / 4).saturating_sub(registry.kept);
        let granted = wanted.min(room);
        registry.kept += granted;
        KeptReserve { budget: self.clone(), granted }
    }

    /// How many groups of `roles` serving roles, each keeping `kept` idle connections
    /// ([`Budget::keep`]), fit in this budget together with every connection kept: the
    /// keepers' quarter of what the reserves leave must hold all of them. At least one.
    pub fn groups_keeping_all(&self, roles: u64, kept: u64) -> u64 {
        let per_group = 4 * kept + ROLE_RESERVE * roles;
        (self.descriptors.saturating_sub(BASE_RESERVE) / per_group.max(1)).max(1)
    }

    fn pending_cap_of(capacity: usize) -> usize {
        (capacity / 16).clamp(16, 64).min(capacity / 2).max(1)
    }

    /// A role starts serving: the capacity shrinks by its reserve until the guard is dropped.
    pub fn serve_role(self: &Arc<Budget>) -> RoleReserve {
        self.registry.lock().unwrap().roles += 1;
        RoleReserve { budget: self.clone() }
    }

    /// (pending, admitted) connections open now.
    pub fn open(&self) -> (usize, usize) {
        let registry = self.registry.lock().unwrap();
        (registry.pending.len(), registry.admitted.len())
    }

    /// A place for a connection just accepted, as a pending one: at once when there is room or
    /// a connection to close for it, else once there is. See the module's header.
    pub async fn place(self: &Arc<Budget>) -> Ticket {
        loop {
            let released = self.released.notified();
            if let Some(ticket) = self.try_place() {
                return ticket;
            }
            tokio::select! {
                _ = released => {}
                _ = tokio::time::sleep(RECHECK) => {}
            }
        }
    }

    fn try_place(self: &Arc<Budget>) -> Option<Ticket> {
        let now = self.now_ms();
        let mut registry = self.registry.lock().unwrap();
        let capacity = self.capacity_of(&registry);
        let pending_cap = Self::pending_cap_of(capacity);
        let full = |r: &Registry| r.pending.len() + r.admitted.len() >= capacity;
        if registry.pending.len() >= pending_cap || full(&registry) {
            let grace = PENDING_GRACE.as_millis() as u64;
            let slow = registry
                .pending
                .values()
                .find(|c| {
                    c.waiting_on_peer.load(Ordering::SeqCst)
                        && now.saturating_sub(c.opened.load(Ordering::SeqCst)) >= grace
                })
                .map(|c| c.id);
            if let Some(id) = slow {
                registry.pending.remove(&id).expect("found above").close.cancel();
            }
        }
        if full(&registry) {
            let idle = registry
                .admitted
                .values()
                .filter(|c| !c.busy.load(Ordering::SeqCst))
                .map(|c| (c.last_active.load(Ordering::SeqCst), c.id))
                .min()
                .filter(|(last, _)| now.saturating_sub(*last) > IDLE_GRACE.as_millis() as u64);
            if let Some((_, id)) = idle {
                registry.admitted.remove(&id).expect("found above").close.cancel();
            }
        }
        if registry.pending.len() >= pending_cap || full(&registry) {
            return None;
        }
        let id = registry.next_id;
        registry.next_id += 1;
        let connection = Arc::new(Connection {
            id,
            close: CancellationToken::new(),
            waiting_on_peer: AtomicBool::new(false),
            busy: AtomicBool::new(false),
            last_active: AtomicU64::new(now),
            opened: AtomicU64::new(now),
            admitted: AtomicBool::new(false),
        });
        registry.pending.insert(id, connection.clone());
        Some(Ticket { budget: self.clone(), connection })
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }
}

/// A serving role's share of the reserve; dropped when it stops serving.
pub struct RoleReserve {
    budget: Arc<Budget>,
}

impl Drop for RoleReserve {
    fn drop(&mut self) {
        self.budget.registry.lock().unwrap().roles -= 1;
        self.budget.released.notify_waiters();
    }
}

/// A kept pool's share of the descriptors; dropped with the pool.
pub struct KeptReserve {
    budget: Arc<Budget>,
    granted: u64,
}

impl KeptReserve {
    /// Idle connections the pool may keep: 0 when the budget had no room left.
    pub fn granted(&self) -> u64 {
        self.granted
    }
}

impl Drop for KeptReserve {
    fn drop(&mut self) {
        self.budget.registry.lock().unwrap().kept -= self.granted;
        self.budget.released.notify_waiters();
    }
}

/// A connection's place in the budget; dropped when the connection closes.
pub struct Ticket {
    budget: Arc<Budget>,
    connection: Arc<Connection>,
}

impl Ticket {
    /// What the connection's own task and its requests need of its place.
    pub fn handle(&self) -> Admission {
        Admission { budget: self.budget.clone(), connection: self.connection.clone() }
    }

    /// Cancelled when the connection was closed to make room for another.
    pub fn closed(&self) -> CancellationToken {
        self.connection.close.clone()
    }

    /// `stream`, telling the budget when its reads wait on the peer.
    pub fn watch<S>(&self, stream: S) -> Watched<S> {
        Watched { stream, connection: self.connection.clone() }
    }
}

impl Drop for Ticket {
    fn drop(&mut self) {
        let mut registry = self.budget.registry.lock().unwrap();
        registry.pending.remove(&self.connection.id);
        registry.admitted.remove(&self.connection.id);
        drop(registry);
        self.budget.released.notify_waiters();
    }
}

/// A connection's standing, as its requests see it: a route admits it, the server marks its
/// requests' start and end.
#[derive(Clone)]
pub struct Admission {
    budget: Arc<Budget>,
    connection: Arc<Connection>,
}

impl Admission {
    /// The connection's route accepted a request on it: it leaves the pending budget.
    pub fn admit(&self) {
        if self.connection.admitted.swap(true, Ordering::SeqCst) {
            return;
        }
        let mut registry = self.budget.registry.lock().unwrap();
        if let Some(connection) = registry.pending.remove(&self.connection.id) {
            registry.admitted.insert(connection.id, connection);
        }
        drop(registry);
        self.budget.released.notify_waiters();
    }

    pub fn is_admitted(&self) -> bool {
        self.connection.admitted.load(Ordering::SeqCst)
    }

    /// A request on the connection is being answered (`true`) or was answered (`false`).
    pub fn set_busy(&self, busy: bool) {
        self.connection.busy.store(busy, Ordering::SeqCst);
        self.connection.last_active.store(self.budget.now_ms(), Ordering::SeqCst);
    }
}

/// A stream whose reads tell the budget whether the peer owes bytes.
pub struct Watched<S> {
    stream: S,
    connection: Arc<Connection>,
}

impl<S: AsyncRead + Unpin> AsyncRead for Watched<S> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        self.connection.waiting_on_peer.store(polled.is_pending(), Ordering::SeqCst);
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Watched<S> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Budget {
        /// `roles` serving roles' reserves, held until the guards are dropped.
        fn serve_roles_for_test(self: &Arc<Budget>, roles: u64) -> Vec<RoleReserve> {
            (0..roles).map(|_| self.serve_role()).collect()
        }
    }

    #[test]
    fn the_capacity_is_the_limit_less_the_process_and_its_roles() {
        let budget = Budget::for_descriptors(1024);
        assert_eq!(budget.capacity(), 1024 - 16);
        let role = budget.serve_role();
        assert_eq!(budget.capacity(), 1006);
        assert_eq!(budget.pending_cap(), 62);
        drop(role);
        assert_eq!(budget.capacity(), 1008);
        assert_eq!(Budget::for_descriptors(64).pending_cap(), 16);
        assert_eq!(Budget::for_descriptors(BASE_RESERVE + 10).pending_cap(), 5, "never over half");
    }

    #[test]
    fn kept_pools_take_at_most_a_quarter_of_what_the_reserves_leave() {
        let budget = Budget::for_descriptors(BASE_RESERVE + 1000);
        let tenant = budget.keep(32);
        assert_eq!((tenant.granted(), budget.capacity()), (32, 968));
        let appliances = budget.keep(3200);
        assert_eq!(appliances.granted(), 218, "a quarter of 1,000, less the 32 already kept");
        assert_eq!(budget.capacity(), 750);
        assert_eq!(budget.keep(1).granted(), 0, "nothing left to keep");
        drop(appliances);
        assert_eq!(budget.capacity(), 968);
        drop(tenant);
        assert_eq!(budget.capacity(), 1000);
    }

    #[test]
    fn as_many_groups_as_keep_all_their_connections_within_the_keepers_quarter() {
        // CCE's largest lab under a 20,000 limit: 3,200 Mediation Servers and four single-port
        // roles, keeping one connection to each Mediation Server and 32 to each other role.
        let (roles, kept) = (3_204, 3_200 + 4 * 32);
        let budget = Budget::for_descriptors(20_000);
        assert_eq!(budget.groups_keeping_all(roles, kept), 1, "two would need 2 × 19,720");
        let _group = budget.serve_roles_for_test(roles);
        assert_eq!(budget.keep(kept).granted(), kept, "the one group keeps every connection it wants");
        assert_eq!(Budget::for_descriptors(40_000).groups_keeping_all(roles, kept), 2);
        assert_eq!(Budget::for_descriptors(1024).groups_keeping_all(12, 7 + 3 * 32), 2, "the seed under 1,024");
        assert_eq!(Budget::for_descriptors(100).groups_keeping_all(roles, kept), 1, "never none");
    }

    #[tokio::test(start_paused = true)]
    async fn pending_connections_give_way_only_when_their_peer_is_the_slow_one() {
        let budget = Budget::for_descriptors(BASE_RESERVE + 100);
        let mut held = Vec::new();
        for _ in 0..16 {
            held.push(budget.try_place().expect("room for 16 pending"));
        }
        assert!(budget.try_place().is_none(), "16 pending, none of them slow: the newcomer waits");
        held[3].connection.waiting_on_peer.store(true, Ordering::SeqCst);
        assert!(budget.try_place().is_none(), "one just connected may not have written yet");
        tokio::time::advance(PENDING_GRACE).await;
        let newcomer = budget.try_place();
        assert!(held[3].connection.close.is_cancelled(), "the slow one gives way");
        assert!(newcomer.is_some());
        assert!(!held[0].connection.close.is_cancelled());
        held[0].handle().admit();
        assert_eq!(budget.open(), (15, 1), "admitted leaves the pending budget");
        drop(newcomer);
        assert_eq!(budget.open(), (14, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn at_capacity_only_a_connection_idle_past_the_grace_gives_way() {
        let budget = Budget::for_descriptors(BASE_RESERVE + 10);
        let mut held = Vec::new();
        for _ in 0..10 {
            let ticket = budget.try_place().expect("room");
            ticket.handle().admit();
            held.push(ticket);
        }
        assert!(budget.try_place().is_none(), "every admitted connection was active just now");
        tokio::time::advance(IDLE_GRACE + Duration::from_millis(10)).await;
        for (n, ticket) in held.iter().enumerate() {
            // All but 5 and 6 were just active; 6, idle the longest, is answering a request.
            if n != 5 && n != 6 {
                ticket.handle().set_busy(false);
            }
        }
        held[6].handle().set_busy(true);
        held[6].connection.last_active.store(0, Ordering::SeqCst);
        assert!(budget.try_place().is_some(), "the idle one gives way");
        assert!(held[5].connection.close.is_cancelled(), "the idle one, not the busy one");
        assert!(!held[6].connection.close.is_cancelled());
    }
}
