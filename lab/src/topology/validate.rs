//! The checks a plan must pass before a lab starts: each names the file and the offending part.

use super::model::Topology;
use std::collections::HashMap;

/// CCE's documented limits.
pub const MAX_APPLIANCES_PER_SITE: usize = 16;
pub const MAX_SITES: usize = 200;

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TopologyError {
    #[error("{file}: cannot read it: {reason}")]
    Read { file: String, reason: String },
    #[error("{file}: not a valid topology: {reason}")]
    Syntax { file: String, reason: String },
    #[error("{file}: {problem}")]
    Invalid { file: String, problem: String },
}

impl Topology {
    /// Returns the first problem found, in words that name the site or appliance.
    pub(super) fn validate(&self) -> Result<(), String> {
        let t = &self.tenant;
        if t.domain.trim().is_empty() {
            return Err("[tenant] domain is empty".into());
        }
        if t.sip_domains.is_empty() {
            return Err(
                "[tenant] sip_domains is empty: at least one SIP domain must be registered for hybrid voice".into()
            );
        }
        if !in_sip_domains(&t.service_name, &t.sip_domains) {
            return Err(format!(
                "[tenant] service_name '{}' is not in a SIP domain registered for hybrid voice ({})",
                t.service_name,
                t.sip_domains.join(", ")
            ));
        }
        if t.replication_window.is_zero() {
            return Err("[tenant] replication_window must be longer than zero".into());
        }
        if self.sites.is_empty() {
            return Err("the topology has no [[site]]".into());
        }
        if self.sites.len() > MAX_SITES {
            return Err(format!("{} sites: Cloud Connector supports at most {MAX_SITES} PSTN sites", self.sites.len()));
        }
        let mut site_names = HashMap::new();
        let mut names: HashMap<String, String> = HashMap::new();
        let mut addresses: HashMap<std::net::IpAddr, String> = HashMap::new();
        let mut subnets: Vec<(ipnet::IpNet, String)> = Vec::new();
        let mut identities: HashMap<uuid::Uuid, String> = HashMap::new();
        for net in &self.outside.subnets {
            host_bits(net, "[outside]")?;
            subnets.push((*net, "[outside]".into()));
        }
        for site in &self.sites {
            let here = format!("site {}", site.name);
            if site.name.trim().is_empty() {
                return Err("a [[site]] has an empty name".into());
            }
            if site_names.insert(site.name.to_ascii_lowercase(), ()).is_some() {
                return Err(format!("{here}: the site name is used twice"));
            }
            if site.subnets.is_empty() {
                return Err(format!("{here}: no subnets"));
            }
            for net in &site.subnets {
                host_bits(net, &here)?;
                if let Some((_, other)) = subnets.iter().find(|(n, _)| n.contains(net) || net.contains(n)) {
                    return Err(format!("{here}: subnet {net} overlaps {other}"));
                }
                subnets.push((*net, here.clone()));
            }
            if !site.subnets.iter().any(|n| n.contains(&site.gateway)) {
                return Err(format!("{here}: gateway {} is outside the site's subnets", site.gateway));
            }
            not_a_host(&site.subnets, site.gateway, &format!("{here}: gateway"))?;
            claim(&mut addresses, site.gateway, format!("the gateway of {here}"))?;
            if site.appliances.len() > MAX_APPLIANCES_PER_SITE {
                return Err(format!(
                    "{here}: {} appliances: Cloud Connector supports at most {MAX_APPLIANCES_PER_SITE} per site",
                    site.appliances.len()
                ));
            }
            for a in &site.appliances {
                let who = format!("{here}, appliance {}", a.name);
                if a.name.trim().is_empty() || !a.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
                    return Err(format!("{who}: a name is letters, digits and '-' only"));
                }
                if let Some(first) = names.insert(a.name.to_ascii_lowercase(), who.clone()) {
                    return Err(format!("{who}: the name is already used by {first}"));
                }
                if !site.subnets.iter().any(|n| n.contains(&a.address)) {
                    return Err(format!(
                        "{who}: address {} is outside the site's subnets ({})",
                        a.address,
                        site.subnets.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
                    ));
                }
                if let Some(id) = a.identity {
                    if let Some(other) = identities.insert(id, who.clone()) {
                        return Err(format!("{who}: identity {id} is already {other}'s"));
                    }
                }
                not_a_host(&site.subnets, a.address, &format!("{who}: address"))?;
                claim(&mut addresses, a.address, who)?;
            }
            room_for_a_client(site, &here)?;
        }
        super::population::check("[outside]", &self.outside.subnets, &self.outside.populations, &[])?;
        for site in &self.sites {
            let here = format!("site {}", site.name);
            super::population::check(&here, &site.subnets, &site.populations, &site.vpn_pools)?;
        }
        for site in &self.sites {
            for other in &site.failover {
                if self.site(other).is_none_or(|o| o.name.eq_ignore_ascii_case(&site.name)) {
                    return Err(format!("site {}: failover names no other site of the plan ({other})", site.name));
                }
            }
            let Some(serving) = &site.served_by else { continue };
            let here = format!("site {}", site.name);
            let Some(by) = self.site(serving) else {
                return Err(format!("{here}: served_by names no site of the plan ({serving})"));
            };
            if by.name.eq_ignore_ascii_case(&site.name) || by.appliances.is_empty() || by.served_by.is_some() {
                return Err(format!(
                    "{here}: served_by must name another site with appliances of its own ({} has none)",
                    by.name
                ));
            }
            if !site.appliances.is_empty() {
                return Err(format!("{here}: a site served_by {} has no appliances of its own", by.name));
            }
        }
        let mut servers = HashMap::new();
        let mut served: HashMap<String, String> = HashMap::new();
        for d in &self.dns_servers {
            let who = format!("dns_server {}", d.name);
            if d.name.trim().is_empty() || !d.name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.') {
                return Err("a [[dns_server]] name is letters, digits, '-' and '.' only".into());
            }
            if servers.insert(d.name.to_ascii_lowercase(), ()).is_some() {
                return Err(format!("{who}: the name is used twice"));
            }
            claim(&mut addresses, d.address, who.clone())?;
            for site in &d.sites {
                if self.site(site).is_none() {
                    return Err(format!("{who}: there is no site {site}"));
                }
                if let Some(first) = served.insert(site.to_ascii_lowercase(), who.clone()) {
                    return Err(format!("{who}: site {site} is already served by {first}"));
                }
            }
        }
        for site in self.sites.iter().filter(|s| s.dns_via.is_some()) {
            let (here, via) = (format!("site {}", site.name), site.dns_via.expect("filtered"));
            if via.is_unspecified() || via.is_multicast() {
                return Err(format!("{here}: dns_via {via} is not a host address"));
            }
            if let Some(who) = addresses.get(&via) {
                return Err(format!(
                    "{here}: dns_via {via} is already used by {who}; dns_via is the address of a forwarder that is none of the plan's appliances, gateways or DNS servers (a [[dns_server]] forwards with Add-DnsServerForwarder instead)"
                ));
            }
        }
        match (&self.admin.site, self.admin.address) {
            (Some(_), Some(_)) => {
                return Err("[admin]: give the workstation's site or its address, not both".into());
            }
            (Some(site), None) if self.site(site).is_none() => {
                return Err(format!(
                    "[admin] site: there is no site {site} (sites: {})",
                    self.sites.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
                ));
            }
            (None, Some(address)) if self.site_of(address).is_none() && !self.is_outside(address) => {
                return Err(format!(
                    "[admin] address {address} is in no subnet of the plan: the workstation must sit in a site's or an outside subnet"
                ));
            }
            (None, Some(address)) if addresses.contains_key(&address) => {
                return Err(format!("[admin] address {address} is already {}", addresses[&address]));
            }
            _ => {}
        }
        if self.tenant.ad_replication_delay.is_zero() && self.dns_servers.len() > 1 {
            return Err("[tenant] ad_replication_delay must be longer than zero".into());
        }
        self.check_dns_names()?;
        self.check_generated_names()?;
        self.check_users()?;
        Ok(())
    }

    /// `[tenant] users`: user names a client can sign in with, in the tenant's own domains,
    /// each once (the tenant keys a user by its name: `alice` and `alice@adatum.biz` are one).
    fn check_users(&self) -> Result<(), String> {
        let t = &self.tenant;
        let mut domains: Vec<&str> = vec![&t.domain];
        for d in &t.sip_domains {
            if !domains.iter().any(|o| o.eq_ignore_ascii_case(d)) {
                domains.push(d);
            }
        }
        let mut seen: HashMap<String, &str> = HashMap::new();
        for written in &t.users {
            let (user, domain) = written.trim().split_once('@').unwrap_or((written.trim(), ""));
            if user.is_empty() || !user.chars().all(|c| c.is_ascii_alphanumeric() || "._+-".contains(c)) {
                return Err(format!(
                    "[tenant] users: '{written}' is not a user name (letters, digits, '.', '_', '+' and '-', optionally @domain)"
                ));
            }
            if !domain.is_empty() && !domains.iter().any(|d| d.eq_ignore_ascii_case(domain)) {
                return Err(format!(
                    "[tenant] users: '{written}' is not in the tenant's domains ({})",
                    domains.join(", ")
                ));
            }
            if let Some(first) = seen.insert(user.to_ascii_lowercase(), written) {
                return Err(format!("[tenant] users: '{written}' is the same user as '{first}'"));
            }
        }
        Ok(())
    }
}

/// A subnet written with host bits (`192.168.61.5/24`) is refused rather than normalised (lab
/// choice, docs/design/topology.md): the plan is what the admin will type into
/// `Add-DnsServerClientSubnet`, and a silent rewrite would hide the slip.
fn host_bits(net: &ipnet::IpNet, here: &str) -> Result<(), String> {
    if net.addr() == net.network() {
        return Ok(());
    }
    Err(format!("{here}: subnet {net} has host bits set; write it as {}", net.trunc()))
}

/// An address that is its subnet's network or broadcast address is no host's (IPv4 subnets of
/// up to /30; a /31 or /32 has no such addresses).
fn not_a_host(subnets: &[ipnet::IpNet], address: std::net::IpAddr, what: &str) -> Result<(), String> {
    let Some(ipnet::IpNet::V4(net)) = subnets.iter().find(|n| n.contains(&address)) else { return Ok(()) };
    if net.prefix_len() > 30 {
        return Ok(());
    }
    let role = if address == std::net::IpAddr::V4(net.network()) {
        "network"
    } else if address == std::net::IpAddr::V4(net.broadcast()) {
        "broadcast"
    } else {
        return Ok(());
    };
    Err(format!("{what} {address} is the {role} address of {net}, not a host's"))
}

/// Every site subnet keeps at least one address for a client, so the rehearsal has somewhere to
/// judge it from (lab choice, docs/design/topology.md): a subnet whose every host is the gateway
/// or an appliance would otherwise be left out of the verdict without a word.
fn room_for_a_client(site: &super::model::Site, here: &str) -> Result<(), String> {
    let used: Vec<std::net::IpAddr> = std::iter::once(site.gateway)
        .chain(site.gateways.iter().copied())
        .chain(site.appliances.iter().map(|a| a.address))
        .collect();
    for net in &site.subnets {
        let hosts: u128 = match net {
            ipnet::IpNet::V4(n) if n.prefix_len() <= 30 => (1u128 << (32 - n.prefix_len())) - 2,
            ipnet::IpNet::V4(n) => 1u128 << (32 - n.prefix_len()),
            ipnet::IpNet::V6(n) => 1u128.checked_shl(128 - u32::from(n.prefix_len())).unwrap_or(u128::MAX),
        };
        let taken = used.iter().filter(|a| net.contains(*a)).collect::<std::collections::HashSet<_>>().len() as u128;
        if taken >= hosts {
            return Err(format!(
                "{here}: subnet {net} leaves no address for a client (its {hosts} host{} the gateway and \
                 appliances): give it a shorter prefix, or move an appliance",
                if hosts == 1 { " is" } else { "s are" }
            ));
        }
    }
    Ok(())
}

fn claim(
    addresses: &mut HashMap<std::net::IpAddr, String>,
    address: std::net::IpAddr,
    who: String,
) -> Result<(), String> {
    match addresses.get(&address) {
        Some(first) => Err(format!("{who}: address {address} is already used by {first}")),
        None => {
            addresses.insert(address, who);
            Ok(())
        }
    }
}

/// Whether `host` is one of the SIP domains or a name under one (case-insensitive).
pub fn in_sip_domains(host: &str, sip_domains: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    sip_domains.iter().any(|d| {
        let d = d.trim_end_matches('.').to_ascii_lowercase();
        host == d || host.ends_with(&format!(".{d}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::SEED_TOML;

    fn invalid(edit: impl Fn(&str) -> String) -> String {
        match Topology::parse(&edit(SEED_TOML), Some(std::path::Path::new("plan.toml"))) {
            Err(TopologyError::Invalid { file, problem }) => {
                assert_eq!(file, "plan.toml");
                problem
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn the_seed_is_valid_and_complete() {
        let t = Topology::seed();
        assert_eq!(t.tenant.service_name, "hybridvoice.adatum.biz");
        assert_eq!(t.sites.len(), 2);
        assert_eq!(t.appliances().count(), 7);
        assert_eq!(t.fqdn(t.find_appliance("sea-cce1").unwrap().1), "sea-cce1.adatum.biz");
        assert_eq!(t.find_appliance("192.168.1.47").unwrap().1.name, "ams-cce3");
        assert_eq!(t.site_of("10.10.1.77".parse().unwrap()).unwrap().name, "Seattle");
    }

    #[test]
    fn the_admin_workstation_sits_where_the_plan_says_and_nowhere_else() {
        let seed = Topology::seed();
        assert_eq!(seed.admin_workstation(), Some(("Amsterdam".into(), "192.168.1.1".parse().unwrap())));
        let at = |extra: &str| Topology::parse(&format!("{SEED_TOML}\n[admin]\n{extra}\n"), None);
        assert_eq!(
            at("site = \"seattle\"").unwrap().admin_workstation(),
            Some(("Seattle".into(), "10.10.1.2".parse().unwrap()))
        );
        assert_eq!(
            at("address = \"203.0.113.7\"").unwrap().admin_workstation(),
            Some(("outside".into(), "203.0.113.7".parse().unwrap()))
        );
        for (extra, says) in [
            ("site = \"Oslo\"", "[admin] site: there is no site Oslo"),
            ("address = \"10.99.0.1\"", "[admin] address 10.99.0.1 is in no subnet of the plan"),
            ("address = \"10.10.1.8\"", "[admin] address 10.10.1.8 is already site Seattle, appliance sea-cce1"),
            ("site = \"Seattle\"\naddress = \"10.10.1.7\"", "not both"),
        ] {
            let err = at(extra).unwrap_err().to_string();
            assert!(err.contains(says), "{extra}: {err}");
        }
    }

    #[test]
    fn a_branch_is_served_by_a_site_with_appliances() {
        let branch = "\n[[site]]\nname = \"Perth\"\nsubnets = [\"10.50.0.0/24\"]\ngateway = \"10.50.0.1\"\n";
        let ok = Topology::parse(&format!("{SEED_TOML}{branch}served_by = \"seattle\"\n"), None).unwrap();
        assert_eq!(ok.serving_site("Perth"), "Seattle");
        assert_eq!(ok.serving_site("Amsterdam"), "Amsterdam");
        let err = Topology::parse(&format!("{SEED_TOML}{branch}served_by = \"Oslo\"\n"), None).unwrap_err();
        assert!(err.to_string().contains("site Perth: served_by names no site of the plan (Oslo)"), "{err}");
        let err = Topology::parse(&format!("{SEED_TOML}{branch}served_by = \"Perth\"\n"), None).unwrap_err();
        assert!(err.to_string().contains("served_by must name another site with appliances"), "{err}");
    }

    /// A plan's populations, VPN pools and forwarders are refused with the field at fault.
    #[test]
    fn populations_pools_and_forwarders_name_the_field_at_fault() {
        let seattle = "subnets = [\"10.10.1.0/24\"]";
        // Inserted into Seattle's own table, before its appliances.
        let with = |extra: &str| {
            let two = SEED_TOML.replace(seattle, "subnets = [\"10.10.1.0/24\", \"10.10.8.0/24\"]");
            let gateway = "gateway = \"10.10.1.1\"\n";
            assert!(two.contains(gateway));
            Topology::parse(&two.replace(gateway, &format!("{gateway}{}\n", extra.trim_start_matches('\n'))), None)
        };
        let ok = with("\n[[site.population]]\nname = \"Mac\"\nsubnet = \"10.10.1.0/24\"\nusers = 40\nplatform = \"mac\"\n[[site.population]]\nsubnet = \"10.10.8.0/24\"\nusers = 10\n[[site.vpn_pool]]\nsubnet = \"10.10.8.0/24\"\ntunnel = \"full\"\n").unwrap();
        let pools: Vec<(String, bool)> = ok
            .populations_in("Seattle", "10.10.8.0/24".parse().unwrap())
            .into_iter()
            .map(|(label, _, kind)| (label, kind.supported()))
            .collect();
        assert_eq!(pools, [("Skype for Business 2016 on full-tunnel VPN".to_string(), false)]);
        assert_eq!(ok.populations_in("Seattle", "10.10.1.0/24".parse().unwrap())[0].0, "Mac");
        assert!(ok.populations_in("Amsterdam", "192.168.1.0/24".parse().unwrap()).is_empty());
        for (extra, says) in [
            ("\n[[site.population]]\nusers = 4\n", "site Seattle, population 1: subnet is required where there are several subnets (10.10.1.0/24, 10.10.8.0/24)"),
            ("\n[[site.population]]\nsubnet = \"10.10.9.0/24\"\nusers = 4\n", "site Seattle, population 1: subnet 10.10.9.0/24 is not one of its subnets"),
            ("\n[[site.population]]\nname = \"Office\"\nsubnet = \"10.10.1.0/24\"\nusers = 0\n", "site Seattle, population 1 (Office): users must be at least 1"),
            ("\n[[site.population]]\nsubnet = \"10.10.1.0/24\"\nusers = 4\n[[site.population]]\nsubnet = \"10.10.1.0/24\"\nusers = 5\n", "site Seattle, population 2: subnet 10.10.1.0/24 already holds a population named 'Skype for Business 2016'"),
            ("\n[[site.vpn_pool]]\nsubnet = \"10.10.9.0/24\"\ntunnel = \"split\"\n", "site Seattle, vpn_pool 10.10.9.0/24: subnet is not one of the site's subnets"),
            ("\ndns_via = \"10.10.1.8\"\n", "site Seattle: dns_via 10.10.1.8 is already used by site Seattle, appliance sea-cce1"),
        ] {
            let err = with(extra).unwrap_err().to_string();
            assert!(err.contains(says), "{extra}: {err}");
        }
        let home =
            Topology::parse(&format!("{SEED_TOML}\n[[outside.population]]\nusers = 30\nplatform = \"mac\"\n"), None)
                .unwrap();
        let homes = home.populations_in("outside", "203.0.113.0/24".parse().unwrap());
        assert_eq!(homes.iter().map(|(label, p, _)| (label.as_str(), p.users)).collect::<Vec<_>>(), [("Mac", 30)]);
        let err = Topology::parse(
            &format!("{SEED_TOML}\n[[outside.population]]\nsubnet = \"10.0.0.0/24\"\nusers = 3\n"),
            None,
        )
        .unwrap_err();
        assert!(
            err.to_string().contains("[outside], population 1: subnet 10.0.0.0/24 is not one of its subnets"),
            "{err}"
        );
        for (extra, says) in [
            (
                "\n[[site.population]]\nsubnet = \"10.10.1.0/24\"\nusers = 4\nplatform = \"linux\"\n",
                "unknown variant `linux`, expected `windows` or `mac`",
            ),
            (
                "\n[[site.population]]\nsubnet = \"10.10.1.0/24\"\nusers = 4\nversion = \"sixteen\"\n",
                "'sixteen' is not a client version",
            ),
            (
                "\n[[site.vpn_pool]]\nsubnet = \"10.10.8.0/24\"\ntunnel = \"none\"\n",
                "unknown variant `none`, expected `full` or `split`",
            ),
        ] {
            let err = with(extra).unwrap_err().to_string();
            assert!(err.contains(says), "{extra}: {err}");
        }
    }

    #[test]
    fn refuses_overlapping_subnets() {
        let p = invalid(|s| s.replace("10.10.1.0/24", "192.168.0.0/16"));
        assert_eq!(p, "site Seattle: subnet 192.168.0.0/16 overlaps site Amsterdam");
    }

    #[test]
    fn refuses_an_appliance_outside_its_site() {
        let p = invalid(|s| s.replace("10.10.1.9\"", "10.10.2.9\""));
        assert_eq!(
            p,
            "site Seattle, appliance sea-cce2: address 10.10.2.9 is outside the site's subnets (10.10.1.0/24)"
        );
    }

    #[test]
    fn refuses_duplicate_names_and_addresses() {
        let p = invalid(|s| s.replace("sea-cce2", "ams-cce1"));
        assert_eq!(
            p,
            "site Seattle, appliance ams-cce1: the name is already used by site Amsterdam, appliance ams-cce1"
        );
        let p = invalid(|s| s.replace("192.168.1.46", "192.168.1.45"));
        assert_eq!(p, "site Amsterdam, appliance ams-cce2: address 192.168.1.45 is already used by site Amsterdam, appliance ams-cce1");
    }

    #[test]
    fn refuses_a_subnet_with_host_bits_naming_its_network() {
        let p = invalid(|s| s.replacen("192.168.1.0/24", "192.168.1.5/24", 1));
        assert_eq!(p, "site Amsterdam: subnet 192.168.1.5/24 has host bits set; write it as 192.168.1.0/24");
    }

    #[test]
    fn refuses_a_gateway_or_appliance_at_a_network_or_broadcast_address() {
        let p = invalid(|s| s.replacen("address = \"192.168.1.48\"", "address = \"192.168.1.255\"", 1));
        assert_eq!(
            p,
            "site Amsterdam, appliance ams-cce4: address 192.168.1.255 is the broadcast address of 192.168.1.0/24, not a host's"
        );
        let p = invalid(|s| s.replacen("gateway = \"10.10.1.1\"", "gateway = \"10.10.1.0\"", 1));
        assert_eq!(p, "site Seattle: gateway 10.10.1.0 is the network address of 10.10.1.0/24, not a host's");
    }

    #[test]
    fn refuses_a_site_subnet_left_without_an_address_for_a_client() {
        let p = invalid(|s| {
            s.replacen("subnets = [\"192.168.1.0/24\"]", "subnets = [\"192.168.1.40/29\"]", 1)
                .replacen("gateway = \"192.168.1.10\"", "gateway = \"192.168.1.41\"", 1)
                .replacen("address = \"192.168.1.45\"", "address = \"192.168.1.42\"", 1)
                .replacen("address = \"192.168.1.46\"", "address = \"192.168.1.43\"", 1)
                .replacen("address = \"192.168.1.47\"", "address = \"192.168.1.44\"", 1)
                .replacen(
                    "address = \"192.168.1.48\"",
                    "address = \"192.168.1.45\"\n\n[[site.appliance]]\nname = \"ams-cce5\"\naddress = \"192.168.1.46\"",
                    1,
                )
        });
        assert_eq!(
            p,
            "site Amsterdam: subnet 192.168.1.40/29 leaves no address for a client (its 6 hosts are the gateway and \
             appliances): give it a shorter prefix, or move an appliance"
        );
    }

    #[test]
    fn refuses_a_service_name_outside_the_sip_domains() {
        let p = invalid(|s| {
            s.replace("service_name = \"hybridvoice.adatum.biz\"", "service_name = \"hybridvoice.contoso.com\"")
        });
        assert_eq!(p, "[tenant] service_name 'hybridvoice.contoso.com' is not in a SIP domain registered for hybrid voice (adatum.biz)");
    }

    #[test]
    fn refuses_more_than_sixteen_appliances_in_a_site() {
        let extra: String = (0..17)
            .map(|i| format!("[[site.appliance]]\nname = \"x{i}\"\naddress = \"172.16.0.{}\"\n", i + 2))
            .collect();
        let text = format!(
            "{SEED_TOML}\n[[site]]\nname = \"Big\"\nsubnets = [\"172.16.0.0/24\"]\ngateway = \"172.16.0.1\"\n{extra}"
        );
        let p = invalid(|_| text.clone());
        assert_eq!(p, "site Big: 17 appliances: Cloud Connector supports at most 16 per site");
    }

    #[test]
    fn refuses_more_than_two_hundred_sites() {
        let mut text = SEED_TOML.replace("[outside]\nsubnets = [\"203.0.113.0/24\"]", "");
        for i in 0..199 {
            text.push_str(&format!(
                "[[site]]\nname = \"s{i}\"\nsubnets = [\"172.{}.{}.0/24\"]\ngateway = \"172.{}.{}.1\"\n",
                16 + i / 200,
                i % 200,
                16 + i / 200,
                i % 200
            ));
        }
        let p = invalid(|_| text.clone());
        assert_eq!(p, "201 sites: Cloud Connector supports at most 200 PSTN sites");
    }

    #[test]
    fn the_shipped_examples_are_valid() {
        let fabrikam = Topology::parse(include_str!("../../topologies/fabrikam.toml"), None).unwrap();
        assert_eq!(fabrikam.sites.len(), 3);
        assert_eq!(fabrikam.appliances().count(), 6);
        assert_eq!(fabrikam.fqdn(fabrikam.find_appliance("ber-cce1").unwrap().1), "mediation1.berlin.fabrikam.com");
        let globex = Topology::parse(include_str!("../../../examples/globex/topology.toml"), None).unwrap();
        assert_eq!(globex.site("Mumbai").unwrap().subnets[0].to_string(), "10.80.2.0/23");
    }

    #[test]
    fn names_the_file_on_syntax_errors() {
        let err = Topology::parse("[tenant\n", Some(std::path::Path::new("bad.toml"))).unwrap_err();
        assert!(matches!(err, TopologyError::Syntax { ref file, .. } if file == "bad.toml"), "{err:?}");
    }
}
