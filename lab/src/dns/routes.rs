//! The management API the DNS cmdlets reach the server through (lab choice: routes and codes
//! in docs/design/dns.md).

use super::cmdlets::DnsExecutor;
use crate::clock::{Clock, ClockMove, ClockReading};
use crate::runbook::{CmdletError, Executor, Invocation};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::time::Duration;

#[derive(Clone)]
struct Admin {
    executor: DnsExecutor,
    /// The server's lab clock, for `-TimeOfDay` policies.
    clock: Clock,
}

pub fn router(executor: DnsExecutor, clock: Clock, control_token: &str) -> Router {
    let control =
        Router::new().route("/lab/cmdlet", post(run_cmdlet)).route("/lab/clock", get(clock_get).post(clock_post));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::auth::control_routes(control, control_token))
        .with_state(Admin { executor, clock })
}

async fn clock_get(State(admin): State<Admin>) -> Response {
    Json(ClockReading::of(&admin.clock)).into_response()
}

/// Moves the server's clock forward (never back: a move to the past leaves it where it is).
async fn clock_post(State(admin): State<Admin>, Json(to): Json<ClockMove>) -> Response {
    let target = Duration::from_millis(to.to_ms);
    if target > admin.clock.now() {
        if let Err(e) = admin.clock.advance_to(target).await {
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(CmdletError::new(e.to_string()))).into_response();
        }
    }
    Json(ClockReading::of(&admin.clock)).into_response()
}

async fn run_cmdlet(State(admin): State<Admin>, body: axum::body::Bytes) -> Response {
    let call: Invocation = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => {
            return (StatusCode::BAD_REQUEST, Json(CmdletError::new(format!("not a cmdlet invocation: {e}"))))
                .into_response()
        }
    };
    match admin.executor.execute(&call).await {
        Ok(output) => (StatusCode::OK, Json(output)).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, Json(error)).into_response(),
    }
}
