//! The DNS server's HTTP surface: the management API the DNS cmdlets reach the server through,
//! and its lab clock (lab choice: routes and codes in docs/design/dns.md).

use super::cmdlets::DnsExecutor;
use super::policy::directory::SharedWrite;
use super::replica::Replica;
use crate::clock::Clock;
use crate::runbook::{Executor, Invocation};
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use std::sync::Arc;

/// The server's lab clock (for `-TimeOfDay` policies) is moved by [`crate::clock::routes`];
/// `/lab/directory` is where domain controllers in their own processes exchange AD writes.
pub fn router(executor: DnsExecutor, clock: Clock, replica: Arc<Replica>, control_token: &str) -> Router {
    let control = Router::new()
        .route("/lab/cmdlet", post(run_cmdlet))
        .route("/lab/directory", get(directory).post(receive))
        .merge(crate::clock::routes(clock.clone()));
    let open = Router::new().route("/healthz", get(|| async { "ok" }));
    Router::new()
        .merge(crate::http::server::open_to_anyone(open))
        .merge(crate::auth::control_routes(control, control_token))
        .layer(Extension(replica))
        .layer(Extension(clock))
        .with_state(executor)
}

async fn directory(Extension(replica): Extension<Arc<Replica>>) -> Json<Vec<SharedWrite>> {
    Json(replica.shared())
}

async fn receive(Extension(replica): Extension<Arc<Replica>>, Json(writes): Json<Vec<SharedWrite>>) -> Response {
    match replica.receive(writes) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => crate::http::refusal(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    }
}

/// A cmdlet's failure is 400 with its error as PowerShell prints it. A change is journaled and
/// replicated before the answer.
async fn run_cmdlet(
    State(executor): State<DnsExecutor>,
    Extension(replica): Extension<Arc<Replica>>,
    Extension(clock): Extension<Clock>,
    body: axum::body::Bytes,
) -> Response {
    let call: Invocation = match serde_json::from_slice(&body) {
        Ok(c) => c,
        Err(e) => return crate::http::refusal(StatusCode::BAD_REQUEST, format!("not a cmdlet invocation: {e}")),
    };
    match executor.execute(&call).await {
        Ok(output) => match replica.applied(&call, clock.now()).await {
            Ok(()) => (StatusCode::OK, Json(output)).into_response(),
            Err(e) => crate::http::refusal(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("the change was applied but not kept: {e}"),
            ),
        },
        Err(error) => crate::http::refusal(StatusCode::BAD_REQUEST, error.message),
    }
}
