//! The tenant's configuration as Skype for Business Online holds it, and as appliances copy it
//! into their LocalStore. Field names follow the cmdlets' property names.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::time::Duration;
use uuid::Uuid;

/// `Get-CsTenantHybridConfiguration`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct HybridConfiguration {
    /// Always `Global`.
    pub identity: String,
    /// The media bypass web service URL handed to clients; `None` once cleared with `$null`.
    pub hybrid_config_service_internal_url: Option<String>,
    pub hybrid_config_service_external_url: Option<String>,
    pub peer_destination: Option<String>,
    pub use_on_prem_dial_plan: bool,
}

impl Default for HybridConfiguration {
    fn default() -> Self {
        HybridConfiguration {
            identity: "Global".into(),
            hybrid_config_service_internal_url: None,
            hybrid_config_service_external_url: None,
            peer_destination: None,
            use_on_prem_dial_plan: true,
        }
    }
}

/// `InternalBypassMode` / `ExternalBypassMode` values.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
pub enum BypassMode {
    #[default]
    Off,
    #[serde(rename = "ICE")]
    Ice,
    Any,
}

impl BypassMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BypassMode::Off => "Off",
            BypassMode::Ice => "ICE",
            BypassMode::Any => "Any",
        }
    }

    /// Case-insensitive, as PowerShell binds enum parameters.
    pub fn parse(text: &str) -> Option<BypassMode> {
        match text.to_ascii_lowercase().as_str() {
            "off" => Some(BypassMode::Off),
            "ice" => Some(BypassMode::Ice),
            "any" => Some(BypassMode::Any),
            _ => None,
        }
    }
}

/// What `New-CsNetworkMediaBypassConfiguration` builds and `Set-CsNetworkConfiguration
/// -MediaBypassSettings` stores (overwriting all of it).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "PascalCase")]
pub struct MediaBypassSettings {
    pub enabled: bool,
    pub always_bypass: bool,
    #[serde(rename = "EnableDefaultBypassID")]
    pub enable_default_bypass_id: bool,
    pub enabled_for_audio_video_conferences: bool,
    pub internal_bypass_mode: BypassMode,
    pub external_bypass_mode: BypassMode,
    #[serde(rename = "BypassID")]
    pub bypass_id: Option<Uuid>,
}

/// `Get-CsNetworkConfiguration` (only the part this lab rehearses).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkConfiguration {
    pub identity: String,
    pub media_bypass_settings: MediaBypassSettings,
}

impl Default for NetworkConfiguration {
    fn default() -> Self {
        NetworkConfiguration { identity: "Global".into(), media_bypass_settings: MediaBypassSettings::default() }
    }
}

/// Everything an appliance replicates, stamped with the tenant's configuration version.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct TenantConfiguration {
    /// Grows by one with every accepted change; appliances report the version they hold.
    pub version: u64,
    pub hybrid: HybridConfiguration,
    pub network: NetworkConfiguration,
}

/// `Get-CsHybridPSTNAppliance`, one row.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct ApplianceRecord {
    pub identity: Uuid,
    pub name: String,
    pub site_name: String,
    pub mediation_server_fqdn: String,
    #[serde(rename = "MediationServerIPAddress")]
    pub mediation_server_ip_address: IpAddr,
    /// Lab time of the appliance's last contact with the tenant (lab choice: shown as a duration
    /// since the lab started).
    pub last_contact: Option<Duration>,
    /// The configuration version the appliance last confirmed it stored.
    pub replicated_version: Option<u64>,
}

/// What an appliance says about itself when it registers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApplianceRegistration {
    pub name: String,
    pub site_name: String,
    pub fqdn: String,
    pub address: IpAddr,
}

/// What an appliance reports after a sync.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApplianceContact {
    pub name: String,
    /// Lab time of the contact, by the appliance's clock.
    pub at: Duration,
    /// The version now in its LocalStore.
    pub replicated_version: u64,
}

/// What a signing-in client receives by in-band provisioning.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Provisioning {
    pub user: String,
    /// Always `OnPremOnlineHybrid` for users homed online with on-premises PSTN.
    pub voice_deployment_mode: String,
    /// Absent when media bypass has been permanently disabled.
    pub hybrid_config_service_internal_url: Option<String>,
}
