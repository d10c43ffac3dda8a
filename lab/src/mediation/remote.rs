//! Talking to a Mediation Server over HTTP, as the lab, a client or an admin would: its control
//! API, its calls, and its web service checked by host name.

use super::call::{CallRequest, CallResult};
use super::document::SERVICE_PATH;
use super::status::ApplianceStatus;
use super::web_service::WebServiceReply;
use crate::http::{ControlClient, RemoteError};
use crate::runbook::{CmdletError, CmdletOutput, Executor, Invocation};
use reqwest::Method;
use std::time::Duration;

/// Who a Mediation Server is in errors: "cannot reach the Mediation Server at ...".
pub const PEER: &str = "the Mediation Server";

/// A Mediation Server's base URL plus the lab's control credential.
#[derive(Clone, Debug)]
pub struct ApplianceRemote {
    control: ControlClient,
}

impl ApplianceRemote {
    pub fn new(base_url: impl Into<String>, control_token: impl Into<String>) -> ApplianceRemote {
        ApplianceRemote { control: ControlClient::new(PEER, base_url, control_token) }
    }

    /// Every request gives up after `timeout`: a client waits less for a call than the lab for
    /// its own calls.
    pub fn with_timeout(self, timeout: Duration) -> ApplianceRemote {
        ApplianceRemote { control: self.control.with_timeout(timeout) }
    }

    pub fn base_url(&self) -> &str {
        self.control.base()
    }

    /// `Get-CcApplianceStatus`.
    pub async fn status(&self) -> Result<ApplianceStatus, RemoteError> {
        self.control.get("/lab/status").await
    }

    /// `false` cuts the appliance's link to the tenant; `true` restores it.
    pub async fn set_link(&self, up: bool) -> Result<(), RemoteError> {
        self.control.set_link(up).await
    }

    /// `false` stops one of the Mediation Server's gateways (the lab's fault); `true` restarts it.
    pub async fn set_gateway(&self, address: std::net::IpAddr, up: bool) -> Result<(), RemoteError> {
        self.control.post_empty("/lab/gateway", &super::routes::GatewayRequest { address, up }).await
    }

    /// Moves the appliance's clock to `to` lab time; returns once its participants caught up.
    pub async fn advance_clock(&self, to: Duration) -> Result<Duration, RemoteError> {
        Ok(Duration::from_millis(self.control.move_clock(to).await?.now_ms))
    }

    pub async fn clock(&self) -> Result<Duration, RemoteError> {
        Ok(Duration::from_millis(self.control.clock().await?.now_ms))
    }

    /// A call through this Mediation Server, as a client places it: with the users' credential
    /// (`user_credential`), not the lab's.
    pub async fn call(&self, request: &CallRequest, user_credential: &str) -> Result<CallResult, RemoteError> {
        let request = self.control.request(Method::POST, "/call").bearer_auth(user_credential).json(request);
        let response = self.control.send_anonymous(request).await?;
        self.control.read(response).await
    }

    /// `GET` the hybridconfig web service naming `host` in the Host header.
    pub async fn fetch_web_service(&self, host: &str) -> Result<WebServiceReply, RemoteError> {
        let request = self.control.request(Method::GET, SERVICE_PATH).header(reqwest::header::HOST, host);
        let response = self.control.reach(request).await?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| self.control.malformed(e.to_string()))?;
        WebServiceReply::read(status, body).map_err(|e| self.control.malformed(e.to_string()))
    }
}

#[async_trait::async_trait]
impl Executor for ApplianceRemote {
    async fn execute(&self, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
        self.control.cmdlet(invocation).await
    }
}
