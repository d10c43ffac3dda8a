//! The picture as a self-contained SVG: presentation attributes only (no stylesheet, no fonts,
//! no links), so the same text works as a file of its own and inlined in a page.

use super::grid::{Grid, GAP_X};
use super::picture::{Picture, SitePart};
use crate::report::escape::html;
use std::fmt::Write as _;

const MARGIN: f64 = 20.0;
/// Width of one character of the 12 px monospace text, a little generous so text stays inside.
const CHAR: f64 = 7.4;
const LINE: f64 = 16.0;
const TITLE: f64 = 30.0;
const APPLIANCE: f64 = 22.0;
const APPLIANCE_GAP: f64 = 4.0;
/// The trunk the replication links hang from runs down the left edge.
const TRUNK_ROOM: f64 = 36.0;
const MONO: &str = "ui-monospace, DejaVu Sans Mono, Menlo, Consolas, monospace";
const SANS: &str = "system-ui, DejaVu Sans, Segoe UI, Helvetica, Arial, sans-serif";

const TENANT_FILL: &str = "#e3edfb";
const TENANT_INK: &str = "#1f4f99";
const SITE_FILL: &str = "#f6f7f9";
const SITE_LINE: &str = "#8c96a3";
const APPLIANCE_FILL: &str = "#dff1e3";
const APPLIANCE_LINE: &str = "#2e7d32";
const DNS_INK: &str = "#6a3d9a";
const GATEWAY_INK: &str = "#a15c00";
const OUTSIDE_FILL: &str = "#fff4e0";
const LINK: &str = "#5b7fb8";

const LEGEND: [&str; 2] = [
    "Blue lines: each appliance (Mediation Server) replicates its configuration from the tenant.",
    "Green: appliances. Orange: PSTN gateways and the outside. Purple: the internal DNS server's legs.",
];

/// The lines of text in a site's box, under its name.
fn site_lines(site: &SitePart) -> Vec<(String, &'static str)> {
    let mut lines: Vec<(String, &'static str)> =
        site.subnets.iter().map(|n| (format!("subnet {n}"), "#1d2733")).collect();
    lines.push((format!("gateway {}", site.gateway), GATEWAY_INK));
    if let Some(dns) = site.dns {
        lines.push((format!("DNS {dns}"), DNS_INK));
    }
    lines
}

fn appliance_label(name: &str, address: &std::net::IpAddr) -> String {
    format!("{name} {address}")
}

fn site_height(site: &SitePart) -> f64 {
    TITLE
        + site_lines(site).len() as f64 * LINE
        + 8.0
        + site.appliances.len() as f64 * (APPLIANCE + APPLIANCE_GAP)
        + 6.0
}

/// Every site box is as wide as the widest text any site needs, so the grid stays a grid.
fn cell_width(picture: &Picture) -> f64 {
    let widest = picture
        .sites
        .iter()
        .flat_map(|s| {
            let lines = site_lines(s).into_iter().map(|(l, _)| l.chars().count() as f64 * CHAR + 24.0);
            let apps =
                s.appliances.iter().map(|a| appliance_label(&a.name, &a.address).chars().count() as f64 * CHAR + 40.0);
            let title = std::iter::once(s.name.chars().count() as f64 * 8.6 + 24.0);
            lines.chain(apps).chain(title).collect::<Vec<_>>()
        })
        .fold(0.0, f64::max);
    widest.max(230.0).ceil()
}

/// How a piece of text is set.
#[derive(Debug, Clone, Copy)]
struct Font {
    size: f64,
    family: &'static str,
    weight: &'static str,
    fill: &'static str,
}

const HEADING: Font = Font { size: 14.0, family: SANS, weight: "700", fill: "#1d2733" };
const BODY: Font = Font { size: 12.0, family: MONO, weight: "400", fill: "#1d2733" };
const NOTE: Font = Font { size: 11.0, family: SANS, weight: "400", fill: "#5f6b7a" };

impl Font {
    const fn ink(self, fill: &'static str) -> Font {
        Font { fill, ..self }
    }
}

/// How a box is drawn.
#[derive(Debug, Clone, Copy)]
struct Frame {
    rx: f64,
    fill: &'static str,
    stroke: &'static str,
    dashed: bool,
}

fn text(out: &mut String, (x, y): (f64, f64), font: Font, body: &str) {
    let Font { size, family, weight, fill } = font;
    let _ = writeln!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" font-family="{family}" font-weight="{weight}" fill="{fill}">{}</text>"#,
        html(body)
    );
}

fn rect(out: &mut String, (x, y, w, h): (f64, f64, f64, f64), frame: Frame) {
    let Frame { rx, fill, stroke, dashed } = frame;
    let dash = if dashed { r#" stroke-dasharray="5 4""# } else { "" };
    let _ = writeln!(
        out,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="{rx}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"{dash}/>"#
    );
}

fn line(out: &mut String, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, dashed: bool) {
    let dash = if dashed { r#" stroke-dasharray="6 4""# } else { "" };
    let _ = writeln!(
        out,
        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="1.4"{dash}/>"#
    );
}

/// A box in the top band: a title and a few lines.
struct BandBox {
    class: &'static str,
    title: String,
    lines: Vec<String>,
    fill: &'static str,
    ink: &'static str,
    rx: f64,
    dashed: bool,
}

impl BandBox {
    fn width(&self) -> f64 {
        let title = self.title.chars().count() as f64 * 8.2 + 28.0;
        let lines = self.lines.iter().map(|l| l.chars().count() as f64 * CHAR + 28.0).fold(0.0, f64::max);
        title.max(lines).max(200.0).ceil()
    }

    fn height(&self) -> f64 {
        TITLE + self.lines.len() as f64 * LINE + 8.0
    }

    fn draw(&self, out: &mut String, x: f64, y: f64, height: f64) {
        let _ = writeln!(out, r#"<g class="{}">"#, self.class);
        let frame = Frame { rx: self.rx, fill: self.fill, stroke: self.ink, dashed: self.dashed };
        rect(out, (x, y, self.width(), height), frame);
        text(out, (x + 14.0, y + 20.0), HEADING.ink(self.ink), &self.title);
        for (i, l) in self.lines.iter().enumerate() {
            text(out, (x + 14.0, y + TITLE + 10.0 + i as f64 * LINE), BODY, l);
        }
        out.push_str("</g>\n");
    }
}

pub fn render(picture: &Picture) -> String {
    let tenant = BandBox {
        class: "tenant",
        title: "Skype for Business Online (tenant)".into(),
        lines: vec![
            format!("domain {}", picture.tenant.domain),
            format!("service {}", picture.tenant.service_name),
            "in the cloud; every appliance replicates".into(),
            "its configuration from here".into(),
        ],
        fill: TENANT_FILL,
        ink: TENANT_INK,
        rx: 26.0,
        dashed: false,
    };
    let outside = BandBox {
        class: "outside",
        title: "Outside (external clients)".into(),
        lines: picture
            .outside
            .subnets
            .iter()
            .map(|n| format!("subnet {n}"))
            .chain(picture.outside.dns.map(|d| format!("DNS {d}")))
            .chain(["should resolve nothing".to_string()])
            .collect(),
        fill: OUTSIDE_FILL,
        ink: GATEWAY_INK,
        rx: 6.0,
        dashed: true,
    };
    let dns = BandBox {
        class: "dns",
        title: "Internal DNS server".into(),
        lines: vec![
            "Windows Server 2016 policies".into(),
            format!("answers {}", picture.tenant.service_name),
            "with each site's Mediation Servers;".into(),
            "a leg on every site network".into(),
        ],
        fill: "#f1eaf8",
        ink: DNS_INK,
        rx: 6.0,
        dashed: false,
    };
    let band_height = [&tenant, &outside, &dns].iter().map(|b| b.height()).fold(0.0, f64::max);
    let tenant_x = MARGIN;
    let outside_x = tenant_x + tenant.width() + 60.0;
    let dns_x = outside_x + outside.width() + GAP_X;
    let band_right = dns_x + dns.width();

    let heights: Vec<f64> = picture.sites.iter().map(site_height).collect();
    let cell = cell_width(picture);
    let grid_top = MARGIN + band_height + 50.0;
    let grid = Grid::new(&heights, cell, MARGIN + TRUNK_ROOM, grid_top);
    let legend_y = grid.bottom().max(grid_top) + 28.0;
    let legend_width = LEGEND.iter().map(|l| l.chars().count() as f64 * 6.2).fold(0.0, f64::max);
    let width = (grid.left + grid.width()).max(band_right).max(MARGIN + legend_width) + MARGIN;
    let height = legend_y + (LEGEND.len() - 1) as f64 * 15.0 + MARGIN;

    let mut out = String::new();
    let _ = writeln!(
        out,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="topology" width="{width:.0}" height="{height:.0}" viewBox="0 0 {width:.0} {height:.0}" role="img">"#
    );
    let _ = writeln!(
        out,
        "<title>{}</title>",
        html(&format!(
            "{}: {} sites, {} appliances",
            picture.tenant.domain,
            picture.sites.len(),
            picture.appliance_count()
        ))
    );
    rect(&mut out, (0.0, 0.0, width, height), Frame { rx: 0.0, fill: "#ffffff", stroke: "none", dashed: false });

    // Links first, so boxes are drawn over their ends.
    out.push_str("<g class=\"links\">\n");
    let trunk_x = MARGIN + 18.0;
    let tenant_bottom = MARGIN + band_height;
    let last_bus = grid.row_tops.last().map(|t| t - 18.0).unwrap_or(tenant_bottom);
    line(&mut out, trunk_x, tenant_bottom, trunk_x, last_bus, LINK, false);
    for row in 0..grid.rows() {
        let bus_y = grid.row_tops[row] - 18.0;
        let cells = grid.cells_in_row(row, picture.sites.len());
        let (last_x, _) = grid.corner(row * grid.columns + cells - 1);
        line(&mut out, trunk_x, bus_y, last_x + cell / 2.0, bus_y, LINK, false);
        for c in 0..cells {
            let (x, y) = grid.corner(row * grid.columns + c);
            line(&mut out, x + cell / 2.0, bus_y, x + cell / 2.0, y, LINK, false);
        }
    }
    let middle = MARGIN + band_height / 2.0;
    line(&mut out, tenant_x + tenant.width(), middle, outside_x, middle, GATEWAY_INK, true);
    text(&mut out, (tenant_x + tenant.width() + 6.0, middle - 6.0), NOTE.ink(GATEWAY_INK), "internet");
    out.push_str("</g>\n");

    tenant.draw(&mut out, tenant_x, MARGIN, band_height);
    outside.draw(&mut out, outside_x, MARGIN, band_height);
    dns.draw(&mut out, dns_x, MARGIN, band_height);

    for (i, site) in picture.sites.iter().enumerate() {
        let (x, y) = grid.corner(i);
        let row_height = grid.row_heights[i / grid.columns];
        let _ = writeln!(out, r#"<g class="site" data-site="{}">"#, html(&site.name));
        rect(&mut out, (x, y, cell, row_height), Frame { rx: 6.0, fill: SITE_FILL, stroke: SITE_LINE, dashed: false });
        text(&mut out, (x + 12.0, y + 20.0), HEADING, &site.name);
        let lines = site_lines(site);
        for (j, (l, ink)) in lines.iter().enumerate() {
            text(&mut out, (x + 12.0, y + TITLE + 10.0 + j as f64 * LINE), BODY.ink(ink), l);
        }
        let mut ay = y + TITLE + lines.len() as f64 * LINE + 8.0;
        for a in &site.appliances {
            let _ = writeln!(out, r#"<g class="appliance" data-appliance="{}">"#, html(&a.name));
            let _ = writeln!(out, "<title>{}</title>", html(&format!("{} ({}) at {}", a.name, a.fqdn, a.address)));
            let frame = Frame { rx: 4.0, fill: APPLIANCE_FILL, stroke: APPLIANCE_LINE, dashed: false };
            rect(&mut out, (x + 10.0, ay, cell - 20.0, APPLIANCE), frame);
            text(&mut out, (x + 20.0, ay + 15.0), BODY.ink("#12361a"), &appliance_label(&a.name, &a.address));
            out.push_str("</g>\n");
            ay += APPLIANCE + APPLIANCE_GAP;
        }
        out.push_str("</g>\n");
    }

    for (i, legend) in LEGEND.iter().enumerate() {
        text(&mut out, (MARGIN, legend_y + i as f64 * 15.0), NOTE, legend);
    }
    out.push_str("</svg>\n");
    out
}
