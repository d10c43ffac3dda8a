//! The DNS configuration a topology calls for, as the cmdlets an admin would run on Windows
//! DNS: one client subnet, zone scope and policy per site; the service name only in the site
//! scopes, so clients outside every site get NXDOMAIN.

use crate::runbook::{Invocation, Value};
use crate::topology::Topology;
use std::collections::BTreeMap;

/// The zone that holds the service name: the tenant's domain when the name is under it, else
/// the SIP domain that holds it.
pub fn service_zone(t: &Topology) -> String {
    let service = t.tenant.service_name.trim_end_matches('.').to_ascii_lowercase();
    let under = |d: &str| service == d || service.ends_with(&format!(".{d}"));
    let domain = t.tenant.domain.trim_end_matches('.').to_ascii_lowercase();
    if under(&domain) {
        return domain;
    }
    t.tenant
        .sip_domains
        .iter()
        .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
        .filter(|d| under(d))
        .max_by_key(String::len)
        .unwrap_or(domain)
}

/// A site's name as used in object names (`Amsterdam` → `AmsterdamSubnet`); the topology
/// checks these are unique.
fn stem(site: &str) -> String {
    crate::topology::site_stem(site)
}

/// The zone scope that holds a site's Mediation Servers: `{Site}ZoneScope`, as in the guide,
/// unless that is the zone's own name (a site `Sea` in zone `SeaZoneScope`), which names the
/// zone's default scope; then `{Site}SiteZoneScope`. A lab choice, so every plan's DNS starts.
pub fn site_zone_scope(zone: &str, site: &str) -> String {
    let stem = stem(site);
    let scope = format!("{stem}ZoneScope");
    if scope.eq_ignore_ascii_case(zone.trim_end_matches('.')) {
        format!("{stem}SiteZoneScope")
    } else {
        scope
    }
}

/// `text` as a PowerShell single-quoted string: nothing inside is expanded (`$(...)`, `` ` ``,
/// `"`), and each quote character PowerShell accepts as a single quote is doubled.
pub fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        if matches!(c, '\'' | '\u{2018}' | '\u{2019}' | '\u{201A}' | '\u{201B}') {
            out.push(c);
        }
        out.push(c);
    }
    out.push('\'');
    out
}

fn call(cmdlet: &str, args: Vec<(&str, Value)>) -> Invocation {
    Invocation {
        cmdlet: cmdlet.into(),
        args: args.into_iter().map(|(k, v)| (k.to_string(), v)).collect::<BTreeMap<_, _>>(),
        line: 0,
        column: 0,
    }
}

fn s(text: impl Into<String>) -> Value {
    Value::String(text.into())
}

/// The calls, in the order they must run.
pub fn topology_invocations(t: &Topology) -> Vec<Invocation> {
    let zone = service_zone(t);
    let service = t.tenant.service_name.trim_end_matches('.').to_ascii_lowercase();
    let host = service.strip_suffix(&format!(".{zone}")).unwrap_or("@").to_string();
    let mut calls = vec![call("Add-DnsServerPrimaryZone", vec![("Name", s(&zone)), ("ReplicationScope", s("Forest"))])];
    for site in &t.sites {
        let stem = stem(&site.name);
        let family = |v4: bool| -> Vec<Value> {
            site.subnets.iter().filter(|n| matches!(n, ipnet::IpNet::V4(_)) == v4).map(|n| s(n.to_string())).collect()
        };
        let mut subnet = vec![("Name", s(format!("{stem}Subnet")))];
        let (v4, v6) = (family(true), family(false));
        if !v4.is_empty() {
            subnet.push(("IPv4Subnet", Value::List(v4)));
        }
        if !v6.is_empty() {
            subnet.push(("IPv6Subnet", Value::List(v6)));
        }
        calls.push(call("Add-DnsServerClientSubnet", subnet));
        calls.push(call(
            "Add-DnsServerZoneScope",
            vec![("ZoneName", s(&zone)), ("Name", s(site_zone_scope(&zone, &site.name)))],
        ));
        for a in site.appliances.iter().filter(|a| a.address.is_ipv4()) {
            calls.push(call(
                "Add-DnsServerResourceRecord",
                vec![
                    ("ZoneName", s(&zone)),
                    ("A", Value::Bool(true)),
                    ("Name", s(&host)),
                    ("IPv4Address", s(a.address.to_string())),
                    ("ZoneScope", s(site_zone_scope(&zone, &site.name))),
                ],
            ));
        }
    }
    for (i, site) in t.sites.iter().enumerate() {
        // A branch served by another site's Cloud Connector answers from that site's scope.
        let scope = site_zone_scope(&zone, t.serving_site(&site.name));
        let stem = stem(&site.name);
        calls.push(call(
            "Add-DnsServerQueryResolutionPolicy",
            vec![
                ("Name", s(format!("{stem}Policy"))),
                ("Action", s("ALLOW")),
                ("ClientSubnet", s(format!("eq,{stem}Subnet"))),
                ("ZoneScope", s(format!("{scope},1"))),
                ("ProcessingOrder", Value::Int(i as i64 + 1)),
                ("ZoneName", s(&zone)),
            ],
        ));
    }
    calls
}

/// One call as a runbook line. Parameters follow the spec's order; switches are bare.
pub fn render(call: &Invocation) -> String {
    let order: Vec<&str> =
        super::cmdlets::spec(&call.cmdlet).map(|s| s.params.iter().map(|p| p.name).collect()).unwrap_or_default();
    let mut names: Vec<&String> = call.args.keys().collect();
    names.sort_by_key(|n| order.iter().position(|o| o.eq_ignore_ascii_case(n)).unwrap_or(usize::MAX));
    let mut line = call.cmdlet.clone();
    for name in names {
        match &call.args[name] {
            Value::Bool(true) => line.push_str(&format!(" -{name}")),
            Value::Int(n) => line.push_str(&format!(" -{name} {n}")),
            Value::List(items) => line.push_str(&format!(
                " -{name} {}",
                items.iter().map(|v| quote(&v.display())).collect::<Vec<_>>().join(",")
            )),
            other => line.push_str(&format!(" -{name} {}", quote(&other.display()))),
        }
    }
    line
}

/// Text inside a `#` comment: a line break would end the comment and start a command.
fn comment(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// The script an admin would run on the Windows DNS server for this topology.
pub fn topology_script(t: &Topology) -> String {
    let mut out = format!(
        "# Internal DNS for {}: geo-location traffic management with DNS policies.\n",
        comment(&t.tenant.service_name)
    );
    for c in topology_invocations(t) {
        out.push_str(&render(&c));
        out.push('\n');
    }
    out
}

/// The calls that take the service name out of the internal DNS (the last step of disabling
/// media bypass permanently): its A records in every site's zone scope.
pub fn removal_invocations(t: &Topology) -> Vec<Invocation> {
    let zone = service_zone(t);
    let service = t.tenant.service_name.trim_end_matches('.').to_ascii_lowercase();
    let host = service.strip_suffix(&format!(".{zone}")).unwrap_or("@").to_string();
    t.sites
        .iter()
        .filter(|site| site.appliances.iter().any(|a| a.address.is_ipv4()))
        .map(|site| {
            call(
                "Remove-DnsServerResourceRecord",
                vec![
                    ("ZoneName", s(&zone)),
                    ("RRType", s("A")),
                    ("Name", s(&host)),
                    ("ZoneScope", s(site_zone_scope(&zone, &site.name))),
                    ("Force", Value::Bool(true)),
                ],
            )
        })
        .collect()
}

/// [`removal_invocations`] as the script an admin would run.
pub fn removal_script(t: &Topology) -> String {
    let mut out = format!("# Remove {} from the internal DNS.\n", comment(&t.tenant.service_name));
    for c in removal_invocations(t) {
        out.push_str(&render(&c));
        out.push('\n');
    }
    out
}

/// The script that gives `name` each site's Mediation Servers in that site's zone scope (the
/// first step of moving the web service to another name: DNS has the name before any client
/// is sent to it). `name` must lie in the service's zone.
pub fn records_script(t: &Topology, name: &str) -> String {
    let zone = service_zone(t);
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    let host = name.strip_suffix(&format!(".{zone}")).unwrap_or("@").to_string();
    let mut out = format!("# Give {name} each site's Mediation Servers.\n");
    for site in &t.sites {
        for a in site.appliances.iter().filter(|a| a.address.is_ipv4()) {
            let record = call(
                "Add-DnsServerResourceRecord",
                vec![
                    ("ZoneName", s(&zone)),
                    ("A", Value::Bool(true)),
                    ("Name", s(&host)),
                    ("IPv4Address", s(a.address.to_string())),
                    ("ZoneScope", s(site_zone_scope(&zone, &site.name))),
                ],
            );
            out.push_str(&render(&record));
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_single_quoted_so_nothing_in_them_runs() {
        assert_eq!(quote("$(Stop-Computer)"), "'$(Stop-Computer)'");
        assert_eq!(quote("a\"b"), "'a\"b'");
        assert_eq!(quote("it's"), "'it''s'");
        assert_eq!(quote("it\u{2019}s"), "'it\u{2019}\u{2019}s'");
        assert_eq!(quote(""), "''");
    }

    #[test]
    fn a_site_name_with_a_command_in_it_stays_a_name() {
        let text = crate::topology::SEED_TOML.replace("name = \"Seattle\"", "name = \"Sea$(Stop-Computer)'\\\"x\"");
        let t = Topology::parse(&text, None).unwrap();
        let script = topology_script(&t);
        assert!(!script.contains("$("), "{script}");
        assert!(script.contains("-Name 'SeaStop-ComputerxSubnet'"), "{script}");
    }
}
