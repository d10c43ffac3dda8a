//! Lab time across the roles of a containers lab. Each role keeps its own clock; moving them all
//! straight to the target in parallel would let a client's re-fetch at 24h run before an
//! appliance's sync at 20h. So the lab stops at every instant a *reader* has work due (a client
//! host's re-fetch reads the Mediation Servers' LocalStores and asks DNS), and at each stop
//! moves the *sources* first (appliances, whose syncs read only the tenant, which keeps no
//! clock; DNS servers, whose policies and AD replication read only their own clock), then the
//! readers. A source does the work due on its way in order inside its own move, so every sync
//! due by a stop is done before any client works at that stop, and none due after it has run:
//! the order the embedded lab's one clock gives, with one message per role per stop instead of
//! one per role at every role's instants (200 Mediation Servers syncing once a day: one stop
//! rather than 200). A role that refuses a move fails it.

use crate::backend::BackendError;
use crate::clock::{format_duration, ClockMove, ClockReading, MOVE_BUDGET};
use crate::http::{ControlClient, RemoteError};
use std::time::{Duration, Instant};

/// How long one role may take to do the work due on one move.
const MOVE_DEADLINE: Duration = Duration::from_secs(40);

/// The clocks of a lab's roles, each reached with the lab's control credential.
pub struct RoleClocks {
    /// Roles whose timed work reads no other role's clock: appliances and DNS servers.
    pub sources: Vec<ControlClient>,
    /// Roles whose timed work reads the sources: client hosts.
    pub readers: Vec<ControlClient>,
}

impl RoleClocks {
    /// Base URLs of every clock-keeping role; those in `readers` are readers.
    pub fn new(urls: &[String], readers: &[String], control: &str) -> RoleClocks {
        let client = |url: &String| ControlClient::new(format!("the role at {url}"), url, control);
        let (read, sourced): (Vec<&String>, Vec<&String>) = urls.iter().partition(|u| readers.contains(u));
        RoleClocks {
            sources: sourced.into_iter().map(client).collect(),
            readers: read.into_iter().map(client).collect(),
        }
    }

    /// Every role, sources first.
    pub fn roles(&self) -> impl Iterator<Item = &ControlClient> {
        self.sources.iter().chain(&self.readers)
    }

    /// Moves every role to `now + by`, stopping at every reader's due instant on the way.
    /// `progress` hears of the time reached when the move has run longer than a move budget
    /// since it last heard; a role that does not move fails the advance, naming the time the
    /// lab stands at.
    pub async fn advance(&self, by: Duration, progress: &(dyn Fn(Duration) + Sync)) -> Result<Duration, BackendError> {
        let sources = read_all(&self.sources).await?;
        let mut readers = read_all(&self.readers).await?;
        let all = || sources.iter().chain(&readers);
        let now = all().map(|r| r.now_ms).max().unwrap_or(0);
        let target = now + by.as_millis() as u64;
        // A role behind the others (just started) is first brought to the lab's time.
        let mut at = all().map(|r| r.now_ms).min().unwrap_or(now).min(now);
        let mut reported = Instant::now();
        loop {
            let next = readers.iter().filter_map(|r| r.next_due_ms).filter(|d| *d > at).min().unwrap_or(target);
            let step = if at < now { now } else { next.min(target) };
            let stopped = |e| BackendError::clock_stopped(Duration::from_millis(at), Duration::from_millis(target), e);
            move_all(&self.sources, step).await.map_err(stopped)?;
            readers = move_all(&self.readers, step).await.map_err(stopped)?;
            at = step;
            if at >= target {
                return Ok(Duration::from_millis(target));
            }
            if reported.elapsed() >= MOVE_BUDGET {
                progress(Duration::from_millis(at));
                reported = Instant::now();
            }
        }
    }
}

async fn read_all(roles: &[ControlClient]) -> Result<Vec<ClockReading>, BackendError> {
    let reads = roles.iter().map(|role| async move {
        let request = crate::http::control::shared().get(role.url("/lab/clock")).timeout(MOVE_DEADLINE);
        role.json(request).await.map_err(|source| refused(role, "now", source))
    });
    futures::future::try_join_all(reads).await
}

async fn move_all(roles: &[ControlClient], to_ms: u64) -> Result<Vec<ClockReading>, BackendError> {
    let at = format_duration(Duration::from_millis(to_ms));
    let moves = roles.iter().map(|role| {
        let at = at.clone();
        async move {
            let request = crate::http::control::shared()
                .post(role.url("/lab/clock"))
                .json(&ClockMove { to_ms })
                .timeout(MOVE_DEADLINE);
            let reading: ClockReading = role.json(request).await.map_err(|source| refused(role, &at, source))?;
            if reading.now_ms < to_ms {
                return Err(BackendError::ClockStayed { role: role.base().to_string(), at, stayed_ms: reading.now_ms });
            }
            Ok(reading)
        }
    });
    futures::future::try_join_all(moves).await
}

fn refused(role: &ControlClient, at: &str, source: RemoteError) -> BackendError {
    BackendError::ClockRefused { role: role.base().to_string(), at: at.to_string(), source }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::extract::State;
    use axum::routing::get;
    use axum::{Json, Router};
    use std::sync::{Arc, Mutex};

    const H: u64 = 3_600_000;

    /// A role with work at fixed instants; it records every move it is asked for, and where
    /// the role it `watches` stood when it moved.
    #[derive(Default)]
    struct FakeRole {
        now: u64,
        due: Vec<u64>,
        moves: Vec<u64>,
        refuse: bool,
        watches: Option<Arc<Mutex<FakeRole>>>,
        watched_at: Vec<u64>,
    }

    type Shared = State<Arc<Mutex<FakeRole>>>;

    fn reading(role: &FakeRole) -> ClockReading {
        ClockReading { now_ms: role.now, next_due_ms: role.due.iter().copied().filter(|d| *d > role.now).min() }
    }

    async fn serve(role: FakeRole) -> (String, Arc<Mutex<FakeRole>>) {
        let shared = Arc::new(Mutex::new(role));
        let app = Router::new()
            .route(
                "/lab/clock",
                get(|State(r): Shared| async move { Json(reading(&r.lock().unwrap())) }).post(
                    |State(r): Shared, Json(m): Json<ClockMove>| async move {
                        let mut role = r.lock().unwrap();
                        role.moves.push(m.to_ms);
                        if let Some(watched) = role.watches.clone() {
                            let seen = watched.lock().unwrap().now;
                            role.watched_at.push(seen);
                        }
                        if !role.refuse {
                            role.now = m.to_ms;
                        }
                        Json(reading(&role))
                    },
                ),
            )
            .with_state(shared.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        (url, shared)
    }

    #[tokio::test]
    async fn sources_reach_each_readers_instant_before_the_reader_works_there() {
        let (a, role_a) = serve(FakeRole { due: vec![20 * H, 44 * H], ..Default::default() }).await;
        let reader = FakeRole { due: vec![8 * H, 16 * H, 24 * H], watches: Some(role_a.clone()), ..Default::default() };
        let (b, role_b) = serve(reader).await;
        let clocks = RoleClocks::new(&[a, b.clone()], &[b], "c");
        let reached = clocks.advance(Duration::from_millis(30 * H), &|_| {}).await;
        assert_eq!(reached.unwrap(), Duration::from_millis(30 * H));
        let expected = vec![8 * H, 16 * H, 24 * H, 30 * H];
        assert_eq!(role_a.lock().unwrap().moves, expected, "A's 20h sync runs inside its move to 24h");
        assert_eq!(role_b.lock().unwrap().moves, expected, "the reader stops at each of its instants");
        assert_eq!(role_b.lock().unwrap().watched_at, expected, "A was there first each time");
    }

    #[tokio::test]
    async fn without_readers_every_source_takes_one_move() {
        let (a, role_a) = serve(FakeRole { due: vec![2 * H, 20 * H], ..Default::default() }).await;
        let (b, role_b) = serve(FakeRole { due: vec![9 * H], ..Default::default() }).await;
        let clocks = RoleClocks::new(&[a, b], &[], "c");
        assert_eq!(
            clocks.advance(Duration::from_millis(24 * H), &|_| {}).await.unwrap(),
            Duration::from_millis(24 * H)
        );
        assert_eq!(role_a.lock().unwrap().moves, vec![24 * H]);
        assert_eq!(role_b.lock().unwrap().moves, vec![24 * H]);
    }

    #[tokio::test]
    async fn a_role_behind_is_brought_to_the_lab_time_first_and_a_refusal_fails_the_move() {
        let (a, _) = serve(FakeRole { now: 10 * H, ..Default::default() }).await;
        let (b, role_b) = serve(FakeRole { now: 0, due: vec![H], ..Default::default() }).await;
        let clocks = RoleClocks::new(&[a, b], &[], "c");
        assert_eq!(clocks.advance(Duration::from_millis(2 * H), &|_| {}).await.unwrap(), Duration::from_millis(12 * H));
        assert_eq!(role_b.lock().unwrap().moves, vec![10 * H, 12 * H], "b joins the lab's time, then moves with it");

        let (c, _) = serve(FakeRole { refuse: true, ..Default::default() }).await;
        let clocks = RoleClocks::new(&[c], &[], "c");
        let refused = clocks.advance(Duration::from_millis(H), &|_| {}).await;
        match refused {
            Err(BackendError::ClockStopped { reached, target, source }) => {
                assert_eq!(
                    (reached, target),
                    (Duration::ZERO, Duration::from_millis(H)),
                    "the lab stands where it was"
                );
                assert!(matches!(*source, BackendError::ClockStayed { stayed_ms: 0, .. }), "{source:?}");
            }
            other => panic!("expected the advance to stop at the time reached, got {other:?}"),
        }
    }
}
