//! The picture as Graphviz DOT: a `cluster_` subgraph per site. Every identifier and label is a
//! quoted DOT string ([`crate::report::escape::dot`]), so plan text cannot change the graph's
//! structure.

use super::picture::{Picture, SubnetPart};
use crate::report::escape::dot as quoted;
use std::fmt::Write as _;

/// The DNS legs on `subnets`, as an edge label attribute.
fn legs(subnets: &[SubnetPart]) -> String {
    let legs: Vec<String> = subnets.iter().filter_map(|s| s.dns).map(|d| d.to_string()).collect();
    match legs.is_empty() {
        true => String::new(),
        false => format!(", label={}", quoted(&[&format!("DNS {}", legs.join(", "))])),
    }
}

pub fn render(picture: &Picture) -> String {
    let mut out = String::from("graph topology {\n");
    out.push_str("  graph [rankdir=TB, fontname=\"Helvetica\", compound=true];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9, color=\"#5b7fb8\"];\n");
    out.push_str(
        "  node [fontname=\"Helvetica\", fontsize=10, shape=box, style=\"rounded,filled\", fillcolor=\"#f6f7f9\"];\n",
    );
    let service = format!("service {}", picture.tenant.service_name);
    let _ = writeln!(
        out,
        "  \"tenant\" [shape=ellipse, fillcolor=\"#e3edfb\", label={}];",
        quoted(&["Skype for Business Online (tenant)", &picture.tenant.domain, &service])
    );
    for (k, server) in picture.dns_servers.iter().enumerate() {
        let title = match server.address {
            Some(at) => format!("Internal DNS server {} at {at}", server.name),
            None => format!("Internal DNS server {}", server.name),
        };
        let _ = writeln!(
            out,
            "  \"dns{k}\" [shape=cylinder, fillcolor=\"#f1eaf8\", color=\"#6a3d9a\", label={}];",
            quoted(&[&title, "Windows Server 2016 policies", &service])
        );
    }
    let mut outside: Vec<&str> = vec!["Outside (external clients)"];
    outside.extend(picture.outside.subnets.iter().map(|s| s.subnet.as_str()));
    let _ = writeln!(out, "  \"outside\" [shape=parallelogram, fillcolor=\"#fff4e0\", label={}];", quoted(&outside));
    out.push_str("  \"outside\" -- \"tenant\" [style=dashed, color=\"#a15c00\", label=\"internet\"];\n");
    if !picture.outside.subnets.is_empty() {
        let _ = writeln!(
            out,
            "  \"dns{}\" -- \"outside\" [style=dotted, color=\"#6a3d9a\"{}];",
            picture.outside.dns_server,
            legs(&picture.outside.subnets)
        );
    }
    for (i, site) in picture.sites.iter().enumerate() {
        let _ = writeln!(out, "  subgraph \"cluster_s{i}\" {{");
        let _ = writeln!(out, "    label={};", quoted(&[&site.name]));
        let subnets: Vec<&str> = site.subnets.iter().map(|s| s.subnet.as_str()).collect();
        let subnets = format!("subnets {}", subnets.join(", "));
        let _ = writeln!(out, "    \"s{i}net\" [shape=note, label={}];", quoted(&[&subnets]));
        let gateway = format!("gateway {}", site.gateway);
        let _ = writeln!(out, "    \"s{i}gw\" [shape=hexagon, fillcolor=\"#fff4e0\", label={}];", quoted(&[&gateway]));
        for (j, a) in site.appliances.iter().enumerate() {
            let address = a.address.to_string();
            let _ = writeln!(
                out,
                "    \"s{i}a{j}\" [fillcolor=\"#dff1e3\", color=\"#2e7d32\", label={}];",
                quoted(&[&a.name, &address])
            );
        }
        out.push_str("  }\n");
        let _ = writeln!(
            out,
            "  \"dns{}\" -- \"s{i}net\" [style=dotted, color=\"#6a3d9a\"{}];",
            site.dns_server,
            legs(&site.subnets)
        );
        for j in 0..site.appliances.len() {
            let _ = writeln!(out, "  \"tenant\" -- \"s{i}a{j}\";");
            let _ = writeln!(out, "  \"s{i}a{j}\" -- \"s{i}gw\";");
        }
    }
    out.push_str("}\n");
    out
}
