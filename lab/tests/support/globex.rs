//! The README's globex plan and its rollout, for the tests of a rehearsal's verdicts: a /23
//! site with its appliances in the lower half, and a site with two subnets.

use bypass_lab::backend::{BackendKind, DnsStart};
use bypass_lab::rollout::{rehearse_rollout, Quiet, Rollout, RunbookRehearsal};
use bypass_lab::topology::Topology;
use std::sync::Arc;

pub const PLAN: &str = include_str!("../../../examples/globex/topology.toml");

/// The shipped runbook, whose Mumbai client subnet names only the upper /24.
pub const HALF_COVERED: &str = include_str!("../../../examples/globex/rollout-half-covered.ps1");

/// The same runbook without the mistake.
pub fn good() -> String {
    HALF_COVERED.replace(r#""MumbaiSubnet" -IPv4Subnet "10.80.3.0/24""#, r#""MumbaiSubnet" -IPv4Subnet "10.80.2.0/23""#)
}

/// A rollout of `source` on `plan`, on the embedded backend, its DNS server empty.
pub fn rollout(plan: &str, source: String) -> Rollout {
    Rollout {
        topology: Topology::parse(plan, None).unwrap(),
        source,
        origin: "rollout.ps1".into(),
        backend: BackendKind::Embedded,
        dns: DnsStart::Empty,
    }
}

pub async fn rehearse(plan: &str, source: String) -> RunbookRehearsal {
    rehearse_rollout(rollout(plan, source), Arc::new(Quiet)).await.expect("the rehearsal runs")
}
