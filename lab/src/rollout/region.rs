//! Splitting a place (a site subnet or an outside subnet) into the regions its clients can tell
//! apart: within a region every client subnet of the DNS server holds either every address or
//! none, so every `-ClientSubnet` criterion decides the same way for all of them and one client
//! stands for the whole region. The other facts a policy can test are the same for a whole place
//! (the server interface its clients query, the transport and IP version they ask with) or are
//! judged apart (the time of day, [`super::window`]).

use ipnet::IpNet;
use std::collections::HashSet;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// A named client subnet as the DNS server lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NamedPrefixes {
    pub name: String,
    pub prefixes: Vec<IpNet>,
}

/// Addresses of one place that every client subnet treats alike.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    /// The client subnets holding its addresses, by name in server order (empty: none does).
    pub client_subnets: Vec<String>,
    /// Its addresses as CIDR blocks, lowest first.
    pub blocks: Vec<IpNet>,
    /// A free host of the region for its sample client; None when no client can sit there.
    pub sample: Option<IpAddr>,
}

impl Region {
    /// The blocks as the report shows a range: `10.80.2.0/24`, or several joined by `, `.
    pub fn range(&self) -> String {
        self.blocks.iter().map(IpNet::to_string).collect::<Vec<_>>().join(", ")
    }

    pub fn contains(&self, address: IpAddr) -> bool {
        self.blocks.iter().any(|b| b.contains(&address))
    }
}

/// An address as a number, with its family's width in bits.
fn number(ip: IpAddr) -> (u128, u8) {
    match ip {
        IpAddr::V4(v4) => (u128::from(u32::from(v4)), 32),
        IpAddr::V6(v6) => (u128::from(v6), 128),
    }
}

fn address(n: u128, bits: u8) -> IpAddr {
    if bits == 32 {
        IpAddr::V4(Ipv4Addr::from(n as u32))
    } else {
        IpAddr::V6(Ipv6Addr::from(n))
    }
}

/// The first and last address of a network, as numbers.
fn span(net: &IpNet) -> (u128, u128) {
    (number(net.network()).0, number(net.broadcast()).0)
}

/// The fewest CIDR blocks that cover `first..=last` exactly.
fn blocks(mut first: u128, last: u128, bits: u8) -> Vec<IpNet> {
    let mut out = Vec::new();
    loop {
        // The largest block aligned at `first` that does not pass `last`.
        let mut size_bits = first.trailing_zeros().min(u32::from(bits));
        while size_bits > 0 {
            let end = first.checked_add((1u128 << size_bits) - 1);
            if end.is_some_and(|e| e <= last) {
                break;
            }
            size_bits -= 1;
        }
        let prefix = bits - size_bits as u8;
        out.push(IpNet::new(address(first, bits), prefix).expect("a prefix within the family"));
        let end = first + if size_bits == 0 { 0 } else { (1u128 << size_bits) - 1 };
        if end >= last {
            return out;
        }
        first = end + 1;
    }
}

/// Whether a client can have `ip` in `place`: not the network or broadcast address of an IPv4
/// subnet of /30 or larger, not the subnet-router anycast address of an IPv6 one.
fn is_host(place: &IpNet, ip: IpAddr) -> bool {
    let (first, last) = span(place);
    let (n, bits) = number(ip);
    let host_bits = bits - place.prefix_len();
    match (bits, host_bits) {
        (32, h) if h >= 2 => n != first && n != last,
        (128, h) if h >= 1 => n != first,
        _ => true,
    }
}

/// The regions of `place`, lowest address first. Addresses in `taken` (appliances, gateways)
/// never hold a sample; the place's last host is kept for the lab host's own leg on container
/// networks unless it is the region's only free host.
pub fn regions(place: IpNet, client_subnets: &[NamedPrefixes], taken: &HashSet<IpAddr>) -> Vec<Region> {
    let place = place.trunc();
    let (first, last) = span(&place);
    let bits = number(place.addr()).1;
    let same_family = |net: &&IpNet| number(net.addr()).1 == bits;
    // Every address where membership can change: a prefix's start, and the address after its end.
    let mut cuts: Vec<u128> = vec![first];
    for subnet in client_subnets {
        for net in subnet.prefixes.iter().filter(same_family) {
            let (a, b) = span(net);
            if b < first || a > last {
                continue;
            }
            cuts.push(a.max(first));
            if b < last {
                cuts.push(b + 1);
            }
        }
    }
    cuts.sort_unstable();
    cuts.dedup();
    let holders = |n: u128| -> Vec<String> {
        let ip = address(n, bits);
        client_subnets.iter().filter(|s| s.prefixes.iter().any(|p| p.contains(&ip))).map(|s| s.name.clone()).collect()
    };
    // Each class of holders, with its spans of addresses (first, last).
    type Spans = Vec<(u128, u128)>;
    let mut regions: Vec<(Vec<String>, Spans)> = Vec::new();
    for (i, start) in cuts.iter().enumerate() {
        let end = cuts.get(i + 1).map(|next| next - 1).unwrap_or(last);
        let names = holders(*start);
        match regions.iter_mut().find(|(n, _)| *n == names) {
            Some((_, spans)) => spans.push((*start, end)),
            None => regions.push((names, vec![(*start, end)])),
        }
    }
    let last_host = place.hosts().next_back();
    regions
        .into_iter()
        .map(|(names, spans)| {
            let free = |n: u128| {
                let ip = address(n, bits);
                (is_host(&place, ip) && !taken.contains(&ip)).then_some(ip)
            };
            // From the top down, as a site's first client has always sat.
            let search = |skip_last: bool| {
                spans.iter().rev().find_map(|(a, b)| {
                    (*a..=*b)
                        .rev()
                        .take(taken.len() + 4)
                        .filter_map(free)
                        .find(|ip| !skip_last || Some(*ip) != last_host)
                })
            };
            let sample = search(true).or_else(|| search(false));
            let cut: Vec<IpNet> = spans.iter().flat_map(|(a, b)| blocks(*a, *b, bits)).collect();
            // Neighbouring spans (a cut no client subnet's membership changes at) join again.
            let blocks = IpNet::aggregate(&cut);
            Region { client_subnets: names, blocks, sample }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn net(s: &str) -> IpNet {
        s.parse().unwrap()
    }

    fn named(name: &str, prefixes: &[&str]) -> NamedPrefixes {
        NamedPrefixes { name: name.into(), prefixes: prefixes.iter().map(|p| net(p)).collect() }
    }

    #[test]
    fn a_half_covered_23_is_two_regions_each_with_its_own_sample() {
        let taken: HashSet<IpAddr> = ["10.80.2.1", "10.80.2.10"].iter().map(|s| s.parse().unwrap()).collect();
        let got = regions(net("10.80.2.0/23"), &[named("Mumbai", &["10.80.3.0/24"])], &taken);
        assert_eq!(got.len(), 2, "{got:?}");
        assert_eq!((got[0].range(), got[0].client_subnets.clone()), ("10.80.2.0/24".into(), vec![]));
        assert_eq!(got[0].sample, Some("10.80.2.255".parse().unwrap()), "a /23 has no broadcast at .2.255");
        assert_eq!((got[1].range(), got[1].client_subnets.clone()), ("10.80.3.0/24".into(), vec!["Mumbai".into()]));
        assert_eq!(got[1].sample, Some("10.80.3.253".parse().unwrap()), "the last host stays the lab host's");
    }

    #[test]
    fn a_uniform_subnet_is_one_region_however_its_client_subnets_are_cut() {
        let got = regions(
            net("10.1.0.0/24"),
            &[named("Wide", &["10.0.0.0/8"]), named("Two", &["10.1.0.0/25", "10.1.0.128/25"])],
            &HashSet::new(),
        );
        assert_eq!(got.len(), 1, "both halves are in Wide and in Two: {got:?}");
        assert_eq!(got[0].range(), "10.1.0.0/24");
        let got = regions(net("10.1.0.0/24"), &[named("Wide", &["10.0.0.0/8"])], &HashSet::new());
        assert_eq!((got.len(), got[0].range()), (1, "10.1.0.0/24".to_string()));
    }

    #[test]
    fn unaligned_spans_are_written_as_few_blocks() {
        let got = blocks(number("10.0.0.3".parse().unwrap()).0, number("10.0.0.17".parse().unwrap()).0, 32);
        let text: Vec<String> = got.iter().map(IpNet::to_string).collect();
        assert_eq!(text, ["10.0.0.3/32", "10.0.0.4/30", "10.0.0.8/29", "10.0.0.16/31"]);
    }

    #[test]
    fn a_region_of_only_taken_addresses_has_no_sample() {
        let taken: HashSet<IpAddr> = ["10.2.0.5"].iter().map(|s| s.parse().unwrap()).collect();
        let got = regions(net("10.2.0.0/29"), &[named("Box", &["10.2.0.5/32"])], &taken);
        let boxed = got.iter().find(|r| !r.client_subnets.is_empty()).unwrap();
        assert_eq!((boxed.range(), boxed.sample), ("10.2.0.5/32".to_string(), None));
    }

    #[test]
    fn ipv6_places_split_too() {
        let got = regions(net("2001:db8:1::/64"), &[named("Half", &["2001:db8:1::/65"])], &HashSet::new());
        assert_eq!(got.iter().map(Region::range).collect::<Vec<_>>(), ["2001:db8:1::/65", "2001:db8:1:0:8000::/65"]);
    }
}
