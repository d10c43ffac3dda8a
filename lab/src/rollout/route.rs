//! Which policy answers a client, read from the DNS server's configuration as its `Get-` cmdlets
//! print it and decided with the server's own criteria: a finding's cause and a weighted scope's
//! share come from the same rules that answered the client's query.

use super::dns_view::{DnsView, PolicyView, ZoneView};
use crate::clock::TimeOfDay;
use crate::dns::policy::subnet::ClientSubnets;
use crate::dns::policy::{ClientSubnet, Criterion, CriterionKind, Query};
use crate::dns::Transport;
use ipnet::IpNet;
use std::net::IpAddr;

/// What answers a client's query for the service host.
#[derive(Debug, Clone, PartialEq)]
pub enum Route<'a> {
    /// A zone policy answers from its scopes.
    Policy(&'a PolicyView),
    /// No zone policy matches: the zone's default scope answers.
    Default,
    /// A DENY or IGNORE policy (server or zone level) matches.
    Refused(&'a PolicyView),
}

/// A route and the policies that name one of the client's subnets but let it pass, with the
/// criterion that did not match: why a site's own policy did not answer.
#[derive(Debug, Clone, PartialEq)]
pub struct Routing<'a> {
    pub route: Route<'a>,
    pub passed_over: Vec<(&'a PolicyView, String)>,
}

/// One question, as the place's clients ask it.
#[derive(Debug, Clone, Copy)]
pub struct Asked<'h> {
    pub client: IpAddr,
    /// The server address the place's clients query (the `ServerInterfaceIP` criterion).
    pub interface: IpAddr,
    pub host: &'h str,
    pub time: TimeOfDay,
}

/// The view's client subnets as the server holds them, for its criteria to test.
pub struct Router<'a> {
    view: &'a DnsView,
    subnets: ClientSubnets,
}

impl<'a> Router<'a> {
    pub fn new(view: &'a DnsView) -> Router<'a> {
        let mut subnets = ClientSubnets::default();
        for c in &view.client_subnets {
            let (mut ipv4, mut ipv6) = (vec![], vec![]);
            for net in &c.subnets {
                match net {
                    IpNet::V4(n) => ipv4.push(*n),
                    IpNet::V6(n) => ipv6.push(*n),
                }
            }
            // A name listed twice cannot happen on a server; the first wins if it did.
            let _ = subnets.add(ClientSubnet { name: c.name.clone(), ipv4, ipv6 });
        }
        Router { view, subnets }
    }

    /// Whether `policy` matches, and the first criterion that does not when it does not.
    fn test(&self, policy: &PolicyView, asked: &Asked) -> Result<(), String> {
        let query = Query::new(asked.client, asked.interface, asked.host, "A", Transport::Udp);
        let mut results = policy.criteria.iter().map(|(kind, text)| {
            let matched = CriterionKind::parse(kind)
                .and_then(|k| Criterion::parse(k, text, &self.subnets).ok())
                .is_some_and(|c| c.matches(&query, &self.subnets, asked.time));
            (matched, format!("{kind} {text}"))
        });
        if policy.condition.eq_ignore_ascii_case("OR") {
            let all: Vec<(bool, String)> = results.collect();
            if all.is_empty() || all.iter().any(|(m, _)| *m) {
                return Ok(());
            }
            return Err(all.into_iter().map(|(_, t)| t).collect::<Vec<_>>().join(" or "));
        }
        match results.find(|(m, _)| !m) {
            Some((_, text)) => Err(text),
            None => Ok(()),
        }
    }

    /// Whether `policy` names a client subnet that holds the client.
    fn names_holder(&self, policy: &PolicyView, client: IpAddr) -> bool {
        policy.client_subnets.iter().any(|n| self.subnets.get(n).is_some_and(|s| s.contains(client)))
    }

    /// The route of one query in `zone`: server-level policies first, then the zone's, in
    /// processing order, the first match winning, as the server decides.
    pub fn route(&self, zone: &'a ZoneView, asked: &Asked) -> Routing<'a> {
        let mut passed_over = vec![];
        let levels = self.view.server_policies.iter().chain(zone.policies.iter());
        for policy in levels.filter(|p| p.enabled) {
            match self.test(policy, asked) {
                Ok(()) if policy.action.eq_ignore_ascii_case("Allow") => {
                    return Routing { route: Route::Policy(policy), passed_over };
                }
                Ok(()) => return Routing { route: Route::Refused(policy), passed_over },
                Err(failed) => {
                    if self.names_holder(policy, asked.client) {
                        passed_over.push((policy, failed));
                    }
                }
            }
        }
        Routing { route: Route::Default, passed_over }
    }

    /// Every time-of-day boundary the server's policies draw, in minutes after midnight.
    pub fn time_boundaries(&self) -> Vec<TimeOfDay> {
        let zones = self.view.zones.iter().flat_map(|z| z.policies.iter());
        let mut out: Vec<TimeOfDay> = self
            .view
            .server_policies
            .iter()
            .chain(zones)
            .filter(|p| p.enabled)
            .flat_map(|p| p.criteria.iter())
            .filter(|(kind, _)| CriterionKind::parse(kind) == Some(CriterionKind::TimeOfDay))
            .flat_map(|(_, text)| text.split(';').flat_map(|part| part.split(',').skip(1)).collect::<Vec<_>>())
            .flat_map(|window| window.split('-').filter_map(|t| t.trim().parse().ok()).collect::<Vec<TimeOfDay>>())
            .collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::super::dns_view::{ClientSubnetView, ScopeView};
    use super::*;

    fn policy(name: &str, order: i64, criteria: &[(&str, &str)], scopes: &[(&str, u32)]) -> PolicyView {
        PolicyView {
            name: name.into(),
            processing_order: order,
            action: "Allow".into(),
            client_subnets: criteria
                .iter()
                .filter(|(k, _)| *k == "ClientSubnet")
                .flat_map(|(_, t)| t.split(',').skip(1).map(str::to_string).collect::<Vec<_>>())
                .collect(),
            scopes: scopes.iter().map(|(s, _)| s.to_string()).collect(),
            weights: scopes.iter().map(|(_, w)| *w).collect(),
            criteria: criteria.iter().map(|(k, t)| (k.to_string(), t.to_string())).collect(),
            condition: "AND".into(),
            enabled: true,
        }
    }

    fn view() -> DnsView {
        DnsView {
            client_subnets: vec![ClientSubnetView {
                name: "SeattleSubnet".into(),
                subnets: vec!["10.10.1.0/24".parse().unwrap()],
            }],
            zones: vec![ZoneView {
                name: "adatum.biz".into(),
                scopes: vec![ScopeView { name: "adatum.biz".into(), records: vec![] }],
                policies: vec![policy(
                    "SeattleOffice",
                    1,
                    &[("ClientSubnet", "EQ,SeattleSubnet"), ("TimeOfDay", "EQ,08:00-18:00")],
                    &[("SeattleScope", 1)],
                )],
            }],
            server_policies: vec![],
            forwarding: Default::default(),
        }
    }

    #[test]
    fn a_time_of_day_policy_answers_by_day_and_is_named_at_night() {
        let v = view();
        let router = Router::new(&v);
        let ask = |time: &str| Asked {
            client: "10.10.1.200".parse().unwrap(),
            interface: "10.10.1.5".parse().unwrap(),
            host: "hybridvoice.adatum.biz",
            time: time.parse().unwrap(),
        };
        let day = router.route(&v.zones[0], &ask("09:00"));
        assert!(matches!(day.route, Route::Policy(p) if p.name == "SeattleOffice"));
        let night = router.route(&v.zones[0], &ask("19:00"));
        assert_eq!(night.route, Route::Default);
        assert_eq!(night.passed_over[0].0.name, "SeattleOffice");
        assert_eq!(night.passed_over[0].1, "TimeOfDay EQ,08:00-18:00");
        let boundaries: Vec<String> = router.time_boundaries().iter().map(|t| t.to_string()).collect();
        assert_eq!(boundaries, ["08:00", "18:00"]);
    }
}
