//! The lab's control plane as a caller sees it: every role that keeps a clock or a link answers
//! the same `/lab/...` routes behind the same credential, so one client speaks to all of them and
//! one error says which peer failed and how.

use crate::clock::{ClockMove, ClockReading};
use serde::de::DeserializeOwned;
use serde::Serialize;
use std::sync::OnceLock;
use std::time::Duration;

/// `POST /lab/link` body: `tenant: false` cuts a Mediation Server's link to the tenant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct LinkRequest {
    pub tenant: bool,
}

/// What went wrong talking to one peer of the lab (a role, a client host, the `up` process).
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{peer}: {kind}")]
pub struct RemoteError {
    /// Who was called, as an admin would name it: "the tenant", "the Mediation Server MS1".
    pub peer: String,
    pub kind: RemoteErrorKind,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum RemoteErrorKind {
    /// No answer at all: the peer is down, or the link to it is cut.
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// An error status; `message` is the `error` of the peer's body.
    #[error("refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("answered something unreadable: {0}")]
    Malformed(String),
}

impl RemoteError {
    pub fn new(peer: impl Into<String>, kind: RemoteErrorKind) -> RemoteError {
        RemoteError { peer: peer.into(), kind }
    }

    /// The peer could not be reached (as opposed to refusing or garbling an answer).
    pub fn is_unreachable(&self) -> bool {
        matches!(self.kind, RemoteErrorKind::Unreachable { .. })
    }

    /// The status of a refusal.
    pub fn status(&self) -> Option<u16> {
        match self.kind {
            RemoteErrorKind::Refused { status, .. } => Some(status),
            _ => None,
        }
    }
}

/// The one HTTP client of the lab's own calls, shared so connections are pooled across callers.
/// Its timeout covers the slowest control call (a clock move waits for due work, and answers
/// within [`crate::clock::MOVE_BUDGET`]); callers with a tighter need set one per request.
pub fn shared() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT.get_or_init(|| super::client(super::LAB_TIMEOUT)).clone()
}

/// A peer's base URL plus the lab's control credential.
#[derive(Clone, Debug)]
pub struct ControlClient {
    peer: String,
    base: String,
    token: String,
    http: reqwest::Client,
}

impl ControlClient {
    pub fn new(peer: impl Into<String>, base: impl Into<String>, token: impl Into<String>) -> ControlClient {
        ControlClient {
            peer: peer.into(),
            base: base.into().trim_end_matches('/').to_string(),
            token: token.into(),
            http: shared(),
        }
    }

    pub fn base(&self) -> &str {
        &self.base
    }

    pub fn peer(&self) -> &str {
        &self.peer
    }

    /// `GET /lab/clock`.
    pub async fn clock(&self) -> Result<ClockReading, RemoteError> {
        self.get("/lab/clock").await
    }

    /// `POST /lab/clock`: answers once the peer has done its work due by `to`, or with the time it
    /// reached when its move budget ran out (ask again).
    pub async fn move_clock(&self, to: Duration) -> Result<ClockReading, RemoteError> {
        self.post("/lab/clock", &ClockMove { to_ms: to.as_millis() as u64 }).await
    }

    /// `POST /lab/link`: `false` cuts the peer's link to the tenant, `true` restores it.
    pub async fn set_link(&self, up: bool) -> Result<(), RemoteError> {
        self.send(self.http.post(self.url("/lab/link")).json(&LinkRequest { tenant: up })).await.map(drop)
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, RemoteError> {
        self.json(self.http.get(self.url(path))).await
    }

    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, RemoteError> {
        self.json(self.http.post(self.url(path)).json(body)).await
    }

    /// A POST whose answer carries nothing the caller needs.
    pub async fn post_empty<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<(), RemoteError> {
        self.send(self.http.post(self.url(path)).json(body)).await.map(drop)
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn error(&self, kind: RemoteErrorKind) -> RemoteError {
        RemoteError::new(self.peer.clone(), kind)
    }

    /// Sends with the control credential; an error status becomes [`RemoteErrorKind::Refused`].
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, RemoteError> {
        let response = request.bearer_auth(&self.token).send().await.map_err(|e| {
            self.error(RemoteErrorKind::Unreachable { url: self.base.clone(), reason: super::error_chain(&e) })
        })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let (status, message) = super::refusal_reason(response).await;
        Err(self.error(RemoteErrorKind::Refused { status, message }))
    }

    pub async fn json<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, RemoteError> {
        let response = self.send(request).await?;
        let body = response.text().await.map_err(|e| self.error(RemoteErrorKind::Malformed(e.to_string())))?;
        serde_json::from_str(&body).map_err(|e| self.error(RemoteErrorKind::Malformed(format!("{e}: {body}"))))
    }
}
