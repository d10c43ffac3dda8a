//! Driving a client host over its control API, for the Lab handle and the CLI.

use super::outcome::FetchOutcome;
use super::routes::{CallOrder, SignInRequest};
use super::status::ClientStatus;
use crate::clock::{ClockMove, ClockReading};
use crate::mediation::call::CallResult;
use serde::de::DeserializeOwned;
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ClientRemoteError {
    #[error("cannot reach the client host at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The host answered with an error status; `message` is its `error` text.
    #[error("the client host refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the client host's answer could not be read: {0}")]
    Malformed(String),
}

/// A client host's base URL plus the lab's control credential.
#[derive(Clone, Debug)]
pub struct ClientRemote {
    pub base_url: String,
    pub control_token: String,
    pub http: reqwest::Client,
}

impl ClientRemote {
    pub fn new(base_url: impl Into<String>, control_token: impl Into<String>) -> ClientRemote {
        let http =
            reqwest::Client::builder().no_proxy().pool_idle_timeout(crate::http::POOL_IDLE).build().unwrap_or_default();
        ClientRemote {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            control_token: control_token.into(),
            http,
        }
    }

    pub async fn sign_in(&self, user: &str, address: IpAddr) -> Result<ClientStatus, ClientRemoteError> {
        self.json(self.http.post(self.url(&format!("/users/{user}/signin"))).json(&SignInRequest {
            address,
            version: None,
            vpn: None,
        }))
        .await
    }

    /// Sign-in with a given client build and VPN mode.
    pub async fn sign_in_as(&self, user: &str, request: &SignInRequest) -> Result<ClientStatus, ClientRemoteError> {
        self.json(self.http.post(self.url(&format!("/users/{user}/signin"))).json(request)).await
    }

    pub async fn sign_out(&self, user: &str) -> Result<ClientStatus, ClientRemoteError> {
        self.json(self.http.post(self.url(&format!("/users/{user}/signout")))).await
    }

    /// Re-fetches the hybridconfig document now.
    pub async fn fetch(&self, user: &str) -> Result<FetchOutcome, ClientRemoteError> {
        self.json(self.http.post(self.url(&format!("/users/{user}/fetch")))).await
    }

    /// `ipconfig /flushdns` on the user's machine; how many cached names it forgot.
    pub async fn flush_dns(&self, user: &str) -> Result<u64, ClientRemoteError> {
        let reply: serde_json::Value = self.json(self.http.post(self.url(&format!("/users/{user}/flushdns")))).await?;
        Ok(reply["flushed"].as_u64().unwrap_or(0))
    }

    pub async fn call(&self, user: &str, number: &str) -> Result<CallResult, ClientRemoteError> {
        self.json(
            self.http
                .post(self.url(&format!("/users/{user}/call")))
                .json(&CallOrder { number: number.into(), inbound: false }),
        )
        .await
    }

    /// A call either way (`inbound`: a PSTN caller rings the user).
    pub async fn place(&self, user: &str, order: &CallOrder) -> Result<CallResult, ClientRemoteError> {
        self.json(self.http.post(self.url(&format!("/users/{user}/call"))).json(order)).await
    }

    pub async fn status(&self, user: &str) -> Result<ClientStatus, ClientRemoteError> {
        self.json(self.http.get(self.url(&format!("/users/{user}")))).await
    }

    pub async fn list(&self) -> Result<Vec<ClientStatus>, ClientRemoteError> {
        self.json(self.http.get(self.url("/users"))).await
    }

    /// The user's `Lync-UccApi-0.UccApilog`.
    pub async fn log(&self, user: &str) -> Result<String, ClientRemoteError> {
        let response = self.send(self.http.get(self.url(&format!("/users/{user}/log")))).await?;
        response.text().await.map_err(|e| ClientRemoteError::Malformed(e.to_string()))
    }

    /// Moves this host's clock to `to` and waits until its users' due fetches are done.
    pub async fn clock_to(&self, to: Duration) -> Result<Duration, ClientRemoteError> {
        let reading: ClockReading =
            self.json(self.http.post(self.url("/lab/clock")).json(&ClockMove { to_ms: to.as_millis() as u64 })).await?;
        Ok(Duration::from_millis(reading.now_ms))
    }

    pub async fn clock_now(&self) -> Result<Duration, ClientRemoteError> {
        let reading: ClockReading = self.json(self.http.get(self.url("/lab/clock"))).await?;
        Ok(Duration::from_millis(reading.now_ms))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, ClientRemoteError> {
        let response = request.bearer_auth(&self.control_token).send().await.map_err(|e| {
            ClientRemoteError::Unreachable { url: self.base_url.clone(), reason: crate::http::error_chain(&e) }
        })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let (status, message) = crate::http::refusal_reason(response).await;
        Err(ClientRemoteError::Refused { status, message })
    }

    async fn json<T: DeserializeOwned>(&self, request: reqwest::RequestBuilder) -> Result<T, ClientRemoteError> {
        let response = self.send(request).await?;
        let body = response.text().await.map_err(|e| ClientRemoteError::Malformed(e.to_string()))?;
        serde_json::from_str(&body).map_err(|e| ClientRemoteError::Malformed(format!("{e}: {body}")))
    }
}
