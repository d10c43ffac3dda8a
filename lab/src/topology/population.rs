//! The clients a subnet holds, as the plan declares them: how many users run which client, and
//! which subnets are VPN pools. The Plan page supports media bypass only for the Skype for
//! Business 2016 Windows client from a documented build, and on a VPN only with split
//! tunnelling, so a plan that says "60 Mac users, 40 on Lync 2013" can be told what share of
//! its users will bypass (docs/design/rollout.md, "Client populations").

use crate::client::{ClientKind, ClientVersion, Platform, Vpn, MINIMUM_VERSION};
use ipnet::IpNet;
use serde::{Deserialize, Serialize};

/// `[[site.population]]` or `[[outside.population]]`: users of one kind of client in one subnet.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// How the verdict names it (`Mac`, `Lync 2013`); derived from the client when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The subnet it lives in: one of its site's (or the outside) subnets; may be left out when
    /// there is only one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subnet: Option<IpNet>,
    /// How many users it holds: what the site's share of bypassing users is counted in.
    pub users: u32,
    /// `windows` (default) or `mac`.
    #[serde(default)]
    pub platform: Platform,
    /// The client build (`16.0.7870.2020`; Lync 2013 is `15.0...`); by default the Plan page's
    /// first supported build.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<ClientVersion>,
}

/// `[[site.vpn_pool]]`: one of the site's subnets that VPN clients get their addresses from.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct VpnPool {
    pub subnet: IpNet,
    /// `split` or `full`: with a full tunnel, media bypass is not supported.
    pub tunnel: Vpn,
}

impl Population {
    /// The client build its users sign in with.
    pub fn version(&self) -> ClientVersion {
        self.version.unwrap_or(MINIMUM_VERSION)
    }

    /// What its users sign in as, in a subnet whose VPN tunnel (if it is a pool) is `tunnel`.
    pub fn kind(&self, tunnel: Option<Vpn>) -> ClientKind {
        ClientKind { version: self.version(), vpn: tunnel, platform: self.platform }
    }

    /// Its name: the plan's, else the client's (`Mac`, `Lync 2013`, `Skype for Business 2016
    /// 16.0.6741.2048`, `Skype for Business 2016`), with `on full-tunnel VPN` or `on
    /// split-tunnel VPN` in a pool.
    pub fn label(&self, tunnel: Option<Vpn>) -> String {
        if let Some(name) = self.name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            return name.to_string();
        }
        let version = self.version();
        let client = match (self.platform, version.0[0]) {
            (Platform::Mac, _) => "Mac".to_string(),
            (_, 15) => "Lync 2013".to_string(),
            (_, major) if major < 15 => format!("client {version}"),
            _ if version.supports_bypass() => "Skype for Business 2016".to_string(),
            _ => format!("Skype for Business 2016 {version}"),
        };
        match tunnel {
            Some(Vpn::Full) => format!("{client} on full-tunnel VPN"),
            Some(Vpn::Split) => format!("{client} on split-tunnel VPN"),
            None => client,
        }
    }
}

/// The checks of one place's populations and pools: `here` names the site (`site Seattle`) or
/// `[outside]`, `subnets` its subnets.
pub(super) fn check(
    here: &str,
    subnets: &[IpNet],
    populations: &[Population],
    pools: &[VpnPool],
) -> Result<(), String> {
    let listed = || subnets.iter().map(IpNet::to_string).collect::<Vec<_>>().join(", ");
    let mut seen_pools: Vec<IpNet> = vec![];
    for pool in pools {
        if !subnets.contains(&pool.subnet) {
            return Err(format!(
                "{here}, vpn_pool {}: subnet is not one of the site's subnets ({}); list the pool in subnets too",
                pool.subnet,
                listed()
            ));
        }
        if seen_pools.contains(&pool.subnet) {
            return Err(format!("{here}, vpn_pool {}: the subnet is declared as a pool twice", pool.subnet));
        }
        seen_pools.push(pool.subnet);
    }
    let mut names: Vec<(IpNet, String)> = vec![];
    for (i, p) in populations.iter().enumerate() {
        let who = match &p.name {
            Some(name) => format!("{here}, population {} ({name})", i + 1),
            None => format!("{here}, population {}", i + 1),
        };
        if p.name.as_deref().is_some_and(|n| n.trim().is_empty()) {
            return Err(format!("{who}: name is empty; leave it out to name the population after its client"));
        }
        let subnet = match p.subnet {
            Some(net) if subnets.contains(&net) => net,
            Some(net) => return Err(format!("{who}: subnet {net} is not one of its subnets ({})", listed())),
            None if subnets.len() == 1 => subnets[0],
            None => return Err(format!("{who}: subnet is required where there are several subnets ({})", listed())),
        };
        if p.users == 0 {
            return Err(format!("{who}: users must be at least 1 (how many users the population holds)"));
        }
        let tunnel = pools.iter().find(|pool| pool.subnet == subnet).map(|pool| pool.tunnel);
        let label = p.label(tunnel);
        if names.iter().any(|(n, l)| *n == subnet && l.eq_ignore_ascii_case(&label)) {
            return Err(format!(
                "{who}: subnet {subnet} already holds a population named '{label}'; give each its own name"
            ));
        }
        names.push((subnet, label));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn population(platform: Platform, version: &str) -> Population {
        Population {
            name: None,
            subnet: None,
            users: 1,
            platform,
            version: Some(ClientVersion::parse(version).unwrap()),
        }
    }

    #[test]
    fn a_population_is_named_after_its_client() {
        assert_eq!(population(Platform::Mac, "16.0.8201.2102").label(None), "Mac");
        assert_eq!(population(Platform::Windows, "15.0.4937.1000").label(None), "Lync 2013");
        assert_eq!(
            population(Platform::Windows, "16.0.6741.2048").label(None),
            "Skype for Business 2016 16.0.6741.2048"
        );
        assert_eq!(population(Platform::Windows, "16.0.8201.2102").label(None), "Skype for Business 2016");
        assert_eq!(
            population(Platform::Windows, "16.0.8201.2102").label(Some(Vpn::Full)),
            "Skype for Business 2016 on full-tunnel VPN"
        );
        let named = Population { name: Some("Finance".into()), ..population(Platform::Mac, "16.0") };
        assert_eq!(named.label(Some(Vpn::Split)), "Finance");
    }
}
