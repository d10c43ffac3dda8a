//! Verdicts against what the admin meant and against the estates the Plan page describes:
//! an appliance that never gets the settings is rehearsed rather than fatal.

use bypass_lab::backend::{BackendKind, DnsStart};
use bypass_lab::rollout::{rehearse_rollout, Quiet, Rollout, RunbookRehearsal, Severity};
use bypass_lab::topology::Topology;
use std::sync::Arc;
use std::time::{Duration, Instant};

const PLAN: &str = include_str!("../../examples/globex/topology.toml");
const HALF_COVERED: &str = include_str!("../../examples/globex/rollout-half-covered.ps1");

/// The shipped globex runbook without its mistake.
fn good() -> String {
    HALF_COVERED.replace(r#""MumbaiSubnet" -IPv4Subnet "10.80.3.0/24""#, r#""MumbaiSubnet" -IPv4Subnet "10.80.2.0/23""#)
}

async fn rehearse(plan: &str, source: String) -> RunbookRehearsal {
    let rollout = Rollout {
        topology: Topology::parse(plan, None).unwrap(),
        source,
        origin: "rollout.ps1".into(),
        backend: BackendKind::Embedded,
        dns: DnsStart::Empty,
    };
    rehearse_rollout(rollout, Arc::new(Quiet)).await.expect("the rehearsal runs")
}

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
