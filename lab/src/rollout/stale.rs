//! Appliances that never got the tenant's settings, judged for every site whose clients are
//! sent to them, whatever one sample client happened to pick: the Deploy page's one
//! troubleshooting case ("if an appliance does not get the updated settings").

use super::cause::Context;
use super::model::{Finding, Severity};
use super::observe::Observation;
use std::collections::BTreeSet;
use std::net::IpAddr;

/// One error per site and stale appliance its clients resolve: an appliance whose LocalStore
/// holds an older configuration than the tenant's after a full replication window. Its web
/// service rejects (or serves old settings to) the share of clients the DNS answer sends there.
pub fn stale_appliances(phase: &str, observations: &[Observation], cx: &Context) -> Vec<Finding> {
    let mut out = vec![];
    let mut seen: BTreeSet<(String, String)> = BTreeSet::new();
    for o in observations.iter().filter(|o| !o.sample.is_outside() && !o.resolved.is_empty()) {
        let answers: BTreeSet<IpAddr> = o.resolved.iter().copied().collect();
        for ip in &answers {
            let Some(row) = cx.appliances.iter().find(|a| a.address == *ip) else { continue };
            if row.version.is_some_and(|v| v >= cx.tenant_version) {
                continue;
            }
            if !seen.insert((o.sample.site.clone(), row.appliance.clone())) {
                continue;
            }
            let plan = cx.topology.find_appliance(&row.appliance).map(|(_, a)| (a.registered, a.cut));
            let (planned, cut) = plan.unwrap_or((true, false));
            let why = match (planned, row.version) {
                (true, _) if cut => "the plan cuts it off from the tenant: Get-CcApplianceStatus on it shows the tenant unreachable, and Get-CsHybridPSTNAppliance its last contact before the change".to_string(),
                (false, _) => "the plan leaves it unregistered: Get-CsHybridPSTNAppliance does not list it, and Get-CcApplianceStatus on it shows no registration with the tenant (Register-CcAppliance registers it)".to_string(),
                (true, Some(v)) => format!(
                    "its LocalStore holds version {v}: it has not synced since (Get-CcApplianceStatus on it shows whether it reaches the tenant)"
                ),
                (true, None) => "its LocalStore holds no configuration: it never synced (Get-CcApplianceStatus on it shows whether it reaches the tenant)".to_string(),
            };
            out.push(Finding {
                severity: Severity::Error,
                phase: phase.to_string(),
                site: o.sample.site.clone(),
                subnet: o.sample.subnet.to_string(),
                range: o.sample.range_text(),
                window: o.window.map(|w| w.to_string()),
                lines: vec![],
                message: format!(
                    "{} ({}, {}) did not get the tenant's version {} within the replication window: {why}; 1 in {} of the answers for {} send {}'s clients there, and its web service turns them away",
                    row.appliance,
                    row.site,
                    row.address,
                    cx.tenant_version,
                    answers.len(),
                    cx.host,
                    o.sample.site
                ),
            });
        }
    }
    out
}
