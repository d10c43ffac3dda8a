//! Lab time across the roles of a containers lab. Each role keeps its own clock; moving them all
//! straight to the target in parallel would let a client's re-fetch at 24h run before an
//! appliance's sync at 20h. So the lab steps every role through the union of their due
//! instants: each role reports its next instant with work, all move to the earliest, again and
//! again, exactly as the embedded lab's one clock does. A role that refuses a move fails it.

use crate::backend::BackendError;
use crate::clock::{format_duration, ClockMove, ClockReading, MOVE_BUDGET};
use crate::http::{ControlClient, RemoteError};
use std::time::{Duration, Instant};

/// How long one role may take to do the work due at one stop.
const MOVE_DEADLINE: Duration = Duration::from_secs(40);

/// The clocks of a lab's roles, each reached with the lab's control credential.
pub struct RoleClocks {
    pub roles: Vec<ControlClient>,
}

impl RoleClocks {
    /// Base URLs of every clock-keeping role.
    pub fn new(urls: &[String], control: &str) -> RoleClocks {
        RoleClocks {
            roles: urls.iter().map(|url| ControlClient::new(format!("the role at {url}"), url, control)).collect(),
        }
    }

    /// Moves every role to `now + by` through every role's due instant on the way. `progress`
    /// hears of the time reached when the move has run longer than a move budget since it last
    /// heard; a role that does not move fails the advance, naming the time the lab stands at.
    pub async fn advance(&self, by: Duration, progress: &(dyn Fn(Duration) + Sync)) -> Result<Duration, BackendError> {
        let mut readings = self.read_all().await?;
        let now = readings.iter().map(|r| r.now_ms).max().unwrap_or(0);
        let target = now + by.as_millis() as u64;
        // A role behind the others (just started) is first brought to the lab's time.
        let mut at = readings.iter().map(|r| r.now_ms).min().unwrap_or(now).min(now);
        let mut reported = Instant::now();
        loop {
            let next = readings.iter().filter_map(|r| r.next_due_ms).filter(|d| *d > at).min().unwrap_or(target);
            let step = if at < now { now } else { next.min(target) };
            readings = self.move_all(step).await.map_err(|e| {
                BackendError::clock_stopped(Duration::from_millis(at), Duration::from_millis(target), e)
            })?;
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

    async fn read_all(&self) -> Result<Vec<ClockReading>, BackendError> {
        let reads = self.roles.iter().map(|role| async move {
            let request = crate::http::control::shared().get(role.url("/lab/clock")).timeout(MOVE_DEADLINE);
            role.json(request).await.map_err(|source| refused(role, "now", source))
        });
        futures::future::try_join_all(reads).await
    }

    async fn move_all(&self, to_ms: u64) -> Result<Vec<ClockReading>, BackendError> {
        let at = format_duration(Duration::from_millis(to_ms));
        let moves = self.roles.iter().map(|role| {
            let at = at.clone();
            async move {
                let request = crate::http::control::shared()
                    .post(role.url("/lab/clock"))
                    .json(&ClockMove { to_ms })
                    .timeout(MOVE_DEADLINE);
                let reading: ClockReading = role.json(request).await.map_err(|source| refused(role, &at, source))?;
                if reading.now_ms < to_ms {
                    return Err(BackendError::ClockStayed {
                        role: role.base().to_string(),
                        at,
                        stayed_ms: reading.now_ms,
                    });
                }
                Ok(reading)
            }
        });
        futures::future::try_join_all(moves).await
    }
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

    /// A role with work at fixed instants; it records every move it is asked for.
    #[derive(Default)]
    struct FakeRole {
        now: u64,
        due: Vec<u64>,
        moves: Vec<u64>,
        refuse: bool,
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
    async fn every_role_stops_at_every_roles_due_instant_in_order() {
        let (a, role_a) = serve(FakeRole { due: vec![20 * H, 44 * H], ..Default::default() }).await;
        let (b, role_b) = serve(FakeRole { due: vec![8 * H, 16 * H, 24 * H], ..Default::default() }).await;
        let clocks = RoleClocks::new(&[a, b], "c");
        let reached = clocks.advance(Duration::from_millis(30 * H), &|_| {}).await;
        assert_eq!(reached.unwrap(), Duration::from_millis(30 * H));
        let expected = vec![8 * H, 16 * H, 20 * H, 24 * H, 30 * H];
        assert_eq!(role_a.lock().unwrap().moves, expected, "A stops at B's instants too");
        assert_eq!(role_b.lock().unwrap().moves, expected);
    }

    #[tokio::test]
    async fn a_role_behind_is_brought_to_the_lab_time_first_and_a_refusal_fails_the_move() {
        let (a, _) = serve(FakeRole { now: 10 * H, ..Default::default() }).await;
        let (b, role_b) = serve(FakeRole { now: 0, due: vec![H], ..Default::default() }).await;
        let clocks = RoleClocks::new(&[a, b], "c");
        assert_eq!(clocks.advance(Duration::from_millis(2 * H), &|_| {}).await.unwrap(), Duration::from_millis(12 * H));
        assert_eq!(role_b.lock().unwrap().moves, vec![10 * H, 12 * H], "b joins the lab's time, then moves with it");

        let (c, _) = serve(FakeRole { refuse: true, ..Default::default() }).await;
        let clocks = RoleClocks::new(&[c], "c");
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
