//! Verdicts against what the admin meant and against the estates the Plan page describes:
//! an appliance that never gets the settings is rehearsed rather than fatal.

mod support;

use bypass_lab::rollout::{rehearse_rollout, Quiet, RunbookRehearsal, Severity};
use std::sync::Arc;
use std::time::{Duration, Instant};
use support::globex::{good, rehearse, rollout, PLAN};

/// The Deploy page's troubleshooting case: an appliance that does not get the settings. The
/// lab starts without waiting for it, and the verdict names it and the share of answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unregistered_appliance_gets_a_verdict_naming_it_in_seconds() {
    let plan = PLAN.replace(
        "name = \"bom-cce2\"\naddress = \"10.80.2.11\"",
        "name = \"bom-cce2\"\naddress = \"10.80.2.11\"\nregistered = false",
    );
    assert_ne!(plan, PLAN);
    let started = Instant::now();
    let done = rehearse(&plan, good()).await;
    assert!(started.elapsed() < Duration::from_secs(30), "no wait on it: {:?}", started.elapsed());
    let stale: Vec<&str> = done
        .report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.message.starts_with("bom-cce2 (Mumbai, 10.80.2.11) did not get"))
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(stale.len(), 1, "{:#?}", done.report.findings);
    assert!(stale[0].contains("the plan leaves it unregistered"), "{}", stale[0]);
    assert!(
        stale[0].contains("1 in 2 of the answers for mb.globex.example send Mumbai's clients there"),
        "{}",
        stale[0]
    );
}

/// The Deploy page's two-step enable, with the second step forgotten: the tenant stays
/// "disabled", which the tenant's state alone would call consistent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn settings_built_but_never_saved_fail_the_enable_naming_the_line() {
    let source = good().replace("Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass\n", "");
    let line =
        source.lines().position(|l| l.starts_with("$mediabypass = New-CsNetworkMediaBypassConfiguration")).unwrap() + 1;
    let done = rehearse(PLAN, source).await;
    assert!(!done.succeeded());
    let enable = done.report.phases.iter().find(|p| p.name == "enable").unwrap();
    assert_eq!(enable.intent.as_deref(), Some("bypass on, URL set, records present (from its name)"));
    let errors: Vec<&str> =
        done.report.findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.message.as_str()).collect();
    assert_eq!(
        errors,
        [format!("phase enable is meant to turn media bypass on, but it is not enabled: $mediabypass (line {line}) was built but never assigned with Set-CsNetworkConfiguration -MediaBypassSettings: New-CsNetworkMediaBypassConfiguration only builds the settings in memory")]
    );
}

/// The guide says a permanent disable also removes the service's records from the internal DNS.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_permanent_disable_that_leaves_records_fails() {
    let disable = "\n# phase: permanent-disable\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null\n$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false\nSet-CsNetworkConfiguration -MediaBypassSettings $mediabypass\n";
    let done = rehearse(PLAN, format!("{}{disable}", good())).await;
    let errors: Vec<&str> = done
        .report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.phase == "permanent-disable" && f.site == "all")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(errors.len(), 1, "{:#?}", done.report.findings);
    assert!(
        errors[0].starts_with("phase permanent-disable is meant to remove the service's DNS records, but DNS server dns still holds mb.globex.example in zone scope MumbaiScope and zone scope SeattleScope of zone globex.example"),
        "{}",
        errors[0]
    );
    let removed = format!(
        "{}{disable}Remove-DnsServerResourceRecord -ZoneName \"globex.example\" -RRType \"A\" -Name \"mb\" -ZoneScope \"MumbaiScope\" -Force\nRemove-DnsServerResourceRecord -ZoneName \"globex.example\" -RRType \"A\" -Name \"mb\" -ZoneScope \"SeattleScope\" -Force\n",
        good()
    );
    let done = rehearse(PLAN, removed).await;
    assert!(done.succeeded(), "{:#?}", done.report.findings);
}

/// A phase named for no step of the guide says it was judged by the tenant's state only; an
/// `# expect:` line gives it an intent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expect_line_gives_any_phase_an_intent() {
    let source = good().replace("# phase: enable\n", "# phase: step-2\n");
    let done = rehearse(PLAN, source.clone()).await;
    assert_eq!(done.report.phases[1].intent, None);
    let declared = source.replace("# phase: step-2\n", "# phase: step-2\n# expect: bypass off\n");
    let done = rehearse(PLAN, declared).await;
    assert_eq!(done.report.phases[1].intent.as_deref(), Some("bypass off (from its # expect: line)"));
    assert!(done
        .report
        .findings
        .iter()
        .any(|f| f.message.starts_with("phase step-2 is meant to turn media bypass off, but it is still enabled: ")));
}

/// The plan's `start_time_of_day` is the clock the rehearsal reads: starting at 02:00 moves every
/// phase's judgement two hours later in the day, and the report says when each was judged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plans_start_time_of_day_moves_the_time_judged() {
    let at_two = PLAN.replace(
        "service_name = \"mb.globex.example\"",
        "service_name = \"mb.globex.example\"\nstart_time_of_day = \"02:00\"",
    );
    assert_ne!(at_two, PLAN);
    // The appliances' last contact, as Get-CsHybridPSTNAppliance prints it, reads on the same clock.
    let source = format!("{}\n# phase: check\nGet-CsHybridPSTNAppliance\n", good());
    let midnight = rehearse(PLAN, source.clone()).await;
    let two = rehearse(&at_two, source).await;
    let times = |done: &RunbookRehearsal| done.report.phases.iter().map(|p| p.judged_at.clone()).collect::<Vec<_>>();
    assert_eq!(times(&midnight), ["day 2 08:00", "day 3 16:00", "day 5 00:00"]);
    assert_eq!(times(&two), ["day 2 10:00", "day 3 18:00", "day 5 02:00"]);
    let contacts = |done: &RunbookRehearsal| -> Vec<(u64, u64)> {
        let check = done.report.phases.iter().find(|p| p.name == "check").expect("the check phase");
        let text = &check.output.iter().find(|o| o.command.starts_with("Get-CsHybridPSTNAppliance")).unwrap().text;
        text.lines()
            .filter_map(|l| l.trim().strip_prefix("LastContact"))
            .map(|l| {
                let reading = l.trim_start_matches([' ', ':']);
                let (day, time) = reading.trim_start_matches("day ").split_once(' ').unwrap();
                let (h, m) = time.split_once(':').unwrap();
                (day.parse().unwrap(), h.parse::<u64>().unwrap() * 60 + m.parse::<u64>().unwrap())
            })
            .collect()
    };
    let (before, after) = (contacts(&midnight), contacts(&two));
    assert_eq!(before.len(), 3, "one LastContact per appliance: {before:?}");
    let minutes = |(day, at): (u64, u64)| day * 24 * 60 + at;
    for (b, a) in before.iter().zip(&after) {
        assert_eq!(
            minutes(*a),
            minutes(*b) + 120,
            "LastContact two hours later on the 02:00 plan: {before:?} {after:?}"
        );
    }
}

/// The Plan page's multi-site design: a branch with a gateway and no appliance uses another
/// site's Cloud Connector. Declared with `served_by`, resolving that site is the design.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_served_by_another_sites_cloud_connector_passes() {
    let branch = "\n[[site]]\nname = \"Perth\"\nsubnets = [\"10.50.0.0/24\"]\ngateway = \"10.50.0.1\"\n";
    let plan = PLAN.replace("\n[outside]", &format!("{branch}served_by = \"Mumbai\"\n\n[outside]"));
    let source = good().replace(
        "Add-DnsServerZoneScope -ZoneName \"globex.example\" -Name \"MumbaiScope\"\n",
        "Add-DnsServerZoneScope -ZoneName \"globex.example\" -Name \"MumbaiScope\"\nAdd-DnsServerClientSubnet -Name \"PerthSubnet\" -IPv4Subnet \"10.50.0.0/24\"\nAdd-DnsServerQueryResolutionPolicy -Name \"PerthPolicy\" -Action ALLOW -ClientSubnet \"eq,PerthSubnet\" -ZoneScope \"MumbaiScope,1\" -ZoneName \"globex.example\"\n",
    );
    let done = rehearse(&plan, source.clone()).await;
    assert!(done.succeeded(), "{:#?}", done.report.findings);
    let perth = done.report.phases[1].rows.iter().find(|r| r.site == "Perth").unwrap();
    assert_eq!(perth.resolved_site.as_deref(), Some("Mumbai"));

    let undeclared = plan.replace("served_by = \"Mumbai\"\n", "");
    let done = rehearse(&undeclared, source).await;
    assert!(
        done.report.findings.iter().any(|f| f.site == "Perth"
            && f.message == "policy PerthPolicy sends Perth's clients to zone scope MumbaiScope (Mumbai's Mediation Servers) via client subnet PerthSubnet"),
        "{:#?}",
        done.report.findings
    );
}

/// A 3:1 weighted failover is a warning naming the share, unless the plan declares that
/// failover as the design.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_failover_share_is_no_warning() {
    let failover = good().replace(r#"-ZoneScope "SeattleScope,1""#, r#"-ZoneScope "SeattleScope,3;MumbaiScope,1""#);
    let warned = rehearse(PLAN, failover.clone()).await;
    assert!(warned.report.findings.iter().any(|f| f.severity == Severity::Warning
        && f.message
            .starts_with("policy SeattleOffice answers 1 in 4 of Seattle's queries from zone scope MumbaiScope")));
    let declared = PLAN.replace("gateway = \"10.20.0.1\"\n", "gateway = \"10.20.0.1\"\nfailover = [\"Mumbai\"]\n");
    assert_ne!(declared, PLAN);
    let done = rehearse(&declared, failover).await;
    assert!(done.succeeded());
    assert!(done.report.findings.iter().all(|f| f.site != "Seattle"), "{:#?}", done.report.findings);
}

/// An appliance cut off from the tenant, by the plan or by a lab directive in the runbook, is
/// rehearsed: the verdict names it, and a heal lets the next change through.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_appliance_is_named_and_a_heal_lets_it_catch_up() {
    let plan = PLAN.replace(
        "name = \"bom-cce2\"\naddress = \"10.80.2.11\"",
        "name = \"bom-cce2\"\naddress = \"10.80.2.11\"\ncut = true",
    );
    assert_ne!(plan, PLAN);
    let done = rehearse(&plan, good()).await;
    assert!(
        done.report
            .findings
            .iter()
            .any(|f| f.message.starts_with("bom-cce2 (Mumbai, 10.80.2.11) did not get the tenant's version")
                && f.message.contains("the plan cuts it off from the tenant")),
        "{:#?}",
        done.report.findings
    );

    let directed = good().replace("# phase: enable\n", "# phase: enable\n# lab: cut bom-cce1 tenant\n")
        + "\n# phase: verify\n# lab: heal bom-cce1\n";
    let done = rehearse(PLAN, directed).await;
    let stale = |phase: &str| {
        done.report
            .findings
            .iter()
            .any(|f| f.phase == phase && f.message.starts_with("bom-cce1 (Mumbai, 10.80.2.10) did not get"))
    };
    assert!(stale("enable"), "{:#?}", done.report.findings);
    assert!(!stale("verify"), "healed, it syncs within the next window: {:#?}", done.report.findings);
    let bad = rollout(PLAN, good().replace("# phase: enable\n", "# phase: enable\n# lab: unplug bom-cce1\n"));
    let err = rehearse_rollout(bad, Arc::new(Quiet)).await.unwrap_err();
    assert!(err.is_input() && err.to_string().contains("is no lab directive"), "{err}");
}

/// A runbook that holds the tenant's and an appliance's real ids can be rehearsed: the plan
/// gives them (`tenant_id`, `identity`), and the cmdlets take them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_plans_own_ids_are_the_ones_the_cmdlets_take() {
    let plan = PLAN
        .replace(
            "domain = \"globex.example\"",
            "domain = \"globex.example\"\ntenant_id = \"2f1c6a52-58f4-4f1e-9a3c-2b7f1d0e9c41\"",
        )
        .replace("name = \"bom-cce1\"", "name = \"bom-cce1\"\nidentity = \"7af7dc1c-1f9e-4b6a-8a7e-0c3d5e9f2b10\"");
    let source = format!(
        "{}\n# phase: check\nGet-CsTenant\nGet-CsHybridPSTNAppliance -Identity 7af7dc1c-1f9e-4b6a-8a7e-0c3d5e9f2b10\nSet-CsHybridPSTNAppliance -Identity 7af7dc1c-1f9e-4b6a-8a7e-0c3d5e9f2b10 -MaintenanceMode $false\nGet-CsTenantHybridConfiguration -Tenant 2f1c6a52-58f4-4f1e-9a3c-2b7f1d0e9c41\n",
        good()
    );
    let done = rehearse(&plan, source).await;
    assert!(done.succeeded(), "{:#?}", done.report.findings);
    let check = done.report.phases.iter().find(|p| p.name == "check").unwrap();
    assert!(check.output[0].text.contains("2f1c6a52-58f4-4f1e-9a3c-2b7f1d0e9c41"), "{}", check.output[0].text);
    assert!(check.output[1].text.contains("7af7dc1c-1f9e-4b6a-8a7e-0c3d5e9f2b10"), "{}", check.output[1].text);
    assert!(check.output[1].text.contains("bom-cce1"), "{}", check.output[1].text);
}
