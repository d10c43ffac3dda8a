//! The regions a rehearsal judges, against a brute-force look at every address: for random
//! places and client-subnet layouts (prefixes that split, cover, overlap or miss the place), the
//! regions are exactly the classes of addresses that the same client subnets hold, and every
//! class that a client can sit in gets a sample inside it.

use bypass_lab::rollout::region::{regions, NamedPrefixes};
use ipnet::{IpNet, Ipv4Net};
use proptest::prelude::*;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::net::{IpAddr, Ipv4Addr};

/// A place of /26 to /30 inside 10.9.0.0/22, so client subnets drawn nearby hit it often.
fn place() -> impl Strategy<Value = Ipv4Net> {
    (26u8..=30, 0u32..1024).prop_map(|(prefix, offset)| {
        Ipv4Net::new(Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 9, 0, 0)) + offset), prefix).unwrap().trunc()
    })
}

/// Up to five client subnets of one to three prefixes from /20 to /32 around 10.9.0.0/22.
fn layout() -> impl Strategy<Value = Vec<Vec<Ipv4Net>>> {
    let prefix = (20u8..=32, 0u32..1024).prop_map(|(len, offset)| {
        Ipv4Net::new(Ipv4Addr::from(u32::from(Ipv4Addr::new(10, 9, 0, 0)) + offset), len).unwrap().trunc()
    });
    prop::collection::vec(prop::collection::vec(prefix, 1..=3), 0..=5)
}

fn hosts_of(place: Ipv4Net) -> Vec<Ipv4Addr> {
    let (first, last) = (u32::from(place.network()), u32::from(place.broadcast()));
    (first..=last).map(Ipv4Addr::from).collect()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn regions_match_every_address(place in place(), layout in layout(), taken_picks in prop::collection::vec(0usize..64, 0..4)) {
        let subnets: Vec<NamedPrefixes> = layout
            .iter()
            .enumerate()
            .map(|(i, prefixes)| NamedPrefixes { name: format!("S{i}"), prefixes: prefixes.iter().map(|p| IpNet::V4(*p)).collect() })
            .collect();
        let every = hosts_of(place);
        let taken: HashSet<IpAddr> = taken_picks.iter().map(|i| IpAddr::V4(every[i % every.len()])).collect();
        let got = regions(IpNet::V4(place), &subnets, &taken);

        // Brute force: each address's holders.
        let holders = |ip: Ipv4Addr| -> Vec<String> {
            subnets.iter().filter(|s| s.prefixes.iter().any(|p| p.contains(&IpAddr::V4(ip)))).map(|s| s.name.clone()).collect()
        };
        let mut classes: BTreeMap<Vec<String>, BTreeSet<Ipv4Addr>> = BTreeMap::new();
        for ip in &every {
            classes.entry(holders(*ip)).or_default().insert(*ip);
        }
        // One region per class, holding exactly that class's addresses.
        prop_assert_eq!(got.len(), classes.len(), "{:?}", got);
        for region in &got {
            let addresses: BTreeSet<Ipv4Addr> = every.iter().copied().filter(|ip| region.contains(IpAddr::V4(*ip))).collect();
            prop_assert_eq!(Some(&addresses), classes.get(&region.client_subnets), "region {}", region.range());
            let size: u128 = region.blocks.iter().map(|b| 1u128 << (32 - b.prefix_len())).sum();
            prop_assert_eq!(size, addresses.len() as u128, "blocks of {} overlap or stray", region.range());
        }
        // A class with a free host is judged, from inside itself.
        let usable = |ip: &Ipv4Addr| {
            let edge = place.prefix_len() <= 30 && (*ip == place.network() || *ip == place.broadcast());
            !edge && !taken.contains(&IpAddr::V4(*ip))
        };
        for region in &got {
            let can_hold = classes[&region.client_subnets].iter().any(usable);
            prop_assert_eq!(region.sample.is_some(), can_hold, "region {}", region.range());
            if let Some(IpAddr::V4(sample)) = region.sample {
                prop_assert!(region.contains(IpAddr::V4(sample)) && usable(&sample), "sample {} of {}", sample, region.range());
            }
        }
    }
}
