//! Where every role of a containers lab sits: networks, subnets and fixed addresses.
//!
//! Pure data derived from the [`Topology`], shared by the backend and by the Compose file so a
//! lab started either way has the same shape.

use crate::topology::{Appliance, Site, Topology};
use ipnet::{IpNet, Ipv4Net};
use std::net::{IpAddr, Ipv4Addr};

/// Port of the tenant's HTTP API inside its container.
pub const TENANT_PORT: u16 = 8080;
/// DNS (UDP and TCP) inside the DNS container.
pub const DNS_PORT: u16 = 53;
/// The DNS management API inside the DNS container.
pub const DNS_ADMIN_PORT: u16 = 8053;
/// The Mediation Server's web service: clients dial the appliance's address on port 80.
pub const MEDIATION_PORT: u16 = 80;
/// A client host's control API.
pub const CLIENT_PORT: u16 = 8090;
/// Where named volumes hold a role's state inside its container.
pub const DATA_DIR: &str = "/data";
/// Where a non-seed topology file is placed inside every container.
pub const TOPOLOGY_PATH: &str = "/topology.toml";

/// The subnet used for the online (tenant) network in Compose, and the first tried by the backend.
pub const DEFAULT_ONLINE: &str = "172.30.0.0/24";

/// One Docker network of the lab: one subnet. Docker's bridge driver holds one IPv4 subnet per
/// network, so a site with several subnets has one network per subnet (see "Sites with several
/// subnets" in `docs/design/containers.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkPlan {
    /// Short name: a site's first subnet has the site's key, its `n`th (`n` ≥ 2) `<key>_<n>`;
    /// likewise `outside`, `outside_<n>`; and `online`. Site keys never hold `_`.
    pub key: String,
    pub subnet: IpNet,
    /// The lab host's leg on the subnet: its last host.
    pub gateway: IpAddr,
    /// The DNS server's address here, when it has a leg on this network.
    pub dns: Option<IpAddr>,
}

/// A site's LAN, or the outside: one network per subnet, in the topology's order of subnets.
#[derive(Debug, Clone, PartialEq)]
pub struct LanPlan {
    /// The site's key (its first network's), or `outside`.
    pub key: String,
    pub networks: Vec<NetworkPlan>,
    /// The DNS server's address on the first subnet: where the plan's picture shows it.
    pub dns: Option<IpAddr>,
}

/// The whole addressing plan of a lab.
#[derive(Debug, Clone, PartialEq)]
pub struct LabPlan {
    /// One per site, in topology order.
    pub sites: Vec<LanPlan>,
    pub outside: LanPlan,
    pub online: NetworkPlan,
    /// The tenant's address on the online network.
    pub tenant: IpAddr,
    /// Each appliance: name, site network key, site address, online address (topology order).
    pub appliances: Vec<AppliancePlan>,
    /// Each DNS server (the topology's `[[dns_server]]`s, or the one implicit `dns`).
    pub dns_servers: Vec<DnsServerPlace>,
}

/// Where one DNS server's container sits.
#[derive(Debug, Clone, PartialEq)]
pub struct DnsServerPlace {
    /// Its computer name (`dns` for the implicit server).
    pub name: String,
    /// Its legs on the site and outside networks: at its declared address on the network that
    /// holds it, and on each network whose clients it serves, at that network's DNS address.
    pub legs: Vec<(String, IpAddr)>,
    /// Its leg on the online network, where the other domain controllers reach it; None for
    /// the implicit server, which has no peers.
    pub online: Option<IpAddr>,
    /// Where the lab host reaches it: its declared address when it has a leg there, else its
    /// first leg.
    pub reach: Option<IpAddr>,
    /// Its address in the topology (what `-ComputerName` may give); None for the implicit server.
    pub declared: Option<IpAddr>,
}

/// The most `[[dns_server]]`s a containers lab places: their online legs sit between the
/// tenant's address and the appliances'.
pub const MAX_DNS_SERVERS: usize = 7;

#[derive(Debug, Clone, PartialEq)]
pub struct AppliancePlan {
    pub name: String,
    /// The network of the subnet holding its topology address.
    pub network: String,
    pub address: IpAddr,
    pub online: IpAddr,
    /// Its legs on its site's other subnets, (network key, address): a client there reaches
    /// its site's Mediation Servers on its own subnet, as across the site's router.
    pub lan_legs: Vec<(String, IpAddr)>,
}

/// The subnets a lab of `topology` takes on the engine, which no other lab may hold at the same
/// time: the sites' and the outside's (the online network is picked among free ones).
pub fn fixed_subnets(topology: &Topology) -> Vec<IpNet> {
    topology.sites.iter().flat_map(|s| s.subnets.iter()).chain(&topology.outside.subnets).copied().collect()
}

/// Network key of a site: its name in lower case, characters Docker dislikes replaced.
pub fn site_key(site: &Site) -> String {
    site.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

/// The key of the `index`th (from 0) subnet's network of the LAN keyed `lan`.
fn network_key(lan: &str, index: usize) -> String {
    match index {
        0 => lan.to_string(),
        n => format!("{lan}_{}", n + 1),
    }
}

impl LabPlan {
    /// The plan for `topology` with the online network on `online` (a /24 or larger IPv4 subnet).
    pub fn new(topology: &Topology, online: Ipv4Net) -> LabPlan {
        let declared: Vec<IpAddr> = topology.dns_servers.iter().map(|d| d.address).collect();
        let servers = topology.dns_server_plans();
        // One network per subnet; the DNS address on each: the serving server's declared
        // address when the subnet holds it, else the lowest host no topology address takes.
        let lan = |key: String, subnets: &[IpNet], serving: usize, taken: &[IpAddr]| {
            let networks: Vec<NetworkPlan> = subnets
                .iter()
                .enumerate()
                .filter_map(|(i, subnet)| {
                    let own = declared.get(serving).copied().filter(|a| subnet.contains(a));
                    Some(NetworkPlan {
                        key: network_key(&key, i),
                        subnet: *subnet,
                        gateway: last_host(subnet)?,
                        dns: own.or_else(|| lowest_free(subnet, taken)),
                    })
                })
                .collect();
            LanPlan { key, dns: networks.first().and_then(|n| n.dns), networks }
        };
        let sites: Vec<LanPlan> = topology
            .sites
            .iter()
            .map(|site| {
                let taken: Vec<IpAddr> =
                    site.appliances.iter().map(|a| a.address).chain([site.gateway]).chain(declared.clone()).collect();
                let serving = site.subnets.first().map(|n| topology.dns_server_index_for(n.network())).unwrap_or(0);
                lan(site_key(site), &site.subnets, serving, &taken)
            })
            .collect();
        let outside = lan("outside".into(), &topology.outside.subnets, 0, &declared);
        let base = u32::from(online.network());
        let at = |n: u32| IpAddr::V4(Ipv4Addr::from(base + n));
        // Each site's LAN beside it (`sites` follows the topology's order): no lookup by key.
        let appliances = topology
            .sites
            .iter()
            .zip(&sites)
            .flat_map(|(site, lan)| site.appliances.iter().map(move |a| (site, lan, a)))
            .enumerate()
            .map(|(i, (site, lan, a))| {
                let home = lan.networks.iter().find(|n| n.subnet.contains(&a.address));
                AppliancePlan {
                    name: a.name.clone(),
                    network: home.map(|n| n.key.clone()).unwrap_or_else(|| lan.key.clone()),
                    address: a.address,
                    online: at(10 + i as u32),
                    lan_legs: lan_legs(topology, site, lan, a),
                }
            })
            .collect();
        let served_by = |lan: &LanPlan, index: usize| match topology.sites.iter().find(|s| site_key(s) == lan.key) {
            Some(site) => site.subnets.first().map(|n| topology.dns_server_index_for(n.network())) == Some(index),
            None => index == 0,
        };
        let dns_servers = servers
            .iter()
            .enumerate()
            .map(|(i, server)| {
                let declared = declared.get(i).copied();
                let mut legs: Vec<(String, IpAddr)> = vec![];
                for lan in sites.iter().chain([&outside]) {
                    for network in &lan.networks {
                        let holds = declared.filter(|a| network.subnet.contains(a));
                        let serves = served_by(lan, i).then_some(network.dns).flatten();
                        if let Some(address) = holds.or(serves) {
                            legs.push((network.key.clone(), address));
                        }
                    }
                }
                let reach = declared.filter(|a| legs.iter().any(|(_, l)| l == a)).or(legs.first().map(|(_, a)| *a));
                let online = (!topology.dns_servers.is_empty() && i < MAX_DNS_SERVERS).then(|| at(3 + i as u32));
                DnsServerPlace { name: server.name.clone(), legs, online, reach, declared }
            })
            .collect();
        LabPlan {
            sites,
            outside,
            online: NetworkPlan { key: "online".into(), subnet: IpNet::V4(online), gateway: at(1), dns: None },
            tenant: at(2),
            appliances,
            dns_servers,
        }
    }

    /// The `n`th client host's leg on the online network (to reach the tenant).
    pub fn client_online(&self, n: usize) -> Option<IpAddr> {
        let IpNet::V4(net) = self.online.subnet else { return None };
        let address = Ipv4Addr::from(u32::from(net.network()) + 100 + n as u32);
        (net.contains(&address) && address != net.broadcast()).then_some(IpAddr::V4(address))
    }

    /// The network a client at `at` lives on: the one of its site's subnet, or of its outside
    /// subnet.
    pub fn network_of(&self, at: IpAddr) -> Option<&NetworkPlan> {
        self.sites.iter().chain([&self.outside]).flat_map(|l| &l.networks).find(|n| n.subnet.contains(&at))
    }

    /// Every network: the sites' (each site's subnets in order), the outside's, then online.
    pub fn networks(&self) -> impl Iterator<Item = &NetworkPlan> {
        self.sites.iter().chain([&self.outside]).flat_map(|l| &l.networks).chain([&self.online])
    }

    /// Every address a role of the plan sits at, with its network's key: the host talks to
    /// them, and the roles to each other.
    pub fn addresses(&self) -> Vec<(IpAddr, String)> {
        let appliances = self.appliances.iter().flat_map(|a| {
            [(a.network.clone(), a.address), ("online".into(), a.online)].into_iter().chain(a.lan_legs.iter().cloned())
        });
        let dns =
            self.dns_servers.iter().flat_map(|d| d.legs.iter().cloned().chain(d.online.map(|o| ("online".into(), o))));
        std::iter::once(("online".to_string(), self.tenant))
            .chain(appliances)
            .chain(dns)
            .map(|(network, address)| (address, network))
            .collect()
    }

    /// Whether a role of the plan, or the lab host, sits at `at` on a site or outside network.
    pub fn holds(&self, at: IpAddr) -> bool {
        self.appliances.iter().any(|a| a.address == at || a.lan_legs.iter().any(|(_, l)| *l == at))
            || self.dns_servers.iter().any(|d| d.legs.iter().any(|(_, l)| *l == at))
            || self.networks().any(|n| n.dns == Some(at) || n.gateway == at)
    }
    /// Where the lab host reaches each role of a lab on this plan (client hosts come later).
    pub fn endpoints(&self) -> Option<crate::backend::Endpoints> {
        let url = |address: IpAddr, port: u16| format!("http://{}", std::net::SocketAddr::new(address, port));
        let dns = self.dns_endpoint()?;
        let appliances: std::collections::BTreeMap<String, String> =
            self.appliances.iter().map(|a| (a.name.clone(), url(a.address, MEDIATION_PORT))).collect();
        let dns_servers: Vec<crate::backend::DnsEndpoint> = self
            .dns_servers
            .iter()
            .filter_map(|d| {
                let reach = d.reach?;
                Some(crate::backend::DnsEndpoint {
                    name: d.name.clone(),
                    address: d.declared?,
                    dns: std::net::SocketAddr::new(reach, DNS_PORT),
                    admin: url(reach, DNS_ADMIN_PORT),
                })
            })
            .collect();
        Some(crate::backend::Endpoints {
            tenant: url(self.tenant, TENANT_PORT),
            dns: std::net::SocketAddr::new(dns, DNS_PORT),
            dns_admin: url(dns, DNS_ADMIN_PORT),
            // The DNS servers keep a clock too, for their -TimeOfDay policies and AD replication.
            clocks: self
                .appliances
                .iter()
                .map(|a| url(a.address, MEDIATION_PORT))
                .chain(self.dns_servers.iter().filter_map(|d| Some(url(d.reach?, DNS_ADMIN_PORT))))
                .collect(),
            appliances,
            clients: Default::default(),
            control: None,
            dns_servers,
        })
    }

    /// The first DNS server as the lab host asks it: on the first network it has a leg on, so
    /// a query without ECS comes from the host's leg there.
    pub fn dns_endpoint(&self) -> Option<IpAddr> {
        self.dns_servers.first()?.reach
    }

    /// The DNS server named `name` (case-insensitive).
    pub fn dns_server(&self, name: &str) -> Option<&DnsServerPlace> {
        self.dns_servers.iter().find(|d| d.name.eq_ignore_ascii_case(name.trim()))
    }
}

/// An appliance's legs on its site's subnets other than its own: each at the lowest host that
/// is no topology address, not the DNS server's, nor an earlier appliance's leg there.
fn lan_legs(topology: &Topology, site: &Site, lan: &LanPlan, appliance: &Appliance) -> Vec<(String, IpAddr)> {
    // Most sites have one subnet: nothing to place, and no scan of the plan (thousands of
    // appliances at 200 sites).
    if lan.networks.len() < 2 {
        return Vec::new();
    }
    let on_lan = |a: &IpAddr| lan.networks.iter().any(|n| n.subnet.contains(a));
    let topology_addresses: Vec<IpAddr> = topology
        .appliances()
        .flat_map(|(_, a)| std::iter::once(a.address).chain(a.gateways.iter().copied()))
        .chain(topology.sites.iter().flat_map(|s| std::iter::once(s.gateway).chain(s.gateways.iter().copied())))
        .chain(topology.dns_servers.iter().map(|d| d.address))
        .filter(on_lan)
        .collect();
    let mut legs = Vec::new();
    for network in lan.networks.iter().filter(|n| !n.subnet.contains(&appliance.address)) {
        let mut taken: Vec<IpAddr> = topology_addresses.iter().copied().chain(network.dns).collect();
        // Earlier appliances of the site take the lower hosts, so every plan places the same.
        for earlier in site.appliances.iter().take_while(|a| a.name != appliance.name) {
            if !network.subnet.contains(&earlier.address) {
                if let Some(leg) = lowest_free(&network.subnet, &taken) {
                    taken.push(leg);
                }
            }
        }
        if let Some(leg) = lowest_free(&network.subnet, &taken) {
            legs.push((network.key.clone(), leg));
        }
    }
    legs
}

fn last_host(net: &IpNet) -> Option<IpAddr> {
    net.hosts().last()
}

/// The DNS server's address on a network: the lowest host that is neither a topology address
/// nor the lab host's leg; clients are numbered from the top down, so they never meet it.
fn lowest_free(net: &IpNet, taken: &[IpAddr]) -> Option<IpAddr> {
    let leg = last_host(net);
    net.hosts().find(|h| !taken.contains(h) && Some(*h) != leg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seed_plan_keeps_topology_addresses_and_avoids_them_for_dns() {
        let topology = Topology::seed();
        let plan = LabPlan::new(&topology, DEFAULT_ONLINE.parse().unwrap());
        let keys: Vec<&str> = plan.sites.iter().map(|n| n.key.as_str()).collect();
        assert_eq!(keys, ["amsterdam", "seattle"]);
        assert_eq!(plan.sites[0].networks[0].gateway, "192.168.1.254".parse::<IpAddr>().unwrap());
        assert_eq!(plan.sites[0].dns, Some("192.168.1.1".parse().unwrap()));
        assert_eq!(plan.sites[1].dns, Some("10.10.1.2".parse().unwrap()), "10.10.1.1 is Seattle's gateway");
        assert_eq!(plan.outside.dns, Some("203.0.113.1".parse().unwrap()));
        assert_eq!(plan.outside.networks[0].gateway, "203.0.113.254".parse::<IpAddr>().unwrap());
        assert_eq!(plan.tenant, "172.30.0.2".parse::<IpAddr>().unwrap());
        let sea = plan.appliances.iter().find(|a| a.name == "sea-cce1").unwrap();
        assert_eq!((sea.network.as_str(), sea.address), ("seattle", "10.10.1.8".parse().unwrap()));
        assert_eq!(plan.client_online(0), Some("172.30.0.100".parse().unwrap()));
        for site in &topology.sites {
            for n in 0..5 {
                let client = topology.client_address(site, n).unwrap();
                assert!(!plan.holds(client), "{client}");
            }
        }
        assert_eq!(plan.network_of("203.0.113.100".parse().unwrap()).unwrap().key, "outside");
        assert!(plan.network_of("8.8.8.8".parse().unwrap()).is_none());
    }

    fn fabrikam() -> Topology {
        Topology::parse(include_str!("../../../topologies/fabrikam.toml"), None).unwrap()
    }

    #[test]
    fn a_site_with_two_subnets_has_a_network_per_subnet_with_its_dns_server_and_mediation_servers_on_each() {
        let topology = fabrikam();
        let plan = LabPlan::new(&topology, DEFAULT_ONLINE.parse().unwrap());
        let keys: Vec<String> = plan.networks().map(|n| format!("{} {}", n.key, n.subnet)).collect();
        assert_eq!(
            keys,
            [
                "london 172.20.10.0/24",
                "paris 172.20.20.0/24",
                "paris_2 172.20.21.0/24",
                "berlin 172.20.30.0/24",
                "outside 198.51.100.0/24",
                "online 172.30.0.0/24"
            ]
        );
        let paris = &plan.sites[1];
        assert_eq!(paris.networks[1].gateway, "172.20.21.254".parse::<IpAddr>().unwrap());
        assert_eq!(paris.networks[1].dns, Some("172.20.21.1".parse().unwrap()));
        assert_eq!(paris.dns, paris.networks[0].dns, "the picture shows the first subnet's");
        let par = plan.appliances.iter().find(|a| a.name == "par-cce1").unwrap();
        assert_eq!((par.network.as_str(), par.address), ("paris", "172.20.20.21".parse().unwrap()));
        assert_eq!(par.lan_legs, [("paris_2".to_string(), "172.20.21.2".parse().unwrap())]);
        let lon = plan.appliances.iter().find(|a| a.name == "lon-cce1").unwrap();
        assert!(lon.lan_legs.is_empty(), "a one-subnet site's appliances have no other leg");
        let dns_legs: Vec<String> = plan.dns_servers[0].legs.iter().map(|(n, a)| format!("{n} {a}")).collect();
        assert_eq!(
            dns_legs,
            [
                "london 172.20.10.1",
                "paris 172.20.20.1",
                "paris_2 172.20.21.1",
                "berlin 172.20.30.1",
                "outside 198.51.100.1"
            ]
        );
        let second = topology.subnet_client_addresses(topology.site("Paris").unwrap())[1];
        assert_eq!(plan.network_of(second).map(|n| n.key.as_str()), Some("paris_2"));
        assert!(!plan.holds(second));
        assert!(plan.holds("172.20.21.2".parse().unwrap()) && plan.holds("172.20.21.254".parse().unwrap()));
    }

    #[test]
    fn appliances_of_a_site_take_the_next_hosts_of_its_other_subnets_in_plan_order() {
        let text = include_str!("../../../topologies/fabrikam.toml").replace(
            "subnets = [\"172.20.30.0/24\"]",
            "subnets = [\"172.20.30.0/24\", \"172.20.31.0/28\", \"172.20.32.0/24\"]",
        );
        let plan = LabPlan::new(&Topology::parse(&text, None).unwrap(), DEFAULT_ONLINE.parse().unwrap());
        let legs = |name: &str| {
            let a = plan.appliances.iter().find(|a| a.name == name).unwrap();
            a.lan_legs.iter().map(|(n, a)| format!("{n} {a}")).collect::<Vec<_>>()
        };
        assert_eq!(legs("ber-cce1"), ["berlin_2 172.20.31.2", "berlin_3 172.20.32.2"]);
        assert_eq!(legs("ber-cce3"), ["berlin_2 172.20.31.4", "berlin_3 172.20.32.4"]);
        assert_eq!(plan.sites[2].networks[1].gateway, "172.20.31.14".parse::<IpAddr>().unwrap());
    }
}
