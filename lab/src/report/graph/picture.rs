//! What the picture shows, taken from the plan once so every notation draws the same things.

use crate::backend::containers::{LabPlan, LanPlan};
use crate::topology::Topology;
use ipnet::{IpNet, Ipv4Net};
use std::net::IpAddr;

/// Everything drawn, in plan order.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub tenant: TenantPart,
    pub sites: Vec<SitePart>,
    pub outside: OutsidePart,
    /// The internal DNS servers: the plan's `[[dns_server]]`s, or the one implicit server.
    pub dns_servers: Vec<DnsServerPart>,
}

/// Skype for Business Online: the one tenant every appliance replicates from.
#[derive(Debug, Clone, PartialEq)]
pub struct TenantPart {
    pub domain: String,
    /// The web service's host name, the same in every site: what the DNS policies answer for.
    pub service_name: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct SitePart {
    pub name: String,
    pub subnets: Vec<SubnetPart>,
    /// The PSTN gateway / SBC: the far end of a bypassed call.
    pub gateway: IpAddr,
    /// The index in [`Picture::dns_servers`] of the server its clients ask.
    pub dns_server: usize,
    pub appliances: Vec<AppliancePart>,
}

/// One subnet of a site or of the outside, and the DNS server's leg on it.
#[derive(Debug, Clone, PartialEq)]
pub struct SubnetPart {
    pub subnet: String,
    /// Where the subnet's clients reach their DNS server (lab choice: the containers backend's
    /// placement, the server's declared address or the lowest free host of the subnet).
    pub dns: Option<IpAddr>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AppliancePart {
    pub name: String,
    pub fqdn: String,
    pub address: IpAddr,
}

/// Where external clients live; the DNS server must answer them nothing for the service name.
#[derive(Debug, Clone, PartialEq)]
pub struct OutsidePart {
    pub subnets: Vec<SubnetPart>,
    /// The index of the server outside clients ask: the first.
    pub dns_server: usize,
}

/// One internal DNS server (a domain controller).
#[derive(Debug, Clone, PartialEq)]
pub struct DnsServerPart {
    /// Its computer name; `dns` for the implicit server.
    pub name: String,
    /// Its own address in the plan; None for the implicit server, which has none.
    pub address: Option<IpAddr>,
}

/// Each subnet of `subnets`, with the DNS leg the lab plan puts on its network.
fn subnets(subnets: &[IpNet], lan: &LanPlan) -> Vec<SubnetPart> {
    subnets
        .iter()
        .map(|n| SubnetPart {
            subnet: n.to_string(),
            dns: lan.networks.iter().find(|network| network.subnet == *n).and_then(|network| network.dns),
        })
        .collect()
}

impl Picture {
    pub fn of(topology: &Topology) -> Picture {
        // The DNS server's legs do not depend on where the online network lies.
        let online: Ipv4Net = crate::backend::containers::DEFAULT_ONLINE.parse().expect("a valid subnet");
        let plan = LabPlan::new(topology, online);
        let sites = topology
            .sites
            .iter()
            .zip(&plan.sites)
            .map(|(site, lan)| SitePart {
                name: site.name.clone(),
                subnets: subnets(&site.subnets, lan),
                gateway: site.gateway,
                // As the lab plan places it: the server of the site's first subnet.
                dns_server: site.subnets.first().map(|n| topology.dns_server_index_for(n.network())).unwrap_or(0),
                appliances: site
                    .appliances
                    .iter()
                    .map(|a| AppliancePart { name: a.name.clone(), fqdn: topology.fqdn(a), address: a.address })
                    .collect(),
            })
            .collect();
        let dns_servers = if topology.dns_servers.is_empty() {
            vec![DnsServerPart { name: "dns".into(), address: None }]
        } else {
            topology
                .dns_servers
                .iter()
                .map(|d| DnsServerPart { name: d.name.clone(), address: Some(d.address) })
                .collect()
        };
        Picture {
            tenant: TenantPart {
                domain: topology.tenant.domain.clone(),
                service_name: topology.tenant.service_name.clone(),
            },
            sites,
            outside: OutsidePart { subnets: subnets(&topology.outside.subnets, &plan.outside), dns_server: 0 },
            dns_servers,
        }
    }

    /// How many appliances the plan has, over all sites.
    pub fn appliance_count(&self) -> usize {
        self.sites.iter().map(|s| s.appliances.len()).sum()
    }

    /// The sites (their indexes) whose clients ask DNS server `server`.
    pub fn sites_of(&self, server: usize) -> impl Iterator<Item = usize> + '_ {
        self.sites.iter().enumerate().filter(move |(_, s)| s.dns_server == server).map(|(i, _)| i)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outside_subnet_and_every_site_subnet_has_its_dns_leg() {
        let mut topology = crate::report::graph::tests::plan(4);
        topology.outside.subnets.push("192.0.2.128/25".parse().unwrap());
        let picture = Picture::of(&topology);
        assert_eq!(picture.outside.subnets.len(), 3);
        assert!(picture.outside.subnets.iter().all(|s| s.dns.is_some()), "{:?}", picture.outside);
        let first = &picture.sites[0];
        assert_eq!(first.subnets.len(), 2, "site 0 has two subnets");
        for part in &first.subnets {
            let subnet: IpNet = part.subnet.parse().unwrap();
            assert!(subnet.contains(&part.dns.expect("a leg")), "{part:?}");
        }
    }

    #[test]
    fn sites_are_drawn_with_the_server_their_clients_ask() {
        let topology =
            Topology::parse(include_str!("../../../tests/fixtures/two-dns-servers.toml"), None).expect("a valid plan");
        let picture = Picture::of(&topology);
        let names: Vec<&str> = picture.dns_servers.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["dc-lisbon", "dc-oslo"]);
        assert_eq!(picture.sites_of(1).collect::<Vec<_>>(), [1]);
        assert_eq!(picture.sites[1].subnets[0].dns, Some("10.62.1.5".parse().unwrap()), "its declared address");
    }
}
