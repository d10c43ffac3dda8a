//! The replication window after a phase that changed the tenant, watched as it passes: the lab
//! stops at each appliance's sync instant (or each lab hour, whichever are fewer) and reads from
//! the tenant which configuration version each appliance confirmed, so the report can answer
//! "when will it work, site by site".

use super::model::{Arrival, SiteTimeline, Timeline, TimelinePoint};
use crate::clock::format_duration;
use crate::lab::{Lab, LabError};
use crate::mediation::schedule::{sync_offset, Schedule};
use crate::tenant::{BypassMode, TenantConfiguration};
use crate::topology::Topology;
use std::collections::HashMap;
use std::time::Duration;

const HOUR: Duration = Duration::from_secs(3600);

/// What a client fetching the web service decides under `config`: `bypass` or `no bypass`.
pub fn client_decision(config: &TenantConfiguration) -> &'static str {
    let s = &config.network.media_bypass_settings;
    let any = s.internal_bypass_mode == BypassMode::Any || s.external_bypass_mode == BypassMode::Any;
    let url = config.hybrid.hybrid_config_service_internal_url.is_some();
    if url && s.enabled && s.bypass_id.is_some() && any {
        "bypass"
    } else {
        "no bypass"
    }
}

fn ms(d: Duration) -> u64 {
    d.as_millis() as u64
}

/// The first sync after `from` of each registered appliance that passes the filter, if by `to`.
fn first_syncs(topology: &Topology, from: Duration, to: Duration, mine: &dyn Fn(&str) -> bool) -> Vec<Duration> {
    let window = topology.tenant.replication_window;
    let mut instants: Vec<Duration> = topology
        .appliances()
        .filter(|(_, a)| a.registered && mine(&a.name))
        .map(|(_, a)| Schedule::new(sync_offset(topology.tenant.replication_seed, &a.name, window), window))
        .map(|s| s.next_after(from))
        .filter(|t| *t <= to)
        .collect();
    instants.sort();
    instants.dedup();
    instants
}

/// The instants inside `(from, to]` to stop or report at: the given sync instants, or every
/// lab hour when those are more; `to` always.
fn grid(mut instants: Vec<Duration>, from: Duration, to: Duration) -> Vec<Duration> {
    let hours = (to - from).as_secs().div_ceil(3600).max(1) as usize;
    if instants.len() > hours {
        instants = (1..hours as u32).map(|k| from + HOUR * k).collect();
    }
    instants.push(to);
    instants.dedup();
    instants
}

/// The instants the lab stops at inside `(from, to]`: each registered appliance's first sync
/// after `from`, or every lab hour when those are more; `to` always.
fn stops(topology: &Topology, from: Duration, to: Duration) -> Vec<Duration> {
    grid(first_syncs(topology, from, to, &|_| true), from, to)
}

/// Passes one replication window. When the phase changed the tenant (`before` → `after`), the
/// window is watched and its timeline returned; otherwise it passes in one step.
pub async fn pass_window(
    lab: &Lab,
    before: &TenantConfiguration,
    after: &TenantConfiguration,
) -> Result<Option<Timeline>, LabError> {
    if before.version == after.version {
        lab.pass_replication_window().await?;
        return Ok(None);
    }
    let topology = lab.topology();
    let from = lab.now().await?;
    let to = from + topology.tenant.replication_window;
    let mut arrived: HashMap<String, Duration> = HashMap::new();
    let mut now = from;
    let stops = stops(topology, from, to);
    for stop in &stops {
        now = lab.advance(stop.saturating_sub(now)).await?;
        for record in lab.tenant_appliances().await? {
            if record.replicated_version.is_some_and(|v| v >= after.version) {
                let at = record.last_contact.unwrap_or(now).clamp(from, now);
                arrived.entry(record.name.to_ascii_lowercase()).or_insert(at);
            }
        }
    }
    let (was, will) = (client_decision(before), client_decision(after));
    // A branch `served_by` another site has no appliance for the change to reach: no strip.
    let sites = topology
        .sites
        .iter()
        .filter(|site| !site.appliances.is_empty())
        .map(|site| {
            let arrivals: Vec<Arrival> = site
                .appliances
                .iter()
                .map(|a| {
                    let at = arrived.get(&a.name.to_ascii_lowercase()).copied();
                    Arrival { appliance: a.name.clone(), at_ms: at.map(ms), at: at.map(|t| topology.clock_reading(t)) }
                })
                .collect();
            // A site is reported at its own appliances' sync instants (or hourly, when fewer).
            let names: Vec<String> = site.appliances.iter().map(|a| a.name.to_ascii_lowercase()).collect();
            let own = first_syncs(topology, from, to, &|name| names.contains(&name.to_ascii_lowercase()));
            let points = std::iter::once(from)
                .chain(grid(own, from, to))
                .map(|t| {
                    let serving = arrivals.iter().filter(|a| a.at_ms.is_some_and(|at| at <= ms(t))).count();
                    let decision = match serving {
                        0 => was,
                        n if n == site.appliances.len() => will,
                        _ if was == will => will,
                        _ => "mixed",
                    };
                    TimelinePoint {
                        at_ms: ms(t),
                        at: topology.clock_reading(t),
                        serving,
                        decision: decision.to_string(),
                    }
                })
                .collect();
            SiteTimeline { site: site.name.clone(), appliances: site.appliances.len(), points, arrivals }
        })
        .collect();
    Ok(Some(Timeline {
        version: after.version,
        from_ms: ms(from),
        to_ms: ms(to),
        from: topology.clock_reading(from),
        to: topology.clock_reading(to),
        before: was.into(),
        after: will.into(),
        sites,
    }))
}

/// One line for the terminal: how long a site was mixed and when each appliance turned.
pub fn summary(timeline: &Timeline, site: &SiteTimeline) -> String {
    let mut arrived: Vec<(&str, u64, &str)> =
        site.arrivals.iter().filter_map(|a| Some((a.appliance.as_str(), a.at_ms?, a.at.as_deref()?))).collect();
    arrived.sort_by_key(|(_, at, _)| *at);
    let missing: Vec<&str> = site.arrivals.iter().filter(|a| a.at_ms.is_none()).map(|a| a.appliance.as_str()).collect();
    let serves = if timeline.before == timeline.after {
        format!("version {}", timeline.version)
    } else {
        timeline.after.clone()
    };
    let mut turns: Vec<String> = arrived
        .iter()
        .enumerate()
        .take(4)
        .map(
            |(i, (name, _, at))| {
                if i == 0 {
                    format!("{name} serves {serves} from {at}")
                } else {
                    format!("{name} from {at}")
                }
            },
        )
        .collect();
    if arrived.len() > 4 {
        turns.push(format!("{} more by {}", arrived.len() - 4, arrived.last().map(|a| a.2).unwrap_or_default()));
    }
    if !missing.is_empty() {
        turns.push(format!("never within the window: {}", missing.join(", ")));
    }
    let head = match (arrived.first(), arrived.last()) {
        (None, _) => format!("no appliance serves {serves} within the window"),
        _ if timeline.before == timeline.after || site.appliances < 2 => {
            format!("{} of {} appliances serve {serves}", arrived.len(), site.appliances)
        }
        (Some(first), Some(last)) => {
            let end = if missing.is_empty() { last.1 } else { timeline.to_ms };
            // Minutes are what a reader plans by; seconds of a sync instant are noise.
            let mixed = Duration::from_secs((end - first.1).div_ceil(60_000) * 60);
            if mixed.is_zero() {
                format!("all {} appliances turn at once", site.appliances)
            } else if missing.is_empty() {
                format!("mixed for {}", format_duration(mixed))
            } else {
                format!("mixed for {} and still at the window's end", format_duration(mixed))
            }
        }
        _ => unreachable!("first and last exist together"),
    };
    format!("{}: {head} ({})", site.site, turns.join(", "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_are_the_sync_instants_when_fewer_than_the_hours() {
        let t = Topology::seed();
        let from = Duration::from_secs(600);
        let got = stops(&t, from, from + t.tenant.replication_window);
        assert_eq!(got.len(), 8, "seven appliances' syncs and the window's end: {got:?}");
        assert!(got.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(*got.last().unwrap(), from + t.tenant.replication_window);
    }

    fn arrival(name: &str, h: Option<u64>) -> Arrival {
        Arrival { appliance: name.into(), at_ms: h.map(|h| h * 3_600_000), at: h.map(|h| format!("day 1 {h:02}:00")) }
    }

    #[test]
    fn a_site_turning_one_appliance_at_a_time_reads_as_mixed() {
        let timeline = Timeline {
            version: 4,
            from_ms: 0,
            to_ms: 24 * 3_600_000,
            from: "day 1 00:00".into(),
            to: "day 2 00:00".into(),
            before: "no bypass".into(),
            after: "bypass".into(),
            sites: vec![],
        };
        let site = SiteTimeline {
            site: "Seattle".into(),
            appliances: 3,
            points: vec![],
            arrivals: vec![arrival("sea-cce1", Some(16)), arrival("sea-cce2", Some(2)), arrival("sea-cce3", None)],
        };
        assert_eq!(
            summary(&timeline, &site),
            "Seattle: mixed for 22h and still at the window's end (sea-cce2 serves bypass from day 1 02:00, sea-cce1 from day 1 16:00, never within the window: sea-cce3)"
        );
    }
}
