//! `/lab/clock`, the one route every clock-keeping role serves the same way (a Mediation Server,
//! a client host, a DNS server, the embedded lab's control API), so the lab moves any role's
//! time with the same call and reads the same answer.

use super::Clock;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use std::time::Duration;

/// `POST /lab/clock` body, the same on every clock-keeping role and the embedded lab's control
/// API: move this role's clock to `to_ms` lab milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClockMove {
    pub to_ms: u64,
}

/// `GET /lab/clock`, and the answer to a move once the role has caught up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ClockReading {
    pub now_ms: u64,
    /// The role's next instant with work, so a lab of several clocks can stop every role there
    /// and keep work across roles in lab-time order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_due_ms: Option<u64>,
}

impl ClockReading {
    pub fn of(clock: &Clock) -> ClockReading {
        let ms = |d: Duration| d.as_millis() as u64;
        // Rounded up: a move to that millisecond reaches the due instant, which may fall between
        // two milliseconds (an appliance's sync offset has nanoseconds).
        let ceil_ms = |d: Duration| d.as_nanos().div_ceil(1_000_000) as u64;
        ClockReading { now_ms: ms(clock.now()), next_due_ms: clock.next_due().map(ceil_ms) }
    }
}

/// A move asked for over HTTP answers after about this much real time (plus one catch-up) with
/// the time reached, so no advance, however long, outlives its caller's request timeout; the
/// caller asks again until the target is reached.
pub const MOVE_BUDGET: Duration = Duration::from_secs(15);

/// `GET /lab/clock` reads the role's clock; `POST /lab/clock` moves it toward `to_ms` (never
/// back: a move to the past leaves it where it is) and answers with the time reached. Merged
/// into a role's control routes, behind the control credential.
pub fn routes<S: Clone + Send + Sync + 'static>(clock: Clock) -> Router<S> {
    Router::new().route("/lab/clock", get(read).post(advance)).with_state(clock)
}

async fn read(State(clock): State<Clock>) -> Json<ClockReading> {
    Json(ClockReading::of(&clock))
}

/// A clock whose participants do not catch up answers 504 with the laggards named.
async fn advance(State(clock): State<Clock>, Json(to): Json<ClockMove>) -> Response {
    match clock.advance_toward(Duration::from_millis(to.to_ms), Some(MOVE_BUDGET)).await {
        Ok(_) => Json(ClockReading::of(&clock)).into_response(),
        Err(e) => crate::http::refusal(StatusCode::GATEWAY_TIMEOUT, e.to_string()),
    }
}
