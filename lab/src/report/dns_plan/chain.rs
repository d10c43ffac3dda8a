//! What the DNS plan picture shows, taken once from each server's configuration so every
//! notation draws the same things: the chain a query walks, client subnet → query resolution
//! policy → zone scope → records.

use crate::rollout::dns_view::{DnsServerView, PolicyView, ZoneView};
use crate::topology::Topology;
use ipnet::IpNet;
use std::net::IpAddr;

/// Every DNS server's chain, and what state they show.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsPlan {
    /// Whose configuration this is: `after rollout.ps1`, `the plan's generated policies`.
    pub caption: String,
    pub servers: Vec<ServerChain>,
}

/// One DNS server: its nodes in the order a query meets them.
#[derive(Debug, Clone, PartialEq)]
pub struct ServerChain {
    pub name: String,
    /// The sites whose clients ask this server.
    pub sites: Vec<String>,
    pub client_subnets: Vec<SubnetNode>,
    /// Server-level policies first, then each zone's, each in processing order: the order the
    /// server tries them in.
    pub policies: Vec<PolicyNode>,
    /// Each zone's default scope, then its named scopes, zone by zone.
    pub scopes: Vec<ScopeNode>,
    /// Where it sends what its zones do not answer: `contoso.com to 10.1.0.5` for a conditional
    /// forwarder, `any other name to 10.1.0.5` for its forwarders. Empty when it forwards nothing.
    pub forwarding: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SubnetNode {
    pub name: String,
    /// Each prefix with the place of the plan it lies in: `10.40.8.0/24 (Sydney)`.
    pub prefixes: Vec<String>,
    /// False for a name a policy gives that the server has no client subnet of.
    pub defined: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyNode {
    pub name: String,
    pub order: i64,
    /// `zone contoso.com`, or `server level` for a policy of the whole server.
    pub level: String,
    pub action: String,
    pub enabled: bool,
    /// What else decides whether it matches: criteria other than a plain list of client
    /// subnets (`TimeOfDay EQ,08:00-18:00`, `ClientSubnet NE,Lab`), and their condition.
    pub notes: Vec<String>,
    /// The client subnets (indexes into [`ServerChain::client_subnets`]) its `EQ` names.
    pub subnets: Vec<usize>,
    /// The scopes (indexes into [`ServerChain::scopes`]) it answers from, with the weight when
    /// it answers from several.
    pub scopes: Vec<(usize, Option<u32>)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScopeNode {
    pub zone: String,
    pub name: String,
    /// The zone's default scope: what answers a query no policy matches.
    pub default: bool,
    /// Its A records: `mbws A 10.40.0.11 (syd-cce1, Sydney)`.
    pub records: Vec<String>,
    /// False for a scope a policy names that the zone does not have.
    pub defined: bool,
}

impl ServerChain {
    /// The default scopes (indexes into [`ServerChain::scopes`]): where a query that no policy
    /// matches is answered from.
    pub fn default_scopes(&self) -> impl Iterator<Item = usize> + '_ {
        self.scopes.iter().enumerate().filter(|(_, s)| s.default).map(|(i, _)| i)
    }

    /// The generated identifier of scope `s` of server `k`, the same in Mermaid and DOT:
    /// `d{k}z{s}` for a default scope, `d{k}s{s}` for another.
    pub fn scope_id(&self, k: usize, s: usize) -> String {
        if self.scopes[s].default {
            format!("d{k}z{s}")
        } else {
            format!("d{k}s{s}")
        }
    }

    /// The chain's lines for the text notations, between generated identifiers: each client
    /// subnet into the policies naming it, each policy into the scopes it answers from (with
    /// its weight when weighted), and the "no policy matches" step into the default scopes.
    pub fn edges(&self, k: usize) -> Vec<Edge> {
        let mut edges = Vec::new();
        for (p, policy) in self.policies.iter().enumerate() {
            for c in &policy.subnets {
                edges.push(Edge { from: format!("d{k}c{c}"), to: format!("d{k}p{p}"), kind: EdgeKind::Matches });
            }
            for (s, weight) in &policy.scopes {
                let kind = EdgeKind::Answers { weight: *weight };
                edges.push(Edge { from: format!("d{k}p{p}"), to: self.scope_id(k, *s), kind });
            }
        }
        for s in self.default_scopes() {
            edges.push(Edge { from: format!("d{k}f"), to: self.scope_id(k, s), kind: EdgeKind::Fallback });
        }
        edges
    }
}

/// One line of [`ServerChain::edges`].
pub struct Edge {
    pub from: String,
    pub to: String,
    pub kind: EdgeKind,
}

pub enum EdgeKind {
    /// A client subnet a policy names.
    Matches,
    /// A scope a policy answers from, with its weight when the policy names several.
    Answers { weight: Option<u32> },
    /// Where a query that no policy matches is answered from.
    Fallback,
}

/// Where `prefix` lies in the plan, for the reader who knows sites, not prefixes.
fn place(prefix: &IpNet, topology: &Topology) -> String {
    if let Some(site) = topology.site_of(prefix.network()) {
        return format!("{prefix} ({})", site.name);
    }
    if topology.is_outside(prefix.network()) {
        return format!("{prefix} (outside)");
    }
    prefix.to_string()
}

/// A record as the picture lists it, with the appliance its address is.
fn record(host: &str, address: IpAddr, topology: &Topology) -> String {
    match topology.appliance_at(address) {
        Some((site, appliance)) => format!("{host} A {address} ({}, {})", appliance.name, site.name),
        None => format!("{host} A {address} (no appliance of the plan)"),
    }
}

/// The criteria worth writing in a policy's box: all but a plain `EQ` list of client subnets,
/// which its lines from the client subnets show.
fn notes(policy: &PolicyView) -> Vec<String> {
    let plain = |kind: &str, text: &str| {
        kind.eq_ignore_ascii_case("ClientSubnet")
            && text.split(';').all(|part| part.trim().to_ascii_uppercase().starts_with("EQ,"))
    };
    let mut notes: Vec<String> = policy
        .criteria
        .iter()
        .filter(|(kind, text)| !plain(kind, text))
        .map(|(kind, text)| format!("{kind} {text}"))
        .collect();
    if policy.criteria.len() > 1 {
        notes.push(format!("condition {}", policy.condition));
    }
    notes
}

/// A server's forwarders in words, conditional ones first: they are tried before the others.
fn forwarding(view: &crate::rollout::dns_view::ForwardingView) -> Vec<String> {
    let list = |servers: &[IpAddr]| servers.iter().map(IpAddr::to_string).collect::<Vec<_>>().join(", ");
    let mut out: Vec<String> =
        view.zones.iter().map(|(zone, servers)| format!("{zone} to {}", list(servers))).collect();
    if !view.servers.is_empty() {
        out.push(format!("any other name to {}", list(&view.servers)));
    }
    out
}

impl DnsPlan {
    /// The chains of `servers` (in plan order), placed in `topology`.
    pub fn of(servers: &[DnsServerView], topology: &Topology, caption: &str) -> DnsPlan {
        let servers = servers.iter().enumerate().map(|(i, server)| ServerChain::of(i, server, topology)).collect();
        DnsPlan { caption: caption.to_string(), servers }
    }
}

impl ServerChain {
    fn of(index: usize, server: &DnsServerView, topology: &Topology) -> ServerChain {
        let view = &server.view;
        let mut chain = ServerChain {
            name: server.name.clone(),
            sites: topology.sites_served_by(index),
            client_subnets: view
                .client_subnets
                .iter()
                .map(|c| SubnetNode {
                    name: c.name.clone(),
                    prefixes: c.subnets.iter().map(|n| place(n, topology)).collect(),
                    defined: true,
                })
                .collect(),
            policies: vec![],
            scopes: vec![],
            forwarding: forwarding(&view.forwarding),
        };
        for zone in &view.zones {
            chain.add_scopes(zone, topology);
        }
        for policy in &view.server_policies {
            chain.add_policy(policy, "server level".into(), None);
        }
        for zone in &view.zones {
            for policy in &zone.policies {
                chain.add_policy(policy, format!("zone {}", zone.name), Some(&zone.name));
            }
        }
        chain.in_policy_order();
        chain
    }

    /// Puts client subnets and each zone's named scopes in the order the policies first name
    /// them (the rest after, as the server listed them), so the lines between the columns
    /// cross as little as the configuration allows.
    fn in_policy_order(&mut self) {
        let subnet_order: Vec<usize> = self.policies.iter().flat_map(|p| p.subnets.iter().copied()).collect();
        let scope_order: Vec<usize> = self.policies.iter().flat_map(|p| p.scopes.iter().map(|(s, _)| *s)).collect();
        let rank = |order: &[usize], i: usize| order.iter().position(|o| *o == i).unwrap_or(usize::MAX);
        let mut subnets: Vec<usize> = (0..self.client_subnets.len()).collect();
        subnets.sort_by_key(|i| rank(&subnet_order, *i));
        // Zones stay together, each default scope first.
        let zone_of = |i: usize| self.scopes.iter().position(|s| s.zone == self.scopes[i].zone).unwrap_or(i);
        let mut scopes: Vec<usize> = (0..self.scopes.len()).collect();
        scopes.sort_by_key(|i| (zone_of(*i), !self.scopes[*i].default, rank(&scope_order, *i)));
        let new_index = |order: &[usize], old: usize| order.iter().position(|o| *o == old).expect("a permutation");
        for policy in &mut self.policies {
            policy.subnets = policy.subnets.iter().map(|s| new_index(&subnets, *s)).collect();
            policy.scopes = policy.scopes.iter().map(|(s, w)| (new_index(&scopes, *s), *w)).collect();
        }
        self.client_subnets = subnets.iter().map(|i| self.client_subnets[*i].clone()).collect();
        self.scopes = scopes.iter().map(|i| self.scopes[*i].clone()).collect();
    }

    /// The zone's scopes, its default scope first even where the server listed it later.
    fn add_scopes(&mut self, zone: &ZoneView, topology: &Topology) {
        let node = |name: &str, records: &[(String, IpAddr)]| ScopeNode {
            zone: zone.name.clone(),
            name: name.to_string(),
            default: name.eq_ignore_ascii_case(&zone.name),
            records: records.iter().map(|(host, address)| record(host, *address, topology)).collect(),
            defined: true,
        };
        match zone.default_scope() {
            Some(default) => self.scopes.push(node(&default.name, &default.records)),
            None => self.scopes.push(node(&zone.name, &[])),
        }
        for scope in zone.scopes.iter().filter(|s| !s.name.eq_ignore_ascii_case(&zone.name)) {
            self.scopes.push(node(&scope.name, &scope.records));
        }
    }

    fn add_policy(&mut self, policy: &PolicyView, level: String, zone: Option<&str>) {
        let subnets = policy.client_subnets.iter().map(|name| self.subnet_index(name)).collect();
        let weighted = policy.scopes.len() > 1;
        let scopes = policy
            .scopes
            .iter()
            .enumerate()
            .map(|(i, name)| {
                let weight = weighted.then(|| policy.weights.get(i).copied().unwrap_or(1));
                (self.scope_index(zone.unwrap_or_default(), name), weight)
            })
            .collect();
        self.policies.push(PolicyNode {
            name: policy.name.clone(),
            order: policy.processing_order,
            level,
            action: policy.action.to_ascii_uppercase(),
            enabled: policy.enabled,
            notes: notes(policy),
            subnets,
            scopes,
        });
    }

    /// The client subnet named `name`, added as undefined when the server has none.
    fn subnet_index(&mut self, name: &str) -> usize {
        if let Some(i) = self.client_subnets.iter().position(|c| c.name.eq_ignore_ascii_case(name)) {
            return i;
        }
        self.client_subnets.push(SubnetNode { name: name.to_string(), prefixes: vec![], defined: false });
        self.client_subnets.len() - 1
    }

    /// The scope `name` of `zone`, added as undefined when the zone has none.
    fn scope_index(&mut self, zone: &str, name: &str) -> usize {
        let found =
            self.scopes.iter().position(|s| s.zone.eq_ignore_ascii_case(zone) && s.name.eq_ignore_ascii_case(name));
        if let Some(i) = found {
            return i;
        }
        let node = ScopeNode {
            zone: zone.to_string(),
            name: name.to_string(),
            default: false,
            records: vec![],
            defined: false,
        };
        self.scopes.push(node);
        self.scopes.len() - 1
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::dns_view::{planned, ClientSubnetView, DnsView, ScopeView};

    fn seed_chain() -> ServerChain {
        let topology = Topology::seed();
        let view = planned(&topology).unwrap();
        let plan = DnsPlan::of(&[DnsServerView { name: "dns".into(), view }], &topology, "planned");
        plan.servers.into_iter().next().unwrap()
    }

    #[test]
    fn the_seed_plan_chains_each_site_subnet_to_its_policy_and_scope() {
        let chain = seed_chain();
        assert_eq!(chain.sites, ["Amsterdam", "Seattle"]);
        let names = |v: Vec<&str>| v.join(" ");
        assert_eq!(
            names(chain.client_subnets.iter().map(|c| c.name.as_str()).collect()),
            "AmsterdamSubnet SeattleSubnet"
        );
        assert_eq!(chain.client_subnets[0].prefixes, ["192.168.1.0/24 (Amsterdam)"]);
        assert_eq!(names(chain.policies.iter().map(|p| p.name.as_str()).collect()), "AmsterdamPolicy SeattlePolicy");
        let seattle = &chain.policies[1];
        assert_eq!(
            (seattle.order, seattle.level.as_str(), seattle.subnets.as_slice()),
            (2, "zone adatum.biz", &[1][..])
        );
        let (scope, weight) = seattle.scopes[0];
        assert_eq!((chain.scopes[scope].name.as_str(), weight), ("SeattleZoneScope", None));
        assert_eq!(chain.scopes[scope].records.len(), 3);
        assert!(chain.scopes[scope].records[0].starts_with("hybridvoice A 10.10.1."), "{:?}", chain.scopes[scope]);
        assert!(chain.scopes[scope].records[0].ends_with(", Seattle)"));
        assert_eq!(chain.default_scopes().map(|i| chain.scopes[i].name.as_str()).collect::<Vec<_>>(), ["adatum.biz"]);
        assert!(chain.scopes[0].records.is_empty(), "the default scope holds nothing");
    }

    #[test]
    fn names_a_policy_gives_that_the_server_lacks_are_drawn_as_undefined() {
        let topology = Topology::seed();
        let policy = |name: &str, subnets: &[&str], scopes: &[&str], weights: &[u32]| PolicyView {
            name: name.into(),
            processing_order: 1,
            action: "Allow".into(),
            client_subnets: subnets.iter().map(|s| s.to_string()).collect(),
            scopes: scopes.iter().map(|s| s.to_string()).collect(),
            weights: weights.to_vec(),
            criteria: vec![
                ("ClientSubnet".into(), format!("EQ,{}", subnets.join(","))),
                ("TimeOfDay".into(), "EQ,08:00-18:00".into()),
            ],
            condition: "AND".into(),
            enabled: false,
        };
        let view = DnsView {
            client_subnets: vec![ClientSubnetView {
                name: "Lab".into(),
                subnets: vec!["203.0.113.0/25".parse().unwrap()],
            }],
            zones: vec![ZoneView {
                name: "adatum.biz".into(),
                scopes: vec![ScopeView {
                    name: "adatum.biz".into(),
                    records: vec![("x".into(), "10.9.9.9".parse().unwrap())],
                }],
                policies: vec![policy("P", &["Lab", "Typo"], &["adatum.biz", "Gone"], &[3, 1])],
            }],
            server_policies: vec![],
            forwarding: crate::rollout::dns_view::ForwardingView {
                servers: vec!["192.0.2.53".parse().unwrap()],
                zones: vec![("adatum.biz".into(), vec!["10.1.0.5".parse().unwrap(), "10.1.0.6".parse().unwrap()])],
            },
        };
        let plan = DnsPlan::of(&[DnsServerView { name: "dc1".into(), view }], &topology, "after x.ps1");
        let chain = &plan.servers[0];
        assert_eq!(chain.client_subnets[0].prefixes, ["203.0.113.0/25 (outside)"]);
        assert!(!chain.client_subnets[1].defined && chain.client_subnets[1].name == "Typo");
        let p = &chain.policies[0];
        assert_eq!(p.scopes, [(0, Some(3)), (1, Some(1))]);
        assert!(!chain.scopes[1].defined && chain.scopes[1].name == "Gone");
        assert_eq!(p.notes, ["TimeOfDay EQ,08:00-18:00", "condition AND"]);
        assert!(!p.enabled && p.action == "ALLOW");
        assert_eq!(chain.scopes[0].records, ["x A 10.9.9.9 (no appliance of the plan)"]);
        assert_eq!(chain.forwarding, ["adatum.biz to 10.1.0.5, 10.1.0.6", "any other name to 192.0.2.53"]);
    }
}
