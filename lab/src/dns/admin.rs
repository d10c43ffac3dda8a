//! The management API the DNS cmdlets reach the server through (lab choice: routes and codes
//! in docs/design/dns.md).

use super::cmdlets::DnsExecutor;
use crate::auth::bearer;
use crate::clock::{Clock, ClockMove, ClockReading};
use crate::runbook::{CmdletError, Executor, Invocation};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;
use std::time::Duration;

#[derive(Clone)]
struct Admin {
    executor: DnsExecutor,
    /// The server's lab clock, for `-TimeOfDay` policies.
    clock: Clock,
    control: Arc<str>,
}

pub fn router(executor: DnsExecutor, clock: Clock, control_token: &str) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/lab/cmdlet", post(run_cmdlet))
        .route("/lab/clock", get(clock_get).post(clock_post))
        .with_state(Admin { executor, clock, control: control_token.into() })
}

fn unauthorized() -> Response {
    let error = CmdletError::new("the DNS management API needs the lab's control credential (Authorization: Bearer <token>)");
    (StatusCode::UNAUTHORIZED, Json(error)).into_response()
}

async fn clock_get(State(admin): State<Admin>, headers: HeaderMap) -> Response {
    if bearer(&headers) != Some(&*admin.control) {
        return unauthorized();
    }
    Json(ClockReading::of(&admin.clock)).into_response()
}

/// Moves the server's clock forward (never back: a move to the past leaves it where it is).
async fn clock_post(State(admin): State<Admin>, headers: HeaderMap, Json(to): Json<ClockMove>) -> Response {
    if bearer(&headers) != Some(&*admin.control) {
        return unauthorized();
    }
    let target = Duration::from_millis(to.to_ms);
    if target > admin.clock.now() {
        if let Err(e) = admin.clock.advance_to(target).await {
            return (StatusCode::INTERNAL_SERVER_ERROR, Json(CmdletError::new(e.to_string()))).into_response();
        }
    }
    Json(ClockReading::of(&admin.clock)).into_response()
}

async fn run_cmdlet(State(admin): State<Admin>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if bearer(&headers) != Some(&*admin.control) {
        return unauthorized();
    }
    let call: Invocation = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(CmdletError::new(format!("not a cmdlet invocation: {e}")))).into_response(),
    };
    match admin.executor.execute(&call).await {
        Ok(output) => (StatusCode::OK, Json(output)).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, Json(error)).into_response(),
    }
}
