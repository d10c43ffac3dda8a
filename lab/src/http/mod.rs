//! HTTP between the lab's roles: what every role's client does the same way, and how every
//! role serves ([`server`]).

pub mod control;
pub mod server;

pub use control::{ControlClient, RemoteError, RemoteErrorKind};

use std::time::Duration;

/// A client for the lab's own endpoints. Proxies from the environment are ignored: the lab's
/// traffic stays on loopback and its own container networks. Pooled connections are dropped
/// well before a role closes them as idle ([`server::Limits::header_read`]), so a request never
/// goes out on a connection the role is closing.
pub fn client(timeout: Duration) -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(timeout)
        .pool_idle_timeout(POOL_IDLE)
        .no_proxy()
        .build()
        .expect("an HTTP client without TLS builds")
}

/// How long the lab's clients keep an idle connection: half the roles' idle limit.
pub const POOL_IDLE: Duration = Duration::from_secs(5);

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

/// The reason of a refused request: the `error` of a JSON body `{"error": "..."}` every role
/// answers with, else the body itself, else the status line.
pub async fn refusal_reason(response: reqwest::Response) -> (u16, String) {
    let status = response.status();
    let text = response.text().await.unwrap_or_default();
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v.get("error").and_then(|e| e.as_str()).map(str::to_string))
        .unwrap_or_else(|| if text.is_empty() { status.to_string() } else { text });
    (status.as_u16(), message)
}

/// Long enough for the slowest lab call (an advance of the clock that waits for every role's due
/// work), short enough that a dead role is reported rather than waited on forever.
pub const LAB_TIMEOUT: Duration = Duration::from_secs(60);
