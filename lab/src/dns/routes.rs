//! The DNS server's HTTP surface: the management API the DNS cmdlets reach the server through,
//! and its lab clock (lab choice: routes and codes in docs/design/dns.md).

use super::cmdlets::DnsExecutor;
use crate::clock::Clock;
use crate::runbook::{Executor, Invocation};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

/// The server's lab clock (for `-TimeOfDay` policies) is moved by [`crate::clock::routes`].
pub fn router(executor: DnsExecutor, clock: Clock, control_token: &str) -> Router {
    let control = Router::new().route("/lab/cmdlet", post(run_cmdlet)).merge(crate::clock::routes(clock));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::auth::control_routes(control, control_token))
        .with_state(executor)
}

/// A cmdlet's failure is 400 with its error as PowerShell prints it.
async fn run_cmdlet(State(executor): State<DnsExecutor>, body: axum::body::Bytes) -> Response {
    let call: Invocation = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return crate::http::refusal(StatusCode::BAD_REQUEST, format!("not a cmdlet invocation: {e}")),
    };
    match executor.execute(&call).await {
        Ok(output) => (StatusCode::OK, Json(output)).into_response(),
        Err(error) => crate::http::refusal(StatusCode::BAD_REQUEST, error.message),
    }
}
