//! The topology picture: sites with their subnets, gateway and appliances, the internal DNS
//! server, the tenant in the cloud and the outside subnets, in three notations.
//!
//! [`Picture`] is computed once from the plan; each renderer only draws it, so the three formats
//! never disagree about what is in the plan.

mod dot;
mod grid;
mod mermaid;
mod picture;
mod svg;

pub use picture::{AppliancePart, OutsidePart, Picture, SitePart, TenantPart};

use crate::topology::Topology;

/// The notations `bypass-lab graph` can print.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum GraphFormat {
    /// A self-contained SVG image (also the one embedded in `rehearsal.html`).
    #[default]
    Svg,
    /// A Mermaid `flowchart`, for Markdown pages that render Mermaid.
    Mermaid,
    /// Graphviz DOT, for `dot -Tpng` and friends.
    Dot,
}

/// Draws `topology` in `format`.
pub fn render(topology: &Topology, format: GraphFormat) -> String {
    let picture = Picture::of(topology);
    match format {
        GraphFormat::Svg => svg::render(&picture),
        GraphFormat::Mermaid => mermaid::render(&picture),
        GraphFormat::Dot => dot::render(&picture),
    }
}

/// The SVG picture alone, for pages that inline it.
pub fn svg(topology: &Topology) -> String {
    svg::render(&Picture::of(topology))
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A plan of `sites` sites that is not the seed: awkward names, several subnets, 1 to 4
    /// appliances each.
    pub(crate) fn plan(sites: usize) -> Topology {
        let mut toml = String::from(
            "[tenant]\ndomain = \"fabrikam.example\"\nsip_domains = [\"fabrikam.example\"]\n\
             service_name = \"mbws.fabrikam.example\"\n\n",
        );
        for i in 0..sites {
            let name = if i == 1 { "R&D <\\\"Lab\\\">".to_string() } else { format!("Site{i:03}") };
            let extra = if i % 3 == 0 { format!(", \"10.{i}.8.0/24\"") } else { String::new() };
            toml += &format!(
                "[[site]]\nname = \"{name}\"\nsubnets = [\"10.{i}.0.0/24\"{extra}]\ngateway = \"10.{i}.0.1\"\n\n"
            );
            for j in 0..1 + i % 4 {
                toml += &format!("[[site.appliance]]\nname = \"cce-{i}-{j}\"\naddress = \"10.{i}.0.{}\"\n\n", 10 + j);
            }
        }
        toml += "[outside]\nsubnets = [\"198.51.100.0/24\", \"192.0.2.0/25\"]\n";
        Topology::parse(&toml, None).expect("the generated plan is valid")
    }

    /// Checks that every tag is closed in order and no text holds a raw `<` or `&` that is not an
    /// entity: what an XML parser would refuse first.
    pub(crate) fn assert_balanced(markup: &str) {
        let mut stack: Vec<String> = Vec::new();
        let mut rest = markup;
        while let Some(open) = rest.find('<') {
            let text = &rest[..open];
            for (k, _) in text.match_indices('&') {
                let entity = &text[k..];
                let end = entity.find(';').unwrap_or_else(|| panic!("a raw & in text: {entity:.40}"));
                assert!(end <= 8, "a raw & in text: {entity:.40}");
            }
            let close = rest[open..].find('>').expect("a tag that never closes") + open;
            let tag = &rest[open + 1..close];
            assert!(!tag.contains('<'), "a raw < inside tag text: {tag:.60}");
            let name: String = tag.trim_start_matches('/').chars().take_while(|c| c.is_ascii_alphanumeric()).collect();
            if tag.starts_with('/') {
                assert_eq!(stack.pop().as_deref(), Some(name.as_str()), "closing </{name}> out of order");
            } else if !tag.ends_with('/') && !tag.starts_with('!') && !tag.starts_with('?') {
                stack.push(name);
            }
            rest = &rest[close + 1..];
        }
        assert!(stack.is_empty(), "unclosed tags: {stack:?}");
    }

    #[test]
    fn the_svg_is_balanced_and_names_every_appliance_escaped() {
        for sites in [1, 3, 20, 200] {
            let topology = plan(sites);
            let svg = svg(&topology);
            assert_balanced(&svg);
            for (_, a) in topology.appliances() {
                assert!(svg.contains(&format!(">{} {}</text>", a.name, a.address)), "{} missing", a.name);
            }
            assert_eq!(svg.matches("class=\"appliance\"").count(), topology.appliances().count());
            assert_eq!(svg.matches("class=\"site\"").count(), sites);
        }
        let svg = svg(&plan(3));
        assert!(svg.contains(">R&amp;D &lt;&quot;Lab&quot;&gt;</text>"), "the site name is escaped");
        assert!(!svg.contains("R&D"));
    }

    /// The `<line>`s inside the first `<g class="CLASS">`, as (x1, y1, x2, y2).
    fn lines_in(svg: &str, class: &str) -> Vec<(f64, f64, f64, f64)> {
        let group = &svg[svg.find(&format!("<g class=\"{class}\">")).expect("the group")..];
        let group = &group[..group.find("</g>").expect("its end")];
        group
            .split("<line ")
            .skip(1)
            .map(|l| {
                let at = |name: &str| -> f64 {
                    let v =
                        &l[l.find(&format!(" {name}=\"")).unwrap_or_else(|| l.find(&format!("{name}=\"")).unwrap())..];
                    let v = &v[v.find('"').unwrap() + 1..];
                    v[..v.find('"').unwrap()].parse().unwrap()
                };
                (at("x1"), at("y1"), at("x2"), at("y2"))
            })
            .collect()
    }

    /// Each site's box, as (x, y, width, height), in plan order.
    fn site_boxes(svg: &str) -> Vec<(f64, f64, f64, f64)> {
        svg.split("<g class=\"site\"")
            .skip(1)
            .map(|g| {
                let rect = &g[g.find("<rect").unwrap()..];
                let at = |name: &str| -> f64 {
                    let v = &rect[rect.find(&format!(" {name}=\"")).unwrap() + name.len() + 3..];
                    v[..v.find('"').unwrap()].parse().unwrap()
                };
                (at("x"), at("y"), at("width"), at("height"))
            })
            .collect()
    }

    #[test]
    fn the_svg_draws_a_replication_line_into_every_appliance() {
        let topology = plan(20);
        let svg = svg(&topology);
        // Inside each site's box, its rail and one line per appliance.
        for (site, group) in topology.sites.iter().zip(svg.split("<g class=\"site\"").skip(1)) {
            let rail = &group[group.find("<g class=\"replication\">").expect("a rail")..];
            let rail = &rail[..rail.find("</g>").unwrap()];
            assert_eq!(rail.matches("<line ").count(), 1 + site.appliances.len(), "{}", site.name);
        }
        // And each site's box has a line coming down to its top from the bus above its row.
        let drops = lines_in(&svg, "replication");
        for (x, y, w, _) in site_boxes(&svg) {
            assert!(
                drops.iter().any(|l| l.0 == l.2 && l.0 > x && l.0 < x + w && l.3 == y),
                "no drop to the box at {x},{y}"
            );
        }
    }

    #[test]
    fn the_svg_draws_the_dns_servers_legs_to_each_site_and_the_outside() {
        let topology = plan(20);
        let svg = svg(&topology);
        let legs = lines_in(&svg, "dns-legs");
        for (x, y, w, h) in site_boxes(&svg) {
            assert!(
                legs.iter().any(|l| l.0 == l.2 && l.0 > x && l.0 < x + w && (l.3 - (y + h)).abs() < 0.11),
                "no DNS leg up to the box at {x},{y}"
            );
        }
        for subnet in &topology.outside.subnets {
            assert!(svg.contains(&format!(">subnet {subnet}</text>")), "outside {subnet}");
        }
        assert_eq!(svg.matches(">DNS ").count(), 2 + topology.sites.iter().map(|s| s.subnets.len()).sum::<usize>());
        // The legend speaks of what is drawn: the lines into appliances, the legs, the outside.
        assert!(svg.contains("Blue lines: from the tenant to each appliance"));
        assert!(svg.contains("legs on the networks of the sites it serves and the outside"));
    }

    #[test]
    fn without_outside_subnets_no_leg_goes_to_the_outside_and_the_legend_says_none() {
        let mut topology = plan(2);
        topology.outside.subnets.clear();
        let svg = svg(&topology);
        assert!(svg.contains("legs on the networks of the sites it serves; its address"), "no outside legs told");
        assert!(svg.contains("Orange dashed line: the outside reaches the tenant"), "the internet line is drawn");
        // Only the legs up into the two sites' boxes, none across to the outside's.
        let across = lines_in(&svg, "dns-legs").iter().filter(|l| l.1 == l.3 && l.1 < 200.0).count();
        assert_eq!(across, 1, "only the turn from the DNS box towards its trunk");
        let mermaid = render(&topology, GraphFormat::Mermaid);
        assert!(!mermaid.contains(" outside\n  subgraph") && !mermaid.contains("-.- outside"), "{mermaid}");
        assert!(mermaid.contains("outside[/\"Outside (external clients)\"/]"));
        assert!(!render(&topology, GraphFormat::Dot).contains("-- \"outside\" [style=dotted"));
    }

    #[test]
    fn several_dns_servers_each_have_their_box_and_legs() {
        let topology = Topology::parse(include_str!("../../../tests/fixtures/two-dns-servers.toml"), None).unwrap();
        let svg = svg(&topology);
        assert_balanced(&svg);
        assert_eq!(svg.matches("<g class=\"dns\">").count(), 2);
        assert!(svg.contains(">DNS server dc-oslo</text>") && svg.contains(">DNS dc-oslo 10.62.1.5</text>"));
        let mermaid = render(&topology, GraphFormat::Mermaid);
        assert!(mermaid.contains("dns1 -.-|\"DNS 10.62.1.5\"| s1net"), "{mermaid}");
        assert!(mermaid.contains("dns0 -.-|\"DNS 10.61.1.5\"| s0net"), "{mermaid}");
        let dot = render(&topology, GraphFormat::Dot);
        assert!(
            dot.contains("\"dns1\" -- \"s1net\" [style=dotted, color=\"#6a3d9a\", label=\"DNS 10.62.1.5\"]"),
            "{dot}"
        );
    }

    #[test]
    fn mermaid_and_dot_draw_every_appliance_and_site() {
        let topology = plan(20);
        let mermaid = render(&topology, GraphFormat::Mermaid);
        let dot = render(&topology, GraphFormat::Dot);
        assert!(mermaid.starts_with("flowchart TB\n"));
        assert!(dot.starts_with("graph topology {\n") && dot.trim_end().ends_with('}'));
        for (site, a) in topology.appliances() {
            assert!(mermaid.contains(&format!("[\"{}<br/>{}\"]", a.name, a.address)), "mermaid lacks {}", a.name);
            assert!(dot.contains(&format!("label=\"{}\\n{}\"", a.name, a.address)), "dot lacks {}", a.name);
            assert!(dot.contains(&format!("gateway {}", site.gateway)));
        }
        assert_eq!(mermaid.matches("tenant --> ").count(), topology.appliances().count());
        assert!(mermaid.contains("[\"R#amp;D #lt;#quot;Lab#quot;#gt;\"]"));
        assert!(dot.contains("label=\"R&D <\\\"Lab\\\">\""));
        assert_eq!(dot.matches('{').count(), dot.matches('}').count());
        // Every site and every outside subnet has its DNS leg.
        assert_eq!(mermaid.matches("dns0 -.-|\"DNS ").count(), topology.sites.len() + 1);
        assert_eq!(dot.matches("\"dns0\" -- ").count(), topology.sites.len() + 1);
        let outside = mermaid.lines().find(|l| l.ends_with(" outside") && l.starts_with("  dns0")).unwrap();
        for leg in Picture::of(&topology).outside.subnets.iter().map(|s| s.dns.expect("a leg")) {
            assert!(outside.contains(&leg.to_string()), "{leg} missing from {outside}");
        }
    }
}
