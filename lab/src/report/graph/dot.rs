//! The picture as Graphviz DOT: a `cluster_` subgraph per site. Every identifier and label is a
//! quoted DOT string, so plan text cannot change the graph's structure.

use super::picture::Picture;
use std::fmt::Write as _;

/// A quoted DOT string; `\n` inside `lines` becomes DOT's centred line break.
fn quoted(lines: &[&str]) -> String {
    let escaped: Vec<String> =
        lines.iter().map(|l| l.replace('\\', "\\\\").replace('"', "\\\"").replace(['\n', '\r'], " ")).collect();
    format!("\"{}\"", escaped.join("\\n"))
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
    let _ = writeln!(
        out,
        "  \"dns\" [shape=cylinder, fillcolor=\"#f1eaf8\", label={}];",
        quoted(&["Internal DNS server", "Windows Server 2016 policies", &service])
    );
    let mut outside: Vec<&str> = vec!["Outside (external clients)"];
    outside.extend(picture.outside.subnets.iter().map(String::as_str));
    let _ = writeln!(out, "  \"outside\" [shape=parallelogram, fillcolor=\"#fff4e0\", label={}];", quoted(&outside));
    out.push_str("  \"outside\" -- \"tenant\" [style=dashed, label=\"internet\"];\n");
    for (i, site) in picture.sites.iter().enumerate() {
        let _ = writeln!(out, "  subgraph \"cluster_s{i}\" {{");
        let _ = writeln!(out, "    label={};", quoted(&[&site.name]));
        let subnets = format!("subnets {}", site.subnets.join(", "));
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
        let leg = site.dns.map(|d| format!(", label={}", quoted(&[&d.to_string()]))).unwrap_or_default();
        let _ = writeln!(out, "  \"dns\" -- \"s{i}net\" [style=dotted{leg}];");
        for j in 0..site.appliances.len() {
            let _ = writeln!(out, "  \"tenant\" -- \"s{i}a{j}\";");
            let _ = writeln!(out, "  \"s{i}a{j}\" -- \"s{i}gw\";");
        }
    }
    out.push_str("}\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_backslashes_stay_inside_the_string() {
        assert_eq!(quoted(&[r#"a "b" \c"#, "d"]), r#""a \"b\" \\c\nd""#);
    }
}
