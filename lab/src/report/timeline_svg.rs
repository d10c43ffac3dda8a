//! A phase's replication window as a small self-contained SVG: one strip per site, coloured by
//! what a client fetching at that moment decides, from the change to the window's end. Plans
//! with many sites get one strip per state instead (how many sites are old, mixed or new), so
//! the chart stays the same size at 200 sites.

use super::escape::html;
use crate::rollout::model::{SiteTimeline, Timeline};
use std::fmt::Write as _;

/// More sites than this are drawn as counts rather than one strip each.
const STRIPS: usize = 24;
const WIDTH: f64 = 560.0;
const LABEL: f64 = 140.0;
const ROW: f64 = 16.0;

/// One strip of the chart: its label and its spans `(from_ms, to_ms, decision)`.
type Strip = (String, Vec<(u64, u64, String)>);

fn colour(decision: &str) -> &'static str {
    match decision {
        "bypass" => "#2e7d32",
        "mixed" => "#e0a100",
        _ => "#8a96a8",
    }
}

/// The spans of a site's points: `(from_ms, to_ms, decision)`.
fn spans<'a>(timeline: &Timeline, site: &'a SiteTimeline) -> Vec<(u64, u64, &'a str)> {
    site.points
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let end = site.points.get(i + 1).map(|n| n.at_ms).unwrap_or(timeline.to_ms);
            (p.at_ms, end.max(p.at_ms), p.decision.as_str())
        })
        .filter(|(a, b, _)| b > a)
        .collect()
}

fn x(timeline: &Timeline, at: u64) -> f64 {
    let span = timeline.to_ms.saturating_sub(timeline.from_ms).max(1) as f64;
    LABEL + (at.saturating_sub(timeline.from_ms) as f64 / span) * WIDTH
}

/// The chart of one phase's timeline.
pub fn svg(timeline: &Timeline) -> String {
    let rows: Vec<Strip> = if timeline.sites.len() <= STRIPS {
        timeline
            .sites
            .iter()
            .map(|s| (s.site.clone(), spans(timeline, s).into_iter().map(|(a, b, d)| (a, b, d.to_string())).collect()))
            .collect()
    } else {
        counts(timeline)
    };
    let height = ROW * rows.len() as f64 + 34.0;
    let mut out = format!(
        "<svg class=\"timeline\" xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{height}\" viewBox=\"0 0 {w} {height}\" role=\"img\">\n\
         <title>What a client decides at each moment of the replication window, by site</title>\n",
        w = LABEL + WIDTH + 30.0
    );
    for (i, (label, segments)) in rows.iter().enumerate() {
        let y = 4.0 + ROW * i as f64;
        let _ = writeln!(
            out,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\" font-size=\"11\">{}</text>",
            LABEL - 6.0,
            y + 11.0,
            html(label)
        );
        for (a, b, decision) in segments {
            let _ = writeln!(
                out,
                "<rect class=\"span {cls}\" x=\"{:.1}\" y=\"{y}\" width=\"{:.1}\" height=\"{}\" fill=\"{}\"><title>{}</title></rect>",
                x(timeline, *a),
                (x(timeline, *b) - x(timeline, *a)).max(0.5),
                ROW - 3.0,
                colour(decision),
                html(decision),
                cls = decision.replace(' ', "-"),
            );
        }
    }
    let axis = 4.0 + ROW * rows.len() as f64 + 12.0;
    let hours = timeline.to_ms.saturating_sub(timeline.from_ms) / 3_600_000;
    let step = (hours / 6).max(1);
    for h in (0..=hours).step_by(step as usize) {
        let at = timeline.from_ms + h * 3_600_000;
        let _ = writeln!(
            out,
            "<text x=\"{:.1}\" y=\"{axis}\" font-size=\"10\" text-anchor=\"middle\">+{h}h</text>",
            x(timeline, at)
        );
    }
    let _ = writeln!(
        out,
        "<text x=\"{LABEL}\" y=\"{}\" font-size=\"10\">grey: {}, amber: mixed, green: bypass</text>\n</svg>",
        axis + 12.0,
        html(if timeline.before == "bypass" { &timeline.after } else { &timeline.before })
    );
    out
}

/// One strip per state, each span labelled with how many sites are in it.
fn counts(timeline: &Timeline) -> Vec<Strip> {
    let mut instants: Vec<u64> = timeline.sites.iter().flat_map(|s| s.points.iter().map(|p| p.at_ms)).collect();
    instants.sort_unstable();
    instants.dedup();
    let state_at = |s: &SiteTimeline, t: u64| -> String {
        s.points.iter().rev().find(|p| p.at_ms <= t).map(|p| p.decision.clone()).unwrap_or_default()
    };
    ["no bypass", "mixed", "bypass"]
        .iter()
        .map(|state| {
            let segments = instants
                .iter()
                .enumerate()
                .filter_map(|(i, t)| {
                    let end = instants.get(i + 1).copied().unwrap_or(timeline.to_ms);
                    let n = timeline.sites.iter().filter(|s| state_at(s, *t) == *state).count();
                    (n > 0 && end > *t).then(|| (*t, end, state.to_string()))
                })
                .collect();
            (format!("sites: {state}"), segments)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::model::{Arrival, TimelinePoint};

    fn point(h: u64, serving: usize, decision: &str) -> TimelinePoint {
        TimelinePoint { at_ms: h * 3_600_000, at: format!("day 1 {h:02}:00"), serving, decision: decision.into() }
    }

    #[test]
    fn each_site_is_a_strip_coloured_by_what_clients_decide() {
        let t = Timeline {
            version: 3,
            from_ms: 0,
            to_ms: 24 * 3_600_000,
            from: "day 1 00:00".into(),
            to: "day 2 00:00".into(),
            before: "no bypass".into(),
            after: "bypass".into(),
            sites: vec![SiteTimeline {
                site: "Sea<ttle".into(),
                appliances: 2,
                points: vec![point(0, 0, "no bypass"), point(2, 1, "mixed"), point(16, 2, "bypass")],
                arrivals: vec![Arrival { appliance: "a".into(), at_ms: None, at: None }],
            }],
        };
        let svg = svg(&t);
        assert_eq!(svg.matches("<rect").count(), 3, "{svg}");
        assert!(svg.contains("Sea&lt;ttle"));
        assert!(svg.contains("class=\"span mixed\" x=\"186.7\""), "mixed from +2h: {svg}");
    }
}
