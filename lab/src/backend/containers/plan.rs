//! Where every role of a containers lab sits: networks, subnets and fixed addresses.
//!
//! Pure data derived from the [`Topology`], shared by the backend and by the Compose file so a
//! lab started either way has the same shape.

use crate::topology::{Site, Topology};
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

/// One Docker network of the lab.
#[derive(Debug, Clone, PartialEq)]
pub struct NetworkPlan {
    /// Short name: the site's name in lower case, `online` or `outside`.
    pub key: String,
    pub subnets: Vec<IpNet>,
    /// The lab host's leg on each subnet (same order as `subnets`).
    pub gateways: Vec<IpAddr>,
    /// The DNS server's address here, when it has a leg on this network.
    pub dns: Option<IpAddr>,
}

/// The whole addressing plan of a lab.
#[derive(Debug, Clone, PartialEq)]
pub struct LabPlan {
    /// One per site, in topology order.
    pub sites: Vec<NetworkPlan>,
    pub outside: NetworkPlan,
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
    pub network: String,
    pub address: IpAddr,
    pub online: IpAddr,
}

/// Network key of a site: its name in lower case, characters Docker dislikes replaced.
pub fn site_key(site: &Site) -> String {
    site.name.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect()
}

impl LabPlan {
    /// The plan for `topology` with the online network on `online` (a /24 or larger IPv4 subnet).
    pub fn new(topology: &Topology, online: Ipv4Net) -> LabPlan {
        let declared: Vec<IpAddr> = topology.dns_servers.iter().map(|d| d.address).collect();
        let servers = topology.dns_server_plans();
        // The DNS address on a network: the serving server's declared address when the network
        // holds it, else the lowest host no topology address takes.
        let dns_on = |subnets: &[IpNet], serving: usize, taken: &[IpAddr]| {
            let own = declared.get(serving).copied().filter(|a| subnets.iter().any(|n| n.contains(a)));
            own.or_else(|| subnets.first().and_then(|n| lowest_free(n, taken)))
        };
        let sites: Vec<NetworkPlan> = topology
            .sites
            .iter()
            .map(|site| {
                let taken: Vec<IpAddr> =
                    site.appliances.iter().map(|a| a.address).chain([site.gateway]).chain(declared.clone()).collect();
                let serving = site.subnets.first().map(|n| topology.dns_server_index_for(n.network())).unwrap_or(0);
                NetworkPlan {
                    key: site_key(site),
                    subnets: site.subnets.clone(),
                    gateways: site.subnets.iter().filter_map(last_host).collect(),
                    dns: dns_on(&site.subnets, serving, &taken),
                }
            })
            .collect();
        let outside = NetworkPlan {
            key: "outside".into(),
            subnets: topology.outside.subnets.clone(),
            gateways: topology.outside.subnets.iter().filter_map(last_host).collect(),
            dns: dns_on(&topology.outside.subnets, 0, &declared),
        };
        let base = u32::from(online.network());
        let at = |n: u32| IpAddr::V4(Ipv4Addr::from(base + n));
        let appliances = topology
            .appliances()
            .enumerate()
            .map(|(i, (site, a))| AppliancePlan {
                name: a.name.clone(),
                network: site_key(site),
                address: a.address,
                online: at(10 + i as u32),
            })
            .collect();
        let served_by =
            |network: &NetworkPlan, index: usize| match topology.sites.iter().find(|s| site_key(s) == network.key) {
                Some(site) => site.subnets.first().map(|n| topology.dns_server_index_for(n.network())) == Some(index),
                None => index == 0,
            };
        let dns_servers = servers
            .iter()
            .enumerate()
            .map(|(i, server)| {
                let declared = declared.get(i).copied();
                let mut legs: Vec<(String, IpAddr)> = vec![];
                for network in sites.iter().chain([&outside]) {
                    let holds = declared.filter(|a| network.subnets.iter().any(|n| n.contains(a)));
                    let serves = served_by(network, i).then_some(network.dns).flatten();
                    if let Some(address) = holds.or(serves) {
                        legs.push((network.key.clone(), address));
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
            online: NetworkPlan {
                key: "online".into(),
                subnets: vec![IpNet::V4(online)],
                gateways: vec![at(1)],
                dns: None,
            },
            tenant: at(2),
            appliances,
            dns_servers,
        }
    }

    /// The `n`th client host's leg on the online network (to reach the tenant).
    pub fn client_online(&self, n: usize) -> Option<IpAddr> {
        let IpNet::V4(net) = self.online.subnets[0] else { return None };
        let address = Ipv4Addr::from(u32::from(net.network()) + 100 + n as u32);
        (net.contains(&address) && address != net.broadcast()).then_some(IpAddr::V4(address))
    }

    /// The network a client at `at` lives on: its site's, or the outside one.
    pub fn network_of(&self, topology: &Topology, at: IpAddr) -> Option<&NetworkPlan> {
        if let Some(site) = topology.site_of(at) {
            let key = site_key(site);
            return self.sites.iter().find(|n| n.key == key);
        }
        topology.is_outside(at).then_some(&self.outside)
    }

    /// Every network, sites first.
    pub fn networks(&self) -> impl Iterator<Item = &NetworkPlan> {
        self.sites.iter().chain([&self.outside, &self.online])
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
        assert_eq!(plan.sites[0].gateways, ["192.168.1.254".parse::<IpAddr>().unwrap()]);
        assert_eq!(plan.sites[0].dns, Some("192.168.1.1".parse().unwrap()));
        assert_eq!(plan.sites[1].dns, Some("10.10.1.2".parse().unwrap()), "10.10.1.1 is Seattle's gateway");
        assert_eq!(plan.outside.dns, Some("203.0.113.1".parse().unwrap()));
        assert_eq!(plan.outside.gateways, ["203.0.113.254".parse::<IpAddr>().unwrap()]);
        assert_eq!(plan.tenant, "172.30.0.2".parse::<IpAddr>().unwrap());
        let sea = plan.appliances.iter().find(|a| a.name == "sea-cce1").unwrap();
        assert_eq!((sea.network.as_str(), sea.address), ("seattle", "10.10.1.8".parse().unwrap()));
        assert_eq!(plan.client_online(0), Some("172.30.0.100".parse().unwrap()));
        for site in &topology.sites {
            for n in 0..5 {
                let client = topology.client_address(site, n).unwrap();
                assert!(plan.networks().all(|p| p.dns != Some(client) && !p.gateways.contains(&client)));
            }
        }
        assert_eq!(plan.network_of(&topology, "203.0.113.100".parse().unwrap()).unwrap().key, "outside");
        assert!(plan.network_of(&topology, "8.8.8.8".parse().unwrap()).is_none());
    }
}
