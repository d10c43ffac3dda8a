//! The DNS server's data and its Windows Server 2016 DNS policies, without sockets: zones and
//! zone scopes, client subnets, query resolution policies, and the answer a query gets.
//!
//! The transport (`super::handler`) turns a packet into a [`Query`] and a [`Resolution`] into a
//! packet; everything a policy decides is decided here, so unit tests drive it directly.

pub mod criteria;
pub mod error;
pub mod subnet;
pub mod weights;
pub mod zone;

#[cfg(test)]
mod tests;

pub use criteria::{Criterion, CriterionKind};
pub use error::PolicyError;
pub use subnet::{ClientSubnet, ClientSubnets};
pub use weights::WeightedScope;
pub use zone::{Zone, ZoneScope};

use crate::dns::lookup::Transport;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicU64, Ordering};

/// Seed of the weighted scope choice when none is given (lab choice, see docs/design/dns.md).
pub const DEFAULT_WEIGHT_SEED: u64 = 2016;

impl Transport {
    /// As the TransportProtocol criterion spells it.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

/// One question as the policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The packet's source address, or the EDNS Client Subnet address when present.
    pub client: IpAddr,
    /// The server address the query arrived on.
    pub server: IpAddr,
    /// Lower case, no trailing dot.
    pub qname: String,
    /// Upper-case type mnemonic (`A`, `AAAA`, `SOA`, ...).
    pub qtype: String,
    pub transport: Transport,
}

impl Query {
    pub fn new(client: IpAddr, server: IpAddr, qname: &str, qtype: &str, transport: Transport) -> Query {
        Query {
            client,
            server,
            qname: qname.trim_end_matches('.').to_ascii_lowercase(),
            qtype: qtype.to_ascii_uppercase(),
            transport,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    Allow,
    Deny,
    Ignore,
}

impl Action {
    pub fn parse(text: &str) -> Result<Action, PolicyError> {
        match text.trim().to_ascii_uppercase().as_str() {
            "ALLOW" => Ok(Action::Allow),
            "DENY" => Ok(Action::Deny),
            "IGNORE" => Ok(Action::Ignore),
            _ => Err(PolicyError::BadValue { what: "Action", text: text.into(), expected: "ALLOW, DENY or IGNORE" }),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Ignore => "Ignore",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Condition {
    #[default]
    And,
    Or,
}

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, PolicyError> {
        match text.trim().to_ascii_uppercase().as_str() {
            "AND" => Ok(Condition::And),
            "OR" => Ok(Condition::Or),
            _ => Err(PolicyError::BadValue { what: "Condition", text: text.into(), expected: "AND or OR" }),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Condition::And => "And",
            Condition::Or => "Or",
        }
    }
}

/// What DENY answers. Windows documents both REFUSED and SERVFAIL; the lab answers REFUSED
/// unless the server is told otherwise (`DnsState::set_deny_answer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DenyAnswer {
    #[default]
    Refused,
    ServFail,
}

#[derive(Debug, Clone)]
pub struct QueryResolutionPolicy {
    pub name: String,
    /// `None` for a server-level policy (tried before every zone's).
    pub zone: Option<String>,
    pub action: Action,
    pub condition: Condition,
    pub criteria: Vec<Criterion>,
    pub scopes: Vec<WeightedScope>,
    pub processing_order: u32,
    pub enabled: bool,
}

impl QueryResolutionPolicy {
    fn matches(&self, query: &Query, subnets: &ClientSubnets) -> bool {
        match self.condition {
            Condition::And => self.criteria.iter().all(|c| c.matches(query, subnets)),
            Condition::Or => self.criteria.is_empty() || self.criteria.iter().any(|c| c.matches(query, subnets)),
        }
    }
}

/// A new policy as the cmdlet gives it, before validation.
#[derive(Debug, Clone, Default)]
pub struct NewPolicy {
    pub name: String,
    pub zone: Option<String>,
    pub action: String,
    pub condition: Option<String>,
    pub criteria: Vec<(CriterionKind, String)>,
    pub zone_scope: Option<String>,
    pub processing_order: Option<i64>,
}

/// The zone data an answer comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub zone: String,
    /// The zone's SOA serial (the SOA goes in the authority section of NXDOMAIN and NODATA).
    pub serial: u32,
    pub scope: String,
    /// Empty for NODATA (and for NXDOMAIN).
    pub a: Vec<Ipv4Addr>,
    /// A SOA question at the apex: the SOA is the answer.
    pub soa_in_answer: bool,
    /// How many bits of the client's address decided the answer (RFC 7871 scope prefix), when
    /// a client subnet did.
    pub deciding_prefix: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// NOERROR, with these records (none = NODATA).
    Records(Answered),
    NxDomain(Answered),
    Refused,
    ServFail,
    /// No response at all.
    Ignore,
}

/// The whole server configuration. Reads (queries) take `&self`; the weighted choice advances
/// an atomic counter so concurrent queries need no write lock.
#[derive(Debug)]
pub struct DnsState {
    zones: BTreeMap<String, Zone>,
    subnets: ClientSubnets,
    policies: Vec<QueryResolutionPolicy>,
    deny_answer: DenyAnswer,
    seed: u64,
    draws: AtomicU64,
}

impl Default for DnsState {
    fn default() -> Self {
        DnsState::with_seed(DEFAULT_WEIGHT_SEED)
    }
}

impl DnsState {
    pub fn with_seed(seed: u64) -> DnsState {
        DnsState {
            zones: BTreeMap::new(),
            subnets: ClientSubnets::default(),
            policies: vec![],
            deny_answer: DenyAnswer::default(),
            seed,
            draws: AtomicU64::new(0),
        }
    }

    pub fn set_deny_answer(&mut self, answer: DenyAnswer) {
        self.deny_answer = answer;
    }

    pub fn deny_answer(&self) -> DenyAnswer {
        self.deny_answer
    }

    pub fn zones(&self) -> impl Iterator<Item = &Zone> {
        self.zones.values()
    }

    pub fn zone(&self, name: &str) -> Result<&Zone, PolicyError> {
        let key = name.trim().trim_end_matches('.').to_ascii_lowercase();
        self.zones.get(&key).ok_or_else(|| PolicyError::UnknownZone { zone: name.trim().to_string() })
    }

    fn zone_mut(&mut self, name: &str) -> Result<&mut Zone, PolicyError> {
        let key = name.trim().trim_end_matches('.').to_ascii_lowercase();
        self.zones.get_mut(&key).ok_or_else(|| PolicyError::UnknownZone { zone: name.trim().to_string() })
    }

    pub fn subnets(&self) -> &ClientSubnets {
        &self.subnets
    }

    /// Policies in the order they are tried: server level first, then by zone, each by
    /// processing order.
    pub fn policies(&self) -> Vec<&QueryResolutionPolicy> {
        let mut all: Vec<_> = self.policies.iter().collect();
        all.sort_by(|a, b| (a.zone.is_some(), &a.zone, a.processing_order).cmp(&(b.zone.is_some(), &b.zone, b.processing_order)));
        all
    }

    pub fn add_zone(&mut self, name: &str, zone_file: Option<String>, replication_scope: Option<String>) -> Result<(), PolicyError> {
        let zone = Zone::new(name, zone_file, replication_scope)?;
        if self.zones.contains_key(&zone.name) {
            return Err(PolicyError::DuplicateZone { zone: zone.name });
        }
        self.zones.insert(zone.name.clone(), zone);
        Ok(())
    }

    pub fn add_zone_scope(&mut self, zone: &str, name: &str) -> Result<(), PolicyError> {
        self.zone_mut(zone)?.add_scope(name)
    }

    pub fn add_client_subnet(&mut self, name: &str, ipv4: &[String], ipv6: &[String]) -> Result<(), PolicyError> {
        if name.trim().is_empty() {
            return Err(PolicyError::BadValue { what: "client subnet name", text: name.into(), expected: "a non-empty name such as AmsterdamSubnet" });
        }
        let subnet = ClientSubnet::parse(name.trim(), ipv4, ipv6)?;
        self.subnets.add(subnet)
    }

    pub fn add_a(&mut self, zone: &str, scope: Option<&str>, name: &str, address: &str) -> Result<(), PolicyError> {
        let ip: Ipv4Addr = address.trim().parse().map_err(|_| PolicyError::BadAddress { text: address.into() })?;
        let zone = self.zone_mut(zone)?;
        let owner = zone.owner(name)?;
        let zone_name = zone.name.clone();
        let s = zone.scope_mut(scope)?;
        let list = s.a.entry(owner.clone()).or_default();
        if list.contains(&ip) {
            return Err(PolicyError::DuplicateRecord { zone: zone_name, scope: s.name.clone(), name: owner, data: ip.to_string() });
        }
        list.push(ip);
        zone.serial += 1;
        Ok(())
    }

    /// Removes one A record (`data`) or all of a name's A records in one scope.
    pub fn remove_a(&mut self, zone: &str, scope: Option<&str>, rrtype: &str, name: &str, data: Option<&str>) -> Result<usize, PolicyError> {
        if !rrtype.trim().eq_ignore_ascii_case("A") {
            return Err(PolicyError::UnsupportedRecordType { rrtype: rrtype.into() });
        }
        let wanted = match data {
            Some(d) => Some(d.trim().parse::<Ipv4Addr>().map_err(|_| PolicyError::BadAddress { text: d.into() })?),
            None => None,
        };
        let zone = self.zone_mut(zone)?;
        let owner = zone.owner(name)?;
        let zone_name = zone.name.clone();
        let s = zone.scope_mut(scope)?;
        let scope_name = s.name.clone();
        let not_found = || PolicyError::RecordNotFound { zone: zone_name.clone(), scope: scope_name.clone(), name: name.to_string(), rrtype: "A".into() };
        let list = s.a.get_mut(&owner).ok_or_else(not_found)?;
        let before = list.len();
        list.retain(|ip| wanted.is_some_and(|w| w != *ip));
        let removed = before - list.len();
        if list.is_empty() {
            s.a.remove(&owner);
        }
        if removed == 0 {
            return Err(not_found());
        }
        zone.serial += 1;
        Ok(removed)
    }

    pub fn add_policy(&mut self, new: NewPolicy) -> Result<(), PolicyError> {
        let zone = match &new.zone {
            Some(z) => Some(self.zone(z)?.name.clone()),
            None => None,
        };
        let level = level_words(zone.as_deref());
        let action = Action::parse(&new.action)?;
        if zone.is_none() && action == Action::Allow {
            return Err(PolicyError::ServerLevelAllow { action: new.action.trim().to_ascii_uppercase() });
        }
        let condition = new.condition.as_deref().map(Condition::parse).transpose()?.unwrap_or_default();
        let criteria = new
            .criteria
            .iter()
            .map(|(kind, text)| Criterion::parse(*kind, text, &self.subnets))
            .collect::<Result<Vec<_>, _>>()?;
        let scopes = match (&new.zone_scope, &zone) {
            (Some(text), Some(z)) => {
                let scopes = weights::parse(text)?;
                let zone = &self.zones[z];
                for s in &scopes {
                    zone.scope(Some(&s.scope))?;
                }
                scopes
            }
            (Some(_), None) => vec![],
            (None, _) if action == Action::Allow => return Err(PolicyError::AllowWithoutScope),
            (None, _) => vec![],
        };
        let same_level = |p: &&QueryResolutionPolicy| p.zone == zone;
        if self.policies.iter().filter(same_level).any(|p| p.name.eq_ignore_ascii_case(new.name.trim())) {
            return Err(PolicyError::DuplicatePolicy { name: new.name.trim().into(), level });
        }
        let order = match new.processing_order {
            Some(n) if n < 1 || n > i64::from(u32::MAX) => return Err(PolicyError::BadProcessingOrder { order: n }),
            Some(n) => n as u32,
            None => self.policies.iter().filter(same_level).map(|p| p.processing_order).max().unwrap_or(0) + 1,
        };
        if let Some(other) = self.policies.iter().filter(same_level).find(|p| p.processing_order == order) {
            return Err(PolicyError::DuplicateProcessingOrder { order, other: other.name.clone(), level });
        }
        self.policies.push(QueryResolutionPolicy {
            name: new.name.trim().to_string(),
            zone,
            action,
            condition,
            criteria,
            scopes,
            processing_order: order,
            enabled: true,
        });
        // Kept in processing order, so answering a query never sorts.
        self.policies.sort_by_key(|p| p.processing_order);
        Ok(())
    }

    pub fn remove_policy(&mut self, name: &str, zone: Option<&str>) -> Result<(), PolicyError> {
        let zone = match zone {
            Some(z) => Some(self.zone(z)?.name.clone()),
            None => None,
        };
        let before = self.policies.len();
        self.policies.retain(|p| !(p.zone == zone && p.name.eq_ignore_ascii_case(name.trim())));
        if self.policies.len() == before {
            return Err(PolicyError::UnknownPolicy { name: name.trim().into(), level: level_words(zone.as_deref()) });
        }
        Ok(())
    }

    /// The answer to one query.
    pub fn resolve(&self, query: &Query) -> Resolution {
        for policy in self.ordered(None) {
            if policy.matches(query, &self.subnets) {
                match policy.action {
                    Action::Deny => return self.denied(),
                    Action::Ignore => return Resolution::Ignore,
                    Action::Allow => {}
                }
            }
        }
        // Not a recursive resolver: names outside our zones are refused.
        let Some(zone) = self.zones.values().filter(|z| z.holds(&query.qname)).max_by_key(|z| z.name.len()) else {
            return Resolution::Refused;
        };
        let mut chosen = (zone.name.clone(), None);
        for policy in self.ordered(Some(&zone.name)) {
            if !policy.matches(query, &self.subnets) {
                continue;
            }
            match policy.action {
                Action::Deny => return self.denied(),
                Action::Ignore => return Resolution::Ignore,
                Action::Allow => {
                    let n = self.draws.fetch_add(1, Ordering::Relaxed);
                    let pick = weights::choose(&policy.scopes, weights::draw(self.seed, n));
                    let prefix = policy.criteria.iter().filter_map(|c| c.deciding_prefix(query, &self.subnets)).max();
                    chosen = (pick.scope.clone(), prefix);
                    break;
                }
            }
        }
        answer_from(zone, &chosen.0, chosen.1, query)
    }

    /// The enabled policies of one level (server or a zone), in processing order.
    fn ordered<'a>(&'a self, zone: Option<&'a str>) -> impl Iterator<Item = &'a QueryResolutionPolicy> + 'a {
        self.policies.iter().filter(move |p| p.enabled && p.zone.as_deref() == zone)
    }

    fn denied(&self) -> Resolution {
        match self.deny_answer {
            DenyAnswer::Refused => Resolution::Refused,
            DenyAnswer::ServFail => Resolution::ServFail,
        }
    }
}

fn answer_from(zone: &Zone, scope: &str, deciding_prefix: Option<u8>, query: &Query) -> Resolution {
    let Ok(scope) = zone.scope(Some(scope)) else {
        // A scope named by a policy cannot disappear (there is no Remove-DnsServerZoneScope),
        // so this is unreachable in practice; fail loudly rather than answer from elsewhere.
        return Resolution::ServFail;
    };
    let apex = query.qname == zone.name;
    let below = format!(".{}", query.qname);
    let exists = apex || scope.a.keys().any(|owner| *owner == query.qname || owner.ends_with(&below));
    let mut answered = Answered {
        zone: zone.name.clone(),
        serial: zone.serial,
        scope: scope.name.clone(),
        a: vec![],
        soa_in_answer: false,
        deciding_prefix,
    };
    if !exists {
        return Resolution::NxDomain(answered);
    }
    match query.qtype.as_str() {
        "A" | "ANY" => answered.a = scope.a.get(&query.qname).cloned().unwrap_or_default(),
        "SOA" if apex => answered.soa_in_answer = true,
        _ => {}
    }
    Resolution::Records(answered)
}

fn level_words(zone: Option<&str>) -> String {
    match zone {
        Some(z) => format!(" in zone {z}"),
        None => " at server level".into(),
    }
}
