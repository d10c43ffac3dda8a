//! Tables that fit any window: each table knows how wide it must be at least (its columns' widest
//! unbreakable pieces: names, addresses, single words), and below that window width it reflows
//! into one card per row, each cell under its column's name. Nothing is then clipped and no
//! page scrolls sideways, whether it is read on a phone or on a wide screen.
//!
//! Widths are estimated from character counts, generously (lab choice: 8.5 px a character at the
//! pages' 13 px fonts, plus padding), so a table turns into cards a little early rather than
//! overflowing a little late.

use std::collections::BTreeSet;
use std::fmt::Write as _;

/// Pixels a character of table text may take.
const PX_PER_CHAR: f64 = 8.5;
/// Padding and borders of one cell.
const CELL_PX: f64 = 18.0;
/// The page's margins left and right, and slack for a scroll bar.
const PAGE_PX: f64 = 48.0 + 24.0;

/// The narrowest width each column of a table can take.
#[derive(Debug, Clone, Default)]
pub struct Fit {
    columns: Vec<usize>,
}

impl Fit {
    /// Notes a cell of column `column` whose unbreakable pieces are `pieces` (a name kept whole,
    /// or each word of a text that may wrap).
    pub fn cell<'a>(&mut self, column: usize, pieces: impl IntoIterator<Item = &'a str>) {
        if self.columns.len() <= column {
            self.columns.resize(column + 1, 0);
        }
        let widest = pieces.into_iter().map(|p| p.chars().count()).max().unwrap_or(0);
        self.columns[column] = self.columns[column].max(widest);
    }

    /// Notes a cell whose text may wrap between its words.
    pub fn words(&mut self, column: usize, text: &str) {
        self.cell(column, text.split_whitespace());
    }

    /// The window width below which the table reflows into cards.
    pub fn breakpoint(&self) -> u32 {
        let px: f64 = self.columns.iter().map(|&c| c as f64 * PX_PER_CHAR + CELL_PX).sum::<f64>() + PAGE_PX;
        px.ceil() as u32
    }
}

/// The reflow rules of every breakpoint a page's tables use: a table with
/// `data-reflow="N"` turns into cards in windows narrower than N pixels.
#[derive(Debug, Clone, Default)]
pub struct Reflow {
    breakpoints: BTreeSet<u32>,
}

impl Reflow {
    /// The attribute a table carries to reflow below `fit`'s width.
    pub fn attribute(&mut self, fit: &Fit) -> String {
        let at = fit.breakpoint();
        self.breakpoints.insert(at);
        format!(" data-reflow=\"{at}\"")
    }

    /// The CSS: per breakpoint, rows become cards and each cell shows its column's name
    /// (`data-label`) above its content.
    pub fn css(&self) -> String {
        let mut out = String::new();
        for at in &self.breakpoints {
            let t = format!("table[data-reflow=\"{at}\"]");
            let _ = write!(
                out,
                "\n@media (max-width: {w}px) {{\n\
                 {t} {{ display: block; width: 100%; border: none; }}\n\
                 {t} thead {{ display: none; }}\n\
                 {t} tbody, {t} tr {{ display: block; width: 100%; }}\n\
                 {t} tr {{ border: 1px solid var(--line); border-radius: 4px; margin: 0 0 8px; }}\n\
                 {t} td {{ display: block; width: 100%; border: none; border-top: 1px solid var(--line); }}\n\
                 {t} td:first-child {{ border-top: none; }}\n\
                 {t} td::before {{ content: attr(data-label); display: block; font-size: 11px; color: var(--muted);\n\
                 \x20 font-weight: 600; font-style: normal; }}\n\
                 {t} td.cell a {{ display: inline; }}\n\
                 }}",
                w = at - 1
            );
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_widest_unbreakable_piece_of_each_column_sets_the_breakpoint() {
        let mut fit = Fit::default();
        fit.cell(0, ["amsterdam-1"]);
        fit.words(1, "no client subnet covers it");
        fit.words(1, "x");
        let expected = (11.0 * PX_PER_CHAR + CELL_PX + 6.0 * PX_PER_CHAR + CELL_PX + PAGE_PX).ceil() as u32;
        assert_eq!(fit.breakpoint(), expected);
    }

    #[test]
    fn each_breakpoint_gets_its_rules_once() {
        let mut reflow = Reflow::default();
        let mut fit = Fit::default();
        fit.cell(0, ["a-long-name-of-a-site"]);
        let a = reflow.attribute(&fit);
        let b = reflow.attribute(&fit);
        assert_eq!(a, b);
        let css = reflow.css();
        assert_eq!(css.matches("@media").count(), 1, "{css}");
        assert!(css.contains(&format!("table[data-reflow=\"{}\"] td::before", fit.breakpoint())));
    }
}
