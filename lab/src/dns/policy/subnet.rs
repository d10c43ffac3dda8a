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
    /// Parses the cmdlet's lists. A prefix with host bits set is taken as written and matches
    /// its network: the "Add-DnsServerClientSubnet" examples themselves write 172.21.33.0/16.
    /// A subnet with neither list is refused (lab choice: it could never match).
    pub fn parse(name: &str, ipv4: &[String], ipv6: &[String]) -> Result<ClientSubnet, PolicyError> {
        if ipv4.is_empty() && ipv6.is_empty() {
            return Err(PolicyError::EmptyClientSubnet);
        }
        Ok(ClientSubnet { name: name.to_string(), ipv4: parse_v4(ipv4)?, ipv6: parse_v6(ipv6)? })
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

fn parse_v4(list: &[String]) -> Result<Vec<Ipv4Net>, PolicyError> {
    list.iter()
        .map(|t| {
            t.trim().parse().map_err(|_| PolicyError::BadSubnet {
                text: t.clone(),
                family: "IPv4",
                example: "192.168.1.0/24",
            })
        })
        .collect()
}

fn parse_v6(list: &[String]) -> Result<Vec<Ipv6Net>, PolicyError> {
    list.iter()
        .map(|t| {
            t.trim().parse().map_err(|_| PolicyError::BadSubnet {
                text: t.clone(),
                family: "IPv6",
                example: "2001:db8:1::/48",
            })
        })
        .collect()
}

/// `Set-DnsServerClientSubnet -Action`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubnetAction {
    Add,
    Remove,
    Replace,
}

impl SubnetAction {
    pub fn parse(text: &str) -> Result<SubnetAction, PolicyError> {
        match text.trim().to_ascii_uppercase().as_str() {
            "ADD" => Ok(SubnetAction::Add),
            "REMOVE" => Ok(SubnetAction::Remove),
            "REPLACE" => Ok(SubnetAction::Replace),
            _ => Err(PolicyError::BadValue { what: "Action", text: text.into(), expected: "ADD, REMOVE or REPLACE" }),
        }
    }
}

/// Applies one action to one family's list; a family not given (`given` empty) is left alone
/// (lab choice for REPLACE: the "Set-DnsServerClientSubnet" example replaces only the family it
/// names).
fn apply<N: PartialEq + Copy>(
    list: &mut Vec<N>,
    action: SubnetAction,
    given: Vec<N>,
    missing: impl Fn(&N) -> PolicyError,
) -> Result<(), PolicyError> {
    if given.is_empty() {
        return Ok(());
    }
    match action {
        SubnetAction::Add => list.extend(given.into_iter().filter(|n| !list.contains(n)).collect::<Vec<_>>()),
        SubnetAction::Replace => *list = given,
        SubnetAction::Remove => {
            if let Some(n) = given.iter().find(|n| !list.contains(n)) {
                return Err(missing(n));
            }
            list.retain(|n| !given.contains(n));
        }
    }
    Ok(())
}

/// An IPv4 client seen through an IPv6 socket (`::ffff:a.b.c.d`) is matched as IPv4.
fn unmap(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map(IpAddr::V4).unwrap_or(address),
        v4 => v4,
    }
}

/// The server's client subnets, by name (case-insensitive: lab choice, as PowerShell names are).
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

    /// Changes one subnet's lists as a whole: nothing changes unless all of it is valid.
    pub fn set(
        &mut self,
        name: &str,
        action: SubnetAction,
        ipv4: &[String],
        ipv6: &[String],
    ) -> Result<(), PolicyError> {
        let current = self.get(name).ok_or_else(|| PolicyError::UnknownClientSubnet { name: name.into() })?;
        if ipv4.is_empty() && ipv6.is_empty() {
            return Err(PolicyError::EmptyClientSubnet);
        }
        let mut updated = current.clone();
        let subnet = current.name.clone();
        let missing = |text: String| PolicyError::SubnetNotInClientSubnet { name: subnet.clone(), subnet: text };
        apply(&mut updated.ipv4, action, parse_v4(ipv4)?, |n| missing(n.to_string()))?;
        apply(&mut updated.ipv6, action, parse_v6(ipv6)?, |n| missing(n.to_string()))?;
        if updated.ipv4.is_empty() && updated.ipv6.is_empty() {
            return Err(PolicyError::EmptyClientSubnet);
        }
        self.by_name.insert(updated.name.to_ascii_lowercase(), updated);
        Ok(())
    }

    pub fn remove(&mut self, name: &str) -> Option<ClientSubnet> {
        self.by_name.remove(&name.to_ascii_lowercase())
    }

    pub fn all(&self) -> impl Iterator<Item = &ClientSubnet> {
        self.by_name.values()
    }

    pub fn prefix_holding(&self, name: &str, address: IpAddr) -> Option<u8> {
        self.get(name)?.prefix_holding(address)
    }
}
