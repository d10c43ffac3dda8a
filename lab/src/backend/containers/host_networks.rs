//! The host's own networks are never taken by a lab.
//!
//! A lab's bridge gives the host a connected route for each of the plan's subnets. Where the
//! host already reaches that range some other way (its LAN, a VPN, a dummy interface), the
//! bridge's route would take the host's traffic for it: the host would be cut off its own
//! network, for example when a documentation range a plan uses is also the CI runner's LAN.
//! So before a start creates anything, every subnet of the plan (and the lab's online network)
//! is held against the host's routes and addresses, and every address the lab will use is
//! routed as the kernel would route it once the lab's bridges are up. A lab choice, see "Never
//! off the machine" in `docs/design/containers.md`.

use super::plan::LabPlan;
use super::route::{self, Route};
use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// What the host already has on a range: one of its routes, or one of its addresses.
#[derive(Debug, Clone, PartialEq)]
pub struct HostNetworks {
    /// The main table, in the kernel's order.
    pub routes: Vec<Route>,
    /// The host's own addresses, with their interface when known.
    pub addresses: Vec<(IpAddr, Option<String>)>,
}

/// A subnet of the plan the host already uses, or an address it would not send to the lab.
#[derive(Debug, Clone, PartialEq)]
pub enum Clash {
    /// `subnet` (of `place`) overlaps the host's `holder` (a route or an address) on `device`.
    Overlap { place: String, subnet: IpNet, holder: String, device: String },
    /// Once the lab's bridges are up, the host would still send `address` through `device`
    /// (by its route `via`), not through the lab's network `network`.
    Elsewhere { address: IpAddr, network: String, device: String, via: IpNet },
}

impl HostNetworks {
    /// The host as it stands: `/proc/net/route`, `/proc/net/ipv6_route`, `/proc/net/fib_trie`
    /// (local IPv4 addresses) and `/proc/net/if_inet6` (IPv6 addresses and their interfaces).
    pub fn read() -> HostNetworks {
        let read = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let mut addresses = local_v4(&read("/proc/net/fib_trie"));
        addresses.extend(local_v6(&read("/proc/net/if_inet6")));
        HostNetworks { routes: route::host_routes(), addresses }
    }

    /// Whether a route is one a lab may sit beside: a default route (every lab address is more
    /// specific), or a blackhole of low priority (metric above 0: it carries no traffic, and the
    /// lab's connected routes, metric 0, win over it), such as the tests' shields.
    fn leaves_room(route: &Route) -> bool {
        route.destination.prefix_len() == 0 || (route.is_reject() && route.metric > 0)
    }

    /// The ranges the host already uses: its routes but those that leave room, and its
    /// addresses.
    pub fn taken(&self) -> impl Iterator<Item = IpNet> + '_ {
        let routes = self.routes.iter().filter(|r| !Self::leaves_room(r)).map(|r| r.destination);
        routes.chain(self.addresses.iter().map(|(a, _)| IpNet::from(*a)))
    }

    /// The first way the plan would take a network of the host, or leave one of its own
    /// addresses to another route. `places` names each subnet for messages (`site Paris`).
    pub fn clash(&self, places: &[(String, IpNet)], used: &[(IpAddr, String)]) -> Option<Clash> {
        for (place, subnet) in places {
            let overlapping = |n: &IpNet| n.contains(&subnet.network()) || subnet.contains(&n.network());
            if let Some(r) = self.routes.iter().find(|r| !Self::leaves_room(r) && overlapping(&r.destination)) {
                let holder = format!("route {}", r.destination);
                return Some(Clash::Overlap {
                    place: place.clone(),
                    subnet: *subnet,
                    holder,
                    device: r.device.clone(),
                });
            }
            if let Some((address, device)) = self.addresses.iter().find(|(a, _)| subnet.contains(a)) {
                let device = device.clone().unwrap_or_else(|| "an interface of this host".into());
                let holder = format!("address {address}");
                return Some(Clash::Overlap { place: place.clone(), subnet: *subnet, holder, device });
            }
        }
        // The kernel's choice once the lab's connected routes exist: they are added after the
        // host's, so the host's route wins a tie, as the kernel lets it.
        let lab: Vec<Route> = places
            .iter()
            .map(|(place, subnet)| Route { destination: *subnet, metric: 0, device: lab_device(place) })
            .collect();
        let all: Vec<Route> = self.routes.iter().cloned().chain(lab).collect();
        used.iter().find_map(|(address, network)| {
            let chosen = route::chosen(&all, *address)?;
            let expected = places.iter().find(|(_, s)| s.contains(address)).map(|(p, _)| lab_device(p));
            (Some(&chosen.device) != expected.as_ref()).then(|| Clash::Elsewhere {
                address: *address,
                network: network.clone(),
                device: chosen.device.clone(),
                via: chosen.destination,
            })
        })
    }
}

fn lab_device(place: &str) -> String {
    format!("the lab's network for {place}")
}

/// Every subnet a lab of `plan` takes, named for messages.
pub fn places(plan: &LabPlan, topology: &crate::topology::Topology) -> Vec<(String, IpNet)> {
    let sites =
        topology.sites.iter().zip(&plan.sites).flat_map(|(site, lan)| {
            lan.networks.iter().map(move |n| (format!("site {}'s subnet", site.name), n.subnet))
        });
    let outside = plan.outside.networks.iter().map(|n| ("the outside subnet".to_string(), n.subnet));
    sites.chain(outside).chain([("the lab's online network".to_string(), plan.online.subnet)]).collect()
}

/// `/proc/net/fib_trie`: each `|-- a.b.c.d` followed by `/32 host LOCAL` is a local address.
pub fn local_v4(text: &str) -> Vec<(IpAddr, Option<String>)> {
    let mut found: Vec<(IpAddr, Option<String>)> = Vec::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in text.lines() {
        let line = line.trim();
        if let Some(address) = line.strip_prefix("|-- ") {
            last = address.trim().parse().ok();
        } else if line.starts_with("/32 host LOCAL") {
            if let Some(a) = last.filter(|a| !a.is_loopback()) {
                if !found.iter().any(|(f, _)| *f == IpAddr::V4(a)) {
                    found.push((IpAddr::V4(a), None));
                }
            }
        }
    }
    found
}

/// `/proc/net/if_inet6`: address, index, prefix, scope, flags, interface.
pub fn local_v6(text: &str) -> Vec<(IpAddr, Option<String>)> {
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let address = Ipv6Addr::from(u128::from_str_radix(f.first()?, 16).ok()?);
            (!address.is_loopback()).then(|| (IpAddr::V6(address), f.get(5).map(|d| d.to_string())))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> HostNetworks {
        let routes = route::parse_v4(
            "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
*\t00010A0A\t00000000\t0201\t0\t0\t4000\t00FFFFFF\t0\t0\t0\n\
*\t2D01A8C0\t00000000\t0201\t0\t0\t4000\tFFFFFFFF\t0\t0\t0\n",
        );
        HostNetworks { routes, addresses: vec![("10.99.1.1".parse().unwrap(), None)] }
    }

    fn at(place: &str, subnet: &str) -> (String, IpNet) {
        (place.to_string(), subnet.parse().unwrap())
    }

    #[test]
    fn a_subnet_the_host_routes_or_holds_an_address_in_is_refused_naming_the_interface() {
        let host = host();
        let clash = host.clash(&[at("site Seattle", "10.10.1.0/24"), at("the outside", "192.0.2.0/24")], &[]);
        assert_eq!(
            clash,
            Some(Clash::Overlap {
                place: "the outside".into(),
                subnet: "192.0.2.0/24".parse().unwrap(),
                holder: "route 192.0.2.0/24".into(),
                device: "eth0".into()
            }),
            "the default route and a low-priority blackhole leave room; the host's LAN does not"
        );
        let clash = host.clash(&[at("site Oslo", "10.99.0.0/16")], &[]);
        assert!(matches!(clash, Some(Clash::Overlap { holder, .. }) if holder == "address 10.99.1.1"));
        assert_eq!(
            host.clash(&[at("site Seattle", "10.10.1.0/24")], &[("10.10.1.8".parse().unwrap(), "seattle".into())]),
            None
        );
    }

    #[test]
    fn an_address_a_longer_route_takes_from_the_lab_is_refused() {
        let clash = host().clash(
            &[at("site Amsterdam", "192.168.1.0/24")],
            &[
                ("192.168.1.44".parse().unwrap(), "amsterdam".into()),
                ("192.168.1.45".parse().unwrap(), "amsterdam".into()),
            ],
        );
        assert_eq!(
            clash,
            Some(Clash::Elsewhere {
                address: "192.168.1.45".parse().unwrap(),
                network: "amsterdam".into(),
                device: "*".into(),
                via: "192.168.1.45/32".parse().unwrap()
            })
        );
    }

    #[test]
    fn reads_the_hosts_own_addresses() {
        let trie = "Main:\n  +-- 0.0.0.0/0 3 0 4\n     |-- 127.0.0.1\n        /32 host LOCAL\n     |-- 192.0.2.2\n        /32 host LOCAL\n     |-- 192.0.2.255\n        /32 link BROADCAST\nLocal:\n     |-- 192.0.2.2\n        /32 host LOCAL\n";
        assert_eq!(local_v4(trie), vec![("192.0.2.2".parse().unwrap(), None)]);
        let inet6 = "00000000000000000000000000000001 01 80 10 80       lo\nfd000000000000000000000000000002 04 40 00 82     eth0\n";
        assert_eq!(local_v6(inet6), vec![("fd00::2".parse().unwrap(), Some("eth0".to_string()))]);
    }
}
