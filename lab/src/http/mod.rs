//! HTTP between the lab's roles: what every role's client does the same way, and how every
//! role serves ([`server`]): reading a body only for a request its route accepted ([`body`]),
//! within the process's descriptors ([`budget`]).

pub mod body;
pub mod budget;
pub mod control;
pub mod pool;
pub mod server;
pub mod slot;

pub use control::{ControlClient, LinkRequest, RemoteError, RemoteErrorKind};

use std::time::Duration;

/// A client of its own for the lab's own endpoints, for callers that need another timeout for
/// the whole client; the lab's calls go through [`control::shared`]. Proxies from the environment are ignored: the lab's
/// traffic stays on loopback and its own container networks. Pooled connections are dropped
/// well before a role closes them as idle ([`server::Limits::kept_idle`]), so a request never
/// goes out on a connection the role is closing.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .pool_idle_timeout(POOL_IDLE)
        .no_proxy()
        .build()
        .expect("an HTTP client without TLS builds")
}

/// How long the lab's clients keep an idle connection: half the roles' idle limit between
/// requests ([`server::Limits::kept_idle`]). Shorter, a rehearsal at 3,200 Mediation Servers
/// reconnected to each of them in every scenario that asked them all (steps seconds apart).
pub const POOL_IDLE: Duration = Duration::from_secs(30);

/// reqwest's top-level message ("error sending request") hides the cause; keep the whole chain.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// The error body of every role, `{"error": "<reason>"}`, with `status`: one shape, so a caller
/// reads any role's refusal the same way ([`refusal_reason`]).
pub fn refusal(status: axum::http::StatusCode, reason: impl Into<String>) -> axum::response::Response {
    use axum::response::IntoResponse;
    (status, axum::Json(serde_json::json!({ "error": reason.into() }))).into_response()
}

/// The reason of a refused request: the `error` of the body every role answers errors with
/// ([`refusal`]), else the body itself, else the status line.
pub async fn refusal_reason(response: reqwest::Response) -> (u16, String) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| if text.is_empty() { status.to_string() } else { text });
    (status.as_u16(), message)
}

/// How long the lab's calls wait for a connection. On the lab's own networks a peer that is up
/// accepts at once and a disconnected network fails at once; only a dead link hangs, and it
/// must never hold the lab's clock for long.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(3);

/// Long enough for the slowest lab call (an advance of the clock that waits for every role's due
/// work), short enough that a dead role is reported rather than waited on forever.
pub const LAB_TIMEOUT: Duration = Duration::from_secs(60);
