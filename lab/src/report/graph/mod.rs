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
