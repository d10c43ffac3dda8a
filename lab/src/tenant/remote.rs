//! Calling the tenant over HTTP, as remote PowerShell, an appliance or a client would.
//! Routes: see docs/design/tenant.md.

use super::model::*;
use crate::http::{ControlClient, RemoteError};
use std::time::Duration;

/// Who the tenant is in errors: "cannot reach the tenant at ...".
pub const PEER: &str = "the tenant";

/// A tenant base URL plus the caller's credential (admin, appliance or user).
#[derive(Clone, Debug)]
pub struct TenantRemote {
    control: ControlClient,
}

impl TenantRemote {
    pub fn new(base_url: impl Into<String>, token: impl Into<String>) -> TenantRemote {
        TenantRemote { control: ControlClient::new(PEER, base_url, token) }
    }

    /// Every request gives up after `timeout`: an appliance's syncs and a client's sign-in wait
    /// less than the lab's own calls.
    pub fn with_timeout(self, timeout: Duration) -> TenantRemote {
        TenantRemote { control: self.control.with_timeout(timeout) }
    }

    /// Requests go out on `http` rather than the lab's shared client (a pooled one).
    pub fn with_http(self, http: reqwest::Client) -> TenantRemote {
        TenantRemote { control: self.control.with_http(http) }
    }

    pub fn base_url(&self) -> &str {
        self.control.base()
    }

    /// Whether the tenant answers now (its health check), within `timeout`.
    pub async fn reachable(&self, timeout: Duration) -> Result<(), RemoteError> {
        self.control.healthy(timeout).await
    }

    // --- tenant administrator (remote PowerShell) ---

    pub async fn hybrid_configuration(&self) -> Result<HybridConfiguration, RemoteError> {
        self.get("/admin/hybrid-configuration").await
    }

    /// `Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl`; `None` clears it.
    pub async fn set_internal_url(&self, url: Option<&str>) -> Result<TenantConfiguration, RemoteError> {
        self.send(reqwest::Method::PUT, "/admin/hybrid-configuration/internal-url", &serde_json::json!({ "url": url }))
            .await
    }

    /// `Set-CsTenantHybridConfiguration` with any of its documented parameters.
    pub async fn set_hybrid_configuration(
        &self,
        change: &HybridConfigurationChange,
    ) -> Result<HybridConfigurationAnswer, RemoteError> {
        self.send(reqwest::Method::PUT, "/admin/hybrid-configuration", change).await
    }

    pub async fn network_configuration(&self) -> Result<NetworkConfiguration, RemoteError> {
        self.get("/admin/network-configuration").await
    }

    /// `Set-CsNetworkConfiguration -MediaBypassSettings`: overwrites all bypass settings.
    pub async fn set_media_bypass(&self, settings: &MediaBypassSettings) -> Result<TenantConfiguration, RemoteError> {
        self.send(reqwest::Method::PUT, "/admin/network-configuration/media-bypass-settings", settings).await
    }

    /// The whole configuration with its version.
    /// `Get-CsTenant`: the id `-Tenant` must name.
    pub async fn tenant(&self) -> Result<TenantInfo, RemoteError> {
        self.get("/admin/tenant").await
    }

    pub async fn configuration(&self) -> Result<TenantConfiguration, RemoteError> {
        self.get("/admin/configuration").await
    }

    /// `Get-CsHybridPSTNAppliance`.
    pub async fn appliances(&self) -> Result<Vec<ApplianceRecord>, RemoteError> {
        self.get("/admin/appliances").await
    }

    /// Waits (server-side, up to `timeout`) until every registered appliance reports
    /// `min_version` or later; returns the list as it then stands.
    pub async fn appliances_at(
        &self,
        min_version: u64,
        timeout: Duration,
    ) -> Result<Vec<ApplianceRecord>, RemoteError> {
        self.get(&format!("/admin/appliances?min_version={min_version}&timeout_ms={}", timeout.as_millis())).await
    }

    /// `Set-CsHybridPSTNAppliance -Identity -MaintenanceMode`.
    pub async fn set_maintenance(
        &self,
        identity: &str,
        maintenance_mode: bool,
    ) -> Result<ApplianceRecord, RemoteError> {
        let body = serde_json::json!({ "maintenance_mode": maintenance_mode });
        self.send(reqwest::Method::PUT, &format!("/admin/appliances/{}/maintenance", encode(identity)), &body).await
    }

    /// `Get-CsHybridPSTNSite`.
    pub async fn sites(&self) -> Result<Vec<HybridPstnSite>, RemoteError> {
        self.get("/admin/sites").await
    }

    /// `Get-CsUserPstnSettings -Identity`.
    pub async fn user_pstn_settings(&self, user: &str) -> Result<UserPstnSettings, RemoteError> {
        self.get(&format!("/admin/users/{}/pstn-site", encode(user))).await
    }

    /// `Set-CsUserPstnSettings -Identity -HybridPstnSite`; `None` removes the assignment.
    /// `Set-CsUserPstnSettings -AllowInternationalCalls`, with `-HybridPstnSite` when `site` is
    /// `Some` (`Some(None)` removes the assignment).
    pub async fn set_user_pstn_settings(
        &self,
        user: &str,
        site: Option<Option<&str>>,
        allow_international_calls: bool,
    ) -> Result<TenantConfiguration, RemoteError> {
        let mut body = serde_json::json!({ "allow_international_calls": allow_international_calls });
        if let Some(site) = site {
            body["site"] = serde_json::json!(site);
        }
        self.send(reqwest::Method::PUT, &format!("/admin/users/{}/pstn-site", encode(user)), &body).await
    }

    pub async fn set_user_pstn_site(&self, user: &str, site: Option<&str>) -> Result<TenantConfiguration, RemoteError> {
        self.send(
            reqwest::Method::PUT,
            &format!("/admin/users/{}/pstn-site", encode(user)),
            &serde_json::json!({ "site": site }),
        )
        .await
    }

    // --- appliance ---

    pub async fn register(&self, registration: &ApplianceRegistration) -> Result<ApplianceRecord, RemoteError> {
        self.send(reqwest::Method::POST, "/appliance/register", registration).await
    }

    /// `Unregister-CcAppliance`.
    pub async fn unregister(&self, name: &str) -> Result<ApplianceRecord, RemoteError> {
        self.send(reqwest::Method::POST, "/appliance/unregister", &ApplianceUnregistration { name: name.to_string() })
            .await
    }

    /// The configuration an appliance replicates.
    pub async fn pull(&self, appliance: &str) -> Result<TenantConfiguration, RemoteError> {
        self.get(&format!("/appliance/configuration?name={}", encode(appliance))).await
    }

    pub async fn report_contact(&self, contact: &ApplianceContact) -> Result<(), RemoteError> {
        self.control.post_empty("/appliance/contact", contact).await
    }

    // --- user ---

    /// In-band provisioning at sign-in.
    pub async fn provisioning(&self, user: &str) -> Result<Provisioning, RemoteError> {
        self.get(&format!("/provisioning/{}", encode(user))).await
    }

    /// How the online service routes this user's PSTN calls.
    pub async fn pstn_route(&self, user: &str) -> Result<PstnRoute, RemoteError> {
        self.get(&format!("/pstn-route/{}", encode(user))).await
    }

    async fn get<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, RemoteError> {
        self.control.get(path).await
    }

    async fn send<B: serde::Serialize + ?Sized, T: serde::de::DeserializeOwned>(
        &self,
        method: reqwest::Method,
        path: &str,
        body: &B,
    ) -> Result<T, RemoteError> {
        self.control.json(self.control.request(method, path).json(body)).await
    }
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
