//! What a reader is shown of the cells a phase was judged in (one per region of every place and
//! window of the day): a region that behaves alike all day is one row without a window, and the
//! regions of a subnet that behave alike are one row again, so a uniform subnet reads as one
//! row and only a split one shows its ranges. Findings keep their exact range; one that holds
//! in some windows only says when.

use super::model::{Finding, SubnetRow};
use super::observe::Observation;
use super::window::{self, Window};
use crate::topology::Topology;
use ipnet::IpNet;
use std::collections::BTreeMap;

/// What a row shows that a reader compares: the same for two cells means one row.
fn behaviour(row: &SubnetRow) -> impl PartialEq + '_ {
    (&row.resolved, &row.resolved_site, row.web_service, row.decision, &row.media)
}

/// A region's identity within a phase (and the population its client stands for, when the
/// plan declares them: each population keeps its own rows).
type RegionKey = (String, String, String, Option<String>);

fn region_key(o: &Observation) -> RegionKey {
    (
        o.sample.site.clone(),
        o.sample.subnet.to_string(),
        o.sample.range_text(),
        o.sample.population.as_ref().map(|p| p.name.clone()),
    )
}

/// The windows each region was judged in, in order.
fn windows_by_region(observations: &[Observation]) -> BTreeMap<RegionKey, Vec<Window>> {
    let mut out: BTreeMap<_, Vec<Window>> = BTreeMap::new();
    for o in observations {
        if let Some(w) = o.window {
            let list = out.entry(region_key(o)).or_default();
            if !list.contains(&w) {
                list.push(w);
            }
        }
    }
    for list in out.values_mut() {
        list.sort();
    }
    out
}

/// `chosen` of `all` as a row's window: None for the whole day, else its spans.
fn window_text(all: &[Window], chosen: &[Window]) -> Option<String> {
    window::spans(all, chosen).map(|spans| spans.iter().map(Window::to_string).collect::<Vec<_>>().join(", "))
}

/// The rows of one phase, places in the order observed.
pub fn rows(observations: &[Observation], topology: &Topology) -> Vec<SubnetRow> {
    let windows = windows_by_region(observations);
    // 1. A region's windows that behave alike join.
    let mut per_region: Vec<(SubnetRow, Vec<IpNet>)> = vec![];
    let mut seen: Vec<RegionKey> = vec![];
    for o in observations {
        let key = region_key(o);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key.clone());
        let cells: Vec<&Observation> = observations.iter().filter(|c| region_key(c) == key).collect();
        let all = windows.get(&key).cloned().unwrap_or_default();
        let mut groups: Vec<(SubnetRow, Vec<Window>)> = vec![];
        for cell in cells {
            let row = cell.row(topology);
            match groups.iter_mut().find(|(r, _)| behaviour(r) == behaviour(&row)) {
                Some((_, ws)) => ws.extend(cell.window),
                None => groups.push((row, cell.window.into_iter().collect())),
            }
        }
        for (mut row, ws) in groups {
            row.window = window_text(&all, &ws);
            per_region.push((row, o.sample.range.clone()));
        }
    }
    // 2. A subnet's regions that behave alike in the same windows join.
    let mut out: Vec<(SubnetRow, Vec<IpNet>)> = vec![];
    for (row, range) in per_region {
        let same = out.iter_mut().find(|(r, _)| {
            r.site == row.site
                && r.subnet == row.subnet
                && r.population == row.population
                && r.window == row.window
                && behaviour(r) == behaviour(&row)
        });
        match same {
            Some((r, blocks)) => {
                blocks.extend(range);
                blocks.sort();
                let whole: Vec<IpNet> =
                    r.subnet.parse::<IpNet>().map(|n| IpNet::aggregate(&vec![n.trunc()])).unwrap_or_default();
                r.range = if IpNet::aggregate(blocks) == whole {
                    r.subnet.clone()
                } else {
                    IpNet::aggregate(blocks).iter().map(IpNet::to_string).collect::<Vec<_>>().join(", ")
                };
            }
            None => out.push((row, range)),
        }
    }
    out.into_iter().map(|(row, _)| row).collect()
}

/// The findings of one phase, one per region and cause: a finding that holds in some windows
/// of its region only says when, and one that holds all day says nothing of time.
pub fn findings(found: Vec<Finding>, observations: &[Observation]) -> Vec<Finding> {
    let windows = windows_by_region(observations);
    let by_text: BTreeMap<String, Window> = windows.values().flatten().map(|w| (w.to_string(), *w)).collect();
    let mut out: Vec<(Finding, Vec<Window>)> = vec![];
    for f in found {
        let window = f.window.as_deref().and_then(|w| by_text.get(w).copied());
        let same = out.iter_mut().find(|(g, _)| {
            g.severity == f.severity
                && g.phase == f.phase
                && g.site == f.site
                && g.subnet == f.subnet
                && g.range == f.range
                && g.message == f.message
        });
        match same {
            Some((_, ws)) => ws.extend(window),
            None => out.push((f, window.into_iter().collect())),
        }
    }
    out.into_iter()
        .map(|(mut f, ws)| {
            // A finding names no population; its region's windows are any population's there.
            let all = windows
                .iter()
                .find(|((site, subnet, range, _), _)| *site == f.site && *subnet == f.subnet && *range == f.range)
                .map(|(_, ws)| ws.clone())
                .unwrap_or_default();
            f.window = window_text(&all, &ws);
            if let Some(spans) = window::spans(&all, &ws) {
                f.message = format!("{}: {}", window::words(&spans), f.message);
            }
            f
        })
        .collect()
}
