//! The seed's runbook lines against a real tenant on loopback.

use bypass_lab::lab::RoleExecutors;
use bypass_lab::runbook::{run, CmdletTable, Transcript, Value};
use bypass_lab::tenant::{TenantExecutor, TenantRemote};
use bypass_lab::topology::Topology;
use std::sync::Arc;

mod support;

async fn start() -> (TenantRemote, CmdletTable, support::TestTenant) {
    let tenant = support::tenant(Topology::seed()).await;
    let admin = tenant.as_admin();
    let table = RoleExecutors { tenant: Some(Arc::new(TenantExecutor::new(admin.clone()))), ..Default::default() }
        .cmdlet_table();
    (admin, table, tenant)
}

const ENABLE: &str = "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc
$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
";

#[tokio::test]
async fn the_seed_enable_lines_turn_media_bypass_on() {
    let (admin, table, _tenant) = start().await;
    run(ENABLE, &table).await.unwrap();
    let transcript = run("Get-CsNetworkConfiguration -LocalStore", &table).await.unwrap();
    let Value::Object(network) = &transcript.steps[0].output.objects[0] else { panic!("{transcript:?}") };
    let Some(Value::Object(settings)) = network.get("MediaBypassSettings") else { panic!("{network:?}") };
    assert_eq!(settings.get("Enabled"), Some(&Value::Bool(true)));
    assert_eq!(settings.get("AlwaysBypass"), Some(&Value::Bool(true)));
    let Some(Value::String(id)) = settings.get("BypassID") else { panic!("{settings:?}") };
    id.parse::<uuid::Uuid>().expect("BypassID is a GUID");
    let text = transcript.render();
    assert!(text.contains("    Enabled                         : True"), "{text}");
    assert!(text.contains("    AlwaysBypass                    : True"), "{text}");
    assert!(text.contains(&format!("    BypassID                        : {id}")), "{text}");
    assert_eq!(admin.configuration().await.unwrap().version, 3);

    let hybrid = run("Get-CsTenantHybridConfiguration -LocalStore", &table).await.unwrap().render();
    assert!(
        hybrid.contains(
            "HybridConfigServiceInternalUrl : http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc"
        ),
        "{hybrid}"
    );
}

#[tokio::test]
async fn building_the_object_alone_changes_nothing() {
    let (admin, table, _tenant) = start().await;
    let before = admin.configuration().await.unwrap();
    run("$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true", &table)
        .await
        .unwrap();
    assert_eq!(admin.configuration().await.unwrap(), before);
}

#[tokio::test]
async fn the_tenants_url_refusal_is_written_and_the_next_line_runs() {
    let (admin, table, _tenant) = start().await;
    let source = "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl ftp://hybridvoice.adatum.biz/x\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc";
    let transcript = run(source, &table).await.expect("a failed statement does not stop the run");
    let failures: Vec<_> = transcript.failures().collect();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert_eq!((failures[0].line, failures[0].column), (1, 1));
    assert_eq!(failures[0].message, "Set-CsTenantHybridConfiguration : HybridConfigServiceInternalUrl 'ftp://hybridvoice.adatum.biz/x' is not an http or https URL.");
    assert!(!transcript.steps[1].failed());
    assert_eq!(
        admin.configuration().await.unwrap().hybrid.hybrid_config_service_internal_url.as_deref(),
        Some("http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc"),
        "the line after the error ran"
    );
}

#[tokio::test]
async fn a_url_outside_the_sip_domains_is_stored_with_a_warning() {
    let (admin, table, _tenant) = start().await;
    let url = "http://hybridvoice.contoso.com/hybridconfig/hybridconfigservice.svc";
    let transcript =
        run(&format!("Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl {url}"), &table).await.unwrap();
    let warnings = &transcript.steps[0].output.warnings;
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].contains("not in a SIP domain registered for hybrid voice (adatum.biz)"), "{warnings:?}");
    assert_eq!(admin.configuration().await.unwrap().hybrid.hybrid_config_service_internal_url.as_deref(), Some(url));
}

#[tokio::test]
async fn the_documented_hybrid_parameters_are_stored_and_shown() {
    let (admin, table, _tenant) = start().await;
    let before = admin.configuration().await.unwrap();
    assert!(before.hybrid.use_on_prem_dial_plan, "UseOnPremDialPlan defaults to $true");
    run(
        "Set-CsTenantHybridConfiguration -HybridConfigServiceExternalUrl https://hybridvoice.adatum.biz/x -PeerDestination Seattle -UseOnPremDialPlan $false",
        &table,
    )
    .await
    .unwrap();
    let hybrid = admin.configuration().await.unwrap().hybrid;
    assert_eq!(hybrid.hybrid_config_service_external_url.as_deref(), Some("https://hybridvoice.adatum.biz/x"));
    assert_eq!(hybrid.peer_destination.as_deref(), Some("Seattle"));
    assert!(!hybrid.use_on_prem_dial_plan);
    assert_eq!(
        hybrid.hybrid_config_service_internal_url, before.hybrid.hybrid_config_service_internal_url,
        "what was not given stays"
    );
    let text = run("Get-CsTenantHybridConfiguration", &table).await.unwrap().render();
    assert!(text.contains("PeerDestination                : Seattle"), "{text}");
    assert!(text.contains("UseOnPremDialPlan              : False"), "{text}");

    let err = run("Set-CsTenantHybridConfiguration -HybridConfigServiceExternalUrl nowhere", &table)
        .await
        .and_then(Transcript::into_result)
        .unwrap_err();
    assert!(
        err.message.contains("HybridConfigServiceExternalUrl 'nowhere' is not an http or https URL."),
        "{}",
        err.message
    );
}

#[tokio::test]
async fn set_cs_network_configuration_without_bypass_settings_changes_nothing() {
    let (admin, table, _tenant) = start().await;
    let before = admin.configuration().await.unwrap();
    run("Set-CsNetworkConfiguration", &table).await.unwrap();
    assert_eq!(admin.configuration().await.unwrap(), before);
}

#[tokio::test]
async fn users_pstn_sites_and_the_sites_through_the_cmdlets() {
    let (admin, table, _tenant) = start().await;
    run("Set-CsUserPstnSettings -Identity carol@adatum.biz -HybridPstnSite seattle", &table).await.unwrap();
    assert_eq!(admin.configuration().await.unwrap().user_pstn_sites.get("carol").map(String::as_str), Some("Seattle"));
    let shown = run("Get-CsUserPstnSettings carol", &table).await.unwrap();
    let Value::Object(settings) = &shown.steps[0].output.objects[0] else { panic!("{shown:?}") };
    assert_eq!(settings.get("HybridPstnSite"), Some(&Value::String("Seattle".into())));

    let err = run("Set-CsUserPstnSettings -Identity carol -HybridPstnSite Zurich", &table)
        .await
        .and_then(Transcript::into_result)
        .unwrap_err();
    assert!(
        err.message.contains("'Zurich' is not a hybrid PSTN site of this tenant (sites: Amsterdam, Seattle)"),
        "{}",
        err.message
    );
    run("Set-CsUserPstnSettings -Identity carol -HybridPstnSite $null", &table).await.unwrap();
    assert!(admin.configuration().await.unwrap().user_pstn_sites.is_empty());

    run("Set-CsTenantHybridConfiguration -PeerDestination Amsterdam", &table).await.unwrap();
    let sites = run("Get-CsHybridPSTNSite", &table).await.unwrap();
    let rows: Vec<(Option<Value>, Option<Value>)> = sites.steps[0]
        .output
        .objects
        .iter()
        .map(|o| match o {
            Value::Object(o) => (o.get("Identity").cloned(), o.get("IsDefault").cloned()),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        rows,
        vec![
            (Some(Value::String("Amsterdam".into())), Some(Value::Bool(true))),
            (Some(Value::String("Seattle".into())), Some(Value::Bool(false))),
        ]
    );
    let err = run("Set-CsHybridPSTNAppliance -Identity ams-cce1 -MaintenanceMode $true", &table)
        .await
        .and_then(Transcript::into_result)
        .unwrap_err();
    assert!(err.message.contains("no registered appliance has the identity 'ams-cce1'"), "{}", err.message);
}

#[tokio::test]
async fn the_edit_in_place_idiom_reads_and_sets_properties() {
    let (admin, table, _tenant) = start().await;
    run(ENABLE, &table).await.unwrap();
    let id = admin.configuration().await.unwrap().network.media_bypass_settings.bypass_id.unwrap();
    let source = "$n = Get-CsNetworkConfiguration\n$s = $n.MediaBypassSettings\n$s.BypassID\n$s.Enabled = $false\nSet-CsNetworkConfiguration -MediaBypassSettings $s\n";
    let transcript = run(source, &table).await.unwrap();
    assert_eq!(transcript.steps[2].output.objects, vec![Value::String(id.to_string())], "$s.BypassID prints the ID");
    let settings = admin.configuration().await.unwrap().network.media_bypass_settings;
    assert!(!settings.enabled && settings.always_bypass, "only Enabled changed: {settings:?}");
    assert_eq!(settings.bypass_id, Some(id));

    let documented = "$a = (Get-CsNetworkConfiguration).MediaBypassSettings\n$a.AlwaysBypass = $false\nSet-CsNetworkConfiguration -MediaBypassSettings $a\n(Get-CsNetworkConfiguration).MediaBypassSettings\n";
    let transcript = run(documented, &table).await.unwrap();
    assert!(!admin.configuration().await.unwrap().network.media_bypass_settings.always_bypass);
    let Value::Object(shown) = &transcript.steps[3].output.objects[0] else { panic!("{transcript:?}") };
    assert_eq!(
        (shown.type_name.as_str(), shown.get("AlwaysBypass")),
        ("MediaBypassSettings", Some(&Value::Bool(false)))
    );

    let err = run("Set-CsNetworkConfiguration -MediaBypassSettings (Get-CsNetworkConfiguration)", &table)
        .await
        .and_then(Transcript::into_result)
        .unwrap_err();
    assert!(err.message.contains("The '(' character is not supported"), "{}", err.message);
    let err = run("$n = Get-CsNetworkConfiguration\n$n.Nothing.Enabled = $true", &table)
        .await
        .and_then(Transcript::into_result)
        .unwrap_err();
    assert_eq!(
        (err.line, err.message.as_str()),
        (2, "The property 'Nothing' cannot be found on this object. Verify that the property exists and can be set.")
    );
}

/// The CCE clean-up line `Set-CsUserPstnSettings -Identity USER -AllowInternationalCalls $false
/// -HybridPSTNSite $null`: the setting is stored and `Get-CsUserPstnSettings` shows it.
#[tokio::test]
async fn allow_international_calls_is_stored_and_shown() {
    let (admin, table, _tenant) = start().await;
    let t = run("Set-CsUserPstnSettings -Identity carol -HybridPstnSite Seattle\nSet-CsUserPstnSettings -Identity carol@adatum.biz -AllowInternationalCalls $true\nGet-CsUserPstnSettings -Identity carol", &table).await.unwrap();
    assert!(t.succeeded(), "{}", t.render());
    let Value::Object(settings) = &t.steps[2].output.objects[0] else { panic!("{t:?}") };
    assert_eq!(settings.get("AllowInternationalCalls"), Some(&Value::Bool(true)));
    assert_eq!(settings.get("HybridPstnSite"), Some(&Value::String("Seattle".into())), "the site stays");
    let t = run("Set-CsUserPstnSettings -Identity carol -AllowInternationalCalls $false -HybridPSTNSite $null\nGet-CsUserPstnSettings carol\nGet-CsUserPstnSettings -Identity dave", &table).await.unwrap();
    assert!(t.succeeded(), "{}", t.render());
    let Value::Object(settings) = &t.steps[1].output.objects[0] else { panic!("{t:?}") };
    assert_eq!(
        (settings.get("AllowInternationalCalls"), settings.get("HybridPstnSite")),
        (Some(&Value::Bool(false)), Some(&Value::Null))
    );
    let configuration = admin.configuration().await.unwrap();
    assert_eq!(configuration.user_international_calls.get("carol"), Some(&false));
    let Value::Object(dave) = &t.steps[2].output.objects[0] else { panic!("{t:?}") };
    assert_eq!(dave.get("AllowInternationalCalls"), Some(&Value::Bool(false)), "the documented default");
}

/// `-Tenant` with the tenant's own id (from `Get-CsTenant`, the same on every start) runs; any
/// other id is refused and changes nothing.
#[tokio::test]
async fn tenant_takes_the_tenants_own_id() {
    let (admin, table, _tenant) = start().await;
    let own = bypass_lab::tenant::tenant_id(&Topology::seed().tenant.domain);
    let t = run(&format!("Get-CsTenant | Select-Object TenantId, DisplayName\nSet-CsUserPstnSettings -Identity jphillips@adatum.biz -Tenant \"{own}\" -AllowInternationalCalls $true\nGet-CsTenantHybridConfiguration -Tenant {own}"), &table).await.unwrap();
    assert!(t.succeeded(), "{}", t.render());
    let Value::Object(shown) = &t.steps[0].output.objects[0] else { panic!("{t:?}") };
    assert_eq!(shown.get("TenantId"), Some(&Value::String(own.to_string())));
    let before = admin.configuration().await.unwrap();
    let t = run("Set-CsUserPstnSettings -Identity jphillips@adatum.biz -Tenant \"38aad667-af54-4397-aaa7-e94c79ec2308\" -AllowInternationalCalls $false", &table).await.unwrap();
    let failure = t.failures().next().expect("another tenant's id is refused");
    assert!(
        failure
            .message
            .starts_with("Set-CsUserPstnSettings : The tenant 38aad667-af54-4397-aaa7-e94c79ec2308 was not found"),
        "{}",
        failure.message
    );
    assert_eq!(admin.configuration().await.unwrap(), before);
}

/// A user the tenant does not have gets the service's "not found", and nothing changes: one
/// outside the tenant's domains, or, when the plan lists its users, one it does not list (who
/// cannot sign in either).
#[tokio::test]
async fn an_unknown_user_is_not_found() {
    let (admin, table, _tenant) = start().await;
    let before = admin.configuration().await.unwrap();
    let t = run("Get-CsUserPstnSettings -Identity someone@fabrikam.com\nSet-CsUserPstnSettings -Identity sip:someone@fabrikam.com -HybridPstnSite Seattle\nSet-CsUserPstnSettings someone@fabrikam.com -AllowInternationalCalls $true\nGet-CsUserPstnSettings -Identity sip:carol@adatum.biz", &table).await.unwrap();
    let messages: Vec<&str> = t.failures().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "Get-CsUserPstnSettings : Management object not found for identity \"someone@fabrikam.com\".",
            "Set-CsUserPstnSettings : Management object not found for identity \"sip:someone@fabrikam.com\".",
            "Set-CsUserPstnSettings : Management object not found for identity \"someone@fabrikam.com\".",
        ]
    );
    assert!(!t.steps[3].failed(), "a user of the tenant's domain exists without a list");
    assert_eq!(admin.configuration().await.unwrap(), before);

    let mut plan = Topology::seed();
    plan.tenant.users = vec!["alice".into(), "Bob@adatum.biz".into()];
    let listed = support::tenant(plan).await;
    let table = RoleExecutors { tenant: Some(Arc::new(TenantExecutor::new(listed.as_admin()))), ..Default::default() }
        .cmdlet_table();
    let t = run("Set-CsUserPstnSettings -Identity bob -HybridPstnSite Seattle\nGet-CsUserPstnSettings alice@adatum.biz\nSet-CsUserPstnSettings -Identity carol@adatum.biz -HybridPstnSite Seattle", &table).await.unwrap();
    let messages: Vec<&str> = t.failures().map(|e| e.message.as_str()).collect();
    assert_eq!(messages, ["Set-CsUserPstnSettings : Management object not found for identity \"carol@adatum.biz\"."]);
    let sites = listed.as_admin().configuration().await.unwrap().user_pstn_sites;
    assert_eq!(sites.into_iter().collect::<Vec<_>>(), [("bob".to_string(), "Seattle".to_string())]);
    let users = TenantRemote::new(&listed.url, &listed.secrets.users);
    assert!(users.provisioning("alice").await.is_ok());
    let refused = users.provisioning("carol").await.unwrap_err();
    assert_eq!(refused.status(), Some(404), "{refused}");
}
