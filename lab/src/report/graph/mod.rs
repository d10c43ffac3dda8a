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
        toml += "[outside]\nsubnets = [\"198.51.100.0/24\"]\n";
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
    }
}
