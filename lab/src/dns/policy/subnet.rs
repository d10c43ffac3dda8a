//! Client subnets: named sets of IPv4 and IPv6 prefixes that policies refer to by name.

use super::error::PolicyError;
use ipnet::{IpNet, Ipv4Net, Ipv6Net};
use serde::Serialize;
use std::collections::BTreeMap;
use std::net::IpAddr;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ClientSubnet {
    pub name: String,
    pub ipv4: Vec<Ipv4Net>,
    pub ipv6: Vec<Ipv6Net>,
}

impl ClientSubnet {
    /// Parses the cmdlet's comma lists; a prefix with host bits set is refused, as Windows does.
    pub fn parse(name: &str, ipv4: &[String], ipv6: &[String]) -> Result<ClientSubnet, PolicyError> {
        if ipv4.is_empty() && ipv6.is_empty() {
            return Err(PolicyError::EmptyClientSubnet);
        }
        let v4 = ipv4
            .iter()
            .map(|t| {
                let bad = || PolicyError::BadSubnet { text: t.clone(), family: "IPv4", example: "192.168.1.0/24" };
                let net: Ipv4Net = t.trim().parse().map_err(|_| bad())?;
                if net.trunc() != net { Err(bad()) } else { Ok(net) }
            })
            .collect::<Result<Vec<_>, _>>()?;
        let v6 = ipv6
            .iter()
            .map(|t| {
                let bad = || PolicyError::BadSubnet { text: t.clone(), family: "IPv6", example: "2001:db8:1::/48" };
                let net: Ipv6Net = t.trim().parse().map_err(|_| bad())?;
                if net.trunc() != net { Err(bad()) } else { Ok(net) }
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(ClientSubnet { name: name.to_string(), ipv4: v4, ipv6: v6 })
    }

    /// The longest of this subnet's prefixes holding `address`.
    pub fn prefix_holding(&self, address: IpAddr) -> Option<u8> {
        let address = unmap(address);
        self.ipv4
            .iter()
            .map(|n| IpNet::V4(*n))
            .chain(self.ipv6.iter().map(|n| IpNet::V6(*n)))
            .filter(|n| n.contains(&address))
            .map(|n| n.prefix_len())
            .max()
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        self.prefix_holding(address).is_some()
    }
}

/// An IPv4 client seen through an IPv6 socket (`::ffff:a.b.c.d`) is matched as IPv4.
fn unmap(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
        v4 => v4,
    }
}

/// The server's client subnets, by name (case-insensitive, as on Windows).
#[derive(Debug, Clone, Default)]
pub struct ClientSubnets {
    by_name: BTreeMap<String, ClientSubnet>,
}

impl ClientSubnets {
    pub fn get(&self, name: &str) -> Option<&ClientSubnet> {
        self.by_name.get(&name.to_ascii_lowercase())
    }

    pub fn add(&mut self, subnet: ClientSubnet) -> Result<(), PolicyError> {
        let key = subnet.name.to_ascii_lowercase();
        if self.by_name.contains_key(&key) {
            return Err(PolicyError::DuplicateClientSubnet { name: subnet.name });
        }
        self.by_name.insert(key, subnet);
        Ok(())
    }

    pub fn all(&self) -> impl Iterator<Item = &ClientSubnet> {
        self.by_name.values()
    }

    pub fn prefix_holding(&self, name: &str, address: IpAddr) -> Option<u8> {
        self.get(name)?.prefix_holding(address)
    }
}
