//! The tenant's cmdlets, as remote PowerShell offers them to a tenant administrator.

use super::model::{
    ApplianceRecord, HybridConfigurationChange, MediaBypassSettings, NetworkConfiguration, UserPstnSettings,
};
use super::remote::TenantRemote;
use crate::http::RemoteError;
use crate::runbook::{
    CmdletError, CmdletOutput, CmdletSpec, Executor, Invocation, ParamKind, ParamSpec, PsObject, Target, Value,
};

const URL: &str = "HybridConfigServiceInternalUrl";
const EXTERNAL_URL: &str = "HybridConfigServiceExternalUrl";
const PEER_DESTINATION: &str = "PeerDestination";
const DIAL_PLAN: &str = "UseOnPremDialPlan";

pub const SPECS: &[CmdletSpec] = &[
    CmdletSpec {
        name: "Set-CsTenantHybridConfiguration",
        target: Target::Tenant,
        params: &[
            ParamSpec::named("Identity", ParamKind::String).at(0),
            ParamSpec::named(URL, ParamKind::String).or_null(),
            ParamSpec::named(EXTERNAL_URL, ParamKind::String).or_null(),
            ParamSpec::named(PEER_DESTINATION, ParamKind::String).or_null(),
            ParamSpec::named(DIAL_PLAN, ParamKind::Bool),
        ],
    },
    CmdletSpec {
        name: "Get-CsTenantHybridConfiguration",
        target: Target::Tenant,
        params: &[
            ParamSpec::named("Identity", ParamKind::String).at(0),
            ParamSpec::named("LocalStore", ParamKind::Switch),
        ],
    },
    CmdletSpec {
        name: "Set-CsNetworkConfiguration",
        target: Target::Tenant,
        params: &[
            ParamSpec::named("Identity", ParamKind::String).at(0),
            ParamSpec::named("MediaBypassSettings", ParamKind::Object("MediaBypassSettings")),
        ],
    },
    CmdletSpec {
        name: "Get-CsNetworkConfiguration",
        target: Target::Tenant,
        params: &[
            ParamSpec::named("Identity", ParamKind::String).at(0),
            ParamSpec::named("LocalStore", ParamKind::Switch),
        ],
    },
    CmdletSpec {
        name: "Get-CsHybridPSTNAppliance",
        target: Target::Tenant,
        params: &[
            ParamSpec::named("Identity", ParamKind::String).at(0),
            ParamSpec::named("SiteName", ParamKind::String),
            ParamSpec::named("Name", ParamKind::String),
        ],
    },
    CmdletSpec {
        name: "Set-CsHybridPSTNAppliance",
        target: Target::Tenant,
        params: &[
            ParamSpec::named("Identity", ParamKind::String).at(0).required(),
            ParamSpec::named("MaintenanceMode", ParamKind::Bool),
        ],
    },
    CmdletSpec {
        name: "Get-CsHybridPSTNSite",
        target: Target::Tenant,
        params: &[ParamSpec::named("Identity", ParamKind::String).at(0)],
    },
    CmdletSpec {
        name: "Set-CsUserPstnSettings",
        target: Target::Tenant,
        params: &[
            ParamSpec::named("Identity", ParamKind::String).at(0).required(),
            ParamSpec::named("HybridPstnSite", ParamKind::String).or_null(),
        ],
    },
    CmdletSpec {
        name: "Get-CsUserPstnSettings",
        target: Target::Tenant,
        params: &[ParamSpec::named("Identity", ParamKind::String).at(0)],
    },
];

/// Runs the tenant's cmdlets through a [`TenantRemote`] holding the administrator's credential.
pub struct TenantExecutor {
    remote: TenantRemote,
}

impl TenantExecutor {
    pub fn new(remote: TenantRemote) -> TenantExecutor {
        TenantExecutor { remote }
    }
}

/// The tenant's own reason is what PowerShell would print.
fn failed(e: RemoteError) -> CmdletError {
    CmdletError::from(e)
}

/// The network configuration as an object whose bypass settings keep their type name, so
/// they print expanded and can be handed back to `Set-CsNetworkConfiguration`.
pub fn network_object(network: &NetworkConfiguration) -> PsObject {
    let mut object = PsObject::from_serialize("NetworkConfiguration", network);
    for (name, value) in &mut object.properties {
        if name == "MediaBypassSettings" {
            *value = Value::Object(PsObject::from_serialize("MediaBypassSettings", &network.media_bypass_settings));
        }
    }
    object
}

/// One `Get-CsHybridPSTNAppliance` row; LastContact as a lab clock reading (`day 2 09:14`).
pub fn appliance_object(record: &ApplianceRecord) -> PsObject {
    let mut object = PsObject::from_serialize("HybridPSTNAppliance", record);
    for (name, value) in &mut object.properties {
        if name == "LastContact" {
            *value = match record.last_contact {
                Some(at) => Value::String(crate::clock::clock_time(at)),
                None => Value::Null,
            };
        }
    }
    object
}

fn objects(items: impl Iterator<Item = PsObject>) -> CmdletOutput {
    CmdletOutput { objects: items.map(Value::Object).collect(), warnings: vec![] }
}

/// A string-or-`$null` parameter: absent is "not given", `$null` clears.
fn nullable_string(invocation: &Invocation, name: &str) -> Option<Option<String>> {
    match invocation.get(name)? {
        Value::Null => Some(None),
        value => Some(Some(value.as_str().map(str::to_string).unwrap_or_else(|| value.display()))),
    }
}

/// What a `Set-CsTenantHybridConfiguration` line asks to change.
fn hybrid_change(invocation: &Invocation) -> HybridConfigurationChange {
    HybridConfigurationChange {
        internal_url: nullable_string(invocation, URL),
        external_url: nullable_string(invocation, EXTERNAL_URL),
        peer_destination: nullable_string(invocation, PEER_DESTINATION),
        use_on_prem_dial_plan: match invocation.get(DIAL_PLAN) {
            Some(Value::Bool(b)) => Some(*b),
            _ => None,
        },
    }
}

#[async_trait::async_trait]
impl Executor for TenantExecutor {
    async fn execute(&self, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
        let cmdlet = SPECS
            .iter()
            .find(|s| s.name.eq_ignore_ascii_case(&invocation.cmdlet))
            .ok_or_else(|| CmdletError::new(format!("the tenant does not run {}", invocation.cmdlet)))?;
        match cmdlet.name {
            "Set-CsTenantHybridConfiguration" => {
                let change = hybrid_change(invocation);
                if change == HybridConfigurationChange::default() {
                    return Ok(CmdletOutput::nothing());
                }
                let answer = self.remote.set_hybrid_configuration(&change).await.map_err(failed)?;
                Ok(CmdletOutput { objects: vec![], warnings: answer.warnings })
            }
            "Get-CsTenantHybridConfiguration" => {
                let hybrid = self.remote.hybrid_configuration().await.map_err(failed)?;
                Ok(CmdletOutput::object(Value::Object(PsObject::from_serialize("TenantHybridConfiguration", &hybrid))))
            }
            "Set-CsNetworkConfiguration" => {
                let settings: MediaBypassSettings = match invocation.get("MediaBypassSettings") {
                    // Nothing given, nothing to write (lab choice: the version stays).
                    None => return Ok(CmdletOutput::nothing()),
                    Some(Value::Object(o)) => o
                        .to_deserialize()
                        .map_err(|e| CmdletError::new(format!("the MediaBypassSettings object is incomplete: {e}")))?,
                    _ => return Err(CmdletError::new("MediaBypassSettings must be a MediaBypassSettings object")),
                };
                self.remote.set_media_bypass(&settings).await.map_err(failed)?;
                Ok(CmdletOutput::nothing())
            }
            "Get-CsNetworkConfiguration" => {
                let network = self.remote.network_configuration().await.map_err(failed)?;
                Ok(CmdletOutput::object(Value::Object(network_object(&network))))
            }
            "Get-CsHybridPSTNAppliance" => {
                let mut records = self.remote.appliances().await.map_err(failed)?;
                if let Some(identity) = invocation.string("Identity") {
                    records.retain(|r| {
                        r.name.eq_ignore_ascii_case(identity) || r.identity.to_string().eq_ignore_ascii_case(identity)
                    });
                }
                if let Some(name) = invocation.string("Name") {
                    records.retain(|r| r.name.eq_ignore_ascii_case(name));
                }
                if let Some(site) = invocation.string("SiteName") {
                    records.retain(|r| r.site_name.eq_ignore_ascii_case(site));
                }
                // The tenant's own version beside each appliance's, so "behind" reads at a glance.
                let current = self.remote.configuration().await.map_err(failed)?.version;
                let with_current = |r: &ApplianceRecord| {
                    let mut object = appliance_object(r);
                    let at = object
                        .properties
                        .iter()
                        .position(|(k, _)| k == "ReplicatedVersion")
                        .map_or(object.properties.len(), |i| i + 1);
                    object.properties.insert(at, ("TenantVersion".into(), Value::Int(current as i64)));
                    Value::Object(object)
                };
                Ok(CmdletOutput { objects: records.iter().map(with_current).collect(), warnings: vec![] })
            }
            "Set-CsHybridPSTNAppliance" => {
                let identity = invocation.string("Identity").unwrap_or_default();
                if let Some(Value::Bool(maintenance)) = invocation.get("MaintenanceMode") {
                    self.remote.set_maintenance(identity, *maintenance).await.map_err(failed)?;
                }
                Ok(CmdletOutput::nothing())
            }
            "Get-CsHybridPSTNSite" => {
                let mut sites = self.remote.sites().await.map_err(failed)?;
                if let Some(identity) = invocation.string("Identity") {
                    sites.retain(|s| s.identity.eq_ignore_ascii_case(identity));
                }
                Ok(objects(sites.iter().map(|s| PsObject::from_serialize("HybridPSTNSite", s))))
            }
            "Set-CsUserPstnSettings" => {
                let identity = invocation.string("Identity").unwrap_or_default();
                match nullable_string(invocation, "HybridPstnSite") {
                    None => {}
                    Some(site) => {
                        self.remote.set_user_pstn_site(identity, site.as_deref()).await.map_err(failed)?;
                    }
                }
                Ok(CmdletOutput::nothing())
            }
            "Get-CsUserPstnSettings" => {
                let settings = match invocation.string("Identity") {
                    Some(identity) => vec![self.remote.user_pstn_settings(identity).await.map_err(failed)?],
                    None => self
                        .remote
                        .configuration()
                        .await
                        .map_err(failed)?
                        .user_pstn_sites
                        .into_iter()
                        .map(|(user, site)| UserPstnSettings { identity: user, hybrid_pstn_site: Some(site) })
                        .collect(),
                };
                Ok(objects(settings.iter().map(|s| PsObject::from_serialize("UserPstnSettings", s))))
            }
            other => Err(CmdletError::new(format!("the tenant does not run {other}"))),
        }
    }
}
