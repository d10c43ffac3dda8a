//! Talking to a Mediation Server over HTTP, as the lab, a client or an admin would: its control
//! API, its calls, and its web service checked by host name.

use super::call::{CallRequest, CallResult};
use super::document::SERVICE_PATH;
use super::routes::LinkRequest;
use super::status::ApplianceStatus;
use super::web_service::WebServiceReply;
use crate::clock::{ClockMove, ClockReading};
use crate::runbook::{CmdletError, CmdletOutput, Executor, Invocation};
use std::time::Duration;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum ApplianceRemoteError {
    #[error("cannot reach the Mediation Server at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the Mediation Server refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the Mediation Server's answer could not be read: {0}")]
    Malformed(String),
}

/// A Mediation Server's base URL plus the lab's control credential.
#[derive(Clone, Debug)]
pub struct ApplianceRemote {
    pub base_url: String,
    pub control_token: String,
    pub http: reqwest::Client,
}

impl ApplianceRemote {
    pub fn new(base_url: impl Into<String>, control_token: impl Into<String>) -> ApplianceRemote {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(60))
            .pool_idle_timeout(crate::http::POOL_IDLE)
            .no_proxy()
            .build()
            .expect("the Mediation Server HTTP client builds");
        ApplianceRemote {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            control_token: control_token.into(),
            http,
        }
    }

    /// `Get-CcApplianceStatus`.
    pub async fn status(&self) -> Result<ApplianceStatus, ApplianceRemoteError> {
        let response = self.send(self.http.get(self.url("/lab/status")).bearer_auth(&self.control_token)).await?;
        json(expect_success(response).await?).await
    }

    /// `false` cuts the appliance's link to the tenant; `true` restores it.
    pub async fn set_link(&self, up: bool) -> Result<(), ApplianceRemoteError> {
        let request =
            self.http.post(self.url("/lab/link")).bearer_auth(&self.control_token).json(&LinkRequest { tenant: up });
        expect_success(self.send(request).await?).await.map(drop)
    }

    /// `false` stops one of the Mediation Server's gateways (the lab's fault); `true` restarts it.
    pub async fn set_gateway(&self, address: std::net::IpAddr, up: bool) -> Result<(), ApplianceRemoteError> {
        let body = super::routes::GatewayRequest { address, up };
        let request = self.http.post(self.url("/lab/gateway")).bearer_auth(&self.control_token).json(&body);
        expect_success(self.send(request).await?).await.map(drop)
    }

    /// Moves the appliance's clock to `to` lab time; returns once its participants caught up.
    pub async fn advance_clock(&self, to: Duration) -> Result<Duration, ApplianceRemoteError> {
        let body = ClockMove { to_ms: to.as_millis() as u64 };
        let request = self.http.post(self.url("/lab/clock")).bearer_auth(&self.control_token).json(&body);
        let reply: ClockReading = json(expect_success(self.send(request).await?).await?).await?;
        Ok(Duration::from_millis(reply.now_ms))
    }

    pub async fn clock(&self) -> Result<Duration, ApplianceRemoteError> {
        let request = self.http.get(self.url("/lab/clock")).bearer_auth(&self.control_token);
        let reply: ClockReading = json(expect_success(self.send(request).await?).await?).await?;
        Ok(Duration::from_millis(reply.now_ms))
    }

    pub async fn call(&self, request: &CallRequest) -> Result<CallResult, ApplianceRemoteError> {
        let response = self.send(self.http.post(self.url("/call")).json(request)).await?;
        json(expect_success(response).await?).await
    }

    /// `GET` the hybridconfig web service naming `host` in the Host header.
    pub async fn fetch_web_service(&self, host: &str) -> Result<WebServiceReply, ApplianceRemoteError> {
        let request = self.http.get(self.url(SERVICE_PATH)).header(reqwest::header::HOST, host);
        let response = self.send(request).await?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| ApplianceRemoteError::Malformed(e.to_string()))?;
        WebServiceReply::read(status, body).map_err(|e| ApplianceRemoteError::Malformed(e.to_string()))
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    async fn send(&self, request: reqwest::RequestBuilder) -> Result<reqwest::Response, ApplianceRemoteError> {
        request.send().await.map_err(|e| ApplianceRemoteError::Unreachable {
            url: self.base_url.clone(),
            reason: crate::http::error_chain(&e),
        })
    }
}

#[async_trait::async_trait]
impl Executor for ApplianceRemote {
    async fn execute(&self, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
        let request = self.http.post(self.url("/lab/cmdlet")).bearer_auth(&self.control_token).json(invocation);
        let response = self.send(request).await.map_err(|e| CmdletError::new(e.to_string()))?;
        match response.status().as_u16() {
            200 => response
                .json()
                .await
                .map_err(|e| CmdletError::new(ApplianceRemoteError::Malformed(e.to_string()).to_string())),
            400 => Err(response
                .json::<CmdletError>()
                .await
                .unwrap_or_else(|e| CmdletError::new(ApplianceRemoteError::Malformed(e.to_string()).to_string()))),
            _ => Err(CmdletError::new(refusal(response).await.to_string())),
        }
    }
}

async fn expect_success(response: reqwest::Response) -> Result<reqwest::Response, ApplianceRemoteError> {
    if response.status().is_success() {
        Ok(response)
    } else {
        Err(refusal(response).await)
    }
}

async fn refusal(response: reqwest::Response) -> ApplianceRemoteError {
    let (status, message) = crate::http::refusal_reason(response).await;
    ApplianceRemoteError::Refused { status, message }
}

async fn json<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, ApplianceRemoteError> {
    response.json().await.map_err(|e| ApplianceRemoteError::Malformed(e.to_string()))
}
