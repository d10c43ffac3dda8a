//! The management API the DNS cmdlets reach the server through (lab choice: routes and codes
//! in docs/design/dns.md).

use super::cmdlets::DnsExecutor;
use crate::runbook::{CmdletError, Executor, Invocation};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};

#[derive(Clone)]
struct Admin {
    executor: DnsExecutor,
}

pub fn router(executor: DnsExecutor, control_token: &str) -> Router {
    let control = Router::new().route("/lab/cmdlet", post(run_cmdlet));
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .merge(crate::auth::control_routes(control, control_token))
        .with_state(Admin { executor })
}

async fn run_cmdlet(State(admin): State<Admin>, body: axum::body::Bytes) -> Response {
    let call: Invocation = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return (StatusCode::BAD_REQUEST, Json(CmdletError::new(format!("not a cmdlet invocation: {e}")))).into_response(),
    };
    match admin.executor.execute(&call).await {
        Ok(output) => (StatusCode::OK, Json(output)).into_response(),
        Err(error) => (StatusCode::BAD_REQUEST, Json(error)).into_response(),
    }
}
