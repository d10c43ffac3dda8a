//! Proof that a packet to a role's address stays on the lab's own bridges.
//!
//! The roles sit at the topology's real addresses (the seed's 192.168.1.x exist in many
//! corporate networks). While the lab runs, the host's leg on each lab network gives a connected
//! route through that network's bridge; once the lab is gone, the same address would follow the
//! default route off the machine. So before any command talks to a role, the host's routing
//! table must send that address through the bridge of the lab network that holds it.
//!
//! Read from `/proc/net/route` and `/proc/net/ipv6_route` (the main table, as `ip route`
//! shows it): a lab choice, see "Never off the machine" in `docs/design/containers.md`.

use ipnet::IpNet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// One route of the host's main table.
#[derive(Debug, Clone, PartialEq)]
pub struct Route {
    pub destination: IpNet,
    pub metric: u32,
    /// The interface; `*` or `lo` for blackhole, unreachable and local routes.
    pub device: String,
}

impl Route {
    /// A blackhole, unreachable or prohibit route: it drops what it takes.
    pub fn is_reject(&self) -> bool {
        self.device == "*"
    }
}

/// The host's routes, IPv4 and IPv6.
pub fn host_routes() -> Vec<Route> {
    let v4 = std::fs::read_to_string("/proc/net/route").unwrap_or_default();
    let v6 = std::fs::read_to_string("/proc/net/ipv6_route").unwrap_or_default();
    parse_v4(&v4).into_iter().chain(parse_v6(&v6)).collect()
}

/// `/proc/net/route`: addresses are hex in the kernel's byte order.
pub fn parse_v4(text: &str) -> Vec<Route> {
    const RTF_UP: u32 = 0x1;
    const RTF_REJECT: u32 = 0x200;
    text.lines()
        .skip(1)
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            let hex = |i: usize| f.get(i).and_then(|v| u32::from_str_radix(v, 16).ok());
            let (dest, flags, metric, mask) = (hex(1)?, hex(3)?, f.get(6)?.parse().ok()?, hex(7)?);
            if flags & RTF_UP == 0 {
                return None;
            }
            let prefix = mask.to_ne_bytes().iter().map(|b| b.count_ones()).sum::<u32>() as u8;
            let destination = IpNet::new(IpAddr::V4(Ipv4Addr::from(dest.to_ne_bytes())), prefix).ok()?;
            let device = if flags & RTF_REJECT != 0 { "*".to_string() } else { f[0].to_string() };
            Some(Route { destination, metric, device })
        })
        .collect()
}

/// `/proc/net/ipv6_route`: dest, prefix, source, source prefix, next hop, metric, refs, use,
/// flags, device.
pub fn parse_v6(text: &str) -> Vec<Route> {
    const RTF_REJECT: u32 = 0x200;
    text.lines()
        .filter_map(|line| {
            let f: Vec<&str> = line.split_whitespace().collect();
            if f.len() < 10 {
                return None;
            }
            let dest = u128::from_str_radix(f[0], 16).ok()?;
            let prefix = u8::from_str_radix(f[1], 16).ok()?;
            let metric = u32::from_str_radix(f[5], 16).ok()?;
            let flags = u32::from_str_radix(f[8], 16).ok()?;
            let destination = IpNet::new(IpAddr::V6(Ipv6Addr::from(dest)), prefix).ok()?;
            let device = if flags & RTF_REJECT != 0 { "*".to_string() } else { f[9].to_string() };
            Some(Route { destination, metric, device })
        })
        .collect()
}

/// The route the kernel takes to `to` (`ip route get`): the longest prefix, then the lowest
/// metric, then the first in the table's order.
pub fn chosen(routes: &[Route], to: IpAddr) -> Option<&Route> {
    routes
        .iter()
        .filter(|r| r.destination.contains(&to))
        .min_by_key(|r| (std::cmp::Reverse(r.destination.prefix_len()), r.metric))
}

/// The device the host would send a packet to `to` through.
pub fn device_for(routes: &[Route], to: IpAddr) -> Option<&str> {
    chosen(routes, to).map(|r| r.device.as_str())
}

/// Each address whose route does not go through the bridge expected for it: (address,
/// expected bridge, device the host would use).
pub fn strays(routes: &[Route], expected: &[(IpAddr, String)]) -> Vec<(IpAddr, String, String)> {
    expected
        .iter()
        .filter_map(|(to, bridge)| {
            let device = device_for(routes, *to).unwrap_or("no route");
            (device != bridge).then(|| (*to, bridge.clone(), device.to_string()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const V4: &str = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
eth0\t00000000\t0100000A\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
br-0123456789ab\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
*\t00010A0A\t00000000\t0201\t0\t0\t4294967295\t00FFFFFF\t0\t0\t0\n";

    #[test]
    fn a_lab_subnet_goes_through_its_bridge_and_a_missing_one_through_the_default_route() {
        let routes = parse_v4(V4);
        assert_eq!(device_for(&routes, "192.168.1.45".parse().unwrap()), Some("br-0123456789ab"));
        assert_eq!(device_for(&routes, "8.8.8.8".parse().unwrap()), Some("eth0"));
        assert_eq!(device_for(&routes, "10.10.1.8".parse().unwrap()), Some("*"), "a blackhole route");
        let expected = [
            ("192.168.1.45".parse().unwrap(), "br-0123456789ab".to_string()),
            ("172.30.0.9".parse().unwrap(), "br-ffffffffffff".to_string()),
        ];
        assert_eq!(
            strays(&routes, &expected),
            vec![("172.30.0.9".parse().unwrap(), "br-ffffffffffff".into(), "eth0".into())]
        );
    }

    #[test]
    fn of_two_equal_routes_the_first_in_the_table_is_taken() {
        let text = "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
br-aaaaaaaaaaaa\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n\
eth1\t0001A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
        assert_eq!(device_for(&parse_v4(text), "192.168.1.45".parse().unwrap()), Some("br-aaaaaaaaaaaa"));
    }

    #[test]
    fn reads_ipv6_routes() {
        let text = "fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001 br-0123456789ab\n";
        let routes = parse_v6(text);
        assert_eq!(device_for(&routes, "fd00::5".parse().unwrap()), Some("br-0123456789ab"));
        assert_eq!(device_for(&routes, "fd01::5".parse().unwrap()), None);
    }
}
