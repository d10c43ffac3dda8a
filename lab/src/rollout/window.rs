//! The stretches of the day a place is judged in: between two consecutive time-of-day boundaries
//! of a DNS server's policies no `-TimeOfDay` criterion changes its mind, so one instant stands
//! for the whole stretch. A server without such a criterion gives no window: its places are
//! judged once.

use crate::clock::TimeOfDay;
use std::fmt;

/// From `from` (inclusive) to `to` (exclusive), over midnight when `to` is not after `from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Window {
    pub from: TimeOfDay,
    pub to: TimeOfDay,
}

impl fmt::Display for Window {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}-{}", self.from, self.to)
    }
}

impl Window {
    /// "from 18:00 to 08:00", as a finding starts.
    pub fn words(&self) -> String {
        format!("from {} to {}", self.from, self.to)
    }
}

/// The windows between consecutive `boundaries` around the day; none when fewer than two
/// boundaries (a single boundary cannot split the day: its window is empty or whole).
pub fn windows(boundaries: &[TimeOfDay]) -> Vec<Window> {
    let mut b = boundaries.to_vec();
    b.sort();
    b.dedup();
    if b.len() < 2 {
        return vec![];
    }
    (0..b.len()).map(|i| Window { from: b[i], to: b[(i + 1) % b.len()] }).collect()
}

/// `chosen` (a subset of `all`) as the fewest spans: neighbours around the day join. None
/// when `chosen` is every window, so the words need no time at all.
pub fn spans(all: &[Window], chosen: &[Window]) -> Option<Vec<Window>> {
    if all.is_empty() || all.iter().all(|w| chosen.contains(w)) {
        return None;
    }
    let picked: Vec<bool> = all.iter().map(|w| chosen.contains(w)).collect();
    // Start after a window that is not chosen, so a span running over midnight stays whole.
    let start = picked.iter().position(|p| !p).map(|i| (i + 1) % all.len()).unwrap_or(0);
    let mut out: Vec<Window> = vec![];
    let mut open: Option<Window> = None;
    for k in 0..all.len() {
        let i = (start + k) % all.len();
        match (picked[i], open.as_mut()) {
            (true, Some(span)) => span.to = all[i].to,
            (true, None) => open = Some(all[i]),
            (false, _) => out.extend(open.take()),
        }
    }
    out.extend(open);
    out.sort();
    Some(out)
}

/// Spans in words: "from 18:00 to 08:00", or several joined with "and".
pub fn words(spans: &[Window]) -> String {
    spans.iter().map(Window::words).collect::<Vec<_>>().join(" and ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> TimeOfDay {
        s.parse().unwrap()
    }

    #[test]
    fn boundaries_cut_the_day_into_windows_that_go_round() {
        let w = windows(&[t("18:00"), t("08:00"), t("18:00")]);
        assert_eq!(w.iter().map(Window::to_string).collect::<Vec<_>>(), ["08:00-18:00", "18:00-08:00"]);
        assert!(windows(&[t("08:00")]).is_empty());
    }

    #[test]
    fn chosen_windows_join_over_midnight_and_the_whole_day_needs_no_words() {
        let all = windows(&[t("06:00"), t("08:00"), t("18:00"), t("22:00")]);
        let night = [all[2], all[3], all[0]]; // 18-22, 22-06, 06-08
        assert_eq!(words(&spans(&all, &night).unwrap()), "from 18:00 to 08:00");
        assert_eq!(words(&spans(&all, &[all[0], all[2]]).unwrap()), "from 06:00 to 08:00 and from 18:00 to 22:00");
        assert_eq!(spans(&all, &all), None);
    }
}
