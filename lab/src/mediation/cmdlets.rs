//! The cmdlets run on a Mediation Server (`run --on APPLIANCE`): they read the LocalStore and
//! the appliance's own status, never the tenant.

use super::appliance::Appliance;
use super::localstore::LocalStore;
use super::status::ApplianceStatus;
use crate::clock::TimeOfDay;
use crate::runbook::{
    find, Cmdlet, CmdletError, CmdletOutput, CmdletSpec, FormatData, Invocation, ParamKind, ParamSpec, PsObject,
    Target, Value, View,
};
use crate::tenant::{appliance_object, network_object};

/// How the console shows the appliance's status: a list, as the Cloud Connector cmdlets show it
/// (the LocalStore's copies print as the tenant's objects do).
pub const FORMAT: FormatData = &[("ApplianceStatus", View::List)];
use futures::future::BoxFuture;

const LOCAL_STORE: ParamSpec = ParamSpec::named("LocalStore", ParamKind::Switch);

/// What a Mediation Server's reading cmdlets see: its LocalStore, its own status, and the plan's
/// clock start, so the times they print read as every other verb's.
pub struct Seen<'a> {
    pub store: &'a LocalStore,
    pub status: &'a ApplianceStatus,
    pub start: TimeOfDay,
}

/// What a Mediation Server does for one cmdlet.
#[derive(Clone, Copy)]
enum Handler {
    /// Reads the LocalStore and the appliance's own status; changes nothing.
    Reads(fn(&Seen, &Invocation) -> Result<CmdletOutput, CmdletError>),
    /// Talks to the tenant as this appliance (registration).
    Registers(for<'a> fn(&'a Appliance) -> BoxFuture<'a, Result<CmdletOutput, crate::http::RemoteError>>),
}

const fn on_appliance(name: &'static str, params: &'static [ParamSpec], handler: Handler) -> Cmdlet<Handler> {
    Cmdlet { spec: CmdletSpec { name, target: Target::Appliance, params }, handler }
}

const CMDLETS: &[Cmdlet<Handler>] = &[
    on_appliance("Get-CsNetworkConfiguration", &[LOCAL_STORE], Handler::Reads(network_configuration)),
    on_appliance("Get-CsTenantHybridConfiguration", &[LOCAL_STORE], Handler::Reads(hybrid_configuration)),
    on_appliance("Get-CcApplianceStatus", &[], Handler::Reads(appliance_status)),
    on_appliance("Register-CcAppliance", &[], Handler::Registers(|a| Box::pin(register(a)))),
    on_appliance("Unregister-CcAppliance", &[], Handler::Registers(|a| Box::pin(unregister(a)))),
];

/// A Mediation Server's cmdlets' specs, for a run's cmdlet table.
pub fn specs() -> impl Iterator<Item = &'static CmdletSpec> + Clone {
    crate::runbook::specs(CMDLETS)
}

/// What `POST /lab/cmdlet` runs: registration talks to the tenant, the rest reads the appliance.
pub async fn execute(appliance: &Appliance, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    match find(CMDLETS, &invocation.cmdlet).map(|c| c.handler) {
        Some(Handler::Registers(register)) => register(appliance).await.map_err(CmdletError::from),
        _ => {
            let (store, status) = (appliance.local_store(), appliance.status());
            run(&Seen { store: &store, status: &status, start: appliance.config.start_time_of_day }, invocation)
        }
    }
}

/// The cmdlets that read a LocalStore and a status, without a running appliance.
pub fn run(seen: &Seen, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    match find(CMDLETS, &invocation.cmdlet).map(|c| c.handler) {
        Some(Handler::Reads(read)) => read(seen, invocation),
        _ => Err(CmdletError::new(format!(
            "The term '{}' is not a cmdlet a Mediation Server runs (it runs: {}).",
            invocation.cmdlet,
            specs().map(|s| s.name).collect::<Vec<_>>().join(", ")
        ))),
    }
}

async fn register(appliance: &Appliance) -> Result<CmdletOutput, crate::http::RemoteError> {
    let record = appliance.register().await?;
    Ok(CmdletOutput::object(Value::Object(appliance_object(&record, appliance.config.start_time_of_day))))
}

async fn unregister(appliance: &Appliance) -> Result<CmdletOutput, crate::http::RemoteError> {
    appliance.unregister().await?;
    Ok(CmdletOutput::nothing())
}

fn network_configuration(seen: &Seen, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    require_local_store(invocation)?;
    let store = seen.store;
    let network = store.configuration.as_ref().map(|c| c.network.clone()).unwrap_or_default();
    Ok(with_empty_warning(store, Value::Object(network_object(&network))))
}

fn hybrid_configuration(seen: &Seen, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    require_local_store(invocation)?;
    let store = seen.store;
    let hybrid = store.configuration.as_ref().map(|c| c.hybrid.clone()).unwrap_or_default();
    Ok(with_empty_warning(store, Value::Object(PsObject::from_serialize("TenantHybridConfiguration", &hybrid))))
}

fn appliance_status(seen: &Seen, _: &Invocation) -> Result<CmdletOutput, CmdletError> {
    Ok(CmdletOutput::object(Value::Object(status_object(seen.status, seen.start))))
}

fn require_local_store(invocation: &Invocation) -> Result<(), CmdletError> {
    if invocation.switch("LocalStore") {
        return Ok(());
    }
    let cmdlet = &invocation.cmdlet;
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

/// `Get-CcApplianceStatus`, lab times shown as clock readings (`day 2 09:14`) on the clock of a
/// lab that started at `start`.
pub fn status_object(status: &ApplianceStatus, start: TimeOfDay) -> PsObject {
    let mut object = PsObject::from_serialize("ApplianceStatus", status);
    // The link probe belongs to the lab's status view, not to the cmdlet's output.
    object.properties.retain(|(k, _)| k != "TenantLinkUp");
    let times = [("LastSuccessfulSync", status.last_successful_sync), ("NextSync", Some(status.next_sync))];
    for (key, value) in object.properties.iter_mut() {
        if let Some((_, time)) = times.iter().find(|(k, _)| k == key) {
            *value = time.map(|t| Value::String(start.reading(t))).unwrap_or(Value::Null);
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mediation::status::WebServiceState;
    use crate::tenant::{BypassMode, TenantConfiguration};
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

    fn seen<'a>(store: &'a LocalStore, status: &'a ApplianceStatus) -> Seen<'a> {
        Seen { store, status, start: TimeOfDay::MIDNIGHT }
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
        let out = run(&seen(&enabled_store(), &status()), &invocation("Get-CsNetworkConfiguration", true)).unwrap();
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
            let err = run(&seen(&enabled_store(), &status()), &invocation(cmdlet, false)).unwrap_err();
            assert!(err.message.contains(&format!("{cmdlet} -LocalStore")), "{}", err.message);
        }
    }

    #[test]
    fn an_empty_localstore_shows_defaults_with_a_warning() {
        let out =
            run(&seen(&LocalStore::default(), &status()), &invocation("get-csnetworkconfiguration", true)).unwrap();
        assert_eq!(out.warnings.len(), 1);
        let out =
            run(&seen(&enabled_store(), &status()), &invocation("Get-CsTenantHybridConfiguration", true)).unwrap();
        let Value::Object(hybrid) = &out.objects[0] else { panic!() };
        assert!(
            matches!(hybrid.get("HybridConfigServiceInternalUrl"), Some(Value::String(u)) if u.contains("hybridvoice"))
        );
    }

    #[test]
    fn appliance_status_prints_lab_times_as_clock_readings() {
        let out = run(&seen(&LocalStore::default(), &status()), &invocation("Get-CcApplianceStatus", false)).unwrap();
        let Value::Object(s) = &out.objects[0] else { panic!() };
        assert_eq!(s.type_name, "ApplianceStatus");
        assert_eq!(s.get("LastSuccessfulSync"), Some(&Value::String("day 1 01:00".into())));
        assert_eq!(s.get("NextSync"), Some(&Value::String("day 2 01:00".into())));
        assert_eq!(s.get("TenantReachable"), Some(&Value::Bool(false)));
        assert_eq!(s.get("TenantError"), Some(&Value::String("the link to the tenant is cut".into())));

        // A plan whose lab starts at 02:00 reads the same instants two hours later.
        let status = status();
        let two = Seen { store: &LocalStore::default(), status: &status, start: "02:00".parse().unwrap() };
        let out = run(&two, &invocation("Get-CcApplianceStatus", false)).unwrap();
        let Value::Object(s) = &out.objects[0] else { panic!() };
        assert_eq!(s.get("LastSuccessfulSync"), Some(&Value::String("day 1 03:00".into())));
        assert_eq!(s.get("NextSync"), Some(&Value::String("day 2 03:00".into())));
    }

    #[test]
    fn an_unknown_cmdlet_is_named() {
        let err = run(&seen(&LocalStore::default(), &status()), &invocation("Set-CsNetworkConfiguration", false))
            .unwrap_err();
        assert!(
            err.message.contains("'Set-CsNetworkConfiguration' is not a cmdlet a Mediation Server runs"),
            "{}",
            err.message
        );
    }
}
