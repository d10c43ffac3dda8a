//! What the SVG pictures are drawn with: text, boxes and lines as presentation attributes only
//! (no stylesheet, no fonts, no links), so a picture works as a file of its own and inlined in
//! a page. Text widths are estimated from the fonts' sizes, so nothing depends on fonts being
//! measured.

use super::escape::html;
use std::fmt::Write as _;

/// Width of one character of the 12 px monospace text, a little generous so text stays inside.
pub const CHAR: f64 = 7.4;
/// From one line of 12 px text to the next.
pub const LINE: f64 = 16.0;
pub const MONO: &str = "ui-monospace, DejaVu Sans Mono, Menlo, Consolas, monospace";
pub const SANS: &str = "system-ui, DejaVu Sans, Segoe UI, Helvetica, Arial, sans-serif";

/// How a piece of text is set.
#[derive(Debug, Clone, Copy)]
pub struct Font {
    pub size: f64,
    pub family: &'static str,
    pub weight: &'static str,
    pub fill: &'static str,
}

pub const HEADING: Font = Font { size: 14.0, family: SANS, weight: "700", fill: "#1d2733" };
pub const BODY: Font = Font { size: 12.0, family: MONO, weight: "400", fill: "#1d2733" };
pub const NOTE: Font = Font { size: 11.0, family: SANS, weight: "400", fill: "#5f6b7a" };

impl Font {
    pub const fn ink(self, fill: &'static str) -> Font {
        Font { fill, ..self }
    }
}

/// How a box is drawn.
#[derive(Debug, Clone, Copy)]
pub struct Frame {
    pub rx: f64,
    pub fill: &'static str,
    pub stroke: &'static str,
    pub dashed: bool,
}

/// A line of `body`; one that starts with two spaces belongs to the line above it and is set
/// in by as much (SVG collapses the spaces themselves).
pub fn text(out: &mut String, (x, y): (f64, f64), font: Font, body: &str) {
    let Font { size, family, weight, fill } = font;
    let (x, body) = match body.strip_prefix("  ") {
        Some(rest) => (x + 2.0 * CHAR, rest),
        None => (x, body),
    };
    let _ = writeln!(
        out,
        r#"<text x="{x:.1}" y="{y:.1}" font-size="{size}" font-family="{family}" font-weight="{weight}" fill="{fill}">{}</text>"#,
        html(body)
    );
}

pub fn rect(out: &mut String, (x, y, w, h): (f64, f64, f64, f64), frame: Frame) {
    let Frame { rx, fill, stroke, dashed } = frame;
    let dash = if dashed { r#" stroke-dasharray="5 4""# } else { "" };
    let _ = writeln!(
        out,
        r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" rx="{rx}" fill="{fill}" stroke="{stroke}" stroke-width="1.2"{dash}/>"#
    );
}

pub fn line(out: &mut String, x1: f64, y1: f64, x2: f64, y2: f64, stroke: &str, dashed: bool) {
    let dash = if dashed { r#" stroke-dasharray="6 4""# } else { "" };
    let _ = writeln!(
        out,
        r#"<line x1="{x1:.1}" y1="{y1:.1}" x2="{x2:.1}" y2="{y2:.1}" stroke="{stroke}" stroke-width="1.4"{dash}/>"#
    );
}
