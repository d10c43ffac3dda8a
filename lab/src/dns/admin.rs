//! The management API the DNS cmdlets reach the server through (lab choice: routes and codes
//! in docs/design/dns.md).

use super::cmdlets::DnsExecutor;
use crate::auth::bearer;
use crate::runbook::{CmdletError, Executor, Invocation};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use std::sync::Arc;

#[derive(Clone)]
struct Admin {
    executor: DnsExecutor,
    control: Arc<str>,
}

pub fn router(executor: DnsExecutor, control_token: &str) -> Router {
    Router::new()
        .route("/healthz", get(|| async { "ok" }))
        .route("/lab/cmdlet", post(run_cmdlet))
        .with_state(Admin { executor, control: control_token.into() })
}

async fn run_cmdlet(State(admin): State<Admin>, headers: HeaderMap, body: axum::body::Bytes) -> Response {
    if bearer(&headers) != Some(&*admin.control) {
        let error = CmdletError::new("the DNS management API needs the lab's control credential (Authorization: Bearer <token>)");
        return (StatusCode::UNAUTHORIZED, Json(error)).into_response();
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
