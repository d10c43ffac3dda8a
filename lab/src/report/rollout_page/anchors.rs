//! Stable ids for the places a finding or a summary cell links to: each phase's section and each
//! row of its matrix, made from what they stand for (phase, site, range, window), so a link in a
//! ticket still points at the same row when the page is rendered again.

use crate::rollout::model::RehearsalReport;
use std::collections::HashSet;

/// Lower-case letters and digits of `text`, every other run of characters one `-`.
pub fn slug(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').to_string()
}

/// The ids of one page.
#[derive(Debug, Clone)]
pub struct Anchors {
    phases: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Anchors {
    pub fn new(report: &RehearsalReport) -> Anchors {
        let mut taken = HashSet::new();
        // Two names that differ only in punctuation share a slug: the later one is numbered.
        let mut unique = |id: String| {
            let mut candidate = id.clone();
            let mut n = 2;
            while !taken.insert(candidate.clone()) {
                candidate = format!("{id}-{n}");
                n += 1;
            }
            candidate
        };
        let phases: Vec<String> = report.phases.iter().map(|p| unique(format!("phase-{}", slug(&p.name)))).collect();
        let rows = report
            .phases
            .iter()
            .map(|p| {
                p.rows
                    .iter()
                    .map(|r| {
                        let window = r.window.as_deref().map(|w| format!("-{}", slug(w))).unwrap_or_default();
                        unique(format!("row-{}-{}-{}{window}", slug(&p.name), slug(&r.site), slug(&r.range)))
                    })
                    .collect()
            })
            .collect();
        Anchors { phases, rows }
    }

    pub fn phase(&self, phase: usize) -> &str {
        &self.phases[phase]
    }

    pub fn row(&self, phase: usize, row: usize) -> &str {
        &self.rows[phase][row]
    }

    /// The id of the finding shown `number`-th (1-based).
    pub fn finding(number: usize) -> String {
        format!("finding-{number}")
    }

    /// The id of a runbook line.
    pub fn line(line: usize) -> String {
        format!("line-{line}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_letters_and_digits() {
        assert_eq!(slug("Lyon & <Annecy>"), "lyon-annecy");
        assert_eq!(slug("10.40.8.0/24, 10.40.9.0/25"), "10-40-8-0-24-10-40-9-0-25");
        assert_eq!(slug("Zürich"), "zürich");
        assert_eq!(slug("18:00-08:00"), "18-00-08-00");
    }
}
