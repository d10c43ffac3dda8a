//! Driving a client host over its control API, for the Lab handle and the CLI.

use super::outcome::FetchOutcome;
use super::routes::{CallOrder, SignInRequest};
use super::status::ClientStatus;
use crate::http::{ControlClient, RemoteError};
use crate::mediation::CallResult;
use std::net::IpAddr;
use std::time::Duration;

/// Who a client host is in errors: "cannot reach the client host at ...".
pub const PEER: &str = "the client host";

/// A client host's base URL plus the lab's control credential.
#[derive(Clone, Debug)]
pub struct ClientRemote {
    control: ControlClient,
}

impl ClientRemote {
    pub fn new(base_url: impl Into<String>, control_token: impl Into<String>) -> ClientRemote {
        ClientRemote { control: ControlClient::new(PEER, base_url, control_token) }
    }

    pub fn base_url(&self) -> &str {
        self.control.base()
    }

    pub async fn sign_in(&self, user: &str, address: IpAddr) -> Result<ClientStatus, RemoteError> {
        self.sign_in_as(user, &SignInRequest { address, version: None, vpn: None, platform: None }).await
    }

    /// Sign-in with a given client build and VPN mode.
    pub async fn sign_in_as(&self, user: &str, request: &SignInRequest) -> Result<ClientStatus, RemoteError> {
        self.control.post(&format!("/users/{user}/signin"), request).await
    }

    pub async fn sign_out(&self, user: &str) -> Result<ClientStatus, RemoteError> {
        self.post_bare(&format!("/users/{user}/signout")).await
    }

    /// Re-fetches the hybridconfig document now.
    pub async fn fetch(&self, user: &str) -> Result<FetchOutcome, RemoteError> {
        self.post_bare(&format!("/users/{user}/fetch")).await
    }

    /// `ipconfig /flushdns` on the user's machine; how many cached names it forgot.
    pub async fn flush_dns(&self, user: &str) -> Result<u64, RemoteError> {
        let reply: serde_json::Value = self.post_bare(&format!("/users/{user}/flushdns")).await?;
        Ok(reply["flushed"].as_u64().unwrap_or(0))
    }

    pub async fn call(&self, user: &str, number: &str) -> Result<CallResult, RemoteError> {
        self.place(user, &CallOrder { number: number.into(), inbound: false }).await
    }

    /// A call either way (`inbound`: a PSTN caller rings the user).
    pub async fn place(&self, user: &str, order: &CallOrder) -> Result<CallResult, RemoteError> {
        self.control.post(&format!("/users/{user}/call"), order).await
    }

    pub async fn status(&self, user: &str) -> Result<ClientStatus, RemoteError> {
        self.control.get(&format!("/users/{user}")).await
    }

    pub async fn list(&self) -> Result<Vec<ClientStatus>, RemoteError> {
        self.control.get("/users").await
    }

    /// The user's `Lync-UccApi-0.UccApilog`.
    pub async fn log(&self, user: &str) -> Result<String, RemoteError> {
        self.control.get_text(&format!("/users/{user}/log")).await
    }

    /// Moves this host's clock to `to` and waits until its users' due fetches are done.
    pub async fn clock_to(&self, to: Duration) -> Result<Duration, RemoteError> {
        Ok(Duration::from_millis(self.control.move_clock(to).await?.now_ms))
    }

    pub async fn clock_now(&self) -> Result<Duration, RemoteError> {
        Ok(Duration::from_millis(self.control.clock().await?.now_ms))
    }

    /// The user actions that take no body.
    async fn post_bare<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, RemoteError> {
        self.control.json(self.control.request(reqwest::Method::POST, path)).await
    }
}
