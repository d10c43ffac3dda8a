//! When an appliance syncs: once at start, then at `sync_offset + k * window` lab time.
//!
//! Offsets are spread uniformly over the window and derived from (replication seed, appliance
//! name) alone, so the same topology replays the same order of arrival in every run, and a change
//! made at any instant has reached every reachable appliance exactly one window later.

use std::time::Duration;

/// The offset inside `window` at which appliance `name` syncs; uniform in `[0, window)`.
pub fn sync_offset(seed: u64, name: &str, window: Duration) -> Duration {
    let window_ns = window.as_nanos();
    if window_ns == 0 {
        return Duration::ZERO;
    }
    // Multiply-shift maps the 64-bit hash onto [0, window) without modulo bias.
    let offset_ns = (u128::from(mix(seed, name)) * window_ns) >> 64;
    Duration::new((offset_ns / 1_000_000_000) as u64, (offset_ns % 1_000_000_000) as u32)
}

/// FNV-1a over the seed and the name, finished with splitmix64 so that names differing in one
/// letter land far apart. Stable across platforms and releases (std's hasher is not).
fn mix(seed: u64, name: &str) -> u64 {
    let mut h = crate::fnv::fnv1a(seed.to_le_bytes().into_iter().chain(name.bytes()));
    h = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    h = (h ^ (h >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    h = (h ^ (h >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    h ^ (h >> 31)
}

/// One appliance's sync times.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Schedule {
    pub offset: Duration,
    pub window: Duration,
}

impl Schedule {
    /// A zero window would make every instant a sync time; one millisecond is the lab's floor.
    pub fn new(offset: Duration, window: Duration) -> Schedule {
        let window = window.max(Duration::from_millis(1));
        Schedule { offset: offset.min(window - Duration::from_nanos(1)), window }
    }

    /// The last scheduled sync at or before `t`, if any: several instants passed in one
    /// advance collapse into one sync there, which pulls what each of them would have.
    pub fn last_at_or_before(&self, t: Duration) -> Option<Duration> {
        if t < self.offset {
            return None;
        }
        let k = (t - self.offset).as_nanos() / self.window.as_nanos();
        let ns = self.offset.as_nanos() + k * self.window.as_nanos();
        Some(Duration::new((ns / 1_000_000_000) as u64, (ns % 1_000_000_000) as u32))
    }

    /// The first scheduled sync strictly after `t`.
    pub fn next_after(&self, t: Duration) -> Duration {
        if t < self.offset {
            return self.offset;
        }
        let k = (t - self.offset).as_nanos() / self.window.as_nanos() + 1;
        let ns = self.offset.as_nanos() + k * self.window.as_nanos();
        Duration::new((ns / 1_000_000_000) as u64, (ns % 1_000_000_000) as u32)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DAY: Duration = Duration::from_secs(86_400);

    #[test]
    fn mix_never_changes_across_releases() {
        // A change here moves every appliance's sync instant in every saved topology's replay.
        assert_eq!(mix(2017, "ams-cce1"), 0xfee2_8155_9c10_5b5e);
        assert_eq!(mix(0, ""), 0x5ba3_14b8_cfda_3b6b);
    }

    #[test]
    fn offsets_are_deterministic_and_inside_the_window() {
        assert_eq!(sync_offset(2017, "ams-cce1", DAY), sync_offset(2017, "ams-cce1", DAY));
        assert_ne!(sync_offset(2017, "ams-cce1", DAY), sync_offset(2017, "ams-cce2", DAY));
        assert_ne!(sync_offset(2017, "ams-cce1", DAY), sync_offset(2018, "ams-cce1", DAY));
        for n in 0..1000 {
            assert!(sync_offset(7, &format!("cce{n}"), DAY) < DAY);
        }
        assert_eq!(sync_offset(7, "x", Duration::ZERO), Duration::ZERO);
    }

    #[test]
    fn offsets_spread_uniformly_over_the_window() {
        let mut buckets = [0usize; 10];
        for n in 0..3200 {
            let offset = sync_offset(2017, &format!("site{}-cce{}", n / 16, n % 16), DAY);
            buckets[(offset.as_secs_f64() / DAY.as_secs_f64() * 10.0) as usize] += 1;
        }
        for (i, count) in buckets.iter().enumerate() {
            assert!((250..=390).contains(count), "bucket {i} holds {count} of 3200 offsets, expected about 320");
        }
    }

    #[test]
    fn the_next_sync_is_within_one_window_and_strictly_later() {
        let s = Schedule::new(Duration::from_secs(3600), DAY);
        assert_eq!(s.next_after(Duration::ZERO), Duration::from_secs(3600));
        assert_eq!(s.next_after(Duration::from_secs(3600)), DAY + Duration::from_secs(3600));
        assert_eq!(s.next_after(Duration::from_secs(3601)), DAY + Duration::from_secs(3600));
        for t in [0u64, 1, 3599, 3600, 86_399, 86_400, 200_000] {
            let t = Duration::from_secs(t);
            let next = s.next_after(t);
            assert!(next > t && next <= t + DAY, "after {t:?} the next sync is {next:?}");
        }
    }

    #[test]
    fn the_last_sync_of_a_stretch_is_the_latest_instant_not_after_it() {
        let s = Schedule::new(Duration::from_secs(3600), DAY);
        assert_eq!(s.last_at_or_before(Duration::from_secs(3599)), None);
        assert_eq!(s.last_at_or_before(Duration::from_secs(3600)), Some(Duration::from_secs(3600)));
        assert_eq!(s.last_at_or_before(365 * DAY), Some(364 * DAY + Duration::from_secs(3600)));
        for t in [3600u64, 3601, 86_399, 90_000, 200_000] {
            let t = Duration::from_secs(t);
            let last = s.last_at_or_before(t).unwrap();
            assert!(last <= t && s.next_after(last) > t, "before {t:?} the last sync is {last:?}");
        }
    }

    #[test]
    fn a_zero_offset_syncs_at_each_window_boundary() {
        let s = Schedule::new(Duration::ZERO, DAY);
        assert_eq!(s.next_after(Duration::ZERO), DAY);
        assert_eq!(s.next_after(DAY), 2 * DAY);
    }
}
