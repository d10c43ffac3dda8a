//! A policy that spreads its answers over several zone scopes (`"DenverScope,3;TokyoScope,1"`),
//! judged from every scope it answers from rather than from the one answer a query drew: a
//! share that resolves nothing is an error, a share of another site's Mediation Servers a
//! warning that names the share (docs/design/rollout.md, "Expectations").

use super::cause::{whose, Context};
use super::model::Severity;
use super::observe::Observation;
use std::net::IpAddr;

/// Who a sentence is about: "Denver's clients", or "the clients of 10.80.2.0/24 of Mumbai's
/// 10.80.2.0/23" when the subnet is split.
fn whom(o: &Observation) -> String {
    if o.sample.whole() {
        format!("{}'s clients", o.sample.site)
    } else {
        format!("the clients of {}", o.sample.place())
    }
}

/// Whose queries: "Denver's queries", or "the queries of 10.80.2.0/24 of Mumbai's 10.80.2.0/23".
fn queries_of(o: &Observation) -> String {
    if o.sample.whole() {
        format!("{}'s queries", o.sample.site)
    } else {
        format!("the queries of {}", o.sample.place())
    }
}

/// A weighted policy judged from every scope it answers from: a scope without the host is an
/// error (that share of queries resolves nothing), another site's Mediation Servers a warning
/// naming the share, and only other sites' everywhere an error. None when one scope answers.
pub fn weighted(o: &Observation, cx: &Context, own: &dyn Fn(&IpAddr) -> bool) -> Option<Vec<(Severity, String)>> {
    let (policy, shares) = cx.shares(o)?;
    if shares.len() < 2 {
        return None;
    }
    let total: u32 = shares.iter().map(|s| s.weight).sum();
    let mut out = vec![];
    for s in shares.iter().filter(|s| s.held.is_empty()) {
        out.push((
            Severity::Error,
            format!(
                "policy {} answers {} in {total} of {} from zone scope {}, which holds no record for {}",
                policy.name,
                s.weight,
                queries_of(o),
                s.scope,
                cx.host
            ),
        ));
    }
    let foreign: Vec<_> = shares.iter().filter(|s| !s.held.is_empty() && !s.held.iter().all(own)).collect();
    let own_shares = shares.iter().filter(|s| !s.held.is_empty() && s.held.iter().all(own)).count();
    if own_shares == 0 && !foreign.is_empty() {
        let scopes: Vec<String> = foreign
            .iter()
            .map(|s| format!("{} ({}, weight {} of {total})", s.scope, whose(cx.topology, &s.held), s.weight))
            .collect();
        out.push((
            Severity::Error,
            format!(
                "policy {} sends {} only to other sites' Mediation Servers: zone scope {}",
                policy.name,
                whom(o),
                scopes.join(", ")
            ),
        ));
    } else {
        // A share from a site the plan names as this site's failover is the design.
        let planned = |s: &&&super::cause::Share| {
            let failover = cx.topology.site(&o.sample.site).map(|site| site.failover.as_slice()).unwrap_or_default();
            s.held.iter().all(|ip| {
                cx.topology
                    .find_appliance(&ip.to_string())
                    .is_some_and(|(site, _)| failover.iter().any(|f| f.eq_ignore_ascii_case(&site.name)))
            })
        };
        for s in foreign.iter().filter(|s| !planned(s)) {
            out.push((
                Severity::Warning,
                format!(
                    "policy {} answers {} in {total} of {} from zone scope {} ({}): those clients use another site's Mediation Servers",
                    policy.name,
                    s.weight,
                    queries_of(o),
                    s.scope,
                    whose(cx.topology, &s.held)
                ),
            ));
        }
    }
    Some(out)
}
