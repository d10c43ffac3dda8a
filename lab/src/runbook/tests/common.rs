//! The common parameters on every modelled cmdlet, and `-WhatIf`/`-Confirm` on those that change.

use super::whole::{minimal_arguments, objects, table};
use super::*;

const EVERY_COMMON: &str = " -Verbose -Debug -ErrorAction Continue -WarningAction SilentlyContinue -InformationAction Continue -ErrorVariable errs -WarningVariable warns -InformationVariable infos -OutVariable out -OutBuffer 1 -PipelineVariable item";
const ALIASES: &str =
    " -vb -db -ea Continue -wa Continue -infa Continue -ev errs -wv warns -iv infos -ov out -ob 1 -pv item";

#[test]
fn every_modelled_cmdlet_takes_the_common_parameters_and_its_role_never_sees_them() {
    let specs: Vec<&'static CmdletSpec> = crate::lab::modelled_cmdlets().listing().iter().map(|l| l.spec).collect();
    for spec in &specs {
        let on_appliance = spec.target == Target::Appliance;
        for common in [EVERY_COMMON, ALIASES] {
            let recorder = Arc::new(Recorder::default());
            let line = format!("{}{}{common}", spec.name, minimal_arguments(spec));
            let t = block(run_with(&line, &table(&recorder, on_appliance), objects(&specs)))
                .and_then(Transcript::into_result)
                .unwrap_or_else(|e| panic!("{line}: {}", e.message));
            assert_eq!(t.steps.len(), 1);
            for call in recorder.calls.lock().unwrap().iter() {
                let leaked: Vec<&String> = call
                    .args
                    .keys()
                    .filter(|k| crate::runbook::common::COMMON.iter().any(|c| c.name == k.as_str()))
                    .collect();
                assert!(leaked.is_empty(), "{line}: {leaked:?} reached the role");
            }
        }
    }
}

#[test]
fn what_if_says_what_would_change_and_changes_nothing() {
    let dns = Arc::new(Recorder::default());
    let table = RoleExecutors { dns: Some(dns.clone()), ..Default::default() }.cmdlet_table();
    let t = block(run("Add-DnsServerClientSubnet -Name AmsterdamSubnet -IPv4Subnet 192.168.1.0/24 -WhatIf", &table))
        .unwrap();
    assert!(dns.calls.lock().unwrap().is_empty(), "-WhatIf changes nothing");
    assert_eq!(
        t.steps[0].host,
        ["What if: Performing the operation \"Add-DnsServerClientSubnet\" on target \"Name: AmsterdamSubnet\"."]
    );
    assert!(t.render().contains("\nWhat if: Performing the operation"), "{}", t.render());
    let t = block(run("Add-DnsServerClientSubnet -Name A -IPv4Subnet 10.0.0.0/8 -WhatIf:$false", &table)).unwrap();
    assert!(t.steps[0].host.is_empty());
    assert_eq!(dns.calls.lock().unwrap().len(), 1, "-WhatIf:$false runs the line");
}

#[test]
fn what_if_and_confirm_belong_to_cmdlets_that_change_something() {
    let (recorder, table) = tenant();
    let t = block(run("Get-CsNetworkConfiguration -WhatIf\nGet-CsTenantHybridConfiguration -Confirm", &table)).unwrap();
    let messages: Vec<&str> = t.failures().map(|e| e.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "A parameter cannot be found that matches parameter name 'WhatIf'.",
            "A parameter cannot be found that matches parameter name 'Confirm'."
        ]
    );
    assert!(recorder.calls.lock().unwrap().is_empty());
}

#[test]
fn confirm_never_prompts_and_says_so_once() {
    let (recorder, table) = tenant();
    let source = "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null -Confirm:$false\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null -Confirm";
    let t = block(run(source, &table)).unwrap();
    assert_eq!(recorder.calls.lock().unwrap().len(), 2, "both lines ran without a prompt");
    let said: Vec<&String> = t.steps.iter().flat_map(|s| &s.information).collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("never asks"), "{said:?}");
}

#[test]
fn out_variable_keeps_the_output() {
    let (_, table) = tenant();
    let t =
        block(run("New-CsNetworkMediaBypassConfiguration -Enabled $true -OutVariable made\n$made", &table)).unwrap();
    let Value::List(kept) = &t.steps[1].output.objects[0] else { panic!("{:?}", t.steps[1]) };
    assert!(matches!(&kept[0], Value::Object(o) if o.type_name == "MediaBypassSettings"));
}
