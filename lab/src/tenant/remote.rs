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
        TenantRemote { base_url: base_url.into().trim_end_matches('/').to_string(), token: token.into(), http: reqwest::Client::new() }
    }

    // --- tenant administrator (remote PowerShell) ---

    pub async fn hybrid_configuration(&self) -> Result<HybridConfiguration, TenantRemoteError> {
        todo!()
    }

    /// `Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl`; `None` clears it.
    pub async fn set_internal_url(&self, url: Option<&str>) -> Result<TenantConfiguration, TenantRemoteError> {
        let _ = url;
        todo!()
    }

    pub async fn network_configuration(&self) -> Result<NetworkConfiguration, TenantRemoteError> {
        todo!()
    }

    /// `Set-CsNetworkConfiguration -MediaBypassSettings`: overwrites all bypass settings.
    pub async fn set_media_bypass(&self, settings: &MediaBypassSettings) -> Result<TenantConfiguration, TenantRemoteError> {
        let _ = settings;
        todo!()
    }

    /// The whole configuration with its version.
    pub async fn configuration(&self) -> Result<TenantConfiguration, TenantRemoteError> {
        todo!()
    }

    /// `Get-CsHybridPSTNAppliance`.
    pub async fn appliances(&self) -> Result<Vec<ApplianceRecord>, TenantRemoteError> {
        todo!()
    }

    /// Waits (server-side, up to `timeout`) until every registered appliance reports
    /// `min_version` or later; returns the list as it then stands.
    pub async fn appliances_at(&self, min_version: u64, timeout: Duration) -> Result<Vec<ApplianceRecord>, TenantRemoteError> {
        let _ = (min_version, timeout);
        todo!()
    }

    // --- appliance ---

    pub async fn register(&self, registration: &ApplianceRegistration) -> Result<ApplianceRecord, TenantRemoteError> {
        let _ = registration;
        todo!()
    }

    /// The configuration an appliance replicates.
    pub async fn pull(&self, appliance: &str) -> Result<TenantConfiguration, TenantRemoteError> {
        let _ = appliance;
        todo!()
    }

    pub async fn report_contact(&self, contact: &ApplianceContact) -> Result<(), TenantRemoteError> {
        let _ = contact;
        todo!()
    }

    // --- user ---

    /// In-band provisioning at sign-in.
    pub async fn provisioning(&self, user: &str) -> Result<Provisioning, TenantRemoteError> {
        let _ = user;
        todo!()
    }
}
