//! The sample clients a rehearsal places: one in every region of every subnet of every site and
//! of every outside subnet (docs/design/rollout.md), so a verdict exists for every address a
//! user can have.

use super::region::{regions, NamedPrefixes};
use crate::client::{ClientKind, SignInRequest, OUTSIDE};
use crate::topology::Topology;
use ipnet::IpNet;
use std::collections::{HashMap, HashSet};
use std::net::IpAddr;

/// A place a user can sit: one subnet of a site, or one outside subnet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// A site name, or `outside`.
    pub site: String,
    pub subnet: IpNet,
    /// The user name of the place's first client (`amsterdam-1`, `outside-2`).
    pub user: String,
    /// The index (in [`Topology::dns_server_plans`]) of the DNS server its clients query.
    pub server: usize,
}

/// One sample client and where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleClient {
    /// A site name, or `outside`.
    pub site: String,
    pub subnet: IpNet,
    /// Readable and unique: the site's name in lower case and the subnet's number in it
    /// (`amsterdam-1`, `outside-1`), then the region's number when the subnet is split
    /// (`mumbai-1-2`).
    pub user: String,
    pub address: IpAddr,
    /// The part of the subnet it stands for; `[subnet]` when the subnet is one region.
    pub range: Vec<IpNet>,
    /// The DNS server its queries go to.
    pub server: usize,
    /// The declared population it stands for; None where the plan declares no clients.
    pub population: Option<PopulationSample>,
}

/// One declared population, as its sample client carries it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PopulationSample {
    /// The population's label (`Mac`, `Lync 2013`).
    pub name: String,
    /// How many users it holds.
    pub users: u32,
    /// What its users sign in as.
    pub kind: ClientKind,
}

impl SampleClient {
    /// What its sign-in asks for: the population's client, or the lab's default one.
    pub fn sign_in_request(&self) -> SignInRequest {
        let kind = self.population.as_ref().map(|p| p.kind);
        SignInRequest {
            address: self.address,
            version: kind.map(|k| k.version.to_string()),
            vpn: kind.and_then(|k| k.vpn).map(|v| if v == crate::client::Vpn::Full { "full" } else { "split" }.into()),
            platform: kind.map(|k| k.platform.as_str().to_string()),
        }
    }

    /// Whether the Plan page supports media bypass for the clients it stands for (no declared
    /// population: the lab's default, supported client).
    pub fn supported(&self) -> bool {
        self.population.as_ref().is_none_or(|p| p.kind.supported())
    }

    pub fn is_outside(&self) -> bool {
        self.site == OUTSIDE
    }

    /// Whether it stands for its whole subnet.
    pub fn whole(&self) -> bool {
        self.range == [self.subnet]
    }

    /// The range as the report shows it.
    pub fn range_text(&self) -> String {
        self.range.iter().map(IpNet::to_string).collect::<Vec<_>>().join(", ")
    }

    /// Where it sits, as a finding says it: `10.40.8.0/24`, or `10.80.2.0/24 of Mumbai's
    /// 10.80.2.0/23` when its subnet is split.
    pub fn place(&self) -> String {
        if self.whole() {
            self.subnet.to_string()
        } else if self.is_outside() {
            format!("{} of outside subnet {}", self.range_text(), self.subnet)
        } else {
            format!("{} of {}'s {}", self.range_text(), self.site, self.subnet)
        }
    }
}

/// A site's (or a population's) name as part of a user name: lower case, anything but letters
/// and digits as `-`. A user name is at most 128 characters (it becomes a folder name on the
/// client host): a stem of a name's first 48 leaves room for the suffixes that keep names
/// apart (`-site12`, `-3`, a population's stem), however long the plan's names are.
const STEM_CHARS: usize = 48;

fn user_stem(site: &str) -> String {
    let stem: String = site
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
        .take(STEM_CHARS)
        .collect();
    let stem = stem.trim_matches('-').to_string();
    if stem.is_empty() {
        "site".into()
    } else {
        stem
    }
}

/// Every address no client can take: gateways and appliances of every site.
pub fn taken(topology: &Topology) -> HashSet<IpAddr> {
    let gateways = topology.sites.iter().flat_map(|s| std::iter::once(s.gateway).chain(s.gateways.iter().copied()));
    let appliances =
        topology.appliances().flat_map(|(_, a)| std::iter::once(a.address).chain(a.gateways.iter().copied()));
    gateways.chain(appliances).collect()
}

/// Every place of `topology`, sites in file order, then outside.
pub fn places(topology: &Topology) -> Vec<Place> {
    let mut out = Vec::new();
    let mut stems: Vec<String> = Vec::new();
    for site in &topology.sites {
        let mut stem = user_stem(&site.name);
        if stems.contains(&stem) || stem == OUTSIDE {
            stem = format!("{stem}-site{}", stems.len() + 1);
        }
        stems.push(stem.clone());
        for (i, subnet) in site.subnets.iter().enumerate() {
            let server = subnet.hosts().next().map(|h| topology.dns_server_index_for(h)).unwrap_or(0);
            out.push(Place { site: site.name.clone(), subnet: *subnet, user: format!("{stem}-{}", i + 1), server });
        }
    }
    for (i, subnet) in topology.outside.subnets.iter().enumerate() {
        out.push(Place { site: OUTSIDE.into(), subnet: *subnet, user: format!("{OUTSIDE}-{}", i + 1), server: 0 });
    }
    out
}

/// The users the rehearsal has placed so far, by address: a region that comes back in a later
/// phase keeps its user, so its client signs out and in rather than anew.
#[derive(Debug, Default)]
pub struct Users {
    by_address: HashMap<IpAddr, String>,
    /// How many users each place has had.
    per_place: HashMap<String, usize>,
    /// The users of declared populations, by address and population: `seattle-1-mac`.
    by_population: HashMap<(IpAddr, String), String>,
    /// Every user name given, so a population's never repeats another's.
    given: HashSet<String>,
}

impl Users {
    fn user_at(&mut self, place: &Place, address: IpAddr, first: bool) -> String {
        if let Some(user) = self.by_address.get(&address) {
            return user.clone();
        }
        let user = if first {
            place.user.clone()
        } else {
            let n = self.per_place.entry(place.user.clone()).or_insert(1);
            *n += 1;
            format!("{}-{n}", place.user)
        };
        self.by_address.insert(address, user.clone());
        self.given.insert(user.clone());
        user
    }

    /// The user of population `name` at `address` in the region whose user is `base`.
    fn population_user(&mut self, base: &str, address: IpAddr, name: &str) -> String {
        let key = (address, name.to_string());
        if let Some(user) = self.by_population.get(&key) {
            return user.clone();
        }
        let stem = format!("{base}-{}", user_stem(name));
        let mut user = stem.clone();
        let mut n = 1;
        while self.given.contains(&user) || self.by_address.values().any(|u| *u == user) {
            n += 1;
            user = format!("{stem}-{n}");
        }
        self.given.insert(user.clone());
        self.by_population.insert(key, user.clone());
        user
    }

    /// One sample client per region of every place, given the client subnets of each DNS
    /// server (by server index). The region holding the place's top free host keeps the
    /// place's own user name, so a subnet that is one region reads as it always has.
    pub fn samples(
        &mut self,
        topology: &Topology,
        client_subnets: &[Vec<NamedPrefixes>],
        taken: &HashSet<IpAddr>,
    ) -> Vec<SampleClient> {
        let mut out = Vec::new();
        for place in places(topology) {
            let subnets = client_subnets.get(place.server).map(Vec::as_slice).unwrap_or_default();
            let whole = regions(place.subnet, &[], taken);
            let first = whole.first().and_then(|r| r.sample);
            // A site behind a forwarder is seen from the forwarder's one address: no client
            // subnet tells its addresses apart.
            let behind_forwarder = topology.site(&place.site).is_some_and(|s| s.dns_via.is_some());
            let subnets = if behind_forwarder { &[] } else { subnets };
            let populations = topology.populations_in(&place.site, place.subnet);
            for region in regions(place.subnet, subnets, taken) {
                let Some(address) = region.sample else { continue };
                let user = self.user_at(&place, address, Some(address) == first);
                let range =
                    if region.blocks == [place.subnet.trunc()] { vec![place.subnet] } else { region.blocks.clone() };
                let sample = SampleClient {
                    site: place.site.clone(),
                    subnet: place.subnet,
                    user,
                    address,
                    range,
                    server: place.server,
                    population: None,
                };
                if populations.is_empty() {
                    out.push(sample);
                    continue;
                }
                // One sample per declared population, each on the region's next free host.
                let mut used = taken.clone();
                let mut at = Some(address);
                for (name, population, kind) in &populations {
                    let Some(address) = at else { break };
                    used.insert(address);
                    out.push(SampleClient {
                        user: self.population_user(&sample.user, address, name),
                        address,
                        population: Some(PopulationSample { name: name.clone(), users: population.users, kind: *kind }),
                        ..sample.clone()
                    });
                    at = regions(place.subnet, subnets, &used)
                        .into_iter()
                        .find(|r| r.blocks == region.blocks)
                        .and_then(|r| r.sample);
                }
            }
        }
        out
    }
}

/// Every place's client when no client subnet splits anything: what the lab signs in first.
pub fn samples(topology: &Topology) -> Vec<SampleClient> {
    Users::default().samples(topology, &[], &taken(topology))
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"
[tenant]
domain = "example.org"
sip_domains = ["example.org"]
service_name = "bypass.example.org"

[[site]]
name = "New York"
subnets = ["10.1.0.0/24", "10.1.8.0/29"]
gateway = "10.1.0.1"
[[site.appliance]]
name = "ny1"
address = "10.1.0.253"

[[site]]
name = "Lima"
subnets = ["10.2.0.0/29"]
gateway = "10.2.0.1"
[[site.appliance]]
name = "li1"
address = "10.2.0.5"

[outside]
subnets = ["198.18.0.0/24", "198.18.1.0/28"]
"#;

    #[test]
    fn one_client_per_subnet_on_a_free_host_with_a_readable_name() {
        let t = Topology::parse(PLAN, None).unwrap();
        let got: Vec<(String, String, String, String)> = samples(&t)
            .iter()
            .map(|c| (c.site.clone(), c.subnet.to_string(), c.user.clone(), c.address.to_string()))
            .collect();
        let want: Vec<(String, String, String, String)> = [
            ("New York", "10.1.0.0/24", "new-york-1", "10.1.0.252"),
            ("New York", "10.1.8.0/29", "new-york-2", "10.1.8.5"),
            ("Lima", "10.2.0.0/29", "lima-1", "10.2.0.4"),
            ("outside", "198.18.0.0/24", "outside-1", "198.18.0.253"),
            ("outside", "198.18.1.0/28", "outside-2", "198.18.1.13"),
        ]
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_split_subnet_gets_a_user_per_region_and_keeps_them_across_phases() {
        let t = Topology::parse(PLAN, None).unwrap();
        let split =
            vec![vec![NamedPrefixes { name: "NyTop".into(), prefixes: vec!["10.1.0.128/25".parse().unwrap()] }]];
        let mut users = Users::default();
        let first = users.samples(&t, &split, &taken(&t));
        let ny: Vec<(String, String, String)> = first
            .iter()
            .filter(|c| c.subnet.to_string() == "10.1.0.0/24")
            .map(|c| (c.user.clone(), c.address.to_string(), c.place()))
            .collect();
        assert_eq!(
            ny,
            [
                (
                    "new-york-1-2".to_string(),
                    "10.1.0.127".to_string(),
                    "10.1.0.0/25 of New York's 10.1.0.0/24".to_string()
                ),
                (
                    "new-york-1".to_string(),
                    "10.1.0.252".to_string(),
                    "10.1.0.128/25 of New York's 10.1.0.0/24".to_string()
                ),
            ]
        );
        let again = users.samples(&t, &split, &taken(&t));
        assert_eq!(first, again, "the same regions keep their users");
        let whole = users.samples(&t, &[], &taken(&t));
        assert_eq!(whole[0].place(), "10.1.0.0/24");
        assert_eq!(whole[0].user, "new-york-1");
    }
}
