//! The DNS plan picture: for each internal DNS server, what decides the answer a client gets for
//! the service name. A query walks a chain: the client subnet its address lies in, the first
//! query resolution policy (in processing order) that matches, the zone scope(s) that policy
//! answers from, and the records those hold; a query no policy matches is answered from the
//! zone's default scope. The topology picture shows where things are; this one shows why a
//! client of Tokyo is sent to Denver.
//!
//! [`DnsPlan`] is computed once from each server's configuration as its `Get-DnsServer*`
//! cmdlets print it ([`crate::rollout::dns_view`]); each notation only draws it.

mod chain;
mod dot;
mod mermaid;
mod svg;

pub use chain::{DnsPlan, PolicyNode, ScopeNode, ServerChain, SubnetNode};

use super::escape::html;
use super::GraphFormat;
use crate::rollout::dns_view::DnsServerView;
use crate::topology::Topology;
use std::fmt::Write as _;

/// Draws `plan` in `format`: every server, one after the other.
pub fn render(plan: &DnsPlan, format: GraphFormat) -> String {
    match format {
        GraphFormat::Svg => svg::render(plan),
        GraphFormat::Mermaid => mermaid::render(plan),
        GraphFormat::Dot => dot::render(plan),
    }
}

/// The picture of server `index` of `plan` alone, a whole SVG document, for a page that shows
/// each server apart; None past the last server.
pub fn server_svg(plan: &DnsPlan, index: usize) -> Option<String> {
    svg::server_svg(plan, index)
}

/// The section of a rehearsal page that shows each DNS server's chain as the runbook left it:
/// a heading and one inline SVG per server. Empty when no server was read (a rehearsal that
/// stopped before the lab answered).
pub fn html_section(servers: &[DnsServerView], topology: &Topology) -> String {
    if servers.is_empty() {
        return String::new();
    }
    let plan = DnsPlan::of(servers, topology, "as the runbook left it");
    let mut out = String::from("<h2 id=\"dns-plan\">What decides each DNS answer</h2>\n");
    out.push_str(
        "<p class=\"lead\">Per DNS server: client subnet, then the first policy that matches, then the zone scope it answers from, and its records.</p>\n",
    );
    for (index, chain) in plan.servers.iter().enumerate() {
        let _ = writeln!(
            out,
            "<div class=\"picture dns-plan\" data-server=\"{}\">\n{}</div>",
            html(&chain.name),
            svg::server_svg(&plan, index).unwrap_or_default()
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::graph::tests::assert_balanced;
    use crate::rollout::dns_view::{planned, ClientSubnetView, DnsView, PolicyView, ScopeView, ZoneView};

    /// A server whose every name is hostile: markup, quotes, DOT and Mermaid syntax.
    fn hostile() -> DnsServerView {
        let evil = r#"<script>"x" & 'y'</script> #1; ]]> } -> "z" |w| `v`"#;
        let view = DnsView {
            client_subnets: vec![ClientSubnetView { name: evil.into(), subnets: vec!["10.0.0.0/24".parse().unwrap()] }],
            zones: vec![ZoneView {
                name: "fabrikam.example".into(),
                scopes: vec![
                    ScopeView { name: "fabrikam.example".into(), records: vec![] },
                    ScopeView { name: evil.into(), records: vec![(evil.into(), "10.0.0.10".parse().unwrap())] },
                ],
                policies: vec![PolicyView {
                    name: evil.into(),
                    processing_order: 1,
                    action: "ALLOW".into(),
                    client_subnets: vec![evil.into()],
                    scopes: vec![evil.into()],
                    weights: vec![1],
                    criteria: vec![("ClientSubnet".into(), format!("EQ,{evil}")), ("FQDN".into(), evil.into())],
                    condition: "AND".into(),
                    enabled: true,
                }],
            }],
            server_policies: vec![],
            forwarding: Default::default(),
        };
        DnsServerView { name: evil.into(), view }
    }

    #[test]
    fn hostile_names_stay_text_in_every_format() {
        let topology = crate::report::graph::tests::plan(3);
        let plan = DnsPlan::of(&[hostile()], &topology, "after <evil>.ps1");
        let svg = render(&plan, GraphFormat::Svg);
        assert_balanced(&svg);
        assert!(!svg.contains("<script>") && svg.contains("&lt;script&gt;&quot;x&quot; &amp; &#39;y&#39;"));
        let mermaid = render(&plan, GraphFormat::Mermaid);
        assert!(!mermaid.contains("<script>") && !mermaid.contains("\"x\""), "{mermaid}");
        assert!(mermaid.contains("#lt;script#gt;#quot;x#quot; #amp; 'y'#lt;/script#gt; #35;1; ]]#gt; } -#gt; #quot;z#quot; #124;w#124; #96;v#96;"));
        // Every node line keeps its quotes balanced: the label cannot end early.
        for line in mermaid.lines().filter(|l| l.trim_start().starts_with('d')) {
            assert_eq!(line.matches('"').count() % 2, 0, "{line}");
        }
        let dot = render(&plan, GraphFormat::Dot);
        assert!(dot.contains(r#"\"x\" & 'y'</script> #1; ]]> } -> \"z\""#), "{dot}");
        // Outside quoted strings only the structure is left: no name's brace or arrow.
        let mut outside = String::new();
        let mut quoted = false;
        let mut escaped = false;
        for c in dot.chars() {
            match (quoted, escaped, c) {
                (true, false, '\\') => escaped = true,
                (true, true, _) => escaped = false,
                (_, false, '"') => quoted = !quoted,
                (false, _, c) => outside.push(c),
                _ => {}
            }
        }
        assert_eq!(outside.matches('{').count(), 2, "the graph and one cluster: {outside}");
        assert_eq!(outside.matches('}').count(), 2);
        assert_eq!(outside.matches("->").count(), 3, "subnet, scope and fallback edges: {outside}");
    }

    #[test]
    fn the_page_section_holds_one_picture_per_server() {
        let topology = Topology::parse(include_str!("../../../tests/fixtures/two-dns-servers.toml"), None).unwrap();
        let view = planned(&topology).unwrap();
        let servers: Vec<DnsServerView> = topology
            .dns_server_plans()
            .into_iter()
            .map(|d| DnsServerView { name: d.name, view: view.clone() })
            .collect();
        let section = html_section(&servers, &topology);
        assert_balanced(&section);
        assert_eq!(section.matches("<svg ").count(), 2);
        assert!(section.contains("data-server=\"dc-oslo\"") && section.contains(">DNS server dc-oslo</text>"));
        assert!(section.contains("asked by the clients of Oslo; as the runbook left it"));
        assert_eq!(html_section(&[], &topology), "");
    }

    #[test]
    fn every_format_draws_the_same_chain() {
        let topology = Topology::seed();
        let view = planned(&topology).unwrap();
        let plan = DnsPlan::of(&[DnsServerView { name: "dns".into(), view }], &topology, "the plan's policies");
        let svg = render(&plan, GraphFormat::Svg);
        let mermaid = render(&plan, GraphFormat::Mermaid);
        let dot = render(&plan, GraphFormat::Dot);
        assert_eq!(svg.matches("<g class=\"client-subnet\"").count(), 2);
        assert_eq!(svg.matches("<g class=\"policy\"").count(), 2);
        assert_eq!(svg.matches("<g class=\"scope\"").count(), 2);
        assert_eq!(svg.matches("<g class=\"default-scope\"").count(), 1);
        assert_eq!(svg.matches("class=\"edge subnet-policy\"").count(), 2);
        assert_eq!(svg.matches("class=\"edge policy-scope\"").count(), 2);
        assert_eq!(svg.matches("class=\"edge fallthrough\"").count(), 1);
        for (from, to) in [("d0c0", "d0p0"), ("d0c1", "d0p1"), ("d0p0", "d0s1"), ("d0p1", "d0s2"), ("d0f", "d0z0")] {
            let arrow = if from == "d0f" { "-.->" } else { "-->" };
            assert!(mermaid.contains(&format!("  {from} {arrow} {to}\n")), "mermaid lacks {from} {arrow} {to}");
            assert!(dot.contains(&format!("  \"{from}\" -> \"{to}\" [")), "dot lacks {from} -> {to}");
        }
        assert!(mermaid.contains("1. AmsterdamPolicy<br/>zone adatum.biz, ALLOW"));
        assert!(dot.contains("\"2. SeattlePolicy\\nzone adatum.biz, ALLOW\""));
    }
}
