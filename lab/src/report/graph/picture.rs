//! What the picture shows, taken from the plan once so every notation draws the same things.

use crate::backend::containers::LabPlan;
use crate::topology::Topology;
use ipnet::Ipv4Net;
use std::net::IpAddr;

/// Everything drawn, in plan order.
#[derive(Debug, Clone, PartialEq)]
pub struct Picture {
    pub tenant: TenantPart,
    pub sites: Vec<SitePart>,
    pub outside: OutsidePart,
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
    pub subnets: Vec<String>,
    /// The PSTN gateway / SBC: the far end of a bypassed call.
    pub gateway: IpAddr,
    /// The internal DNS server's leg on this site's network, where the lab gives it one (lab
    /// choice: the containers backend's placement, the lowest free host of the first subnet).
    pub dns: Option<IpAddr>,
    pub appliances: Vec<AppliancePart>,
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
    pub subnets: Vec<String>,
    pub dns: Option<IpAddr>,
}

impl Picture {
    pub fn of(topology: &Topology) -> Picture {
        // The DNS server's legs do not depend on where the online network lies.
        let online: Ipv4Net = "172.30.0.0/24".parse().expect("a valid subnet");
        let plan = LabPlan::new(topology, online);
        let sites = topology
            .sites
            .iter()
            .zip(&plan.sites)
            .map(|(site, network)| SitePart {
                name: site.name.clone(),
                subnets: site.subnets.iter().map(|n| n.to_string()).collect(),
                gateway: site.gateway,
                dns: network.dns,
                appliances: site
                    .appliances
                    .iter()
                    .map(|a| AppliancePart { name: a.name.clone(), fqdn: topology.fqdn(a), address: a.address })
                    .collect(),
            })
            .collect();
        Picture {
            tenant: TenantPart {
                domain: topology.tenant.domain.clone(),
                service_name: topology.tenant.service_name.clone(),
            },
            sites,
            outside: OutsidePart {
                subnets: topology.outside.subnets.iter().map(|n| n.to_string()).collect(),
                dns: plan.outside.dns,
            },
        }
    }

    /// How many appliances the plan has, over all sites.
    pub fn appliance_count(&self) -> usize {
        self.sites.iter().map(|s| s.appliances.len()).sum()
    }
}
