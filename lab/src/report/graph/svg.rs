//! The picture as a self-contained SVG: presentation attributes only (no stylesheet, no fonts,
//! no links), so the same text works as a file of its own and inlined in a page.

use super::grid::{Grid, GAP_X, GAP_Y};
use super::picture::{DnsServerPart, Picture, SitePart};
use crate::report::drawing::{line, rect, text, Frame, BODY, CHAR, HEADING, LINE, NOTE};
use crate::report::escape::html;
use std::fmt::Write as _;

const MARGIN: f64 = 20.0;
const TITLE: f64 = 30.0;
const APPLIANCE: f64 = 22.0;
const APPLIANCE_GAP: f64 = 4.0;
/// The trunk the replication links hang from runs down the left edge.
const TRUNK_ROOM: f64 = 36.0;

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

/// Where each line runs, one lane apart: the DNS servers' lanes below a row, in server order.
const LANE: f64 = 8.0;

/// The lines of the legend, each about something the picture draws.
fn legend(picture: &Picture) -> Vec<String> {
    let mut lines = vec![];
    if picture.appliance_count() > 0 {
        lines.push(
            "Blue lines: from the tenant to each appliance (Mediation Server), which replicates its configuration from it."
                .to_string(),
        );
    }
    let servers =
        if picture.dns_servers.len() == 1 { "the internal DNS server's" } else { "each internal DNS server's" };
    let outside = if picture.outside.subnets.is_empty() { "" } else { " and the outside's" };
    if !picture.sites.is_empty() || !picture.outside.subnets.is_empty() {
        lines.push(format!(
            "Purple dotted lines: {servers} legs on the networks of the sites it serves{outside}; its address on each subnet is written under it."
        ));
    }
    let mut last = String::from("Orange dashed line: the outside reaches the tenant over the internet. ");
    if picture.appliance_count() > 0 {
        last.push_str("Green boxes: appliances. ");
    }
    if !picture.sites.is_empty() {
        last.push_str("Orange text: each site's PSTN gateway.");
    }
    lines.push(last.trim_end().to_string());
    lines
}

/// The lines of text in a site's box, under its name: each subnet with the DNS server's leg on
/// it, then the gateway. The server is named when the plan has several.
fn site_lines(site: &SitePart, servers: &[DnsServerPart]) -> Vec<(String, &'static str)> {
    let name = match servers {
        [_] => String::new(),
        _ => servers.get(site.dns_server).map(|d| format!("{} ", d.name)).unwrap_or_default(),
    };
    let mut lines: Vec<(String, &'static str)> = vec![];
    for subnet in &site.subnets {
        lines.push((format!("subnet {}", subnet.subnet), "#1d2733"));
        if let Some(dns) = subnet.dns {
            lines.push((format!("  DNS {name}{dns}"), DNS_INK));
        }
    }
    lines.push((format!("gateway {}", site.gateway), GATEWAY_INK));
    lines
}

fn appliance_label(name: &str, address: &std::net::IpAddr) -> String {
    format!("{name} {address}")
}

fn site_height(site: &SitePart, servers: &[DnsServerPart]) -> f64 {
    TITLE
        + site_lines(site, servers).len() as f64 * LINE
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
            let lines =
                site_lines(s, &picture.dns_servers).into_iter().map(|(l, _)| l.chars().count() as f64 * CHAR + 24.0);
            let apps =
                s.appliances.iter().map(|a| appliance_label(&a.name, &a.address).chars().count() as f64 * CHAR + 40.0);
            let title = std::iter::once(s.name.chars().count() as f64 * 8.6 + 24.0);
            lines.chain(apps).chain(title).collect::<Vec<_>>()
        })
        .fold(0.0, f64::max);
    widest.max(230.0).ceil()
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

/// The DNS server's box in the top band.
fn dns_box(picture: &Picture, server: &DnsServerPart) -> BandBox {
    let title = match picture.dns_servers.len() {
        1 => "Internal DNS server".to_string(),
        _ => format!("DNS server {}", server.name),
    };
    let mut lines: Vec<String> = server.address.map(|a| format!("at {a}")).into_iter().collect();
    lines.extend([
        "Windows Server 2016 policies".to_string(),
        format!("answers {}", picture.tenant.service_name),
        "with each site's Mediation Servers".to_string(),
    ]);
    BandBox { class: "dns", title, lines, fill: "#f1eaf8", ink: DNS_INK, rx: 6.0, dashed: false }
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
            .flat_map(|s| std::iter::once(format!("subnet {}", s.subnet)).chain(s.dns.map(|d| format!("  DNS {d}"))))
            .chain(["should resolve nothing".to_string()])
            .collect(),
        fill: OUTSIDE_FILL,
        ink: GATEWAY_INK,
        rx: 6.0,
        dashed: true,
    };
    let servers: Vec<BandBox> = picture.dns_servers.iter().map(|d| dns_box(picture, d)).collect();
    let band_height =
        std::iter::once(&tenant).chain([&outside]).chain(&servers).map(|b| b.height()).fold(0.0, f64::max);
    let tenant_x = MARGIN;
    let outside_x = tenant_x + tenant.width() + 60.0;
    let mut server_x = vec![];
    let mut x = outside_x + outside.width() + GAP_X;
    for server in &servers {
        server_x.push(x);
        x += server.width() + GAP_X;
    }
    let band_right = x - GAP_X;
    let band_bottom = MARGIN + band_height;

    // Below each row run the DNS servers' lanes; above it, the replication bus.
    let count = picture.dns_servers.len() as f64;
    let gap_y = GAP_Y.max(30.0 + LANE * count);
    let heights: Vec<f64> = picture.sites.iter().map(|s| site_height(s, &picture.dns_servers)).collect();
    let cell = cell_width(picture);
    let grid_top = band_bottom + 40.0 + LANE * count;
    let grid = Grid::new(&heights, cell, MARGIN + TRUNK_ROOM, grid_top, gap_y);
    let right = (grid.left + grid.width()).max(band_right);
    let trunk_of = |k: usize| right + 14.0 + 10.0 * k as f64;
    let lanes_bottom = grid.bottom().max(grid_top) + 10.0 + LANE * count;
    let legend = legend(picture);
    let legend_y = lanes_bottom + 24.0;
    let legend_width = legend.iter().map(|l| l.chars().count() as f64 * 6.2).fold(0.0, f64::max);
    let width = trunk_of(picture.dns_servers.len()).max(MARGIN + legend_width) + MARGIN;
    let height = legend_y + (legend.len().max(1) - 1) as f64 * 15.0 + MARGIN;

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

    // Lines first, so boxes are drawn over their ends.
    replication_lines(&mut out, picture, &grid, band_bottom);
    out.push_str("<g class=\"dns-legs\">\n");
    for (k, server) in servers.iter().enumerate() {
        let sites: Vec<usize> = picture.sites_of(k).collect();
        if sites.is_empty() {
            continue;
        }
        // Down from the box, across to the server's trunk right of everything, down the trunk
        // and along a lane below each row it serves, up into each site it serves.
        let lane_top = band_bottom + 10.0 + LANE * (count - 1.0 - k as f64);
        let centre = server_x[k] + server.width() / 2.0;
        let trunk = trunk_of(k);
        let lane = |row: usize| grid.row_bottom(row) + 10.0 + LANE * k as f64;
        let last_row = sites.iter().map(|i| i / grid.columns).max().unwrap_or(0);
        dotted(&mut out, centre, band_bottom, centre, lane_top);
        dotted(&mut out, centre, lane_top, trunk, lane_top);
        dotted(&mut out, trunk, lane_top, trunk, lane(last_row));
        for row in 0..grid.rows() {
            let in_row: Vec<f64> = sites
                .iter()
                .filter(|i| *i / grid.columns == row)
                .map(|i| grid.corner(*i).0 + cell - 14.0 - LANE * k as f64)
                .collect();
            let Some(first) = in_row.iter().cloned().reduce(f64::min) else { continue };
            dotted(&mut out, trunk, lane(row), first, lane(row));
            for x in in_row {
                dotted(&mut out, x, lane(row), x, grid.row_bottom(row));
            }
        }
    }
    if !picture.outside.subnets.is_empty() {
        if let Some(x) = server_x.get(picture.outside.dns_server) {
            let y = band_bottom - 14.0;
            dotted(&mut out, outside_x + outside.width(), y, *x, y);
        }
    }
    out.push_str("</g>\n");
    out.push_str("<g class=\"internet\">\n");
    let middle = MARGIN + band_height / 2.0;
    line(&mut out, tenant_x + tenant.width(), middle, outside_x, middle, GATEWAY_INK, true);
    text(&mut out, (tenant_x + tenant.width() + 6.0, middle - 6.0), NOTE.ink(GATEWAY_INK), "internet");
    out.push_str("</g>\n");

    tenant.draw(&mut out, tenant_x, MARGIN, band_height);
    outside.draw(&mut out, outside_x, MARGIN, band_height);
    for (server, x) in servers.iter().zip(&server_x) {
        server.draw(&mut out, *x, MARGIN, band_height);
    }

    for (i, site) in picture.sites.iter().enumerate() {
        let (x, y) = grid.corner(i);
        let row_height = grid.row_heights[i / grid.columns];
        let _ = writeln!(out, r#"<g class="site" data-site="{}">"#, html(&site.name));
        rect(&mut out, (x, y, cell, row_height), Frame { rx: 6.0, fill: SITE_FILL, stroke: SITE_LINE, dashed: false });
        text(&mut out, (x + 12.0, y + 20.0), HEADING, &site.name);
        let lines = site_lines(site, &picture.dns_servers);
        for (j, (l, ink)) in lines.iter().enumerate() {
            text(&mut out, (x + 12.0, y + TITLE + 10.0 + j as f64 * LINE), BODY.ink(ink), l);
        }
        rail(&mut out, (x, y), lines.len(), site.appliances.len());
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

    for (i, l) in legend.iter().enumerate() {
        text(&mut out, (MARGIN, legend_y + i as f64 * 15.0), NOTE, l);
    }
    out.push_str("</svg>\n");
    out
}

/// Where the replication rail runs inside a site's box, left of its text.
const RAIL: f64 = 6.0;

/// Where appliance `j` of a site whose box starts at `top`, with `lines` lines of text, has
/// its middle.
fn appliance_middle(top: f64, lines: usize, j: usize) -> f64 {
    top + TITLE + lines as f64 * LINE + 8.0 + j as f64 * (APPLIANCE + APPLIANCE_GAP) + APPLIANCE / 2.0
}

/// The tenant's lines towards every appliance: down a trunk on the left edge, along a bus above
/// each row, down to each site's box; [`rail`] goes on inside the box.
fn replication_lines(out: &mut String, picture: &Picture, grid: &Grid, band_bottom: f64) {
    out.push_str("<g class=\"replication\">\n");
    let trunk_x = MARGIN + 18.0;
    let bus = |row: usize| grid.row_tops[row] - 14.0;
    let rows: Vec<(usize, f64)> = (0..grid.rows())
        .filter_map(|row| {
            let with_appliances = (row * grid.columns
                ..row * grid.columns + grid.cells_in_row(row, picture.sites.len()))
                .filter(|i| !picture.sites[*i].appliances.is_empty());
            with_appliances.map(|i| grid.corner(i).0 + RAIL).reduce(f64::max).map(|last| (row, last))
        })
        .collect();
    if let Some((last_row, _)) = rows.last() {
        line(out, trunk_x, band_bottom, trunk_x, bus(*last_row), LINK, false);
    }
    for (row, last_x) in rows {
        line(out, trunk_x, bus(row), last_x, bus(row), LINK, false);
    }
    for (i, site) in picture.sites.iter().enumerate() {
        if !site.appliances.is_empty() {
            let (x, y) = grid.corner(i);
            line(out, x + RAIL, bus(i / grid.columns), x + RAIL, y, LINK, false);
        }
    }
    out.push_str("</g>\n");
}

/// The replication line inside a site's box, drawn over the box: down its left edge and into
/// each appliance.
fn rail(out: &mut String, (x, y): (f64, f64), lines: usize, appliances: usize) {
    if appliances == 0 {
        return;
    }
    out.push_str("<g class=\"replication\">\n");
    let rail = x + RAIL;
    line(out, rail, y, rail, appliance_middle(y, lines, appliances - 1), LINK, false);
    for j in 0..appliances {
        let middle = appliance_middle(y, lines, j);
        line(out, rail, middle, x + 10.0, middle, LINK, false);
    }
    out.push_str("</g>\n");
}

fn dotted(out: &mut String, x1: f64, y1: f64, x2: f64, y2: f64) {
    let _ = writeln!(
        out,
        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{DNS_INK}" stroke-width="1.4" stroke-dasharray="2 3"/>"#
    );
}
