//! The DNS plan as a Graphviz `digraph`, left to right: a `cluster_` subgraph per server, the same
//! generated identifiers as the Mermaid notation, every label a quoted DOT string.

use super::chain::{DnsPlan, EdgeKind};
use crate::report::escape::dot as quoted;
use std::fmt::Write as _;

fn label(lines: &[String]) -> String {
    quoted(&lines.iter().map(String::as_str).collect::<Vec<_>>())
}

const SUBNET: &str = "fillcolor=\"#e3edfb\", color=\"#1f4f99\"";
const POLICY: &str = "fillcolor=\"#f1eaf8\", color=\"#6a3d9a\"";
const SCOPE: &str = "fillcolor=\"#dff1e3\", color=\"#2e7d32\"";
const QUIET: &str = "fillcolor=\"#f6f7f9\", color=\"#5f6b7a\", style=\"rounded,filled,dashed\"";
const MISSING: &str = "fillcolor=\"#fdecea\", color=\"#c62828\", style=\"rounded,filled,dashed\"";

pub fn render(plan: &DnsPlan) -> String {
    let mut out = String::from("digraph dns_plan {\n");
    out.push_str("  graph [rankdir=LR, fontname=\"Helvetica\"];\n");
    out.push_str("  edge [fontname=\"Helvetica\", fontsize=9];\n");
    out.push_str("  node [fontname=\"Helvetica\", fontsize=10, shape=box, style=\"rounded,filled\"];\n");
    for (k, chain) in plan.servers.iter().enumerate() {
        let _ = writeln!(out, "  subgraph \"cluster_d{k}\" {{");
        let mut title = vec![format!("DNS server {}, {}", chain.name, plan.caption)];
        if !chain.forwarding.is_empty() {
            title.push(format!("forwards {}", chain.forwarding.join("; ")));
        }
        let _ = writeln!(out, "    label={};", label(&title));
        for (c, subnet) in chain.client_subnets.iter().enumerate() {
            let mut text = vec![subnet.name.clone()];
            text.extend(subnet.prefixes.iter().cloned());
            if !subnet.defined {
                text.push("not on this server".into());
            }
            let style = if subnet.defined { SUBNET } else { MISSING };
            let _ = writeln!(out, "    \"d{k}c{c}\" [{style}, label={}];", label(&text));
        }
        for (p, policy) in chain.policies.iter().enumerate() {
            let mut text =
                vec![format!("{}. {}", policy.order, policy.name), format!("{}, {}", policy.level, policy.action)];
            text.extend(policy.notes.iter().cloned());
            if !policy.enabled {
                text.push("disabled: skipped".into());
            }
            let style = if policy.enabled { POLICY } else { QUIET };
            let _ = writeln!(out, "    \"d{k}p{p}\" [{style}, label={}];", label(&text));
        }
        let defaults: Vec<usize> = chain.default_scopes().collect();
        if !defaults.is_empty() {
            let _ = writeln!(out, "    \"d{k}f\" [shape=ellipse, {QUIET}, label=\"no policy matches\"];");
        }
        for (s, scope) in chain.scopes.iter().enumerate() {
            let title = if scope.default { format!("{} (default scope)", scope.zone) } else { scope.name.clone() };
            let mut text = vec![title, format!("zone {}", scope.zone)];
            match (scope.defined, scope.records.is_empty()) {
                (false, _) => text.push("not in this zone".into()),
                (true, true) => text.push("no records".into()),
                (true, false) => text.extend(scope.records.iter().cloned()),
            }
            let style = match (scope.defined, scope.default) {
                (false, _) => MISSING,
                (true, true) => QUIET,
                (true, false) => SCOPE,
            };
            let _ = writeln!(out, "    \"{}\" [{style}, label={}];", chain.scope_id(k, s), label(&text));
        }
        out.push_str("  }\n");
        for edge in chain.edges(k) {
            let (from, to) = (&edge.from, &edge.to);
            let _ = match edge.kind {
                EdgeKind::Matches => writeln!(out, "  \"{from}\" -> \"{to}\" [color=\"#1f4f99\"];"),
                EdgeKind::Answers { weight } => {
                    let weight = weight.map(|w| format!(", label=\"weight {w}\"")).unwrap_or_default();
                    writeln!(out, "  \"{from}\" -> \"{to}\" [color=\"#6a3d9a\"{weight}];")
                }
                EdgeKind::Fallback => writeln!(out, "  \"{from}\" -> \"{to}\" [style=dashed, color=\"#5f6b7a\"];"),
            };
        }
    }
    out.push_str("}\n");
    out
}
