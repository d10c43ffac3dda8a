//! One clear answer for every documented name: modelled, or a real cmdlet or parameter that the
//! lab does not model; "not recognized" only for names that exist nowhere.

use super::*;

#[test]
fn every_documented_cmdlet_is_modelled_or_named_as_real() {
    let (_, table) = tenant();
    let all = crate::runbook::reference::tests_support::names();
    assert!(all.len() > 1_000, "{}", all.len());
    let mut unmodelled = 0;
    for name in all {
        let t = block(run(name, &table)).unwrap();
        for error in t.failures() {
            assert!(!error.message.contains("is not recognized"), "{name}: {}", error.message);
            unmodelled += usize::from(error.message.contains("is a real cmdlet that this lab does not model"));
        }
    }
    assert!(unmodelled > 1_000, "{unmodelled}");
    for real in ["Set-DnsServerRecursionScope", "Set-CsTenantFederationConfiguration", "Add-DnsServerResourceRecordMX"]
    {
        let (err, _) = failing(real);
        assert_eq!(err.message, format!("{real} is a real cmdlet that this lab does not model; the modelled cmdlets are listed by `bypass-lab cmdlets`."));
    }
}

#[test]
fn every_documented_parameter_of_a_modelled_cmdlet_binds_or_is_named_as_real() {
    let specs: Vec<&'static CmdletSpec> = crate::lab::modelled_cmdlets().listing().iter().map(|l| l.spec).collect();
    let mut checked = 0;
    for spec in specs {
        for parameter in crate::runbook::reference::documented_parameters(spec.name) {
            let line = format!("{} -{parameter}", spec.name);
            let table = super::whole::table(&Arc::new(Recorder::default()), spec.target == Target::Appliance);
            let outcome = block(run(&line, &table)).and_then(Transcript::into_result);
            if let Err(e) = outcome {
                assert!(!e.message.starts_with("A parameter cannot be found"), "{line}: {}", e.message);
            }
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked}");
    let dns = Arc::new(Recorder::default());
    let table = RoleExecutors { dns: Some(dns.clone()), ..Default::default() }.cmdlet_table();
    let line = "Add-DnsServerQueryResolutionPolicy -Name Rec -Action ALLOW -ApplyOnRecursion -RecursionScope InternalScope -ClientSubnet 'EQ,S'";
    let err = block(run(line, &table)).and_then(Transcript::into_result).unwrap_err();
    assert!(dns.calls.lock().unwrap().is_empty());
    assert_eq!(err.message, "-ApplyOnRecursion is a real parameter of Add-DnsServerQueryResolutionPolicy that this lab does not model, so the statement did not run; the modelled parameters are listed by `bypass-lab cmdlets`.");
    let (err, _) = failing("Get-CsTenantHybridConfiguration -Nonsense");
    assert_eq!(err.message, "A parameter cannot be found that matches parameter name 'Nonsense'.");
}
