//! A statement is checked whole before any of it runs: for every modelled cmdlet, a line whose
//! other part cannot run (a parameter, a later stage, the assignment) reaches no executor.

use super::*;
use crate::runbook::binder::Variables;
use crate::runbook::spec::ParamKind;

/// The smallest argument list that binds to `spec`: each mandatory parameter with a value of its
/// type. Objects come from variables named after their type (see [`objects`]).
pub(super) fn minimal_arguments(spec: &CmdletSpec) -> String {
    let mut line = String::new();
    for p in spec.params.iter().filter(|p| p.mandatory) {
        let value = match p.kind {
            ParamKind::Switch => String::new(),
            ParamKind::Bool => "$true".into(),
            ParamKind::Int => "1".into(),
            ParamKind::String => "x".into(),
            ParamKind::StringList => "a,b".into(),
            ParamKind::Enum(words) => words[0].into(),
            ParamKind::Object(type_name) => format!("$object_{}", type_name.replace('.', "_")),
        };
        line.push_str(&format!(" -{} {value}", p.name));
    }
    line.trim_end().to_string()
}

/// One empty object of each type a parameter takes, in `$object_TYPE`.
pub(super) fn objects(specs: &[&'static CmdletSpec]) -> Variables {
    let mut variables = Variables::new();
    for p in specs.iter().flat_map(|s| s.params) {
        if let ParamKind::Object(type_name) = p.kind {
            let object = PsObject { type_name: type_name.into(), properties: vec![] };
            variables
                .insert(format!("object_{}", type_name.replace('.', "_")).to_ascii_lowercase(), Value::Object(object));
        }
    }
    variables
}

/// A table whose every executor is `recorder`; with `on_appliance`, a run `--on` an appliance.
pub(super) fn table(recorder: &Arc<Recorder>, on_appliance: bool) -> CmdletTable {
    let executor: Arc<dyn Executor> = recorder.clone();
    RoleExecutors {
        tenant: (!on_appliance).then(|| executor.clone()),
        dns: Some(executor.clone()),
        appliance: on_appliance.then_some(executor.clone()),
        clock: Some(executor),
    }
    .cmdlet_table()
}

/// Lines that name `cmdlet` with arguments that bind, but another part of which cannot run.
fn broken_lines(cmdlet: &str, arguments: &str, other_noun: &str) -> Vec<String> {
    vec![
        format!("{cmdlet}{arguments} -NoSuchParameter 1"),
        format!("{cmdlet}{arguments} | Get-Thing"),
        format!("{cmdlet}{arguments} | Get-DnsServerRecursion"),
        format!("{cmdlet}{arguments} | {other_noun}"),
        format!("{cmdlet}{arguments} | Format-List -NoSuchParameter"),
        format!("{cmdlet}{arguments} | Import-PSSession"),
        format!("$unset.Property = {cmdlet}{arguments}"),
    ]
}

#[test]
fn every_modelled_cmdlet_is_checked_whole_before_it_runs() {
    let listed = crate::lab::modelled_cmdlets().listing();
    let specs: Vec<&'static CmdletSpec> = listed.iter().map(|l| l.spec).collect();
    assert!(specs.len() >= 20, "{} cmdlets", specs.len());
    let mut seen = vec![];
    for spec in &specs {
        let on_appliance = spec.target == Target::Appliance;
        let arguments = minimal_arguments(spec);
        let other_noun =
            if spec.name.contains("DnsServer") { "Set-CsNetworkConfiguration" } else { "Add-DnsServerClientSubnet" };
        // The line on its own runs once: the arguments are good, so what fails below is the other part.
        let recorder = Arc::new(Recorder::default());
        let alone = format!("{}{arguments}", spec.name);
        let done =
            block(run_with(&alone, &table(&recorder, on_appliance), objects(&specs))).and_then(Transcript::into_result);
        assert!(done.is_ok(), "{alone}: {:?}", done.err());
        let runs_remotely = spec.target != Target::Local;
        assert_eq!(recorder.calls.lock().unwrap().len(), usize::from(runs_remotely), "{alone}");
        for line in broken_lines(spec.name, &arguments, other_noun) {
            let recorder = Arc::new(Recorder::default());
            let outcome = block(run_with(&line, &table(&recorder, on_appliance), objects(&specs)))
                .and_then(Transcript::into_result);
            assert!(outcome.is_err(), "{line} reported success");
            let calls = recorder.calls.lock().unwrap();
            assert!(
                calls.is_empty(),
                "{line} ran {:?} though the line failed",
                calls.iter().map(|c| &c.cmdlet).collect::<Vec<_>>()
            );
        }
        seen.push(spec.name);
    }
    assert!(seen.contains(&"Add-DnsServerClientSubnet") && seen.contains(&"Set-CsTenantHybridConfiguration"));
}

#[test]
fn a_change_piped_into_an_output_cmdlet_runs_once_and_a_bad_one_not_at_all() {
    let dns = Arc::new(Recorder::default());
    let table = RoleExecutors { dns: Some(dns.clone()), ..Default::default() }.cmdlet_table();
    let line = "Add-DnsServerClientSubnet -Name AmsterdamSubnet -IPv4Subnet 192.168.1.0/24 | Sort-Object -Descnding";
    let err = block(run(line, &table)).and_then(Transcript::into_result).unwrap_err();
    assert!(dns.calls.lock().unwrap().is_empty(), "the subnet must not be added when the line fails");
    assert_eq!(
        (err.column, err.message.as_str()),
        (90, "A parameter cannot be found that matches parameter name 'Descnding'.")
    );
    let t = block(run(
        "Add-DnsServerClientSubnet -Name AmsterdamSubnet -IPv4Subnet 192.168.1.0/24 -PassThru | Format-List",
        &table,
    ))
    .unwrap();
    assert!(t.succeeded());
    assert_eq!(dns.calls.lock().unwrap().len(), 1);
}

#[test]
fn a_change_piped_into_another_change_is_refused_at_the_pipe() {
    let dns = Arc::new(Recorder::default());
    let table = RoleExecutors { dns: Some(dns.clone()), ..Default::default() }.cmdlet_table();
    let err =
        block(run("Add-DnsServerClientSubnet -Name S -IPv4Subnet 10.0.0.0/8 | Remove-DnsServerClientSubnet", &table))
            .and_then(Transcript::into_result)
            .unwrap_err();
    assert!(dns.calls.lock().unwrap().is_empty());
    assert_eq!(err.column, 58);
    assert!(err.message.contains("Nothing of this line ran."), "{}", err.message);
}
