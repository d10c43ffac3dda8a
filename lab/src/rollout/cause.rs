//! The likely cause of a deviation, in one sentence, read from the DNS server's configuration,
//! the appliances' LocalStores and the client's own fetch.

use super::dns_view::{DnsView, ForwardingView, PolicyView, ZoneView};
use super::model::ApplianceRow;
use super::observe::Observation;
use super::route::{Asked, Route, Router, Routing};
use super::via::{via, Via};
use crate::client::FetchOutcome;
use crate::topology::Topology;
use std::net::IpAddr;

/// Everything a cause is read from.
pub struct Context<'a> {
    pub topology: &'a Topology,
    /// Each DNS server's configuration, by server index.
    pub views: &'a [DnsView],
    routers: Vec<Router<'a>>,
    pub appliances: &'a [ApplianceRow],
    /// The host clients resolve.
    pub host: &'a str,
    /// The tenant's configuration version after the phase.
    pub tenant_version: u64,
}

/// Where a weighted policy's answers for a client's host go: each scope, its weight, and what
/// it holds for the host.
pub struct Share<'a> {
    pub scope: &'a str,
    pub weight: u32,
    pub held: Vec<IpAddr>,
}

fn join(ips: &[IpAddr]) -> String {
    ips.iter().map(IpAddr::to_string).collect::<Vec<_>>().join(", ")
}

/// Whose Mediation Servers `addresses` are: "Tokyo's Mediation Servers", or the addresses.
pub fn whose(topology: &Topology, addresses: &[IpAddr]) -> String {
    let mut sites: Vec<&str> = Vec::new();
    let mut strangers: Vec<IpAddr> = Vec::new();
    for ip in addresses {
        match topology.find_appliance(&ip.to_string()) {
            Some((site, _)) if !sites.contains(&site.name.as_str()) => sites.push(&site.name),
            Some(_) => {}
            None => strangers.push(*ip),
        }
    }
    let mut parts = Vec::new();
    match sites.as_slice() {
        [] => {}
        [one] => parts.push(format!("{one}'s Mediation Servers")),
        many => parts.push(format!("the Mediation Servers of {}", many.join(" and "))),
    }
    if !strangers.is_empty() {
        parts.push(format!("{} (no appliance of the plan)", join(&strangers)));
    }
    if parts.is_empty() {
        "nothing".into()
    } else {
        parts.join(" and ")
    }
}

impl<'a> Context<'a> {
    /// How `o`'s queries for the host reach the answering server, when through a forwarder.
    pub fn via(&self, o: &Observation) -> Option<Via> {
        via(self.topology, self.views, self.host, &o.sample)
    }

    /// The index of the server whose policies answer `o`, and the address they see it from.
    fn answering(&self, o: &Observation) -> (usize, IpAddr) {
        match self.via(o) {
            Some(Via { server: Some(server), source, .. }) => (server, source),
            _ => (o.sample.server, o.sample.address),
        }
    }

    /// Who reaches whom: "Perth's queries reach dc1 from forwarder 10.50.0.5".
    fn reach(&self, o: &Observation, via: &Via) -> String {
        let queries = if o.sample.whole() {
            format!("{}'s queries", o.sample.site)
        } else {
            format!("the queries of {}", o.sample.place())
        };
        match via.server.and_then(|i| self.topology.dns_server_plans().get(i).map(|d| d.name.clone())) {
            Some(server) => format!("{queries} reach {server} from {}", via.forwarder),
            None => format!(
                "{queries} go to {}, which forwards them to {}, no DNS server of the plan",
                via.forwarder,
                join(&via.to)
            ),
        }
    }

    pub fn new(
        topology: &'a Topology,
        views: &'a [DnsView],
        appliances: &'a [ApplianceRow],
        host: &'a str,
        tenant_version: u64,
    ) -> Context<'a> {
        let routers = views.iter().map(Router::new).collect();
        Context { topology, views, routers, appliances, host, tenant_version }
    }

    /// The configuration of the server whose policies answer `o`.
    fn view(&self, o: &Observation) -> &'a DnsView {
        static EMPTY: DnsView = DnsView {
            client_subnets: vec![],
            zones: vec![],
            server_policies: vec![],
            forwarding: ForwardingView { servers: vec![], zones: vec![] },
        };
        self.views.get(self.answering(o).0).or_else(|| self.views.first()).unwrap_or(&EMPTY)
    }

    fn zone(&self, o: &Observation) -> Option<&'a ZoneView> {
        self.view(o).zone_of(self.host)
    }

    /// The route the client's query took, decided as its DNS server decides.
    fn routing(&self, o: &Observation, zone: &'a ZoneView) -> Option<Routing<'a>> {
        let (index, client) = self.answering(o);
        let index = if index < self.routers.len() { index } else { 0 };
        let router = self.routers.get(index)?;
        let interface = self.topology.dns_server_plans().get(index).map(|d| d.address)?;
        Some(router.route(zone, &Asked { client, interface, host: self.host, time: o.time }))
    }

    /// What a site's own client subnets cover instead, when some cover other parts of the site:
    /// " (client subnet SydneyClients covers only 10.40.0.0/24 of Sydney)" names the subnet
    /// that most likely lacks the missing prefix.
    fn site_own_subnets(&self, o: &Observation) -> String {
        let Some(site) = self.topology.site(&o.sample.site) else { return String::new() };
        let overlaps = |n: &ipnet::IpNet, s: &ipnet::IpNet| n.contains(&s.network()) || s.contains(&n.network());
        let own: Vec<String> = self
            .view(o)
            .client_subnets
            .iter()
            .filter_map(|c| {
                let inside: Vec<String> = c
                    .subnets
                    .iter()
                    .filter(|n| site.subnets.iter().any(|s| overlaps(n, s)))
                    .map(|n| n.to_string())
                    .collect();
                (!inside.is_empty())
                    .then(|| format!("client subnet {} covers only {} of {}", c.name, inside.join(", "), site.name))
            })
            .collect();
        if own.is_empty() {
            String::new()
        } else {
            format!(" ({})", own.join("; "))
        }
    }

    /// The scopes a policy answers the host from, with their weights: more than one for a
    /// weighted policy, judged whole rather than by the one answer a query drew.
    pub fn shares(&self, o: &Observation) -> Option<(&'a PolicyView, Vec<Share<'a>>)> {
        let zone = self.zone(o)?;
        let Route::Policy(policy) = self.routing(o, zone)?.route else { return None };
        let shares = policy
            .scopes
            .iter()
            .zip(policy.weights.iter().chain(std::iter::repeat(&1)))
            .map(|(scope, weight)| Share {
                scope,
                weight: *weight,
                held: zone.scope(scope).map(|s| zone.records_of(s, self.host)).unwrap_or_default(),
            })
            .collect();
        Some((policy, shares))
    }

    /// Why a client's queries land where they do: the client subnets covering it and the
    /// policy that answers, or the reason they fall to the default scope.
    fn route(&self, o: &Observation, zone: &'a ZoneView) -> Result<(Vec<String>, String, Vec<String>), String> {
        let via = self.via(o);
        let source = self.answering(o).1;
        let covering: Vec<String> = self.view(o).covering(source).iter().map(|c| c.name.clone()).collect();
        let place = o.sample.place();
        let routing = self.routing(o, zone);
        match routing.as_ref().map(|r| &r.route) {
            Some(Route::Policy(p)) => return Ok((covering, p.name.clone(), p.scopes.clone())),
            Some(Route::Refused(p)) => {
                return Err(format!(
                    "policy {} ({}) answers the queries of {place}",
                    p.name,
                    p.action.to_ascii_uppercase()
                ))
            }
            _ => {}
        }
        if let Some((policy, failed)) = routing.as_ref().and_then(|r| r.passed_over.first()) {
            return Err(format!(
                "policy {} names client subnet {} but matches only {failed}, so the queries of {place} fall to the default scope",
                policy.name,
                covering.join(", ")
            ));
        }
        if let (true, Some(via)) = (covering.is_empty(), &via) {
            return Err(format!(
                "{}, which no client subnet covers, so they fall to the default scope",
                self.reach(o, via)
            ));
        }
        if covering.is_empty() {
            return Err(format!(
                "no client subnet covers {place}{}, so its queries fall to the default scope",
                self.site_own_subnets(o)
            ));
        }
        Err(format!(
            "client subnet {} covers {place}, but no query resolution policy of zone {} uses it, so its queries fall to the default scope",
            covering.join(", "),
            zone.name
        ))
    }

    /// An internal subnet that should resolve to its own site and resolved nothing.
    pub fn nothing_resolved(&self, o: &Observation) -> String {
        if let Some(via) = self.via(o).filter(|v| v.server.is_none()) {
            return format!("{}, so nothing resolves ({})", self.reach(o, &via), o.answer);
        }
        let Some(zone) = self.zone(o) else {
            return format!(
                "no zone of the internal DNS server holds {}, so nothing resolves ({})",
                self.host, o.answer
            );
        };
        if !zone.knows(self.host) {
            return format!(
                "zone {} holds no A record for {} in any zone scope (removed, or never added), so nothing resolves",
                zone.name, self.host
            );
        }
        match self.route(o, zone) {
            Err(route) => format!("{route}, which holds no record for {}", self.host),
            Ok((_, policy, scopes)) => {
                let empty: Vec<&String> = scopes
                    .iter()
                    .filter(|s| zone.scope(s).is_none_or(|scope| zone.records_of(scope, self.host).is_empty()))
                    .collect();
                match empty.first() {
                    Some(scope) => format!(
                        "policy {policy} sends {}'s clients to zone scope {scope}, which holds no record for {}",
                        o.sample.site, self.host
                    ),
                    None => format!("{} does not resolve for {} ({})", self.host, o.sample.place(), o.answer),
                }
            }
        }
    }

    /// An internal subnet that resolved to Mediation Servers not (only) of its own site.
    pub fn other_site(&self, o: &Observation) -> String {
        let answered = format!("{} ({})", join(&o.resolved), whose(self.topology, &o.resolved));
        let Some(zone) = self.zone(o) else {
            return format!("{} resolves to {answered} instead of {}'s Mediation Servers", self.host, o.sample.site);
        };
        match self.route(o, zone) {
            Err(route) => format!("{route}, which answers {answered}"),
            Ok((covering, policy, scopes)) => {
                for scope in &scopes {
                    let held = zone.scope(scope).map(|s| zone.records_of(s, self.host)).unwrap_or_default();
                    let serving = self.topology.serving_site(&o.sample.site);
                    let foreign = held.iter().any(|ip| {
                        self.topology
                            .find_appliance(&ip.to_string())
                            .is_none_or(|(site, _)| !site.name.eq_ignore_ascii_case(serving))
                    });
                    if foreign {
                        let via = if covering.is_empty() {
                            String::new()
                        } else {
                            format!(" via client subnet {}", covering.join(", "))
                        };
                        let whom = if o.sample.whole() {
                            format!("{}'s clients", o.sample.site)
                        } else {
                            format!("the clients of {}", o.sample.place())
                        };
                        // Behind a forwarder, the policy matched the forwarder's address.
                        let (reached, via) = match self.via(o) {
                            Some(v) => (
                                format!("{}, which client subnet {} covers: ", self.reach(o, &v), covering.join(", ")),
                                String::new(),
                            ),
                            None => (String::new(), via),
                        };
                        return format!(
                            "{reached}policy {policy} sends {whom} to zone scope {scope} ({}){via}",
                            whose(self.topology, &held),
                        );
                    }
                }
                format!("{} resolves to {answered} instead of {}'s Mediation Servers", self.host, o.sample.site)
            }
        }
    }

    /// An outside subnet that resolved the service name.
    pub fn outside_resolves(&self, o: &Observation) -> String {
        let answered = format!("{} ({})", join(&o.resolved), whose(self.topology, &o.resolved));
        if let Some(zone) = self.zone(o) {
            if let Some(default) = zone.default_scope() {
                let held = zone.records_of(default, self.host);
                if !held.is_empty() {
                    return format!(
                        "outside clients resolve {}: a record in the default scope of zone {} answers them with {answered}",
                        self.host, zone.name
                    );
                }
            }
            if let Ok((covering, policy, scopes)) = self.route(o, zone) {
                let via = if covering.is_empty() {
                    String::new()
                } else {
                    format!("client subnet {} covers {} and ", covering.join(", "), o.sample.place())
                };
                return format!(
                    "outside clients resolve {}: {via}policy {policy} answers them from zone scope {} with {answered}",
                    self.host,
                    scopes.join(", ")
                );
            }
        }
        format!("outside clients resolve {} to {answered}", self.host)
    }

    /// A client that resolved its own site while bypass is enabled, and still does not bypass.
    pub fn no_bypass(&self, o: &Observation) -> String {
        let behind =
            |name: &str| self.appliances.iter().find(|a| a.appliance == name).and_then(|a| a.version.map(|v| (a, v)));
        match &o.outcome {
            Some(FetchOutcome::Rejected { mediation_server, status, reason, .. }) => match behind(mediation_server) {
                Some((a, v)) if v < self.tenant_version => format!(
                    "the web service of {} rejects ({status}) while the tenant says enabled: its LocalStore holds version {v}, the tenant is at {} (replication has not reached it)",
                    a.appliance, self.tenant_version
                ),
                _ => format!("the web service of {mediation_server} rejects ({status}) while the tenant says enabled: {reason}"),
            },
            Some(FetchOutcome::NoBypassId { mediation_server, .. }) => format!(
                "{mediation_server} serves no bypassID: the bypass settings were created without -AlwaysBypass $true or -EnableDefaultBypassID $true"
            ),
            Some(FetchOutcome::NoModeAny { internal, external, .. }) => format!(
                "the bypass settings have InternalBypassMode {} and ExternalBypassMode {}: clients bypass only with Any",
                internal.as_str(),
                external.as_str()
            ),
            Some(FetchOutcome::NoUrlProvisioned) => {
                "the client received no URL at sign-in although the tenant has one".to_string()
            }
            Some(other) => other.describe(),
            None => "the client never fetched the web service".into(),
        }
    }

    /// A client that still bypasses although the tenant disabled bypass.
    pub fn still_bypasses(&self, o: &Observation) -> String {
        let server = match &o.outcome {
            Some(FetchOutcome::Bypass { mediation_server, .. }) => mediation_server.clone(),
            _ => return "the client still holds a bypass ID".into(),
        };
        match self.appliances.iter().find(|a| a.appliance == server) {
            Some(a) if a.version.is_some_and(|v| v < self.tenant_version) => format!(
                "{server} still serves bypass: its LocalStore holds version {}, the tenant is at {} (replication has not reached it)",
                a.version.unwrap_or_default(),
                self.tenant_version
            ),
            _ => format!("{server} still serves bypass although the tenant disabled it"),
        }
    }

    /// Every zone scope that still holds a record for the host.
    pub fn records_left(&self, o: &Observation) -> String {
        let left: Vec<String> = self
            .zone(o)
            .map(|z| {
                z.scopes
                    .iter()
                    .filter(|s| !z.records_of(s, self.host).is_empty())
                    .map(|s| {
                        if s.name.eq_ignore_ascii_case(&z.name) {
                            format!("the default scope of zone {}", z.name)
                        } else {
                            format!("zone scope {}", s.name)
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        if left.is_empty() {
            format!("{} still resolves to {} after its records were removed", self.host, join(&o.resolved))
        } else {
            format!(
                "{} still resolves to {} after its records were removed: {} still {} it",
                self.host,
                join(&o.resolved),
                left.join(" and "),
                if left.len() == 1 { "holds" } else { "hold" }
            )
        }
    }
}
