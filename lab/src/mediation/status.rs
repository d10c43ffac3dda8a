//! `Get-CcApplianceStatus`: what an appliance says about its own replication (lab choice of
//! fields; see docs/DESIGN.md §Appliance status).

use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Duration;
use uuid::Uuid;

/// Whether the Mediation Server's web service serves clients or turns them away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebServiceState {
    Serving,
    Rejecting,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ApplianceStatus {
    pub appliance_name: String,
    pub site_name: String,
    pub mediation_server_fqdn: String,
    #[serde(rename = "MediationServerIPAddress")]
    pub mediation_server_ip_address: IpAddr,
    /// Whether the last sync attempt reached the tenant.
    pub tenant_reachable: bool,
    /// Whether the tenant answers now (probed when the status is read over HTTP); `None` when
    /// not probed.
    #[serde(default)]
    pub tenant_link_up: Option<bool>,
    /// Why the tenant could not be reached, when it could not.
    pub tenant_error: Option<String>,
    /// Lab time of the last successful sync.
    pub last_successful_sync: Option<Duration>,
    /// Lab time of the next scheduled sync.
    pub next_sync: Duration,
    /// The tenant configuration version held in the LocalStore.
    pub replicated_version: Option<u64>,
    pub web_service_state: WebServiceState,
    pub bypass_enabled: bool,
    pub always_bypass: bool,
    #[serde(rename = "BypassID")]
    pub bypass_id: Option<Uuid>,
}
