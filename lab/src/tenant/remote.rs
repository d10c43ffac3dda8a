//! Calling the tenant over HTTP, as remote PowerShell, an appliance or a client would.
//! Routes: see docs/design/tenant.md.

use super::model::*;
use std::time::Duration;

#[derive(Debug, thiserror::Error, Clone, PartialEq)]
pub enum TenantRemoteError {
    /// No answer at all: the tenant is down or the link to it is cut.
    #[error("cannot reach the tenant at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    /// The tenant answered with an error status; `message` is its reason.
    #[error("the tenant refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the tenant's answer could not be read: {0}")]
    Malformed(String),
}

/// A tenant base URL plus the caller's credential (admin, appliance or user).
#[derive(Clone, Debug)]
pub struct TenantRemote {
    pub base_url: String,
    pub token: String,
    pub http: reqwest::Client,
}

impl TenantRemote {
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> TenantRemote {
        TenantRemote {
            base_url: base_url.into().trim_end_matches('/').to_string(),
            token: token.into(),
            http: crate::http::client(crate::http::LAB_TIMEOUT),
        }
    }

    /// Whether the tenant answers now (its health check), within `timeout`.
    pub async fn reachable(&self, timeout: Duration) -> Result<(), TenantRemoteError> {
        let url = format!("{}/healthz", self.base_url);
        match self.http.get(&url).timeout(timeout).send().await {
            Ok(r) if r.status().is_success() => Ok(()),
            Ok(r) => {
                Err(TenantRemoteError::Refused { status: r.status().as_u16(), message: "health check failed".into() })
            }
            Err(e) => Err(TenantRemoteError::Unreachable { url, reason: crate::http::error_chain(&e) }),
        }
    }

    // --- tenant administrator (remote PowerShell) ---

    pub async fn hybrid_configuration(&self) -> Result<HybridConfiguration, TenantRemoteError> {
        self.get("/admin/hybrid-configuration").await
    }

    /// `Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl`; `None` clears it.
    pub async fn set_internal_url(&self, url: Option<&str>) -> Result<TenantConfiguration, TenantRemoteError> {
        self.send(reqwest::Method::PUT, "/admin/hybrid-configuration/internal-url", &serde_json::json!({ "url": url }))
            .await
    }

    /// `Set-CsTenantHybridConfiguration` with any of its documented parameters.
    pub async fn set_hybrid_configuration(
        &self,
        change: &HybridConfigurationChange,
    ) -> Result<HybridConfigurationAnswer, TenantRemoteError> {
        self.send(reqwest::Method::PUT, "/admin/hybrid-configuration", change).await
    }

    pub async fn network_configuration(&self) -> Result<NetworkConfiguration, TenantRemoteError> {
        self.get("/admin/network-configuration").await
    }

    /// `Set-CsNetworkConfiguration -MediaBypassSettings`: overwrites all bypass settings.
    pub async fn set_media_bypass(
        &self,
        settings: &MediaBypassSettings,
    ) -> Result<TenantConfiguration, TenantRemoteError> {
        self.send(reqwest::Method::PUT, "/admin/network-configuration/media-bypass-settings", settings).await
    }

    /// The whole configuration with its version.
    pub async fn configuration(&self) -> Result<TenantConfiguration, TenantRemoteError> {
        self.get("/admin/configuration").await
    }

    /// `Get-CsHybridPSTNAppliance`.
    pub async fn appliances(&self) -> Result<Vec<ApplianceRecord>, TenantRemoteError> {
        self.get("/admin/appliances").await
    }

    /// Waits (server-side, up to `timeout`) until every registered appliance reports
    /// `min_version` or later; returns the list as it then stands.
    pub async fn appliances_at(
        &self,
        min_version: u64,
        timeout: Duration,
    ) -> Result<Vec<ApplianceRecord>, TenantRemoteError> {
        self.get(&format!("/admin/appliances?min_version={min_version}&timeout_ms={}", timeout.as_millis())).await
    }

    /// `Set-CsHybridPSTNAppliance -Identity -MaintenanceMode`.
    pub async fn set_maintenance(
        &self,
        identity: &str,
        maintenance_mode: bool,
    ) -> Result<ApplianceRecord, TenantRemoteError> {
        let body = serde_json::json!({ "maintenance_mode": maintenance_mode });
        self.send(reqwest::Method::PUT, &format!("/admin/appliances/{}/maintenance", encode(identity)), &body).await
    }

    /// `Get-CsHybridPSTNSite`.
    pub async fn sites(&self) -> Result<Vec<HybridPstnSite>, TenantRemoteError> {
        self.get("/admin/sites").await
    }

    /// `Get-CsUserPstnSettings -Identity`.
    pub async fn user_pstn_settings(&self, user: &str) -> Result<UserPstnSettings, TenantRemoteError> {
        self.get(&format!("/admin/users/{}/pstn-site", encode(user))).await
    }

    /// `Set-CsUserPstnSettings -Identity -HybridPstnSite`; `None` removes the assignment.
    pub async fn set_user_pstn_site(
        &self,
        user: &str,
        site: Option<&str>,
    ) -> Result<TenantConfiguration, TenantRemoteError> {
        self.send(
            reqwest::Method::PUT,
            &format!("/admin/users/{}/pstn-site", encode(user)),
            &serde_json::json!({ "site": site }),
        )
        .await
    }

    // --- appliance ---

    pub async fn register(&self, registration: &ApplianceRegistration) -> Result<ApplianceRecord, TenantRemoteError> {
        self.send(reqwest::Method::POST, "/appliance/register", registration).await
    }

    /// `Unregister-CcAppliance`.
    pub async fn unregister(&self, name: &str) -> Result<ApplianceRecord, TenantRemoteError> {
        self.send(reqwest::Method::POST, "/appliance/unregister", &ApplianceUnregistration { name: name.to_string() })
            .await
    }

    /// The configuration an appliance replicates.
    pub async fn pull(&self, appliance: &str) -> Result<TenantConfiguration, TenantRemoteError> {
        self.get(&format!("/appliance/configuration?name={}", encode(appliance))).await
    }

    pub async fn report_contact(&self, contact: &ApplianceContact) -> Result<(), TenantRemoteError> {
        self.request(reqwest::Method::POST, "/appliance/contact", Some(contact)).await.map(|_| ())
    }

    // --- user ---

    /// In-band provisioning at sign-in.
    pub async fn provisioning(&self, user: &str) -> Result<Provisioning, TenantRemoteError> {
        self.get(&format!("/provisioning/{}", encode(user))).await
    }

    /// How the online service routes this user's PSTN calls.
    pub async fn pstn_route(&self, user: &str) -> Result<PstnRoute, TenantRemoteError> {
        self.get(&format!("/pstn-route/{}", encode(user))).await
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, TenantRemoteError> {
        let response = self.request::<()>(reqwest::Method::GET, path, None).await?;
        read(response).await
    }

    async fn send<B: serde::Serialize + ?Sized, T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T, TenantRemoteError> {
        let response = self.request(method, path, Some(body)).await?;
        read(response).await
    }

    /// Sends one request; connection failures are `Unreachable`, error statuses `Refused` with
    /// the tenant's own reason.
    async fn request<B: serde::Serialize + ?Sized>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&B>,
    ) -> Result<reqwest::Response, TenantRemoteError> {
        let url = format!("{}{}", self.base_url, path);
        let mut request = self.http.request(method, &url).bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request
            .send()
            .await
            .map_err(|e| TenantRemoteError::Unreachable { url: url.clone(), reason: crate::http::error_chain(&e) })?;
        if response.status().is_success() {
            return Ok(response);
        }
        let (status, message) = crate::http::refusal_reason(response).await;
        Err(TenantRemoteError::Refused { status, message })
    }
}

async fn read<T: serde::de::DeserializeOwned>(response: reqwest::Response) -> Result<T, TenantRemoteError> {
    let bytes = response.bytes().await.map_err(|e| TenantRemoteError::Malformed(crate::http::error_chain(&e)))?;
    serde_json::from_slice(&bytes).map_err(|e| TenantRemoteError::Malformed(e.to_string()))
}

/// Percent-encodes a path or query component (names are letters, digits and '-', users may be
/// e-mail addresses).
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' | b'@' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}
