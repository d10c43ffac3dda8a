//! The sample clients a rehearsal places: one in every subnet of every site and one in every
//! outside subnet, so a verdict exists for each place a user can sit.

use crate::client::OUTSIDE;
use crate::topology::Topology;
use ipnet::IpNet;
use std::net::IpAddr;

/// One sample client and where it sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SampleClient {
    /// A site name, or `outside`.
    pub site: String,
    pub subnet: IpNet,
    /// Readable and unique: the site's name in lower case and the subnet's number in it
    /// (`amsterdam-1`, `outside-1`).
    pub user: String,
    pub address: IpAddr,
}

impl SampleClient {
    pub fn is_outside(&self) -> bool {
        self.site == OUTSIDE
    }
}

/// A site's name as part of a user name: lower case, anything but letters and digits as `-`.
fn user_stem(site: &str) -> String {
    let stem: String =
        site.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    let stem = stem.trim_matches('-').to_string();
    if stem.is_empty() {
        "site".into()
    } else {
        stem
    }
}

/// A host of `subnet` that is none of `taken`: from the top down, skipping the subnet's last
/// host (the lab host's own leg on container networks). Small subnets fall back to any free host.
fn free_host(subnet: &IpNet, taken: &[IpAddr]) -> Option<IpAddr> {
    let last = subnet.hosts().next_back();
    subnet
        .hosts()
        .rev()
        .take(4096)
        .find(|h| Some(*h) != last && !taken.contains(h))
        .or_else(|| subnet.hosts().take(4096).find(|h| !taken.contains(h)))
}

/// Every sample client of `topology`, sites in file order, then outside.
pub fn samples(topology: &Topology) -> Vec<SampleClient> {
    let mut out = Vec::new();
    let gateways: Vec<IpAddr> = topology.sites.iter().map(|s| s.gateway).collect();
    let appliances: Vec<IpAddr> = topology.appliances().map(|(_, a)| a.address).collect();
    let taken: Vec<IpAddr> = gateways.into_iter().chain(appliances).collect();
    let mut stems: Vec<String> = Vec::new();
    for site in &topology.sites {
        let mut stem = user_stem(&site.name);
        if stems.contains(&stem) || stem == OUTSIDE {
            stem = format!("{stem}-site{}", stems.len() + 1);
        }
        stems.push(stem.clone());
        for (i, subnet) in site.subnets.iter().enumerate() {
            if let Some(address) = free_host(subnet, &taken) {
                out.push(SampleClient {
                    site: site.name.clone(),
                    subnet: *subnet,
                    user: format!("{stem}-{}", i + 1),
                    address,
                });
            }
        }
    }
    for (i, subnet) in topology.outside.subnets.iter().enumerate() {
        let address = subnet.hosts().nth(99).or_else(|| subnet.hosts().next());
        if let Some(address) = address {
            out.push(SampleClient {
                site: OUTSIDE.into(),
                subnet: *subnet,
                user: format!("{OUTSIDE}-{}", i + 1),
                address,
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAN: &str = r#"
[tenant]
domain = "example.org"
sip_domains = ["example.org"]
service_name = "bypass.example.org"

[[site]]
name = "New York"
subnets = ["10.1.0.0/24", "10.1.8.0/29"]
gateway = "10.1.0.1"
[[site.appliance]]
name = "ny1"
address = "10.1.0.253"

[[site]]
name = "Lima"
subnets = ["10.2.0.0/29"]
gateway = "10.2.0.1"
[[site.appliance]]
name = "li1"
address = "10.2.0.5"

[outside]
subnets = ["198.18.0.0/24", "198.18.1.0/28"]
"#;

    #[test]
    fn one_client_per_subnet_on_a_free_host_with_a_readable_name() {
        let t = Topology::parse(PLAN, None).unwrap();
        let got: Vec<(String, String, String, String)> = samples(&t)
            .iter()
            .map(|c| (c.site.clone(), c.subnet.to_string(), c.user.clone(), c.address.to_string()))
            .collect();
        let want: Vec<(String, String, String, String)> = [
            ("New York", "10.1.0.0/24", "new-york-1", "10.1.0.252"),
            ("New York", "10.1.8.0/29", "new-york-2", "10.1.8.5"),
            ("Lima", "10.2.0.0/29", "lima-1", "10.2.0.4"),
            ("outside", "198.18.0.0/24", "outside-1", "198.18.0.100"),
            ("outside", "198.18.1.0/28", "outside-2", "198.18.1.1"),
        ]
        .iter()
        .map(|(a, b, c, d)| (a.to_string(), b.to_string(), c.to_string(), d.to_string()))
        .collect();
        assert_eq!(got, want);
    }
}
