//! Verdicts that cannot lie: a rehearsal judges every region of every subnet (not one sample
//! host), every window of the day a policy tells apart, and every scope a weighted policy
//! answers from. Each runbook here passed when only one client per subnet was judged at one
//! time of day.

mod support;

use bypass_lab::rollout::model::Decision;
use bypass_lab::rollout::{rehearse_rollout, Quiet, RunbookRehearsal, Severity};
use std::sync::Arc;
use support::globex::{good, rehearse, rollout, HALF_COVERED, PLAN};

fn errors(done: &RunbookRehearsal) -> Vec<(String, String, String)> {
    done.report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.site.clone(), f.range.clone(), f.message.clone()))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_right_runbook_passes_with_one_row_per_subnet() {
    let done = rehearse(PLAN, good()).await;
    assert!(done.succeeded(), "{:#?}", done.report.findings);
    let enable = &done.report.phases[1];
    let ranges: Vec<(&str, &str)> = enable.rows.iter().map(|r| (r.subnet.as_str(), r.range.as_str())).collect();
    assert_eq!(
        ranges,
        [
            ("10.80.2.0/23", "10.80.2.0/23"),
            ("10.20.0.0/24", "10.20.0.0/24"),
            ("10.20.4.0/25", "10.20.4.0/25"),
            ("198.51.100.0/24", "198.51.100.0/24")
        ]
    );
    assert!(enable.rows.iter().all(|r| r.window.is_none()));
}

/// The client subnet written as the upper /24 of Mumbai's /23: the lower half, where the
/// appliances and the gateway live, resolves nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_half_covered_23_fails_naming_the_uncovered_24() {
    let done = rehearse(PLAN, HALF_COVERED.to_string()).await;
    assert!(!done.succeeded());
    assert_eq!(
        errors(&done),
        [(
            "Mumbai".to_string(),
            "10.80.2.0/24".to_string(),
            "no client subnet covers 10.80.2.0/24 of Mumbai's 10.80.2.0/23 (client subnet MumbaiSubnet covers only 10.80.3.0/24 of Mumbai), so its queries fall to the default scope, which holds no record for mb.globex.example".to_string()
        )]
    );
    let mumbai: Vec<(&str, Decision, String)> = done.report.phases[1]
        .rows
        .iter()
        .filter(|r| r.site == "Mumbai")
        .map(|r| (r.range.as_str(), r.decision, r.address.to_string()))
        .collect();
    assert_eq!(
        mumbai,
        [
            ("10.80.2.0/24", Decision::NoBypass, "10.80.2.255".into()),
            ("10.80.3.0/24", Decision::Bypass, "10.80.3.253".into())
        ]
    );
}

/// Seattle's policy answers only in office hours: at night its clients resolve nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_that_resolves_only_by_day_fails_naming_the_night() {
    let night = good().replace(
        r#"-ClientSubnet "eq,SeattleSubnet" -ZoneScope"#,
        r#"-ClientSubnet "eq,SeattleSubnet" -TimeOfDay "EQ,08:00-18:00" -ZoneScope"#,
    );
    let done = rehearse(PLAN, night).await;
    assert!(!done.succeeded());
    let found = errors(&done);
    assert_eq!(found.len(), 2, "both of Seattle's subnets: {found:#?}");
    for (site, _, message) in &found {
        assert_eq!(site, "Seattle");
        assert!(
            message.starts_with("from 18:00 to 08:00: policy SeattleOffice names client subnet SeattleSubnet but matches only TimeOfDay EQ,08:00-18:00"),
            "{message}"
        );
    }
    let seattle: Vec<(Option<&str>, Decision)> = done.report.phases[1]
        .rows
        .iter()
        .filter(|r| r.subnet == "10.20.0.0/24")
        .map(|r| (r.window.as_deref(), r.decision))
        .collect();
    assert_eq!(seattle, [(Some("08:00-18:00"), Decision::Bypass), (Some("18:00-08:00"), Decision::NoBypass)]);
    let mumbai = done.report.phases[1].rows.iter().find(|r| r.site == "Mumbai").unwrap();
    assert_eq!(mumbai.window, None, "Mumbai behaves alike all day");
}

/// Three in four of Seattle's answers from its own scope, one from Mumbai's: a warning that
/// names the share, judged from the policy whatever one query drew. A share from a scope
/// without the name is an error.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_weighted_policy_is_judged_from_every_scope() {
    let failover = good().replace(r#"-ZoneScope "SeattleScope,1""#, r#"-ZoneScope "SeattleScope,3;MumbaiScope,1""#);
    let done = rehearse(PLAN, failover).await;
    assert!(done.succeeded(), "a warning only: {:#?}", done.report.findings);
    let warnings: Vec<&str> = done
        .report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning && f.site == "Seattle")
        .map(|f| f.message.as_str())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(
        warnings[0].starts_with("policy SeattleOffice answers 1 in 4 of Seattle's queries from zone scope MumbaiScope (Mumbai's Mediation Servers)"),
        "{}",
        warnings[0]
    );

    let spare = good()
        .replace(r#"-ZoneScope "SeattleScope,1""#, r#"-ZoneScope "SeattleScope,3;SpareScope,1""#)
        .replace(
            "Add-DnsServerQueryResolutionPolicy -Name \"MumbaiPolicy\"",
            "Add-DnsServerZoneScope -ZoneName \"globex.example\" -Name \"SpareScope\"\nAdd-DnsServerQueryResolutionPolicy -Name \"MumbaiPolicy\"",
        );
    let done = rehearse(PLAN, spare).await;
    let found = errors(&done);
    assert!(
        found.iter().any(|(site, _, m)| site == "Seattle"
            && m == "policy SeattleOffice answers 1 in 4 of Seattle's queries from zone scope SpareScope, which holds no record for mb.globex.example"),
        "{found:#?}"
    );
}

/// A runbook without any marker is judged once, and says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_without_markers_is_judged_as_one_phase() {
    let done = rehearse(PLAN, good().replace("# phase: dns\n", "").replace("# phase: enable\n", "")).await;
    assert_eq!(done.report.phases.len(), 1);
    assert!(done.judged_as_one_phase());
    let marked = rehearse(PLAN, good()).await;
    assert!(!marked.judged_as_one_phase());
}

/// `Resolve-DnsName` in a runbook runs from the admin's workstation, where the plan places it,
/// and says so beside its answer.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_runbook_resolves_from_the_admin_workstation() {
    let done = rehearse_rollout(
        rollout(
            &format!("{PLAN}\n[admin]\nsite = \"Seattle\"\n"),
            format!("{}\n# phase: check\nResolve-DnsName mb.globex.example\n", good()),
        ),
        Arc::new(Quiet),
    )
    .await
    .expect("the rehearsal runs");
    assert!(done.succeeded(), "{:#?}", done.report.findings);
    let check = done.report.phases.iter().find(|p| p.name == "check").unwrap();
    let line = check.output.iter().find(|o| o.command.starts_with("Resolve-DnsName")).expect("its output is kept");
    assert_eq!(line.line, good().lines().count() + 3);
    assert!(line.text.contains("INFO: as resolved from Seattle 10.20.0.2, the admin's workstation"), "{}", line.text);
    assert!(line.text.contains("10.20.0.10") && !line.text.contains("10.80.2.10"), "Seattle's answer: {}", line.text);
}

/// From a workstation outside, the name resolves nothing: an error on that line, as PowerShell
/// writes it, and the runbook goes on to its next phase.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_resolve_is_an_error_on_its_line_and_the_runbook_goes_on() {
    let source = format!("{}\n# phase: check\nResolve-DnsName mb.globex.example\n\n# phase: after\n", good());
    let line = source.lines().position(|l| l.starts_with("Resolve-DnsName")).unwrap() + 1;
    let done =
        rehearse_rollout(rollout(&format!("{PLAN}\n[admin]\naddress = \"198.51.100.7\"\n"), source), Arc::new(Quiet))
            .await
            .expect("the rehearsal runs");
    assert!(done.failure.is_none());
    assert_eq!(done.report.phases.last().unwrap().name, "after", "the runbook went on");
    let check = done.report.phases.iter().find(|p| p.name == "check").unwrap();
    let resolve = check.output.iter().find(|o| o.line == line).unwrap();
    assert!(resolve.text.contains("as resolved from outside 198.51.100.7"), "{}", resolve.text);
    assert!(resolve.error.as_deref().is_some_and(|e| e.contains("DNS name does not exist")), "{resolve:?}");
    let found = errors(&done);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(found[0].2.starts_with(&format!("rollout.ps1 line {line}, column 1 failed")), "{}", found[0].2);
}
