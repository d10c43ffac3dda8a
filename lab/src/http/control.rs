//! The lab's calls to its own roles as a caller sees them: every role answers over the same
//! shared client, refuses with the same body, and every failure says which peer failed and how.
//! The control plane (`/lab/...` behind the lab's control credential) is the common case; the
//! tenant's routes, a Mediation Server's calls and its web service go through the same kit with
//! another credential or none.

use crate::clock::{ClockMove, ClockReading};
use crate::runbook::{CmdletError, CmdletOutput, Invocation};
use reqwest::Method;
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
/// It reads as an admin would say it: "cannot reach the tenant at ...", "the Mediation Server
/// refused the request (409): ...".
#[derive(Debug, Clone, PartialEq)]
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

impl std::fmt::Display for RemoteError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let peer = &self.peer;
        match &self.kind {
            RemoteErrorKind::Unreachable { url, reason } => write!(f, "cannot reach {peer} at {url}: {reason}"),
            RemoteErrorKind::Refused { status, message } => {
                write!(f, "{peer} refused the request ({status}): {message}")
            }
            RemoteErrorKind::Malformed(reason) => write!(f, "{peer}'s answer could not be read: {reason}"),
        }
    }
}

impl std::error::Error for RemoteError {}

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

    /// The peer's own reason for a refusal, without who or how: what an admin's console prints.
    pub fn refusal(&self) -> Option<&str> {
        match &self.kind {
            RemoteErrorKind::Refused { message, .. } => Some(message),
            _ => None,
        }
    }
}

/// A cmdlet that failed remotely reads as PowerShell would print it: the peer's own reason when
/// it refused, the whole story when it could not be asked.
impl From<RemoteError> for CmdletError {
    fn from(e: RemoteError) -> CmdletError {
        match e.kind {
            RemoteErrorKind::Refused { message, .. } => CmdletError::new(message),
            _ => CmdletError::new(e.to_string()),
        }
    }
}

/// The one HTTP client of the lab's own calls. Its timeout covers the slowest control call (a
/// clock move waits for due work, and answers within [`crate::clock::MOVE_BUDGET`]); callers with
/// a tighter need set one per request ([`ControlClient::with_timeout`]). Idle connections are not
/// kept: one process hosts many runtimes (tests, roles started in process), and a pooled
/// connection would outlive the runtime that opened it, or be closed by the role as idle just as
/// a request goes out on it.
pub fn shared() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(super::LAB_TIMEOUT)
                .connect_timeout(super::CONNECT_TIMEOUT)
                .pool_max_idle_per_host(0)
                .no_proxy()
                .build()
                .expect("an HTTP client without TLS builds")
        })
        .clone()
}

/// A peer's base URL plus the caller's credential: the lab's control credential for a role's
/// control routes, an administrator's, appliance's or user's for the tenant.
#[derive(Clone, Debug)]
pub struct ControlClient {
    peer: String,
    base: String,
    token: String,
    timeout: Option<Duration>,
    http: reqwest::Client,
}

impl ControlClient {
    /// Requests go out on kept-alive connections when someone keeps a pool for `base` (an
    /// embedded lab keeps one for each of its single-port roles, [`super::pool::kept`]), else on
    /// the shared client.
    pub fn new(peer: impl Into<String>, base: impl Into<String>, token: impl Into<String>) -> ControlClient {
        let base = base.into().trim_end_matches('/').to_string();
        let http = super::pool::http_for(&base);
        ControlClient { peer: peer.into(), base, token: token.into(), timeout: None, http }
    }

    /// Requests go out on `http` rather than the shared client (a pooled one, [`super::pool`]).
    pub fn with_http(mut self, http: reqwest::Client) -> ControlClient {
        self.http = http;
        self
    }

    /// Every request of this client gives up after `timeout` (connecting included) rather than
    /// the lab's default.
    pub fn with_timeout(mut self, timeout: Duration) -> ControlClient {
        self.timeout = Some(timeout);
        self
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
        self.post_empty("/lab/link", &LinkRequest { tenant: up }).await
    }

    /// `POST /lab/cmdlet`: the role runs the cmdlet. A refusal with 400 is the cmdlet's own
    /// error, as the role words it; any other failure is told in full, after the cmdlet's name.
    pub async fn cmdlet(&self, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
        self.post("/lab/cmdlet", invocation).await.map_err(|e| match e.kind {
            RemoteErrorKind::Refused { status: 400, message } => CmdletError::new(message),
            _ => CmdletError::new(format!("{}: {e}", invocation.cmdlet)),
        })
    }

    /// `GET /healthz` within `timeout`: whether the peer answers now. It needs no credential.
    pub async fn healthy(&self, timeout: Duration) -> Result<(), RemoteError> {
        let request = self.request(Method::GET, "/healthz").timeout(timeout);
        let response = self.reach(request).await?;
        if response.status().is_success() {
            return Ok(());
        }
        let status = response.status().as_u16();
        Err(self.error(RemoteErrorKind::Refused { status, message: "health check failed".into() }))
    }

    pub async fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, RemoteError> {
        self.json(self.request(Method::GET, path)).await
    }

    pub async fn post<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, RemoteError> {
        self.json(self.request(Method::POST, path).json(body)).await
    }

    pub async fn put<B: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, RemoteError> {
        self.json(self.request(Method::PUT, path).json(body)).await
    }

    /// A POST whose answer carries nothing the caller needs.
    pub async fn post_empty<B: Serialize + ?Sized>(&self, path: &str, body: &B) -> Result<(), RemoteError> {
        self.send(self.request(Method::POST, path).json(body)).await.map(drop)
    }

    /// A GET answered in plain text (a log).
    pub async fn get_text(&self, path: &str) -> Result<String, RemoteError> {
        let response = self.send(self.request(Method::GET, path)).await?;
        response.text().await.map_err(|e| self.malformed(super::error_chain(&e)))
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// A request to `path` on the shared client with this client's timeout, not yet carrying
    /// the credential ([`ControlClient::send`] adds it).
    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let request = self.http.request(method, self.url(path));
        match self.timeout {
            Some(timeout) => request.timeout(timeout),
            None => request,
        }
    }

    /// Sends with the credential; an error status becomes [`RemoteErrorKind::Refused`].
    pub async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, RemoteError> {
        let response = self.reach(request.bearer_auth(&self.token)).await?;
        self.accepted(response).await
    }

    /// Sends without the credential (routes anyone on the network may call); an error status
    /// becomes [`RemoteErrorKind::Refused`].
    pub async fn send_anonymous(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, RemoteError> {
        let response = self.reach(request).await?;
        self.accepted(response).await
    }

    /// Sends as it is and hands back whatever status came, for callers that read refusals
    /// themselves (a web service's rejection is an answer, not a failure). An idempotent request
    /// whose connection closed under it goes out once more ([`super::pool::send`]).
    pub async fn reach(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, RemoteError> {
        super::pool::send(request).await.map_err(|e| {
            self.error(RemoteErrorKind::Unreachable { url: self.base.clone(), reason: super::error_chain(&e) })
        })
    }

    /// Sends with the credential and reads the answer as JSON.
    pub async fn json<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, RemoteError> {
        let response = self.send(request).await?;
        self.read(response).await
    }

    /// Reads a successful answer as JSON.
    pub async fn read<T: DeserializeOwned>(&self, response: reqwest::Response) -> Result<T, RemoteError> {
        let body = response.text().await.map_err(|e| self.malformed(super::error_chain(&e)))?;
        serde_json::from_str(&body).map_err(|e| self.malformed(format!("{e}: {body}")))
    }

    pub fn malformed(&self, reason: impl Into<String>) -> RemoteError {
        self.error(RemoteErrorKind::Malformed(reason.into()))
    }

    fn error(&self, kind: RemoteErrorKind) -> RemoteError {
        RemoteError::new(self.peer.clone(), kind)
    }

    async fn accepted(&self, response: reqwest::Response) -> Result<reqwest::Response, RemoteError> {
        if response.status().is_success() {
            return Ok(response);
        }
        let (status, message) = super::refusal_reason(response).await;
        Err(self.error(RemoteErrorKind::Refused { status, message }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    /// A peer answering `{}` to every request, keeping connections alive; counts connections.
    async fn counting_peer() -> (String, Arc<AtomicUsize>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let accepted = Arc::new(AtomicUsize::new(0));
        let count = accepted.clone();
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::SeqCst);
                tokio::spawn(async move {
                    let mut request = Vec::new();
                    let mut buf = [0u8; 1024];
                    while let Ok(n) = stream.read(&mut buf).await {
                        if n == 0 {
                            return;
                        }
                        request.extend_from_slice(&buf[..n]);
                        while let Some(end) = request.windows(4).position(|w| w == b"\r\n\r\n") {
                            request.drain(..end + 4);
                            let answer =
                                b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\ncontent-type: application/json\r\n\r\n{}";
                            if stream.write_all(answer).await.is_err() {
                                return;
                            }
                        }
                    }
                });
            }
        });
        (base, accepted)
    }

    async fn ask_twice(base: &str) {
        for _ in 0..2 {
            let answer: serde_json::Value = ControlClient::new("the peer", base, "token").get("/x").await.unwrap();
            assert_eq!(answer, serde_json::json!({}));
        }
    }

    #[tokio::test]
    async fn clients_of_a_role_whose_connections_are_kept_share_them() {
        let (base, accepted) = counting_peer().await;
        ask_twice(&base).await;
        assert_eq!(accepted.load(Ordering::SeqCst), 2, "nobody keeps connections: one per request");

        let kept = super::super::pool::for_peer(&base).expect("loopback is pooled");
        ask_twice(&format!("{base}/")).await;
        assert_eq!(accepted.load(Ordering::SeqCst), 3, "kept: both requests on one new connection");
        drop(kept);
        ask_twice(&base).await;
        assert_eq!(accepted.load(Ordering::SeqCst), 5, "the pool went with its keeper");
    }
}
