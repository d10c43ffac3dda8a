//! The tenant's cmdlets, as remote PowerShell offers them to a tenant administrator: each spec
//! beside its handler, so a cmdlet's name is written once.

use super::model::{ApplianceRecord, HybridConfigurationChange, MediaBypassSettings, UserPstnSettings};
use super::objects::{appliance_object, network_object};
use super::remote::TenantRemote;
use crate::clock::TimeOfDay;
use crate::http::RemoteError;
use crate::runbook::{
    find, Cmdlet, CmdletError, CmdletOutput, CmdletSpec, Executor, Invocation, ParamKind, ParamSpec, PsObject, Target,
    Value,
};
use futures::future::BoxFuture;

const URL: &str = "HybridConfigServiceInternalUrl";
const EXTERNAL_URL: &str = "HybridConfigServiceExternalUrl";
const PEER_DESTINATION: &str = "PeerDestination";
const DIAL_PLAN: &str = "UseOnPremDialPlan";
/// `-Tenant <Guid>`: "the tenant account on which the cmdlet will operate".
const TENANT: ParamSpec = ParamSpec::named("Tenant", ParamKind::String);

/// What the tenant does for one cmdlet, through the administrator's session.
type Handler = for<'a> fn(&'a TenantExecutor, &'a Invocation) -> BoxFuture<'a, Result<CmdletOutput, CmdletError>>;

const CMDLETS: &[Cmdlet<Handler>] = &[
    Cmdlet {
        spec: CmdletSpec {
            name: "Set-CsTenantHybridConfiguration",
            target: Target::Tenant,
            params: &[
                ParamSpec::named("Identity", ParamKind::String).at(0),
                ParamSpec::named(URL, ParamKind::String).or_null(),
                ParamSpec::named(EXTERNAL_URL, ParamKind::String).or_null(),
                ParamSpec::named(PEER_DESTINATION, ParamKind::String).or_null(),
                ParamSpec::named(DIAL_PLAN, ParamKind::Bool),
                TENANT,
            ],
        },
        handler: |t, call| Box::pin(set_hybrid_configuration(&t.remote, call)),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-CsTenantHybridConfiguration",
            target: Target::Tenant,
            params: &[
                ParamSpec::named("Identity", ParamKind::String).at(0),
                ParamSpec::named("LocalStore", ParamKind::Switch),
                TENANT,
            ],
        },
        handler: |t, call| Box::pin(hybrid_configuration(&t.remote, call)),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Set-CsNetworkConfiguration",
            target: Target::Tenant,
            params: &[
                ParamSpec::named("Identity", ParamKind::String).at(0),
                ParamSpec::named("MediaBypassSettings", ParamKind::Object("MediaBypassSettings")),
            ],
        },
        handler: |t, call| Box::pin(set_network_configuration(&t.remote, call)),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-CsNetworkConfiguration",
            target: Target::Tenant,
            params: &[
                ParamSpec::named("Identity", ParamKind::String).at(0),
                ParamSpec::named("LocalStore", ParamKind::Switch),
            ],
        },
        handler: |t, call| Box::pin(network_configuration(&t.remote, call)),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-CsHybridPSTNAppliance",
            target: Target::Tenant,
            params: &[
                ParamSpec::named("Identity", ParamKind::String).at(0),
                ParamSpec::named("SiteName", ParamKind::String),
                ParamSpec::named("Name", ParamKind::String),
            ],
        },
        handler: |t, call| Box::pin(appliances(&t.remote, t.start, call)),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Set-CsHybridPSTNAppliance",
            target: Target::Tenant,
            params: &[
                ParamSpec::named("Identity", ParamKind::String).at(0).required(),
                ParamSpec::named("MaintenanceMode", ParamKind::Bool),
            ],
        },
        handler: |t, call| Box::pin(set_appliance(&t.remote, call)),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-CsTenant",
            target: Target::Tenant,
            params: &[ParamSpec::named("Identity", ParamKind::String).at(0)],
        },
        handler: |t, _| Box::pin(tenant(&t.remote)),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-CsHybridPSTNSite",
            target: Target::Tenant,
            params: &[ParamSpec::named("Identity", ParamKind::String).at(0)],
        },
        handler: |t, call| Box::pin(sites(&t.remote, call)),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Set-CsUserPstnSettings",
            target: Target::Tenant,
            params: &[
                ParamSpec::named("Identity", ParamKind::String).at(0).required(),
                ParamSpec::named("HybridPstnSite", ParamKind::String).or_null(),
                ParamSpec::named("AllowInternationalCalls", ParamKind::Bool),
                TENANT,
            ],
        },
        handler: |t, call| Box::pin(set_user_pstn_settings(&t.remote, call)),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-CsUserPstnSettings",
            target: Target::Tenant,
            params: &[ParamSpec::named("Identity", ParamKind::String).at(0), TENANT],
        },
        handler: |t, call| Box::pin(user_pstn_settings(&t.remote, call)),
    },
];

/// The tenant's cmdlets' specs, for a run's cmdlet table.
pub fn specs() -> impl Iterator<Item = &'static CmdletSpec> + Clone {
    crate::runbook::specs(CMDLETS)
}

/// Runs the tenant's cmdlets through a [`TenantRemote`] holding the administrator's credential.
pub struct TenantExecutor {
    remote: TenantRemote,
    /// The plan's wall-clock time at lab time 0: the times the cmdlets print read on the plan's
    /// clock, as every other verb's do.
    start: TimeOfDay,
}

impl TenantExecutor {
    pub fn new(remote: TenantRemote) -> TenantExecutor {
        TenantExecutor { remote, start: TimeOfDay::MIDNIGHT }
    }

    /// The same, printing times on the clock of a lab that started at `start`.
    pub fn starting_at(self, start: TimeOfDay) -> TenantExecutor {
        TenantExecutor { start, ..self }
    }
}

/// The tenant's own reason is what PowerShell would print.
fn failed(e: RemoteError) -> CmdletError {
    CmdletError::from(e)
}

fn objects(items: impl Iterator<Item = PsObject>) -> CmdletOutput {
    CmdletOutput { objects: items.map(Value::Object).collect(), warnings: vec![], verbose: vec![] }
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
        let cmdlet = find(CMDLETS, &invocation.cmdlet)
            .ok_or_else(|| CmdletError::new(format!("the tenant does not run {}", invocation.cmdlet)))?;
        if let Some(written) = invocation.string("Tenant") {
            own_tenant(&self.remote, written).await?;
        }
        (cmdlet.handler)(self, invocation).await
    }
}

/// `-Tenant` must name the tenant the session is connected to. **Lab choice:** the wording of
/// the refusal of another id (the service's own is not documented).
async fn own_tenant(remote: &TenantRemote, written: &str) -> Result<(), CmdletError> {
    let Ok(asked) = written.trim().trim_matches(['{', '}']).parse::<uuid::Uuid>() else {
        return Err(CmdletError::new(format!(
            "Cannot bind parameter 'Tenant'. Cannot convert value \"{written}\" to type \"System.Guid\"."
        )));
    };
    let own = remote.tenant().await.map_err(failed)?;
    if asked != own.tenant_id {
        return Err(CmdletError::new(format!(
            "The tenant {asked} was not found: this session is connected to tenant {} ({}).",
            own.tenant_id, own.display_name
        )));
    }
    Ok(())
}

async fn tenant(remote: &TenantRemote) -> Result<CmdletOutput, CmdletError> {
    let info = remote.tenant().await.map_err(failed)?;
    Ok(CmdletOutput::object(Value::Object(PsObject::from_serialize("TenantInfo", &info))))
}

async fn set_hybrid_configuration(remote: &TenantRemote, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    let change = hybrid_change(invocation);
    if change == HybridConfigurationChange::default() {
        return Ok(CmdletOutput::nothing());
    }
    let answer = remote.set_hybrid_configuration(&change).await.map_err(failed)?;
    Ok(CmdletOutput { objects: vec![], warnings: answer.warnings, verbose: vec![] })
}

async fn hybrid_configuration(remote: &TenantRemote, _: &Invocation) -> Result<CmdletOutput, CmdletError> {
    let hybrid = remote.hybrid_configuration().await.map_err(failed)?;
    Ok(CmdletOutput::object(Value::Object(PsObject::from_serialize("TenantHybridConfiguration", &hybrid))))
}

async fn set_network_configuration(
    remote: &TenantRemote,
    invocation: &Invocation,
) -> Result<CmdletOutput, CmdletError> {
    let settings: MediaBypassSettings = match invocation.get("MediaBypassSettings") {
        // Nothing given, nothing to write (lab choice: the version stays).
        None => return Ok(CmdletOutput::nothing()),
        Some(Value::Object(o)) => o
            .to_deserialize()
            .map_err(|e| CmdletError::new(format!("the MediaBypassSettings object is incomplete: {e}")))?,
        _ => return Err(CmdletError::new("MediaBypassSettings must be a MediaBypassSettings object")),
    };
    remote.set_media_bypass(&settings).await.map_err(failed)?;
    Ok(CmdletOutput::nothing())
}

async fn network_configuration(remote: &TenantRemote, _: &Invocation) -> Result<CmdletOutput, CmdletError> {
    let network = remote.network_configuration().await.map_err(failed)?;
    Ok(CmdletOutput::object(Value::Object(network_object(&network))))
}

async fn appliances(
    remote: &TenantRemote,
    start: TimeOfDay,
    invocation: &Invocation,
) -> Result<CmdletOutput, CmdletError> {
    let mut records = remote.appliances().await.map_err(failed)?;
    if let Some(identity) = invocation.string("Identity") {
        records
            .retain(|r| r.name.eq_ignore_ascii_case(identity) || r.identity.to_string().eq_ignore_ascii_case(identity));
    }
    if let Some(name) = invocation.string("Name") {
        records.retain(|r| r.name.eq_ignore_ascii_case(name));
    }
    if let Some(site) = invocation.string("SiteName") {
        records.retain(|r| r.site_name.eq_ignore_ascii_case(site));
    }
    // The tenant's own version beside each appliance's, so "behind" reads at a glance.
    let current = remote.configuration().await.map_err(failed)?.version;
    let with_current = |r: &ApplianceRecord| {
        let mut object = appliance_object(r, start);
        let at = object
            .properties
            .iter()
            .position(|(k, _)| k == "ReplicatedVersion")
            .map_or(object.properties.len(), |i| i + 1);
        object.properties.insert(at, ("TenantVersion".into(), Value::Int(current as i64)));
        Value::Object(object)
    };
    Ok(CmdletOutput { objects: records.iter().map(with_current).collect(), warnings: vec![], verbose: vec![] })
}

async fn set_appliance(remote: &TenantRemote, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    let identity = invocation.string("Identity").unwrap_or_default();
    if let Some(Value::Bool(maintenance)) = invocation.get("MaintenanceMode") {
        remote.set_maintenance(identity, *maintenance).await.map_err(failed)?;
    }
    Ok(CmdletOutput::nothing())
}

async fn sites(remote: &TenantRemote, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    let mut sites = remote.sites().await.map_err(failed)?;
    if let Some(identity) = invocation.string("Identity") {
        sites.retain(|s| s.identity.eq_ignore_ascii_case(identity));
    }
    Ok(objects(sites.iter().map(|s| PsObject::from_serialize("HybridPSTNSite", s))))
}

async fn set_user_pstn_settings(remote: &TenantRemote, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    let identity = invocation.string("Identity").unwrap_or_default();
    let site = nullable_string(invocation, "HybridPstnSite");
    match invocation.get("AllowInternationalCalls") {
        Some(Value::Bool(allowed)) => {
            let site = site.as_ref().map(|s| s.as_deref());
            remote.set_user_pstn_settings(identity, site, *allowed).await.map_err(failed)?;
        }
        _ => {
            if let Some(site) = site {
                remote.set_user_pstn_site(identity, site.as_deref()).await.map_err(failed)?;
            }
        }
    }
    Ok(CmdletOutput::nothing())
}

async fn user_pstn_settings(remote: &TenantRemote, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    let settings = match invocation.string("Identity") {
        Some(identity) => vec![remote.user_pstn_settings(identity).await.map_err(failed)?],
        None => {
            let c = remote.configuration().await.map_err(failed)?;
            let mut users: Vec<&String> = c.user_pstn_sites.keys().chain(c.user_international_calls.keys()).collect();
            users.sort();
            users.dedup();
            users
                .into_iter()
                .map(|user| UserPstnSettings {
                    identity: user.clone(),
                    hybrid_pstn_site: c.user_pstn_sites.get(user).cloned(),
                    allow_international_calls: c.user_international_calls.get(user).copied().unwrap_or(false),
                })
                .collect()
        }
    };
    Ok(objects(settings.iter().map(|s| PsObject::from_serialize("UserPstnSettings", s))))
}
