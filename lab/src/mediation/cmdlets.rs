//! The cmdlets run on a Mediation Server (`run --on APPLIANCE`): they read the LocalStore and
//! the appliance's own status, never the tenant.

use super::appliance::Appliance;
use super::localstore::LocalStore;
use super::status::ApplianceStatus;
use crate::runbook::{
    CmdletError, CmdletOutput, CmdletSpec, Invocation, ParamKind, ParamSpec, PsObject, Target, Value,
};
use crate::tenant::model::NetworkConfiguration;

const LOCAL_STORE: ParamSpec = ParamSpec::named("LocalStore", ParamKind::Switch);

pub const SPECS: &[CmdletSpec] = &[
    CmdletSpec { name: "Get-CsNetworkConfiguration", target: Target::Appliance, params: &[LOCAL_STORE] },
    CmdletSpec { name: "Get-CsTenantHybridConfiguration", target: Target::Appliance, params: &[LOCAL_STORE] },
    CmdletSpec { name: "Get-CcApplianceStatus", target: Target::Appliance, params: &[] },
    CmdletSpec { name: "Register-CcAppliance", target: Target::Appliance, params: &[] },
    CmdletSpec { name: "Unregister-CcAppliance", target: Target::Appliance, params: &[] },
];

/// What `POST /lab/cmdlet` runs: registration talks to the tenant, the rest reads the appliance.
pub async fn execute(appliance: &Appliance, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    let name = invocation.cmdlet.as_str();
    if name.eq_ignore_ascii_case("Register-CcAppliance") {
        let record = appliance.register().await.map_err(CmdletError::from)?;
        Ok(CmdletOutput::object(Value::Object(crate::tenant::cmdlets::appliance_object(&record))))
    } else if name.eq_ignore_ascii_case("Unregister-CcAppliance") {
        appliance.unregister().await.map_err(CmdletError::from)?;
        Ok(CmdletOutput::nothing())
    } else {
        run(&appliance.local_store(), &appliance.status(), invocation)
    }
}

/// The cmdlets against a LocalStore and a status, without a running appliance.
pub fn run(store: &LocalStore, status: &ApplianceStatus, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    let name = invocation.cmdlet.as_str();
    if name.eq_ignore_ascii_case("Get-CsNetworkConfiguration") {
        require_local_store(invocation, "Get-CsNetworkConfiguration")?;
        let network = store.configuration.as_ref().map(|c| c.network.clone()).unwrap_or_default();
        Ok(with_empty_warning(store, Value::Object(network_object(&network))))
    } else if name.eq_ignore_ascii_case("Get-CsTenantHybridConfiguration") {
        require_local_store(invocation, "Get-CsTenantHybridConfiguration")?;
        let hybrid = store.configuration.as_ref().map(|c| c.hybrid.clone()).unwrap_or_default();
        Ok(with_empty_warning(store, Value::Object(PsObject::from_serialize("TenantHybridConfiguration", &hybrid))))
    } else if name.eq_ignore_ascii_case("Get-CcApplianceStatus") {
        Ok(CmdletOutput::object(Value::Object(status_object(status))))
    } else {
        Err(CmdletError::new(format!(
            "The term '{name}' is not a cmdlet a Mediation Server runs (it runs: {}).",
            SPECS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ")
        )))
    }
}

fn require_local_store(invocation: &Invocation, cmdlet: &str) -> Result<(), CmdletError> {
    if invocation.switch("LocalStore") {
        return Ok(());
    }
    Err(CmdletError::new(format!(
        "{cmdlet} on a Mediation Server reads its LocalStore: use {cmdlet} -LocalStore (the tenant's own copy is read through remote PowerShell, not on the appliance)."
    )))
}

fn with_empty_warning(store: &LocalStore, object: Value) -> CmdletOutput {
    let mut output = CmdletOutput::object(object);
    if store.configuration.is_none() {
        output.warnings.push(
            "The LocalStore holds no configuration yet: this Mediation Server has not replicated from the tenant."
                .into(),
        );
    }
    output
}

/// `NetworkConfiguration` whose `MediaBypassSettings` prints as its own type, as on the host.
pub fn network_object(network: &NetworkConfiguration) -> PsObject {
    let mut object = PsObject::from_serialize("NetworkConfiguration", network);
    for (key, value) in object.properties.iter_mut() {
        if let (true, Value::Object(nested)) = (key == "MediaBypassSettings", value) {
            nested.type_name = "MediaBypassSettings".into();
        }
    }
    object
}

/// `Get-CcApplianceStatus`, lab times shown as clock readings (`day 2 09:14`).
pub fn status_object(status: &ApplianceStatus) -> PsObject {
    let mut object = PsObject::from_serialize("ApplianceStatus", status);
    // The link probe belongs to the lab's status view, not to the cmdlet's output.
    object.properties.retain(|(k, _)| k != "TenantLinkUp");
    let times = [("LastSuccessfulSync", status.last_successful_sync), ("NextSync", Some(status.next_sync))];
    for (key, value) in object.properties.iter_mut() {
        if let Some((_, time)) = times.iter().find(|(k, _)| k == key) {
            *value = time.map(|t| Value::String(crate::clock::clock_time(t))).unwrap_or(Value::Null);
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mediation::status::WebServiceState;
    use crate::tenant::model::{BypassMode, TenantConfiguration};
    use std::collections::BTreeMap;
    use std::time::Duration;

    fn invocation(cmdlet: &str, local_store: bool) -> Invocation {
        let mut args = BTreeMap::new();
        if local_store {
            args.insert("LocalStore".to_string(), Value::Bool(true));
        }
        Invocation { cmdlet: cmdlet.into(), args, line: 1, column: 1 }
    }

    fn status() -> ApplianceStatus {
        ApplianceStatus {
            appliance_name: "ams-cce1".into(),
            site_name: "Amsterdam".into(),
            mediation_server_fqdn: "ams-cce1.adatum.biz".into(),
            mediation_server_ip_address: "192.168.1.45".parse().unwrap(),
            tenant_reachable: false,
            tenant_link_up: None,
            tenant_error: Some("the link to the tenant is cut".into()),
            last_successful_sync: Some(Duration::from_secs(3600)),
            next_sync: Duration::from_secs(90_000),
            replicated_version: Some(2),
            web_service_state: WebServiceState::Serving,
            bypass_enabled: true,
            always_bypass: true,
            bypass_id: None,
        }
    }

    fn enabled_store() -> LocalStore {
        let mut c = TenantConfiguration { version: 2, ..Default::default() };
        let s = &mut c.network.media_bypass_settings;
        s.enabled = true;
        s.always_bypass = true;
        s.internal_bypass_mode = BypassMode::Any;
        s.bypass_id = Some(uuid::Uuid::new_v4());
        c.hybrid.hybrid_config_service_internal_url =
            Some("http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc".into());
        LocalStore::default().replicated(c, Duration::ZERO)
    }

    #[test]
    fn network_configuration_shows_the_localstore_bypass_settings_as_a_nested_object() {
        let out = run(&enabled_store(), &status(), &invocation("Get-CsNetworkConfiguration", true)).unwrap();
        assert!(out.warnings.is_empty());
        let Value::Object(network) = &out.objects[0] else { panic!("expected an object, got {:?}", out.objects) };
        assert_eq!(network.type_name, "NetworkConfiguration");
        let Some(Value::Object(settings)) = network.get("MediaBypassSettings") else {
            panic!("no MediaBypassSettings in {network:?}")
        };
        assert_eq!(settings.type_name, "MediaBypassSettings");
        assert_eq!(settings.get("Enabled"), Some(&Value::Bool(true)));
        assert_eq!(settings.get("AlwaysBypass"), Some(&Value::Bool(true)));
        assert_eq!(settings.get("InternalBypassMode"), Some(&Value::String("Any".into())));
        assert!(matches!(settings.get("BypassID"), Some(Value::String(_))));
    }

    #[test]
    fn without_local_store_the_mediation_server_says_to_use_it() {
        for cmdlet in ["Get-CsNetworkConfiguration", "Get-CsTenantHybridConfiguration"] {
            let err = run(&enabled_store(), &status(), &invocation(cmdlet, false)).unwrap_err();
            assert!(err.message.contains(&format!("{cmdlet} -LocalStore")), "{}", err.message);
        }
    }

    #[test]
    fn an_empty_localstore_shows_defaults_with_a_warning() {
        let out = run(&LocalStore::default(), &status(), &invocation("get-csnetworkconfiguration", true)).unwrap();
        assert_eq!(out.warnings.len(), 1);
        let out = run(&enabled_store(), &status(), &invocation("Get-CsTenantHybridConfiguration", true)).unwrap();
        let Value::Object(hybrid) = &out.objects[0] else { panic!() };
        assert!(
            matches!(hybrid.get("HybridConfigServiceInternalUrl"), Some(Value::String(u)) if u.contains("hybridvoice"))
        );
    }

    #[test]
    fn appliance_status_prints_lab_times_as_clock_readings() {
        let out = run(&LocalStore::default(), &status(), &invocation("Get-CcApplianceStatus", false)).unwrap();
        let Value::Object(s) = &out.objects[0] else { panic!() };
        assert_eq!(s.type_name, "ApplianceStatus");
        assert_eq!(s.get("LastSuccessfulSync"), Some(&Value::String("day 1 01:00".into())));
        assert_eq!(s.get("NextSync"), Some(&Value::String("day 2 01:00".into())));
        assert_eq!(s.get("TenantReachable"), Some(&Value::Bool(false)));
        assert_eq!(s.get("TenantError"), Some(&Value::String("the link to the tenant is cut".into())));
    }

    #[test]
    fn an_unknown_cmdlet_is_named() {
        let err = run(&LocalStore::default(), &status(), &invocation("Set-CsNetworkConfiguration", false)).unwrap_err();
        assert!(
            err.message.contains("'Set-CsNetworkConfiguration' is not a cmdlet a Mediation Server runs"),
            "{}",
            err.message
        );
    }
}
