use super::population::{Population, VpnPool};
use super::validate::TopologyError;
use crate::client::ClientKind;
use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// A whole deployment plan, as read from a topology file.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Topology {
    pub tenant: TenantPlan,
    /// PSTN sites; CCE supports up to 200.
    #[serde(rename = "site", default)]
    pub sites: Vec<Site>,
    /// Where external (non-internal) clients live.
    #[serde(default)]
    pub outside: Outside,
    /// The internal DNS servers (domain controllers); none declared means one server for every
    /// site, as the lab always had.
    #[serde(rename = "dns_server", default)]
    pub dns_servers: Vec<DnsServerPlan>,
    /// Where the admin's workstation sits, for the client-side cmdlets of a runbook
    /// (`Resolve-DnsName`); by default in the first site.
    #[serde(default, skip_serializing_if = "AdminPlan::is_default")]
    pub admin: AdminPlan,
    /// The file the plan came from, named in validation errors.
    #[serde(skip)]
    pub origin: Option<PathBuf>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TenantPlan {
    /// The tenant's domain; appliance FQDNs default to `<name>.<domain>`.
    pub domain: String,
    /// SIP domains registered for hybrid voice: the service name must sit in one of them.
    pub sip_domains: Vec<String>,
    /// The web service's host name, the same for every appliance and site.
    pub service_name: String,
    /// How long a change may take to reach every appliance ("up to 24 hours").
    #[serde(with = "crate::clock::serde_text", default = "default_window")]
    pub replication_window: Duration,
    /// Spreads the appliances' sync offsets inside the window; the same seed gives the same run.
    #[serde(default = "default_seed")]
    pub replication_seed: u64,
    /// Orders each user's calls across a site's appliances; the same seed gives the same run.
    #[serde(default = "default_seed")]
    pub call_seed: u64,
    /// The wall-clock time at lab time 0 (default 00:00 of day 1): what DNS time-of-day policies
    /// compare against, so a rehearsal can start just before a failover window.
    #[serde(default)]
    pub start_time_of_day: crate::clock::TimeOfDay,
    /// How long AD takes to carry a DNS zone change from one domain controller to the others.
    #[serde(with = "crate::clock::serde_text", default = "default_ad_delay")]
    pub ad_replication_delay: Duration,
    /// The tenant's id as `Get-CsTenant` shows it and `-Tenant` takes it; by default one
    /// derived from `domain`, the same on every start.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tenant_id: Option<uuid::Uuid>,
    /// The tenant's users (`alice` or `alice@adatum.biz`), for a runbook whose `-Identity`
    /// names must be checked; empty: every user of the tenant's domains exists.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
}

fn default_ad_delay() -> Duration {
    Duration::from_secs(15 * 60)
}

/// One internal DNS server and the sites whose clients query it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct DnsServerPlan {
    /// Its computer name, as `-ComputerName` gives it.
    pub name: String,
    pub address: IpAddr,
    /// Site names; a site no server lists is served by the first server.
    #[serde(default)]
    pub sites: Vec<String>,
}

fn default_window() -> Duration {
    Duration::from_secs(24 * 3600)
}

fn default_seed() -> u64 {
    2017
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Site {
    pub name: String,
    /// The site's client subnets; the first one also holds its appliances and gateway.
    pub subnets: Vec<IpNet>,
    /// The site's PSTN gateway / SBC: the far end of a bypassed call.
    pub gateway: IpAddr,
    /// Further gateways / SBCs of the site; calls are split over all of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateways: Vec<IpAddr>,
    /// Up to 16 per site.
    #[serde(rename = "appliance", default)]
    pub appliances: Vec<Appliance>,
    /// A branch without appliances of its own that uses another site's Cloud Connector (the
    /// Plan page's multi-site design): its clients are meant to resolve that site's Mediation
    /// Servers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub served_by: Option<String>,
    /// Sites whose Mediation Servers may answer a share of this site's lookups by design (a
    /// weighted failover scope, `"DenverScope,3;TokyoScope,1"`): such a share is no warning.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failover: Vec<String>,
    /// The clients its subnets hold, when the plan declares them: the rehearsal places one
    /// sample per population and gives the site's share of users that bypass.
    #[serde(rename = "population", default, skip_serializing_if = "Vec::is_empty")]
    pub populations: Vec<Population>,
    /// Which of its subnets are VPN pools, and with which tunnel.
    #[serde(rename = "vpn_pool", default, skip_serializing_if = "Vec::is_empty")]
    pub vpn_pools: Vec<VpnPool>,
    /// The address the site's DNS queries reach its DNS server from, when they go through a
    /// forwarder that is none of the plan's DNS servers (a branch office's own resolver): the
    /// policies then see that address, not the clients'.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dns_via: Option<IpAddr>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Appliance {
    pub name: String,
    /// The Mediation Server's FQDN; `<name>.<domain>` when not given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fqdn: Option<String>,
    /// The Mediation Server's address, inside its site's subnets.
    pub address: IpAddr,
    /// `false`: the appliance starts unregistered and registers only when `Register-CcAppliance`
    /// runs on it, so the registration step itself can be rehearsed.
    #[serde(default = "registered_by_default", skip_serializing_if = "Clone::clone")]
    pub registered: bool,
    /// `true`: the lab starts with the appliance cut off from the tenant, so it keeps whatever
    /// it held and never gets a change (the Deploy page's troubleshooting case), until healed.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub cut: bool,
    /// Its Identity as `Get-CsHybridPSTNAppliance` shows it, for a runbook that holds the real
    /// one; by default one derived from the tenant's domain and the appliance's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<uuid::Uuid>,
    /// The gateways this appliance's Mediation Server uses; empty: the site's.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gateways: Vec<IpAddr>,
}

fn registered_by_default() -> bool {
    true
}

/// `[admin]`: the site the admin works from, or the workstation's own address.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct AdminPlan {
    pub site: Option<String>,
    pub address: Option<IpAddr>,
}

impl AdminPlan {
    fn is_default(&self) -> bool {
        *self == AdminPlan::default()
    }
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Outside {
    pub subnets: Vec<IpNet>,
    /// The clients its subnets hold (home users, say), when the plan declares them.
    #[serde(rename = "population", default, skip_serializing_if = "Vec::is_empty")]
    pub populations: Vec<Population>,
}

impl Default for Outside {
    fn default() -> Self {
        Outside { subnets: vec!["203.0.113.0/24".parse().unwrap()], populations: vec![] }
    }
}

impl Topology {
    /// The seed's plan: adatum.biz, Amsterdam 192.168.1.45–48, Seattle 10.10.1.8–10.
    pub fn seed() -> Topology {
        Topology::parse(super::SEED_TOML, None).expect("the built-in seed topology is valid")
    }

    /// Reads and validates a topology file.
    pub fn load(path: &Path) -> Result<Topology, TopologyError> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| TopologyError::Read { file: path.display().to_string(), reason: e.to_string() })?;
        Topology::parse(&text, Some(path))
    }

    /// `load` for a given path, the seed otherwise.
    pub fn load_or_seed(path: Option<&Path>) -> Result<Topology, TopologyError> {
        match path {
            Some(p) => Topology::load(p),
            None => Ok(Topology::seed()),
        }
    }

    /// Parses and validates topology text; `origin` names the file in errors.
    pub fn parse(text: &str, origin: Option<&Path>) -> Result<Topology, TopologyError> {
        let file = origin.map(|p| p.display().to_string()).unwrap_or_else(|| "built-in topology".into());
        let table: toml::Table =
            toml::from_str(text).map_err(|e| TopologyError::Syntax { file: file.clone(), reason: e.to_string() })?;
        if let Some(problem) = super::plain_text::first_control_character(&table) {
            return Err(TopologyError::Invalid { file, problem });
        }
        let mut topology: Topology =
            toml::from_str(text).map_err(|e| TopologyError::Syntax { file: file.clone(), reason: e.to_string() })?;
        topology.origin = origin.map(Path::to_path_buf);
        topology.validate().map_err(|problem| TopologyError::Invalid { file, problem })?;
        Ok(topology)
    }

    /// The file name used in messages.
    pub fn origin_name(&self) -> String {
        self.origin.as_ref().map(|p| p.display().to_string()).unwrap_or_else(|| "built-in topology".into())
    }

    /// The web service URL the admin is expected to configure.
    pub fn service_url(&self) -> String {
        format!("http://{}/hybridconfig/hybridconfigservice.svc", self.tenant.service_name)
    }

    /// Every appliance with the site it belongs to, in file order.
    pub fn appliances(&self) -> impl Iterator<Item = (&Site, &Appliance)> {
        self.sites.iter().flat_map(|s| s.appliances.iter().map(move |a| (s, a)))
    }

    /// An appliance by name (case-insensitive), FQDN or address.
    pub fn find_appliance(&self, key: &str) -> Option<(&Site, &Appliance)> {
        let key = key.trim();
        // Parsed once, and FQDNs compared without being built: at thousands of appliances a
        // lookup per appliance (status, verdicts) must not allocate per candidate.
        let ip = key.parse::<IpAddr>().ok();
        self.appliances()
            .find(|(_, a)| a.name.eq_ignore_ascii_case(key) || self.is_fqdn_of(a, key) || ip == Some(a.address))
    }

    /// The appliance at `address`.
    pub fn appliance_at(&self, address: IpAddr) -> Option<(&Site, &Appliance)> {
        self.appliances().find(|(_, a)| a.address == address)
    }

    /// `key` is [`Topology::fqdn`] of `appliance`, compared case-insensitively.
    fn is_fqdn_of(&self, appliance: &Appliance, key: &str) -> bool {
        if let Some(fqdn) = &appliance.fqdn {
            return fqdn.eq_ignore_ascii_case(key);
        }
        let name = appliance.name.len();
        key.get(..name).is_some_and(|n| n.eq_ignore_ascii_case(&appliance.name))
            && key.get(name..name + 1) == Some(".")
            && key.get(name + 1..).is_some_and(|d| d.eq_ignore_ascii_case(&self.tenant.domain))
    }

    pub fn site(&self, name: &str) -> Option<&Site> {
        self.sites.iter().find(|s| s.name.eq_ignore_ascii_case(name.trim()))
    }

    /// The DNS servers: those declared, or the one implicit server `dns` for every site.
    pub fn dns_server_plans(&self) -> Vec<DnsServerPlan> {
        if self.dns_servers.is_empty() {
            let address = "0.0.0.0".parse().expect("an address");
            return vec![DnsServerPlan {
                name: "dns".into(),
                address,
                sites: self.sites.iter().map(|s| s.name.clone()).collect(),
            }];
        }
        self.dns_servers.clone()
    }

    /// The index (in [`Topology::dns_server_plans`]) of the server a client at `address`
    /// queries: its site's, else the first.
    pub fn dns_server_index_for(&self, address: IpAddr) -> usize {
        let Some(site) = self.site_of(address) else { return 0 };
        self.dns_servers.iter().position(|d| d.sites.iter().any(|s| s.eq_ignore_ascii_case(&site.name))).unwrap_or(0)
    }

    /// The sites a DNS server serves (the first also serves every site no server lists).
    pub fn sites_served_by(&self, index: usize) -> Vec<String> {
        let plans = self.dns_server_plans();
        self.sites
            .iter()
            .filter(|site| {
                let listed = plans.iter().position(|d| d.sites.iter().any(|s| s.eq_ignore_ascii_case(&site.name)));
                listed == Some(index) || (listed.is_none() && index == 0)
            })
            .map(|s| s.name.clone())
            .collect()
    }

    /// The site whose subnets hold `address`, if any.
    pub fn site_of(&self, address: IpAddr) -> Option<&Site> {
        self.sites.iter().find(|s| s.subnets.iter().any(|n| n.contains(&address)))
    }

    /// Whether `address` lies in the outside (external) subnets.
    pub fn is_outside(&self, address: IpAddr) -> bool {
        self.outside.subnets.iter().any(|n| n.contains(&address))
    }

    /// The gateways an appliance's calls are split over, in order: its own list, else the site's
    /// `gateway` then `gateways`.
    pub fn gateways_of(&self, site: &Site, appliance: &Appliance) -> Vec<IpAddr> {
        if !appliance.gateways.is_empty() {
            return appliance.gateways.clone();
        }
        std::iter::once(site.gateway).chain(site.gateways.iter().copied().filter(|g| *g != site.gateway)).collect()
    }

    pub fn fqdn(&self, appliance: &Appliance) -> String {
        appliance.fqdn.clone().unwrap_or_else(|| format!("{}.{}", appliance.name, self.tenant.domain))
    }

    /// An address for the `n`th client of a site: hosts from the top of the first subnet down,
    /// skipping the gateway, the appliances and the subnet's last host (reserved for the lab
    /// host's own leg on container networks).
    pub fn client_address(&self, site: &Site, n: usize) -> Option<IpAddr> {
        let taken: Vec<IpAddr> = site
            .appliances
            .iter()
            .flat_map(|a| std::iter::once(a.address).chain(a.gateways.iter().copied()))
            .chain(std::iter::once(site.gateway))
            .chain(site.gateways.iter().copied())
            .collect();
        let hosts: Vec<IpAddr> = site.subnets.first()?.hosts().collect();
        hosts.into_iter().rev().skip(1).filter(|h| !taken.contains(h)).nth(n)
    }

    /// One client address in each of a site's subnets (picked as [`Topology::client_address`]
    /// picks in the first), so that scenarios about "each site" cover every subnet of it.
    pub fn subnet_client_addresses(&self, site: &Site) -> Vec<IpAddr> {
        let taken: Vec<IpAddr> =
            site.appliances.iter().map(|a| a.address).chain(std::iter::once(site.gateway)).collect();
        site.subnets
            .iter()
            .filter_map(|net| net.hosts().collect::<Vec<_>>().into_iter().rev().skip(1).find(|h| !taken.contains(h)))
            .collect()
    }

    /// The lab host's own address on a site's network (containers backend): the last host.
    pub fn host_leg(&self, site: &Site) -> Option<IpAddr> {
        site.subnets.first()?.hosts().last()
    }

    /// An address for the `n`th external client.
    pub fn outside_address(&self, n: usize) -> Option<IpAddr> {
        self.outside.subnets.first()?.hosts().nth(n + 99).or_else(|| self.outside.subnets.first()?.hosts().nth(n))
    }

    /// Where the admin's workstation sits: the place's name (a site, or `outside`) and its
    /// address. `[admin] address` as given; `[admin] site` (by default the first site) on the
    /// lowest host of the site's first subnet that is no gateway or appliance, away from the
    /// sample clients that sit at the top (lab choice, docs/design/rollout.md).
    pub fn admin_workstation(&self) -> Option<(String, IpAddr)> {
        if let Some(address) = self.admin.address {
            let place = self.site_of(address).map(|s| s.name.clone()).unwrap_or_else(|| crate::client::OUTSIDE.into());
            return Some((place, address));
        }
        let site = match &self.admin.site {
            Some(name) => self.site(name)?,
            None => self.sites.first()?,
        };
        let taken: Vec<IpAddr> = std::iter::once(site.gateway)
            .chain(site.gateways.iter().copied())
            .chain(site.appliances.iter().flat_map(|a| std::iter::once(a.address).chain(a.gateways.iter().copied())))
            .collect();
        let address = site.subnets.first()?.hosts().take(taken.len() + 1).find(|h| !taken.contains(h))?;
        Some((site.name.clone(), address))
    }

    /// The tenant's id: the plan's `tenant_id`, else derived from its domain.
    pub fn tenant_id(&self) -> uuid::Uuid {
        self.tenant.tenant_id.unwrap_or_else(|| crate::tenant::tenant_id(&self.tenant.domain))
    }

    /// An appliance's Identity: the plan's `identity`, else derived from the tenant's domain and
    /// its name.
    pub fn appliance_identity(&self, name: &str) -> uuid::Uuid {
        self.find_appliance(name)
            .and_then(|(_, a)| a.identity)
            .unwrap_or_else(|| crate::tenant::appliance_identity(&self.tenant.domain, name))
    }

    /// Whether the lab waits for `appliance` to register and sync: not when the plan leaves it
    /// unregistered or cut off from the tenant.
    pub fn syncs(appliance: &Appliance) -> bool {
        appliance.registered && !appliance.cut
    }

    /// The site whose Mediation Servers serve `site`'s clients: the one it is `served_by`, else
    /// itself.
    pub fn serving_site<'a>(&'a self, site: &'a str) -> &'a str {
        match self.site(site).and_then(|s| s.served_by.as_deref()).and_then(|by| self.site(by)) {
            Some(by) => &by.name,
            None => site,
        }
    }

    /// The populations declared in `subnet` of `site` (a site name, or `outside`), each with
    /// its label and the client its users sign in with (a pool's tunnel included), in file
    /// order. Empty when the plan declares none there.
    pub fn populations_in(&self, site: &str, subnet: IpNet) -> Vec<(String, &Population, ClientKind)> {
        let (subnets, populations, pools): (&[IpNet], &[Population], &[VpnPool]) = if site == crate::client::OUTSIDE {
            (&self.outside.subnets, &self.outside.populations, &[])
        } else {
            match self.site(site) {
                Some(s) => (&s.subnets, &s.populations, &s.vpn_pools),
                None => return vec![],
            }
        };
        let tunnel = pools.iter().find(|p| p.subnet == subnet).map(|p| p.tunnel);
        populations
            .iter()
            .filter(|p| p.subnet.or_else(|| (subnets.len() == 1).then(|| subnets[0])) == Some(subnet))
            .map(|p| (p.label(tunnel), p, p.kind(tunnel)))
            .collect()
    }

    /// Where a query from a client at `address` reaches its DNS server from: the site's
    /// `dns_via` forwarder, else the client itself.
    pub fn query_source(&self, address: IpAddr) -> IpAddr {
        self.site_of(address).and_then(|s| s.dns_via).unwrap_or(address)
    }

    /// A lab time as a clock reading (`day 2 09:14`) on this plan's clock: lab time zero is
    /// `[tenant] start_time_of_day` of day 1.
    pub fn clock_reading(&self, at: Duration) -> String {
        self.tenant.start_time_of_day.reading(at)
    }

    /// A place named by the user: a site name, `outside`, or an address.
    pub fn place(&self, text: &str) -> Result<IpAddr, String> {
        if let Ok(ip) = text.trim().parse::<IpAddr>() {
            return Ok(ip);
        }
        if text.trim().eq_ignore_ascii_case("outside") || text.trim().eq_ignore_ascii_case("external") {
            return self.outside_address(0).ok_or_else(|| "the topology has no outside subnet".into());
        }
        match self.site(text) {
            Some(site) => {
                self.client_address(site, 0).ok_or_else(|| format!("site {} has no free client address", site.name))
            }
            None => Err(format!(
                "'{}' is neither an address nor a site of this topology (sites: {}, or 'outside')",
                text.trim(),
                self.sites.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `status`, `run --on`, `restart` and the verdicts name an appliance by its name, its FQDN
    /// or its address, in any case; a name in another domain is no appliance.
    #[test]
    fn an_appliance_is_found_by_name_fqdn_or_address() {
        let seed = Topology::seed();
        let (_, first) = seed.appliances().next().expect("the seed has appliances");
        let fqdn = seed.fqdn(first);
        for key in [first.name.to_uppercase(), fqdn.to_uppercase(), format!(" {fqdn} "), first.address.to_string()] {
            assert_eq!(seed.find_appliance(&key).map(|(_, a)| a.name.as_str()), Some(first.name.as_str()), "{key}");
        }
        assert_eq!(seed.appliance_at(first.address).map(|(_, a)| a.name.as_str()), Some(first.name.as_str()));
        for miss in [format!("{}.example.org", first.name), format!("{}.", first.name), format!("{fqdn}x")] {
            assert!(seed.find_appliance(&miss).is_none(), "{miss}");
        }
    }

    /// `[tenant] users` lists user names of the tenant's domains, each once.
    #[test]
    fn a_users_list_holds_user_names_of_the_tenants_domains() {
        let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/topologies/adatum.toml")).unwrap();
        let with = |users: &str| {
            Topology::parse(&text.replace("[tenant]\n", &format!("[tenant]\nusers = [{users}]\n")), None)
                .map(|t| t.tenant.users)
                .map_err(|e| e.to_string())
        };
        assert_eq!(with(r#""alice", "bob@ADATUM.biz""#).unwrap(), ["alice", "bob@ADATUM.biz"]);
        for (users, says) in [
            (r#""carol@fabrikam.com""#, "'carol@fabrikam.com' is not in the tenant's domains (adatum.biz)"),
            (r#""alice", "Alice@adatum.biz""#, "'Alice@adatum.biz' is the same user as 'alice'"),
            (r#""al ice""#, "'al ice' is not a user name"),
            (r#""@adatum.biz""#, "'@adatum.biz' is not a user name"),
        ] {
            let err = with(users).unwrap_err();
            assert!(err.contains(says), "{users}: {err}");
        }
    }
}
