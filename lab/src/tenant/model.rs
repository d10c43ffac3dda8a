//! The tenant's configuration as Skype for Business Online holds it, and as appliances copy it
//! into their LocalStore. Field names follow the cmdlets' property names.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
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
    /// The external web service URL; stored and shown, clients outside never fetch it.
    pub hybrid_config_service_external_url: Option<String>,
    /// The FQDN the online service hands on-premises PSTN calls to by default; in a Cloud
    /// Connector deployment the lab reads it as the default PSTN site's name (tenant.md).
    pub peer_destination: Option<String>,
    /// Documented default `$true`: hybrid users dial with the on-premises dial plan.
    pub use_on_prem_dial_plan: bool,
}

/// `Set-CsTenantHybridConfiguration`: only what was given changes. `Some(None)` is `$null`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
pub struct HybridConfigurationChange {
    #[serde(default, deserialize_with = "given", skip_serializing_if = "Option::is_none")]
    pub internal_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "given", skip_serializing_if = "Option::is_none")]
    pub external_url: Option<Option<String>>,
    #[serde(default, deserialize_with = "given", skip_serializing_if = "Option::is_none")]
    pub peer_destination: Option<Option<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub use_on_prem_dial_plan: Option<bool>,
}

/// A present field, even `null`, is "given": JSON cannot otherwise tell `$null` from absent.
fn given<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?))
}

/// What an accepted `Set-CsTenantHybridConfiguration` answers: the new configuration and the
/// warnings the administrator sees.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct HybridConfigurationAnswer {
    pub configuration: TenantConfiguration,
    pub warnings: Vec<String>,
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
    /// `Set-CsUserPstnSettings -HybridPstnSite`: the PSTN site each assigned user's calls go
    /// through, by [`user_key`].
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub user_pstn_sites: BTreeMap<String, String>,
    /// `Set-CsUserPstnSettings -AllowInternationalCalls`: the users whose setting was written, by
    /// [`user_key`]; the page documents `$false` for the others.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub user_international_calls: BTreeMap<String, bool>,
}

/// How the tenant keys a user: `Identity` may be the lab user's name or `user@domain`, so both
/// reduce to the lower-case user part (lab choice: one user name per tenant).
pub fn user_key(identity: &str) -> String {
    identity.trim().split('@').next().unwrap_or_default().to_ascii_lowercase()
}

/// `Get-CsUserPstnSettings`, one user.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct UserPstnSettings {
    pub identity: String,
    /// The assigned PSTN site; `None` means the tenant default applies.
    pub hybrid_pstn_site: Option<String>,
    /// Whether the user may place international calls (the page: default `$false`).
    #[serde(default)]
    pub allow_international_calls: bool,
}

/// `Get-CsHybridPSTNSite`, one row (lab choice of properties: the site and its appliances).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct HybridPstnSite {
    pub identity: String,
    pub appliances: Vec<String>,
    /// Whether PeerDestination names this site: users without an assignment call through it.
    pub is_default: bool,
}

/// What the online service tells a client about routing its PSTN calls: the user's PSTN site
/// (when an assignment or the tenant default names one) and which appliances take no new calls.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct PstnRoute {
    /// `None`: neither an assignment nor the default names a site; the client's location decides.
    pub site: Option<String>,
    /// Why this site, e.g. "assigned by Set-CsUserPstnSettings".
    pub reason: String,
    /// Appliances that take no new calls, by name, with why (maintenance, not registered).
    pub unavailable: BTreeMap<String, String>,
}

/// `Get-CsTenant`, the part runbooks use: the id `-Tenant` takes, and the name.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "PascalCase")]
pub struct TenantInfo {
    pub tenant_id: Uuid,
    pub display_name: String,
}

/// The tenant's id, derived from its domain so it is the same on every start and on both
/// backends (lab choice, as for [`appliance_identity`]).
pub fn tenant_id(domain: &str) -> Uuid {
    appliance_identity(domain, "")
}

/// An appliance's Identity, derived from the tenant's domain and the appliance's name, so the
/// same plan gives the same identities on every start and on both backends, and a runbook that
/// holds an appliance's identity (`Set-CsHybridPSTNAppliance -Identity 7af7dc1c-...`) can be
/// rehearsed. **Lab choice:** a name-based UUID of version 8 (RFC 9562, custom) from two FNV-1a
/// hashes of `domain/name` in lower case; the service assigns a random one.
pub fn appliance_identity(domain: &str, name: &str) -> Uuid {
    let text = format!("{}/{}", domain.trim().to_ascii_lowercase(), name.trim().to_ascii_lowercase());
    let fnv = |offset: u64| {
        text.bytes().fold(offset, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0000_0100_0000_01b3))
    };
    let (high, low) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let mut bytes = [0u8; 16];
    bytes[..8].copy_from_slice(&high.to_be_bytes());
    bytes[8..].copy_from_slice(&low.to_be_bytes());
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    Uuid::from_bytes(bytes)
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
    /// `Set-CsHybridPSTNAppliance -MaintenanceMode`: takes no new calls while true.
    #[serde(default)]
    pub maintenance_mode: bool,
    /// False once `Unregister-CcAppliance` ran: the record stays, calls stop.
    #[serde(default = "registered_by_default")]
    pub registered: bool,
}

fn registered_by_default() -> bool {
    true
}

/// What an appliance says about itself when it registers.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApplianceRegistration {
    pub name: String,
    pub site_name: String,
    pub fqdn: String,
    pub address: IpAddr,
    /// Sent by `Register-CcAppliance`: refused when the appliance is already registered, as
    /// documented. Without it (a sync), only an appliance the tenant still counts as registered,
    /// or one the topology lets register itself, is (re-)registered.
    #[serde(default)]
    pub explicit: bool,
}

/// `POST /appliance/unregister`.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ApplianceUnregistration {
    pub name: String,
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

/// The parameters given to `New-CsNetworkMediaBypassConfiguration`; `None` means "not given",
/// so the documented defaults (which depend on one another) can be applied.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MediaBypassParameters {
    pub enabled: Option<bool>,
    pub always_bypass: Option<bool>,
    pub enable_default_bypass_id: Option<bool>,
    pub enabled_for_audio_video_conferences: Option<bool>,
    pub internal_bypass_mode: Option<BypassMode>,
    pub external_bypass_mode: Option<BypassMode>,
    pub bypass_id: Option<Uuid>,
}

/// The warning the cmdlet reference documents for AlwaysBypass True without Enabled True.
pub const ALWAYS_BYPASS_IGNORED: &str = "AlwaysBypass setting is ignored if Enabled is set to false.";

/// The parameters the cmdlet reference lists as not applicable to Skype for Business Online, in
/// the order the cmdlet's syntax lists them.
pub const NOT_APPLICABLE_ONLINE: &[&str] = &[
    "BypassID",
    "EnableDefaultBypassID",
    "ExternalBypassMode",
    "InternalBypassMode",
    "EnabledForAudioVideoConferences",
];

/// The warning for a parameter the online service does not apply (lab choice of wording: the
/// reference says the parameter is not applicable, not what the service prints).
pub fn not_applicable_online(parameter: &str) -> String {
    format!("{parameter} is not applicable to Skype for Business Online: the online service ignores the given value.")
}

impl MediaBypassParameters {
    /// The inapplicable parameters the admin gave, by name.
    fn given_not_applicable(&self) -> Vec<&'static str> {
        let given = [
            self.bypass_id.is_some(),
            self.enable_default_bypass_id.is_some(),
            self.external_bypass_mode.is_some(),
            self.internal_bypass_mode.is_some(),
            self.enabled_for_audio_video_conferences.is_some(),
        ];
        NOT_APPLICABLE_ONLINE.iter().zip(given).filter(|(_, given)| *given).map(|(name, _)| *name).collect()
    }
}

impl MediaBypassSettings {
    /// What `New-CsNetworkMediaBypassConfiguration` builds in memory, with its warnings, as
    /// Skype for Business Online treats it (docs/design/tenant.md, "Media bypass settings").
    ///
    /// Only Enabled and AlwaysBypass take effect: the reference marks the other parameters not
    /// applicable online, so each given one is ignored with a warning and keeps its online value.
    /// InternalBypassMode is `Any` whenever Enabled is True (documented: the cmdlet changes it),
    /// `Off` otherwise. A bypass ID is generated when Enabled and AlwaysBypass are both True,
    /// because clients and gateways compare it per call.
    pub fn new_configuration(p: &MediaBypassParameters) -> (MediaBypassSettings, Vec<String>) {
        let enabled = p.enabled.unwrap_or(false);
        let always_bypass = p.always_bypass.unwrap_or(false);
        let mut warnings = Vec::new();
        if always_bypass && !enabled {
            warnings.push(ALWAYS_BYPASS_IGNORED.to_string());
        }
        warnings.extend(p.given_not_applicable().into_iter().map(not_applicable_online));
        let settings = MediaBypassSettings {
            enabled,
            always_bypass,
            enable_default_bypass_id: false,
            enabled_for_audio_video_conferences: false,
            internal_bypass_mode: if enabled { BypassMode::Any } else { BypassMode::Off },
            external_bypass_mode: BypassMode::Off,
            bypass_id: (enabled && always_bypass).then(Uuid::new_v4),
        };
        (settings, warnings)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_enable_line_gives_always_bypass_with_a_generated_id() {
        let p = MediaBypassParameters { always_bypass: Some(true), enabled: Some(true), ..Default::default() };
        let (s, warnings) = MediaBypassSettings::new_configuration(&p);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(s.enabled && s.always_bypass);
        assert_eq!(s.internal_bypass_mode, BypassMode::Any);
        assert_eq!(s.external_bypass_mode, BypassMode::Off);
        assert!(s.bypass_id.is_some());
        assert!(!s.enable_default_bypass_id && !s.enabled_for_audio_video_conferences);
    }

    #[test]
    fn defaults_are_all_off_without_an_id() {
        let (s, warnings) = MediaBypassSettings::new_configuration(&MediaBypassParameters::default());
        assert_eq!(s, MediaBypassSettings::default());
        assert!(warnings.is_empty());
    }

    #[test]
    fn the_disable_line_gives_off_and_no_id() {
        let p = MediaBypassParameters { enabled: Some(false), ..Default::default() };
        let (s, _) = MediaBypassSettings::new_configuration(&p);
        assert!(!s.enabled);
        assert_eq!(s.internal_bypass_mode, BypassMode::Off);
        assert_eq!(s.bypass_id, None);
    }

    #[test]
    fn always_bypass_without_enabled_warns_and_generates_nothing() {
        let p = MediaBypassParameters { always_bypass: Some(true), enabled: Some(false), ..Default::default() };
        let (s, warnings) = MediaBypassSettings::new_configuration(&p);
        assert_eq!(warnings, vec![ALWAYS_BYPASS_IGNORED.to_string()]);
        assert_eq!(s.bypass_id, None);
        assert!(s.always_bypass);
    }

    #[test]
    fn enabled_changes_internal_bypass_mode_to_any_even_when_off_is_given() {
        let p = MediaBypassParameters {
            enabled: Some(true),
            always_bypass: Some(true),
            internal_bypass_mode: Some(BypassMode::Off),
            ..Default::default()
        };
        let (s, warnings) = MediaBypassSettings::new_configuration(&p);
        assert_eq!(s.internal_bypass_mode, BypassMode::Any);
        assert_eq!(warnings, vec![not_applicable_online("InternalBypassMode")]);
    }

    #[test]
    fn parameters_not_applicable_online_are_ignored_with_one_warning_each() {
        let id = Uuid::new_v4();
        let p = MediaBypassParameters {
            enabled: Some(true),
            enable_default_bypass_id: Some(true),
            enabled_for_audio_video_conferences: Some(true),
            external_bypass_mode: Some(BypassMode::Any),
            bypass_id: Some(id),
            ..Default::default()
        };
        let (s, warnings) = MediaBypassSettings::new_configuration(&p);
        assert_eq!(s.external_bypass_mode, BypassMode::Off);
        assert!(!s.enable_default_bypass_id && !s.enabled_for_audio_video_conferences);
        assert_eq!(
            s.bypass_id, None,
            "EnableDefaultBypassID does not generate an ID online, and a given one is not kept"
        );
        assert_eq!(
            warnings,
            ["BypassID", "EnableDefaultBypassID", "ExternalBypassMode", "EnabledForAudioVideoConferences"]
                .map(not_applicable_online)
                .to_vec()
        );
    }

    #[test]
    fn enabled_alone_generates_no_id() {
        let p = MediaBypassParameters { enabled: Some(true), ..Default::default() };
        let (s, _) = MediaBypassSettings::new_configuration(&p);
        assert_eq!(s.internal_bypass_mode, BypassMode::Any);
        assert_eq!(s.bypass_id, None);
    }
}

#[cfg(test)]
mod identity_tests {
    use super::appliance_identity;

    #[test]
    fn an_appliance_identity_is_the_same_for_the_same_tenant_and_name() {
        let first = appliance_identity("adatum.biz", "ams-cce1");
        assert_eq!(first, appliance_identity("Adatum.biz", "AMS-CCE1"), "names are case-insensitive");
        assert_ne!(first, appliance_identity("adatum.biz", "ams-cce2"));
        assert_ne!(first, appliance_identity("contoso.com", "ams-cce1"));
        assert_eq!(first.get_version_num(), 8);
        assert_eq!(first.get_variant(), uuid::Variant::RFC4122);
    }
}
