//! The server's state: its zones (its own, and the AD-integrated ones it sees in the directory),
//! client subnets and policies, the lab clock `-TimeOfDay` reads, and the answer to a query.
//! Queries read it through `&self`, so they never wait on one another.

use super::answer::{self, Resolution};
use super::criteria::{Criterion, CriterionKind};
use super::directory::Directory;
use super::error::PolicyError;
use super::forwarders::{self, Forwarders};
use super::query::Query;
use super::rules::{Action, DenyAnswer, QueryResolutionPolicy};
use super::subnet::{ClientSubnet, ClientSubnets, SubnetAction};
use super::weights;
use super::zone::Zone;
use crate::clock::{Clock, TimeOfDay};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Where the server reads the time of day for `-TimeOfDay` criteria: the lab clock plus the
/// wall-clock time at lab time 0.
#[derive(Clone, Default)]
struct LabTime {
    clock: Option<Clock>,
    start: TimeOfDay,
}

impl std::fmt::Debug for LabTime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LabTime(start {}, now {})", self.start, self.now())
    }
}

impl LabTime {
    fn now(&self) -> TimeOfDay {
        self.start.after(self.clock.as_ref().map(Clock::now).unwrap_or_default())
    }
}

/// Which directory a server's AD-integrated zones live in, and the server's name in it.
#[derive(Debug, Clone)]
struct DirectoryMember {
    directory: Directory,
    server: String,
}

/// The whole server configuration. Reads (queries) take `&self`; the weighted round robin
/// advances an atomic counter so concurrent queries need no write lock.
#[derive(Debug, Default)]
pub struct DnsState {
    /// Zones kept by this server alone (file-backed, or every zone when there is no directory).
    zones: BTreeMap<String, Arc<Zone>>,
    /// Where AD-integrated zones live, when the server is a domain controller of a forest.
    ad: Option<DirectoryMember>,
    pub(super) subnets: ClientSubnets,
    pub(super) policies: Vec<QueryResolutionPolicy>,
    deny_answer: DenyAnswer,
    /// Where the queries its own zones do not answer go.
    forwarders: Forwarders,
    time: LabTime,
    /// Counts configuration changes, so answers remembered by the UDP fast path can tell they
    /// are stale without taking the state lock.
    revision: Arc<AtomicU64>,
}

impl DnsState {
    /// A handle on the change counter, read without the state lock.
    pub fn revision(&self) -> Arc<AtomicU64> {
        self.revision.clone()
    }

    /// Marks the configuration as changed; the cmdlet executor calls it before every change.
    pub fn note_change(&mut self) {
        self.revision.fetch_add(1, Ordering::Release);
    }

    /// Whether an answer depends on the question and the client alone, so it may be
    /// remembered until the next change: not when a `-TimeOfDay` criterion reads the clock,
    /// a weighted round robin rotates, AD-integrated zones replicate on the lab clock, or
    /// another server answers a forwarded query.
    pub fn answers_depend_only_on_the_question(&self) -> bool {
        self.ad.is_none()
            && self.forwarders.is_empty()
            && self
                .policies
                .iter()
                .filter(|p| p.enabled)
                .all(|p| p.scopes.len() <= 1 && p.criteria.iter().all(|c| c.kind != CriterionKind::TimeOfDay))
    }

    pub fn set_deny_answer(&mut self, answer: DenyAnswer) {
        self.deny_answer = answer;
        self.note_change();
    }

    pub fn deny_answer(&self) -> DenyAnswer {
        self.deny_answer
    }

    /// Reads time of day from `clock`, which showed `start` at lab time 0.
    pub fn set_clock(&mut self, clock: Clock, start: TimeOfDay) {
        self.time = LabTime { clock: Some(clock), start };
        self.note_change();
    }

    /// The time of day `-TimeOfDay` criteria compare against now.
    pub fn time_of_day(&self) -> TimeOfDay {
        self.time.now()
    }

    /// Makes this server domain controller `server` of the forest whose directory is `directory`:
    /// its zones added with `-ReplicationScope` live there from then on.
    pub fn join_directory(&mut self, directory: Directory, server: &str) {
        self.ad = Some(DirectoryMember { directory, server: server.to_string() });
        self.note_change();
    }

    fn lab_now(&self) -> std::time::Duration {
        self.time.clock.as_ref().map(Clock::now).unwrap_or_default()
    }

    /// Every zone this server holds now (its own and the AD-integrated ones it sees).
    pub fn zones(&self) -> Vec<Arc<Zone>> {
        let mut all: Vec<Arc<Zone>> = self.zones.values().cloned().collect();
        if let Some(ad) = &self.ad {
            all.extend(
                ad.directory
                    .zones(&ad.server, self.lab_now())
                    .into_iter()
                    .filter(|z| !self.zones.contains_key(&z.name)),
            );
        }
        all.sort_by(|a, b| a.name.cmp(&b.name));
        all
    }

    pub fn zone(&self, name: &str) -> Result<Arc<Zone>, PolicyError> {
        let key = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let unknown = || PolicyError::UnknownZone { zone: name.trim().to_string() };
        if let Some(z) = self.zones.get(&key) {
            return Ok(z.clone());
        }
        let ad = self.ad.as_ref().ok_or_else(unknown)?;
        let now = self.lab_now();
        ad.directory.read(&ad.server, now, &key).flatten().ok_or_else(|| {
            match ad.directory.arriving(&ad.server, now, &key) {
                Some((origin, at)) => PolicyError::NotReplicatedYet {
                    zone: name.trim().to_string(),
                    origin,
                    at: self.time.start.reading(at),
                },
                None => unknown(),
            }
        })
    }

    /// Changes one zone, all or nothing, where it lives: here, or in the directory (from where
    /// the other domain controllers get it after the replication delay).
    pub(super) fn edit_zone<T>(
        &mut self,
        name: &str,
        edit: impl FnOnce(&mut Zone) -> Result<T, PolicyError>,
    ) -> Result<T, PolicyError> {
        let mut zone = (*self.zone(name)?).clone();
        let out = edit(&mut zone)?;
        self.store_zone(zone);
        Ok(out)
    }

    fn store_zone(&mut self, zone: Zone) {
        match &self.ad {
            Some(ad) if zone.replication_scope.is_some() => {
                ad.directory.write(&ad.server, self.lab_now(), &zone.name.clone(), Some(zone))
            }
            _ => {
                self.zones.insert(zone.name.clone(), Arc::new(zone));
            }
        }
    }

    pub fn subnets(&self) -> &ClientSubnets {
        &self.subnets
    }

    /// Policies in the order they are tried: server level first, then by zone, each by
    /// processing order.
    pub fn policies(&self) -> Vec<&QueryResolutionPolicy> {
        let mut all: Vec<_> = self.policies.iter().collect();
        all.sort_by(|a, b| {
            (a.zone.is_some(), &a.zone, a.processing_order).cmp(&(b.zone.is_some(), &b.zone, b.processing_order))
        });
        all
    }

    pub fn add_zone(
        &mut self,
        name: &str,
        zone_file: Option<String>,
        replication_scope: Option<String>,
    ) -> Result<(), PolicyError> {
        let zone = Zone::new(name, zone_file, replication_scope)?;
        if self.zone(&zone.name).is_ok() || self.forwarders.zone(&zone.name).is_some() {
            return Err(PolicyError::DuplicateZone { zone: zone.name });
        }
        self.store_zone(zone);
        Ok(())
    }

    /// Removes a zone with its scopes, records and zone-level policies ("If you remove a zone,
    /// that removal deletes the associated zone level policies": Add-DnsServerQueryResolutionPolicy).
    pub fn remove_zone(&mut self, name: &str) -> Result<(), PolicyError> {
        if let Some((forwarded, _)) = self.forwarders.zone(name) {
            let key = forwarded.to_string();
            self.forwarders.zones.remove(&key);
            return Ok(());
        }
        let zone = self.zone(name)?;
        if let (Some(ad), None) = (&self.ad, self.zones.remove(&zone.name)) {
            ad.directory.write(&ad.server, self.lab_now(), &zone.name, None);
        }
        self.policies.retain(|p| p.zone.as_deref() != Some(zone.name.as_str()));
        Ok(())
    }

    pub fn add_zone_scope(&mut self, zone: &str, name: &str) -> Result<(), PolicyError> {
        self.edit_zone(zone, |z| z.add_scope(name))
    }

    /// Removes a zone scope and its records. The default scope cannot go; nor (lab choice) can
    /// a scope a policy still answers from.
    pub fn remove_zone_scope(&mut self, zone: &str, name: &str) -> Result<(), PolicyError> {
        let z = self.zone(zone)?;
        let zone_name = z.name.clone();
        let key = z.scope(Some(name))?.name.to_ascii_lowercase();
        if key == zone_name {
            return Err(PolicyError::DefaultScopeRemoval { zone: zone_name });
        }
        if let Some(p) = self.policies.iter().find(|p| {
            p.zone.as_deref() == Some(zone_name.as_str()) && p.scopes.iter().any(|s| s.scope.eq_ignore_ascii_case(&key))
        }) {
            return Err(PolicyError::ZoneScopeInUse {
                zone: zone_name,
                scope: name.trim().into(),
                policy: p.name.clone(),
            });
        }
        self.edit_zone(zone, |z| {
            z.scopes.remove(&key);
            z.serial += 1;
            Ok(())
        })
    }

    pub fn add_client_subnet(&mut self, name: &str, ipv4: &[String], ipv6: &[String]) -> Result<(), PolicyError> {
        if name.trim().is_empty() {
            return Err(PolicyError::BadValue {
                what: "client subnet name",
                text: name.into(),
                expected: "a non-empty name such as AmsterdamSubnet",
            });
        }
        let subnet = ClientSubnet::parse(name.trim(), ipv4, ipv6)?;
        self.subnets.add(subnet)
    }

    /// `Set-DnsServerClientSubnet -Action ADD|REMOVE|REPLACE`.
    pub fn set_client_subnet(
        &mut self,
        name: &str,
        action: SubnetAction,
        ipv4: &[String],
        ipv6: &[String],
    ) -> Result<(), PolicyError> {
        self.subnets.set(name.trim(), action, ipv4, ipv6)
    }

    /// Removes a client subnet; refused (lab choice) while a policy names it, since the policy
    /// would silently stop matching.
    pub fn remove_client_subnet(&mut self, name: &str) -> Result<(), PolicyError> {
        let subnet = self
            .subnets
            .get(name.trim())
            .ok_or_else(|| PolicyError::UnknownClientSubnet { name: name.trim().into() })?
            .name
            .clone();
        let uses = |c: &Criterion| {
            c.kind == CriterionKind::ClientSubnet && c.eq.iter().chain(&c.ne).any(|v| v.eq_ignore_ascii_case(&subnet))
        };
        if let Some(p) = self.policies.iter().find(|p| p.criteria.iter().any(uses)) {
            return Err(PolicyError::ClientSubnetInUse { name: subnet, policy: p.name.clone() });
        }
        self.subnets.remove(&subnet);
        Ok(())
    }

    /// Its forwarders and conditional forwarder zones.
    pub fn forwarders(&self) -> &Forwarders {
        &self.forwarders
    }

    /// `Add-DnsServerForwarder`.
    pub fn add_forwarders(&mut self, addresses: &[String]) -> Result<(), PolicyError> {
        self.forwarders.add(addresses)
    }

    /// `Remove-DnsServerForwarder`.
    pub fn remove_forwarders(&mut self, addresses: &[String]) -> Result<(), PolicyError> {
        self.forwarders.remove(addresses)
    }

    /// `Add-DnsServerConditionalForwarderZone`: returns the zone's name as stored.
    pub fn add_conditional_forwarder(&mut self, name: &str, masters: &[String]) -> Result<String, PolicyError> {
        let existing = self.zone(name).is_ok();
        self.forwarders.add_zone(name, masters, existing)
    }

    /// The answer to one query, at the time of day the lab clock shows.
    pub fn resolve(&self, query: &Query) -> Resolution {
        self.resolve_at(query, self.time.now())
    }

    /// The answer to one query at time of day `now`.
    pub fn resolve_at(&self, query: &Query, now: TimeOfDay) -> Resolution {
        for policy in self.ordered(None) {
            if policy.matches(query, &self.subnets, now) {
                match policy.action {
                    Action::Deny => return self.denied(),
                    Action::Ignore => return Resolution::Ignore,
                    Action::Allow => {}
                }
            }
        }
        let zones = self.zones_for(&query.qname);
        let zone = zones.iter().filter(|z| z.holds(&query.qname)).max_by_key(|z| z.name.len());
        if let forwarders::Route::Forward(to) = self.forwarders.route(&query.qname, zone.map(|z| z.name.len())) {
            return Resolution::Forward(to);
        }
        // Not a recursive resolver: names outside our zones (and its forwarders') are refused.
        let Some(zone) = zone else {
            return Resolution::Refused;
        };
        let mut chosen = (zone.name.clone(), None);
        for policy in self.ordered(Some(&zone.name)) {
            if !policy.matches(query, &self.subnets, now) {
                continue;
            }
            match policy.action {
                Action::Deny => return self.denied(),
                Action::Ignore => return Resolution::Ignore,
                Action::Allow => {
                    let n = policy.rotation.fetch_add(1, Ordering::Relaxed);
                    let pick = weights::choose(&policy.scopes, n);
                    let prefix = policy.criteria.iter().filter_map(|c| c.deciding_prefix(query, &self.subnets)).max();
                    chosen = (pick.scope.clone(), prefix);
                    break;
                }
            }
        }
        answer::from_scope(zone, &chosen.0, chosen.1, query)
    }

    /// The zones that could hold `qname` (without cloning every zone on the query path when
    /// there is no directory).
    fn zones_for(&self, qname: &str) -> Vec<Arc<Zone>> {
        match &self.ad {
            None => self.zones.values().filter(|z| z.holds(qname)).cloned().collect(),
            Some(_) => self.zones(),
        }
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
