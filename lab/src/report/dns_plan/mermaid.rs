//! The DNS plan as a Mermaid `flowchart LR`: a subgraph per server; identifiers are generated
//! (`d0c1` a client subnet, `d0p1` a policy, `d0s1` a zone scope, `d0z0` a default scope, `d0f`
//! where a query no policy matches goes), so only labels carry the server's names, in
//! Mermaid's entity codes.

use super::chain::{DnsPlan, EdgeKind};
use crate::report::escape::mermaid as label;
use std::fmt::Write as _;

/// A node's label: its lines, each escaped, joined by Mermaid's line break.
fn lines(lines: &[String]) -> String {
    lines.iter().map(|l| label(l)).collect::<Vec<_>>().join("<br/>")
}

pub fn render(plan: &DnsPlan) -> String {
    let mut out = String::from("flowchart LR\n");
    let mut classes: Vec<(&str, Vec<String>)> =
        ["subnet", "policy", "scope", "fallback", "missing", "disabled"].iter().map(|c| (*c, vec![])).collect();
    let mut class = |name: &str, id: String| {
        if let Some((_, ids)) = classes.iter_mut().find(|(c, _)| *c == name) {
            ids.push(id);
        }
    };
    for (k, chain) in plan.servers.iter().enumerate() {
        let mut title = format!("DNS server {}, {}", chain.name, plan.caption);
        if !chain.forwarding.is_empty() {
            title.push_str(&format!("; forwards {}", chain.forwarding.join("; ")));
        }
        let _ = writeln!(out, "  subgraph d{k}[\"{}\"]", label(&title));
        out.push_str("    direction LR\n");
        for (c, subnet) in chain.client_subnets.iter().enumerate() {
            let mut text = vec![subnet.name.clone()];
            text.extend(subnet.prefixes.iter().cloned());
            if !subnet.defined {
                text.push("not on this server".into());
            }
            let _ = writeln!(out, "    d{k}c{c}[\"{}\"]", lines(&text));
            class(if subnet.defined { "subnet" } else { "missing" }, format!("d{k}c{c}"));
        }
        for (p, policy) in chain.policies.iter().enumerate() {
            let mut text =
                vec![format!("{}. {}", policy.order, policy.name), format!("{}, {}", policy.level, policy.action)];
            text.extend(policy.notes.iter().cloned());
            if !policy.enabled {
                text.push("disabled: skipped".into());
            }
            let _ = writeln!(out, "    d{k}p{p}[\"{}\"]", lines(&text));
            class(if policy.enabled { "policy" } else { "disabled" }, format!("d{k}p{p}"));
        }
        let defaults: Vec<usize> = chain.default_scopes().collect();
        if !defaults.is_empty() {
            let _ = writeln!(out, "    d{k}f([\"no policy matches\"])");
            class("fallback", format!("d{k}f"));
        }
        for (s, scope) in chain.scopes.iter().enumerate() {
            let title = if scope.default { format!("{} (default scope)", scope.zone) } else { scope.name.clone() };
            let mut text = vec![title, format!("zone {}", scope.zone)];
            match (scope.defined, scope.records.is_empty()) {
                (false, _) => text.push("not in this zone".into()),
                (true, true) => text.push("no records".into()),
                (true, false) => text.extend(scope.records.iter().cloned()),
            }
            let id = chain.scope_id(k, s);
            let _ = writeln!(out, "    {id}[\"{}\"]", lines(&text));
            class(
                match (scope.defined, scope.default) {
                    (false, _) => "missing",
                    (true, true) => "fallback",
                    (true, false) => "scope",
                },
                id,
            );
        }
        out.push_str("  end\n");
        for edge in chain.edges(k) {
            let (from, to) = (&edge.from, &edge.to);
            let _ = match edge.kind {
                EdgeKind::Matches => writeln!(out, "  {from} --> {to}"),
                EdgeKind::Answers { weight } => {
                    let weight = weight.map(|w| format!("|\"weight {w}\"|")).unwrap_or_default();
                    writeln!(out, "  {from} -->{weight} {to}")
                }
                EdgeKind::Fallback => writeln!(out, "  {from} -.-> {to}"),
            };
        }
    }
    out.push_str("  classDef subnet fill:#e3edfb,stroke:#1f4f99\n");
    out.push_str("  classDef policy fill:#f1eaf8,stroke:#6a3d9a\n");
    out.push_str("  classDef scope fill:#dff1e3,stroke:#2e7d32\n");
    out.push_str("  classDef fallback fill:#f6f7f9,stroke:#5f6b7a,stroke-dasharray:5 4\n");
    out.push_str("  classDef missing fill:#fdecea,stroke:#c62828,stroke-dasharray:5 4\n");
    out.push_str("  classDef disabled fill:#f6f7f9,stroke:#5f6b7a,stroke-dasharray:5 4\n");
    for (name, ids) in classes.iter().filter(|(_, ids)| !ids.is_empty()) {
        let _ = writeln!(out, "  class {} {name}", ids.join(","));
    }
    out
}
