//! The picture as a Mermaid `flowchart`: a subgraph per site, the tenant, the DNS servers and the
//! outside around them. Node identifiers are generated (`s3`, `s3a1`, `dns0`), so only labels
//! carry plan text, in Mermaid's entity codes ([`crate::report::escape::mermaid`]).

use super::picture::{Picture, SubnetPart};
use crate::report::escape::mermaid as label;
use std::fmt::Write as _;

/// The DNS legs on `subnets`, for an edge label: addresses only, so nothing to escape.
fn legs(subnets: &[SubnetPart]) -> String {
    let legs: Vec<String> = subnets.iter().filter_map(|s| s.dns).map(|d| d.to_string()).collect();
    match legs.is_empty() {
        true => String::new(),
        false => format!("|\"DNS {}\"|", legs.join(", ")),
    }
}

pub fn render(picture: &Picture) -> String {
    let mut out = String::from("flowchart TB\n");
    let _ = writeln!(
        out,
        "  tenant([\"Skype for Business Online (tenant)<br/>{}<br/>service {}\"])",
        label(&picture.tenant.domain),
        label(&picture.tenant.service_name)
    );
    for (k, server) in picture.dns_servers.iter().enumerate() {
        let at = server.address.map(|a| format!(" at {a}")).unwrap_or_default();
        let _ = writeln!(
            out,
            "  dns{k}[(\"Internal DNS server {}{at}<br/>Windows Server 2016 policies for {}\")]",
            label(&server.name),
            label(&picture.tenant.service_name)
        );
    }
    let subnets: String = picture.outside.subnets.iter().map(|s| format!("<br/>{}", label(&s.subnet))).collect();
    let _ = writeln!(out, "  outside[/\"Outside (external clients){subnets}\"/]");
    let _ = writeln!(out, "  outside -. internet .- tenant");
    if !picture.outside.subnets.is_empty() {
        let _ = writeln!(out, "  dns{} -.-{} outside", picture.outside.dns_server, legs(&picture.outside.subnets));
    }
    for (i, site) in picture.sites.iter().enumerate() {
        let _ = writeln!(out, "  subgraph s{i}[\"{}\"]", label(&site.name));
        let subnets: Vec<String> = site.subnets.iter().map(|s| label(&s.subnet)).collect();
        let _ = writeln!(out, "    s{i}net[\"subnets {}\"]", subnets.join(", "));
        let _ = writeln!(out, "    s{i}gw{{{{\"gateway {}\"}}}}", site.gateway);
        for (j, a) in site.appliances.iter().enumerate() {
            let _ = writeln!(out, "    s{i}a{j}[\"{}<br/>{}\"]", label(&a.name), a.address);
        }
        out.push_str("  end\n");
        let _ = writeln!(out, "  dns{} -.-{} s{i}net", site.dns_server, legs(&site.subnets));
        for j in 0..site.appliances.len() {
            let _ = writeln!(out, "  tenant --> s{i}a{j}");
            let _ = writeln!(out, "  s{i}a{j} --- s{i}gw");
        }
    }
    out.push_str("  classDef appliance fill:#dff1e3,stroke:#2e7d32\n");
    out.push_str("  classDef dns fill:#f1eaf8,stroke:#6a3d9a\n");
    let appliances: Vec<String> = picture
        .sites
        .iter()
        .enumerate()
        .flat_map(|(i, s)| (0..s.appliances.len()).map(move |j| format!("s{i}a{j}")))
        .collect();
    if !appliances.is_empty() {
        let _ = writeln!(out, "  class {} appliance", appliances.join(","));
    }
    let servers: Vec<String> = (0..picture.dns_servers.len()).map(|k| format!("dns{k}")).collect();
    let _ = writeln!(out, "  class {} dns", servers.join(","));
    out
}
