//! The DNS plan as a self-contained SVG: per server, three columns read left to right (client
//! subnets, policies in processing order, zone scopes with their records) and the lines between
//! them. Presentation attributes only, no ids, so several pictures can sit in one page.

use super::chain::{DnsPlan, ServerChain};
use crate::report::drawing::{line, rect, text, Font, Frame, BODY, CHAR, HEADING, LINE, NOTE, SANS};
use crate::report::escape::html;
use std::fmt::Write as _;

const MARGIN: f64 = 20.0;
const TITLE: f64 = 26.0;
/// Between two columns: room for the lines to bend.
const COLUMN_GAP: f64 = 110.0;
const BOX_GAP: f64 = 12.0;
const MIN_WIDTH: f64 = 180.0;

const INK: &str = "#1d2733";
const SUBNET_FILL: &str = "#e3edfb";
const SUBNET_INK: &str = "#1f4f99";
const POLICY_FILL: &str = "#f1eaf8";
const POLICY_INK: &str = "#6a3d9a";
const SCOPE_FILL: &str = "#dff1e3";
const SCOPE_INK: &str = "#2e7d32";
const QUIET_FILL: &str = "#f6f7f9";
const QUIET_INK: &str = "#5f6b7a";
const MISSING_FILL: &str = "#fdecea";
const MISSING_INK: &str = "#c62828";
const TITLE_FONT: Font = Font { size: 13.0, family: SANS, weight: "700", fill: INK };

/// One box of a column.
struct Node {
    /// `class` and `data-name` of its group, for tests and admins' scripts.
    class: &'static str,
    name: String,
    title: String,
    lines: Vec<(String, &'static str)>,
    fill: &'static str,
    ink: &'static str,
    dashed: bool,
}

impl Node {
    fn width(&self) -> f64 {
        let title = self.title.chars().count() as f64 * 7.8 + 24.0;
        self.lines.iter().map(|(l, _)| l.chars().count() as f64 * CHAR + 24.0).fold(title, f64::max)
    }

    fn height(&self) -> f64 {
        TITLE + self.lines.len() as f64 * LINE + 6.0
    }

    fn draw(&self, out: &mut String, (x, y): (f64, f64), width: f64) {
        let _ = writeln!(out, r#"<g class="{}" data-name="{}">"#, self.class, html(&self.name));
        let frame = Frame { rx: 5.0, fill: self.fill, stroke: self.ink, dashed: self.dashed };
        rect(out, (x, y, width, self.height()), frame);
        text(out, (x + 10.0, y + 18.0), TITLE_FONT.ink(self.ink), &self.title);
        for (i, (l, ink)) in self.lines.iter().enumerate() {
            text(out, (x + 10.0, y + TITLE + 10.0 + i as f64 * LINE), BODY.ink(ink), l);
        }
        out.push_str("</g>\n");
    }
}

fn subnet_nodes(chain: &ServerChain) -> Vec<Node> {
    chain
        .client_subnets
        .iter()
        .map(|c| {
            let mut lines: Vec<(String, &'static str)> = c.prefixes.iter().map(|p| (p.clone(), INK)).collect();
            if !c.defined {
                lines.push(("not on this server".into(), MISSING_INK));
            }
            let (fill, ink) = if c.defined { (SUBNET_FILL, SUBNET_INK) } else { (MISSING_FILL, MISSING_INK) };
            let class = if c.defined { "client-subnet" } else { "client-subnet missing" };
            Node { class, name: c.name.clone(), title: c.name.clone(), lines, fill, ink, dashed: !c.defined }
        })
        .collect()
}

fn policy_nodes(chain: &ServerChain) -> Vec<Node> {
    let mut nodes: Vec<Node> = chain
        .policies
        .iter()
        .map(|p| {
            let mut lines = vec![(format!("{}, {}", p.level, p.action), INK)];
            lines.extend(p.notes.iter().map(|n| (n.clone(), INK)));
            if !p.enabled {
                lines.push(("disabled: skipped".into(), QUIET_INK));
            }
            let (fill, ink) = if p.enabled { (POLICY_FILL, POLICY_INK) } else { (QUIET_FILL, QUIET_INK) };
            let title = format!("{}. {}", p.order, p.name);
            Node { class: "policy", name: p.name.clone(), title, lines, fill, ink, dashed: !p.enabled }
        })
        .collect();
    if chain.default_scopes().next().is_some() {
        nodes.push(Node {
            class: "fallthrough",
            name: "no policy matches".into(),
            title: "no policy matches".into(),
            lines: vec![("the zone's default scope answers".into(), QUIET_INK)],
            fill: QUIET_FILL,
            ink: QUIET_INK,
            dashed: true,
        });
    }
    nodes
}

fn scope_nodes(chain: &ServerChain) -> Vec<Node> {
    chain
        .scopes
        .iter()
        .map(|s| {
            let title = if s.default { format!("{} (default scope)", s.zone) } else { s.name.clone() };
            let mut lines = vec![(format!("zone {}", s.zone), QUIET_INK)];
            match (s.defined, s.records.is_empty()) {
                (false, _) => lines.push(("not in this zone".into(), MISSING_INK)),
                (true, true) => lines.push(("no records".into(), QUIET_INK)),
                (true, false) => lines.extend(s.records.iter().map(|r| (r.clone(), INK))),
            }
            let (class, fill, ink) = match (s.defined, s.default) {
                (false, _) => ("scope missing", MISSING_FILL, MISSING_INK),
                (true, true) => ("default-scope", QUIET_FILL, QUIET_INK),
                (true, false) => ("scope", SCOPE_FILL, SCOPE_INK),
            };
            Node { class, name: s.name.clone(), title, lines, fill, ink, dashed: !s.defined }
        })
        .collect()
}

/// A placed column: its left edge, width, and each box's top.
struct Column {
    x: f64,
    width: f64,
    tops: Vec<f64>,
    bottom: f64,
}

impl Column {
    fn place(nodes: &[Node], x: f64, top: f64) -> Column {
        let width = nodes.iter().map(Node::width).fold(MIN_WIDTH, f64::max).ceil();
        let mut tops = vec![];
        let mut y = top;
        for node in nodes {
            tops.push(y);
            y += node.height() + BOX_GAP;
        }
        Column { x, width, tops, bottom: y }
    }

    /// Where a line leaves box `i` (its right edge) or enters it (its left edge).
    fn out_of(&self, i: usize, nodes: &[Node]) -> (f64, f64) {
        (self.x + self.width, self.tops[i] + (nodes[i].height() / 2.0).min(22.0))
    }

    fn into(&self, i: usize, nodes: &[Node]) -> (f64, f64) {
        (self.x, self.tops[i] + (nodes[i].height() / 2.0).min(22.0))
    }
}

/// A bent line from `from` to `to` with an arrow head, and a label near its end.
fn link(
    out: &mut String,
    class: &str,
    from: (f64, f64),
    to: (f64, f64),
    ink: &'static str,
    dashed: bool,
    label: Option<&str>,
) {
    let ((x1, y1), (x2, y2)) = (from, to);
    let bend = (x2 - x1) / 2.0;
    let dash = if dashed { r#" stroke-dasharray="5 4""# } else { "" };
    let _ = writeln!(
        out,
        r#"<path class="{class}" d="M{x1:.1},{y1:.1} C{:.1},{y1:.1} {:.1},{y2:.1} {x2:.1},{y2:.1}" fill="none" stroke="{ink}" stroke-width="1.4"{dash}/>"#,
        x1 + bend,
        x2 - bend
    );
    let _ = writeln!(
        out,
        r#"<polygon points="{x2:.1},{y2:.1} {:.1},{:.1} {:.1},{:.1}" fill="{ink}"/>"#,
        x2 - 7.0,
        y2 - 4.0,
        x2 - 7.0,
        y2 + 4.0
    );
    if let Some(label) = label {
        // On the curve three quarters along, where lines from one box have parted.
        let t: f64 = 0.75;
        let x = (1.0 - t).powi(3) * x1
            + 3.0 * (1.0 - t).powi(2) * t * (x1 + bend)
            + 3.0 * (1.0 - t) * t * t * (x2 - bend)
            + t.powi(3) * x2;
        let y =
            (1.0 - t).powi(3) * y1 + 3.0 * (1.0 - t).powi(2) * t * y1 + 3.0 * (1.0 - t) * t * t * y2 + t.powi(3) * y2;
        text(out, (x - 24.0, y - 4.0), NOTE.ink(ink), label);
    }
}

/// The lines under the picture, each about something it draws.
fn legend(chain: &ServerChain) -> Vec<String> {
    let mut lines = vec![
        "A query is tried against the policies top to bottom; the first enabled one that matches picks the zone scope its answer comes from.".to_string(),
    ];
    if chain.policies.iter().any(|p| !p.subnets.is_empty()) {
        lines.push("Blue lines: the client subnets a policy matches (its -ClientSubnet EQ list).".into());
    }
    if chain.policies.iter().any(|p| !p.scopes.is_empty()) {
        lines.push(
            "Purple lines: the zone scopes a policy answers from, with their weights where it splits its answers."
                .into(),
        );
    }
    if chain.default_scopes().next().is_some() {
        lines.push("Grey dashed line: a query no policy matches is answered from the zone's default scope.".into());
    }
    if chain.client_subnets.iter().any(|c| !c.defined) || chain.scopes.iter().any(|s| !s.defined) {
        lines.push("Red dashed boxes: named by a policy, but not on this server.".into());
    }
    if chain.policies.iter().any(|p| !p.enabled) {
        lines.push("Grey dashed policies: disabled, so never tried.".into());
    }
    lines
}

/// A list of names for a sentence: `A`, `A and B`, `A, B and C`; past eight, a count.
fn names(names: &[String]) -> String {
    match names {
        [] => "no site".into(),
        [one] => one.clone(),
        many if many.len() > 8 => format!("{} sites", many.len()),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// One server's drawing, without the `<svg>` around it: its width, height and elements.
fn server(chain: &ServerChain, caption: &str) -> (f64, f64, String) {
    let mut out = String::new();
    let _ = writeln!(out, r#"<g class="dns-server" data-server="{}">"#, html(&chain.name));
    text(&mut out, (MARGIN, MARGIN + 14.0), HEADING.ink(POLICY_INK), &format!("DNS server {}", chain.name));
    let about = format!("asked by the clients of {}; {caption}", names(&chain.sites));
    text(&mut out, (MARGIN, MARGIN + 32.0), NOTE, &about);
    let forwards = match chain.forwarding.is_empty() {
        true => String::new(),
        false => format!("forwards {}", chain.forwarding.join("; ")),
    };
    if !forwards.is_empty() {
        text(&mut out, (MARGIN, MARGIN + 47.0), NOTE, &forwards);
    }
    let columns = [subnet_nodes(chain), policy_nodes(chain), scope_nodes(chain)];
    let headings = ["Client subnets", "Policies, in processing order", "Zone scopes and their records"];
    let empty = ["no client subnet", "no policy", "no zone"];
    let top = MARGIN + 78.0;
    let mut placed: Vec<Column> = vec![];
    let mut x = MARGIN;
    for nodes in &columns {
        let column = Column::place(nodes, x, top);
        x += column.width + COLUMN_GAP;
        placed.push(column);
    }
    // Lines first, so the boxes cover their ends.
    let [subnets, policies, scopes] = &columns;
    let [subnet_column, policy_column, scope_column] = &placed[..] else { unreachable!("three columns") };
    for (p, policy) in chain.policies.iter().enumerate() {
        for s in &policy.subnets {
            let from = subnet_column.out_of(*s, subnets);
            link(&mut out, "edge subnet-policy", from, policy_column.into(p, policies), SUBNET_INK, false, None);
        }
        for (s, weight) in &policy.scopes {
            let label = weight.map(|w| format!("weight {w}"));
            let from = policy_column.out_of(p, policies);
            link(
                &mut out,
                "edge policy-scope",
                from,
                scope_column.into(*s, scopes),
                POLICY_INK,
                false,
                label.as_deref(),
            );
        }
    }
    if let Some(fallthrough) = policies.iter().position(|n| n.class == "fallthrough") {
        for s in chain.default_scopes() {
            let from = policy_column.out_of(fallthrough, policies);
            link(&mut out, "edge fallthrough", from, scope_column.into(s, scopes), QUIET_INK, true, None);
        }
    }
    for (i, (nodes, column)) in columns.iter().zip(&placed).enumerate() {
        text(&mut out, (column.x, top - 12.0), NOTE.ink(INK), headings[i]);
        if nodes.is_empty() {
            text(&mut out, (column.x, top + 16.0), NOTE, empty[i]);
        }
        for (node, y) in nodes.iter().zip(&column.tops) {
            node.draw(&mut out, (column.x, *y), column.width);
        }
    }
    let bottom = placed.iter().map(|c| c.bottom).fold(top + 24.0, f64::max);
    let legend = legend(chain);
    for (i, l) in legend.iter().enumerate() {
        text(&mut out, (MARGIN, bottom + 12.0 + i as f64 * 15.0), NOTE, l);
    }
    out.push_str("</g>\n");
    let legend_width = legend.iter().map(|l| l.chars().count() as f64 * 6.2).fold(0.0, f64::max);
    let heading = about.chars().count().max(forwards.chars().count()) as f64 * 6.2;
    let width = (x - COLUMN_GAP).max(MARGIN + legend_width).max(MARGIN + heading) + MARGIN;
    let height = bottom + 12.0 + legend.len() as f64 * 15.0 + MARGIN - 10.0;
    (width.ceil(), height.ceil(), out)
}

fn document(width: f64, height: f64, title: &str, body: &str) -> String {
    format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"dns-plan\" width=\"{width:.0}\" height=\"{height:.0}\" viewBox=\"0 0 {width:.0} {height:.0}\" role=\"img\">\n<title>{}</title>\n<rect x=\"0\" y=\"0\" width=\"{width:.0}\" height=\"{height:.0}\" fill=\"#ffffff\"/>\n{body}</svg>\n",
        html(title)
    )
}

/// One server's picture, a whole SVG document.
pub fn server_svg(plan: &DnsPlan, index: usize) -> Option<String> {
    let chain = plan.servers.get(index)?;
    let (width, height, body) = server(chain, &plan.caption);
    Some(document(width, height, &format!("What DNS server {} answers, {}", chain.name, plan.caption), &body))
}

/// Every server's picture, one under the other, in one SVG document.
pub fn render(plan: &DnsPlan) -> String {
    let mut body = String::new();
    let (mut width, mut y) = (0.0_f64, 0.0);
    for (i, chain) in plan.servers.iter().enumerate() {
        let (w, h, drawing) = server(chain, &plan.caption);
        if i > 0 {
            line(&mut body, MARGIN, y, w - MARGIN, y, "#d0d5dc", false);
        }
        let _ = writeln!(body, "<g transform=\"translate(0 {y:.0})\">\n{drawing}</g>");
        width = width.max(w);
        y += h;
    }
    let title = format!("What each DNS server answers, {}", plan.caption);
    document(width.max(2.0 * MARGIN), y.max(2.0 * MARGIN), &title, &body)
}
