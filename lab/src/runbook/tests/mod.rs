//! The runner end to end against a recording target: binding, errors in PowerShell's words,
//! stopping at the first error, output.

use super::*;
use crate::lab::RoleExecutors;
use std::sync::{Arc, Mutex};

/// Records every call; fails the ones named in `fail`.
#[derive(Default)]
struct Recorder {
    calls: Mutex<Vec<Invocation>>,
    fail: Option<(&'static str, &'static str)>,
}

#[async_trait::async_trait]
impl Executor for Recorder {
    async fn execute(&self, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
        self.calls.lock().unwrap().push(invocation.clone());
        match self.fail {
            Some((cmdlet, message)) if cmdlet == invocation.cmdlet => Err(CmdletError::new(message)),
            _ => Ok(CmdletOutput::nothing()),
        }
    }
}

fn tenant() -> (Arc<Recorder>, CmdletTable) {
    let recorder = Arc::new(Recorder::default());
    (recorder.clone(), RoleExecutors { tenant: Some(recorder), ..Default::default() }.cmdlet_table())
}

fn failing(source: &str) -> (RunbookError, Arc<Recorder>) {
    let (recorder, table) = tenant();
    let err = block(run(source, &table)).and_then(Transcript::into_result).unwrap_err();
    (err, recorder)
}

fn block<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(f)
}

fn at(err: &RunbookError) -> (usize, usize, &str) {
    (err.line, err.column, err.message.as_str())
}

const SEED_ENABLE: &str = "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://newname.domain/hybridconfig/hybridconfigservice.svc\n$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true\nSet-CsNetworkConfiguration -MediaBypassSettings $mediabypass\n";

const SEED_PERMANENT_DISABLE: &str = "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl  $null\n\t$mediabypass = New-CsNetworkMediaBypassConfiguration  -Enabled $false \nSet-CsNetworkConfiguration -MediaBypassSettings $mediabypass \n";

#[test]
fn the_seed_enable_block_binds_as_documented() {
    let (recorder, table) = tenant();
    let transcript = block(run(SEED_ENABLE, &table)).unwrap();
    assert_eq!(transcript.steps.len(), 3);
    let calls = recorder.calls.lock().unwrap();
    assert_eq!(calls.len(), 2, "New-CsNetworkMediaBypassConfiguration runs in the runner");
    assert_eq!(calls[0].cmdlet, "Set-CsTenantHybridConfiguration");
    assert_eq!(
        calls[0].string("HybridConfigServiceInternalUrl"),
        Some("http://newname.domain/hybridconfig/hybridconfigservice.svc")
    );
    let Some(Value::Object(settings)) = calls[1].get("MediaBypassSettings") else { panic!("{:?}", calls[1]) };
    assert_eq!(settings.type_name, "MediaBypassSettings");
    assert_eq!(settings.get("Enabled"), Some(&Value::Bool(true)));
    assert_eq!(settings.get("AlwaysBypass"), Some(&Value::Bool(true)));
    assert!(matches!(settings.get("BypassID"), Some(Value::String(id)) if id.parse::<uuid::Uuid>().is_ok()));
    assert_eq!((calls[1].line, calls[1].column), (3, 1));
}

#[test]
fn the_seed_permanent_disable_block_with_its_tab_and_double_spaces() {
    let (recorder, table) = tenant();
    let transcript = block(run(SEED_PERMANENT_DISABLE, &table)).unwrap();
    assert_eq!(transcript.steps[1].column, 2);
    let calls = recorder.calls.lock().unwrap();
    assert_eq!(calls[0].get("HybridConfigServiceInternalUrl"), Some(&Value::Null));
    let Some(Value::Object(settings)) = calls[1].get("MediaBypassSettings") else { panic!() };
    assert_eq!(settings.get("Enabled"), Some(&Value::Bool(false)));
    assert_eq!(settings.get("BypassID"), Some(&Value::Null));
}

#[test]
fn the_seeds_typo_is_not_recognized() {
    let source = "$mediabypass = New-CsNetworkMediaBypassConfiguration  -Enabled $false\nSet-CsNetworkConfiguration -MediaBypassSettings $mediabypass\nGet- CsNetworkConfiguration -LocalStore\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null\n";
    let (err, recorder) = failing(source);
    assert_eq!(at(&err), (3, 1, "The term 'Get-' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again."));
    assert_eq!(err.transcript.steps.len(), 4, "the error is written and the run goes on");
    assert!(err.transcript.steps[2].failed() && !err.transcript.steps[3].failed());
    assert_eq!(recorder.calls.lock().unwrap().len(), 2, "the line after the error runs");
}

#[test]
fn an_unknown_parameter() {
    let (err, _) = failing("Get-CsTenantHybridConfiguration -Foo");
    assert_eq!(at(&err), (1, 33, "A parameter cannot be found that matches parameter name 'Foo'."));
}

#[test]
fn a_missing_argument() {
    let (err, _) = failing("Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl");
    assert_eq!(at(&err), (1, 33, "Missing an argument for parameter 'HybridConfigServiceInternalUrl'. Specify a parameter of type 'System.String' and try again."));
    let (err, _) = failing("Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl -Identity Global");
    assert_eq!(err.column, 33);
}

#[test]
fn a_value_of_the_wrong_type() {
    let (err, _) = failing("$m = New-CsNetworkMediaBypassConfiguration -Enabled maybe");
    assert_eq!(at(&err), (1, 53, "Cannot process argument transformation on parameter 'Enabled'. Cannot convert value \"maybe\" to type \"System.Boolean\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0."));
    let (err, _) = failing("New-CsNetworkMediaBypassConfiguration -InternalBypassMode Sometimes");
    assert_eq!(err.message, "Cannot validate argument on parameter 'InternalBypassMode'. The argument \"Sometimes\" does not belong to the set \"Off,ICE,Any\" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.");
}

#[test]
fn numbers_bind_to_booleans() {
    let (_, table) = tenant();
    let t = block(run("New-CsNetworkMediaBypassConfiguration -Enabled 1 -AlwaysBypass 0", &table)).unwrap();
    let Value::Object(o) = &t.steps[0].output.objects[0] else { panic!() };
    assert_eq!((o.get("Enabled"), o.get("AlwaysBypass")), (Some(&Value::Bool(true)), Some(&Value::Bool(false))));
}

#[test]
fn an_unset_variable() {
    let (err, recorder) = failing("Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass");
    assert_eq!(at(&err), (1, 49, "The variable '$mediabypass' cannot be retrieved because it has not been set."));
    assert!(recorder.calls.lock().unwrap().is_empty());
}

#[test]
fn a_missing_mandatory_parameter() {
    let table = RoleExecutors { dns: Some(Arc::new(Recorder::default())), ..Default::default() }.cmdlet_table();
    let err = block(run("  Add-DnsServerClientSubnet", &table)).and_then(Transcript::into_result).unwrap_err();
    assert_eq!(at(&err), (1, 3, "Cannot process command because of one or more missing mandatory parameters: Name."));
}

#[test]
fn an_object_of_the_wrong_type() {
    let (err, _) = failing("$h = 'http://x'\nSet-CsNetworkConfiguration -MediaBypassSettings $h");
    assert_eq!(at(&err), (2, 49, "Cannot bind parameter 'MediaBypassSettings'. Cannot convert the \"http://x\" value of type \"System.String\" to type \"MediaBypassSettings\"."));
}

#[test]
fn an_unterminated_string_means_nothing_runs() {
    let (err, recorder) = failing("Get-CsNetworkConfiguration\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl 'http://hybridvoice.adatum.biz\nGet-CsNetworkConfiguration");
    assert_eq!(at(&err), (2, 65, "The string is missing the terminator: '."));
    assert!(recorder.calls.lock().unwrap().is_empty(), "a script that does not parse does not run");
    assert!(err.transcript.steps.is_empty());
}

#[test]
fn a_failure_from_the_target_is_prefixed_with_the_cmdlet() {
    let recorder = Arc::new(Recorder {
        fail: Some(("Set-CsTenantHybridConfiguration", "The host 'x.contoso.com' of HybridConfigServiceInternalUrl is not in a SIP domain registered for hybrid voice (adatum.biz).")),
        ..Default::default()
    });
    let table = RoleExecutors { tenant: Some(recorder), ..Default::default() }.cmdlet_table();
    let err =
        block(run("\nset-cstenanthybridconfiguration -hybridconfigserviceinternalurl http://x.contoso.com/", &table))
            .and_then(Transcript::into_result)
            .unwrap_err();
    assert_eq!(at(&err), (2, 1, "Set-CsTenantHybridConfiguration : The host 'x.contoso.com' of HybridConfigServiceInternalUrl is not in a SIP domain registered for hybrid voice (adatum.biz)."));
}

#[test]
fn a_cmdlet_whose_target_is_absent_says_where_it_runs() {
    let err = block(run("Get-CsNetworkConfiguration -LocalStore", &RoleExecutors::default().cmdlet_table()))
        .and_then(Transcript::into_result)
        .unwrap_err();
    assert_eq!(
        err.message,
        "Get-CsNetworkConfiguration runs in the tenant through remote PowerShell, which this run is not connected to, or on a Cloud Connector appliance: use run --on APPLIANCE"
    );
}

#[test]
fn prefixes_switches_positions_and_duplicates() {
    let (recorder, table) = tenant();
    block(run("Get-CsNetworkConfiguration -Local\nGet-CsNetworkConfiguration -LocalStore:$false\nSet-CsTenantHybridConfiguration Global -HybridConfigServiceInternalUrl \"http://hybridvoice.adatum.biz/x\"", &table)).unwrap();
    let calls = recorder.calls.lock().unwrap();
    assert!(calls[0].switch("LocalStore"));
    assert!(!calls[1].switch("LocalStore"));
    assert_eq!(calls[2].string("Identity"), Some("Global"));
    let (err, _) = failing("New-CsNetworkMediaBypassConfiguration -Enable $true");
    assert_eq!(err.message, "Parameter cannot be processed because the parameter name 'Enable' is ambiguous. Possible matches include: -Enabled -EnableDefaultBypassID -EnabledForAudioVideoConferences.");
    let (err, _) = failing("New-CsNetworkMediaBypassConfiguration -Enabled $true -enabled $false");
    assert_eq!(
        (
            err.column,
            err.message.starts_with("Cannot bind parameter because parameter 'Enabled' is specified more than once.")
        ),
        (54, true)
    );
    let (err, _) = failing("Get-CsNetworkConfiguration Global extra");
    assert_eq!(at(&err), (1, 35, "A positional parameter cannot be found that accepts argument 'extra'."));
}

#[test]
fn new_configuration_changes_nothing_and_renders_its_object() {
    let (recorder, table) = tenant();
    let t =
        block(run("# build only\nNew-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $false", &table))
            .unwrap();
    assert!(recorder.calls.lock().unwrap().is_empty());
    let text = t.render();
    assert!(text.starts_with("PS> New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $false\nWARNING: AlwaysBypass setting is ignored if Enabled is set to false.\n\n"), "{text}");
    assert!(text.contains("\nEnabled                         : False\n"), "{text}");
    assert!(text.contains("\nAlwaysBypass                    : True\n"), "{text}");
    assert!(
        text.contains("\nBypassID                        :\n")
            || text.ends_with("BypassID                        :\n\n"),
        "{text}"
    );
    let json = t.to_json();
    assert_eq!(json["steps"][0]["objects"][0]["AlwaysBypass"], serde_json::json!(true));
    assert_eq!(json["steps"][0]["warnings"][0], serde_json::json!(crate::tenant::ALWAYS_BYPASS_IGNORED));
}

#[test]
fn nested_objects_are_expanded() {
    let network = crate::tenant::NetworkConfiguration::default();
    let object = crate::tenant::network_object(&network);
    let lines = object_lines(&object, 0);
    assert_eq!(lines[0], "Identity            : Global");
    assert_eq!(lines[1], "MediaBypassSettings :");
    // Properties come in serde_json's (alphabetical) order; every nested one gets its own line.
    assert!(lines.contains(&"    Enabled                         : False".to_string()), "{lines:?}");
    assert!(lines.contains(&"    AlwaysBypass                    : False".to_string()), "{lines:?}");
    assert!(lines.iter().any(|l| l.starts_with("    BypassID ")), "{lines:?}");
}

#[test]
fn a_variable_alone_prints_it_and_errors_render_with_their_place() {
    let (_, table) = tenant();
    let t = block(run("$m = New-CsNetworkMediaBypassConfiguration -Enabled $true -AlwaysBypass $true\n$m", &table))
        .unwrap();
    assert!(t.steps[0].output.objects.is_empty(), "an assignment prints nothing");
    assert_eq!(t.steps[1].output.objects.len(), 1);
    let (err, _) = failing("\tGet- CsNetworkConfiguration");
    assert_eq!(err.column, 2);
    assert!(err.render().ends_with("At line:1 char:2\n"));
    assert!(err
        .render_in("\tGet- CsNetworkConfiguration", None)
        .ends_with("At line:1 char:2\n+ \tGet- CsNetworkConfiguration\n+ \t~~~~\n"));
}

#[test]
fn errors_name_the_file_and_underline_the_word() {
    let source = "$m = New-CsNetworkMediaBypassConfiguration -Enabled $true\nSet-CsNetworkConfiguration -MediaBypassSettings $n\n";
    let (err, _) = failing(source);
    let text = err.render_in(source, Some("enable.ps1"));
    assert!(text.contains("\nAt enable.ps1:2 char:49\n"), "{text}");
    assert!(text.ends_with("+ Set-CsNetworkConfiguration -MediaBypassSettings $n\n+                                                 ~~\n"), "{text}");
}

#[test]
fn a_huge_line_is_quoted_around_the_column_only() {
    let source =
        format!("New-CsNetworkMediaBypassConfiguration -BypassID '{}' -Enabled $undefined", "a".repeat(1_000_000));
    let (err, _) = failing(&source);
    let text = err.render_in(&source, None);
    assert!(text.len() < 1_000, "{} bytes", text.len());
    let lines: Vec<&str> = text.lines().collect();
    let quoted = lines[lines.len() - 2];
    let marker = lines[lines.len() - 1];
    let caret = marker.find('~').unwrap();
    assert!(quoted.starts_with("+ ...") && quoted[caret..].starts_with("$undefined"), "{quoted}\n{marker}");
    assert_eq!(&marker[caret..], "~~~~~~~~~~");
}

#[test]
fn a_utf8_bom_is_not_part_of_the_first_name() {
    let (recorder, table) = tenant();
    let source = format!("\u{FEFF}{SEED_ENABLE}");
    block(run(&source, &table)).unwrap();
    assert_eq!(recorder.calls.lock().unwrap()[0].cmdlet, "Set-CsTenantHybridConfiguration");
}

#[test]
fn the_connect_preamble_runs_as_informational_no_ops() {
    let (recorder, table) = tenant();
    let source = format!(
        "Import-Module SkypeOnlineConnector\n$cred = Get-Credential\n$session = New-CsOnlineSession -Credential $cred -OverrideAdminDomain adatum.onmicrosoft.com\nImport-PSSession $session -AllowClobber\n{SEED_ENABLE}Remove-PSSession $session\n"
    );
    let t = block(run(&source, &table)).unwrap();
    assert_eq!(t.steps.len(), 8);
    for i in [0, 1, 2, 3, 7] {
        assert_eq!(t.steps[i].information.len(), 1, "{:?}", t.steps[i]);
        assert!(t.steps[i].information[0].contains("changes nothing"), "{:?}", t.steps[i]);
    }
    assert!(t.render().contains("INFO: Import-Module: the lab's runner is already connected"), "{}", t.render());
    assert_eq!(recorder.calls.lock().unwrap().len(), 2, "only the tenant's own cmdlets reach it");
}

#[test]
fn a_real_but_unmodelled_cmdlet_is_not_a_typo() {
    let (err, _) = failing("Get-DnsServerRecursion");
    assert_eq!(err.message, "Get-DnsServerRecursion is a real cmdlet that this lab does not model; the modelled cmdlets are listed by `bypass-lab cmdlets`.");
    let (err, _) = failing("get-help Set-CsTenantHybridConfiguration");
    assert!(err.message.contains("is a real cmdlet that this lab does not model"), "{}", err.message);
}

#[test]
fn a_typo_gets_a_did_you_mean() {
    let (err, _) = failing("Set-CsTennatHybridConfiguration -HybridConfigServiceInternalUrl $null");
    assert!(err.message.starts_with("The term 'Set-CsTennatHybridConfiguration' is not recognized"), "{}", err.message);
    assert!(err.message.ends_with("Did you mean 'Set-CsTenantHybridConfiguration'?"), "{}", err.message);
}

#[test]
fn a_bare_null_gets_a_hint() {
    let (err, recorder) = failing("$m = New-CsNetworkMediaBypassConfiguration -Enabled null");
    assert!(
        err.message.contains("Hint: 'null' without a $ is the string \"null\"; PowerShell writes the value as $null."),
        "{}",
        err.message
    );
    assert!(recorder.calls.lock().unwrap().is_empty());
}

#[test]
fn integers_are_values_and_bind_to_integer_parameters() {
    let (_, table) = tenant();
    let t = block(run("$order = 1\n$order\n", &table)).unwrap();
    assert_eq!(t.steps[1].output.objects, vec![Value::Int(1)]);
    let dns = Arc::new(Recorder::default());
    let table = RoleExecutors { dns: Some(dns.clone()), ..Default::default() }.cmdlet_table();
    let source = "$order = 2\nAdd-DnsServerQueryResolutionPolicy -Name P -Action ALLOW -ClientSubnet 'eq,S' -ZoneScope 'Z,1' -ZoneName adatum.biz -ProcessingOrder $order\nAdd-DnsServerQueryResolutionPolicy -Name Q -Action ALLOW -ClientSubnet 'eq,S' -ZoneScope 'Z,1' -ZoneName adatum.biz -ProcessingOrder 1\n";
    block(run(source, &table)).unwrap();
    let calls = dns.calls.lock().unwrap();
    assert_eq!(calls[0].get("ProcessingOrder"), Some(&Value::Int(2)));
    assert_eq!(calls[1].get("ProcessingOrder"), Some(&Value::Int(1)));
}

#[test]
fn tenant_cmdlets_are_refused_on_a_mediation_server() {
    let recorder = Arc::new(Recorder::default());
    let table = RoleExecutors {
        tenant: Some(recorder.clone()),
        appliance: Some(Arc::new(Recorder::default())),
        ..Default::default()
    }
    .cmdlet_table();
    let err = block(run("Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null", &table))
        .and_then(Transcript::into_result)
        .unwrap_err();
    assert_eq!(err.message, "Set-CsTenantHybridConfiguration runs against Skype for Business Online (the tenant), not on a Mediation Server: run it without --on");
    assert!(recorder.calls.lock().unwrap().is_empty(), "the tenant must not change");
}

#[test]
fn a_cmdlet_prefix_from_the_role_is_not_doubled() {
    let recorder = Arc::new(Recorder {
        fail: Some(("Set-CsTenantHybridConfiguration", "Set-CsTenantHybridConfiguration: the URL is bad")),
        ..Default::default()
    });
    let table = RoleExecutors { tenant: Some(recorder), ..Default::default() }.cmdlet_table();
    let err = block(run("Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl x", &table))
        .and_then(Transcript::into_result)
        .unwrap_err();
    assert_eq!(err.message, "Set-CsTenantHybridConfiguration : the URL is bad");
}

#[test]
fn the_in_session_cmdlet_runs_in_an_appliance_run_too() {
    let appliance = Arc::new(Recorder::default());
    let table = RoleExecutors { appliance: Some(appliance.clone()), ..Default::default() }.cmdlet_table();
    let t = block(run("$m = New-CsNetworkMediaBypassConfiguration -Enabled $true\n$m", &table)).unwrap();
    let Value::Object(settings) = &t.steps[1].output.objects[0] else { panic!("{:?}", t.steps[1]) };
    assert_eq!(settings.type_name, "MediaBypassSettings");
    assert!(appliance.calls.lock().unwrap().is_empty(), "built in the session, not on the appliance");
}

#[test]
fn a_table_knows_only_the_cmdlets_it_is_handed() {
    let dns = Arc::new(Recorder::default());
    let table = CmdletTable::new().with(crate::dns::cmdlets::specs(), Some(dns.clone()));
    let err =
        block(run("Get-DnsServerZone\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null", &table))
            .and_then(Transcript::into_result)
            .unwrap_err();
    assert_eq!(err.line, 2);
    assert!(
        err.message.starts_with("Set-CsTenantHybridConfiguration is a real cmdlet that this lab does not model"),
        "{}",
        err.message
    );
    assert_eq!(dns.calls.lock().unwrap().len(), 1);
}
mod common;
mod errors;
mod reference;
mod shape;
mod whole;
