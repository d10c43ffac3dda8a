//! Replication as a clock participant: an initial sync at start, then one at every scheduled
//! instant, reporting to the clock only once every sync due so far is done, so that
//! `Clock::advance_to` returning means replication has happened.

use super::appliance::Appliance;
use super::schedule::Schedule;
use crate::clock::Participant;
use std::sync::{Arc, OnceLock};
use std::time::Duration;

/// Per request; a dead link must never hold the lab's clock for long.
pub const TENANT_REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
pub const TENANT_CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// The HTTP client every appliance of this process uses towards the tenant (thousands of
/// appliances share one connector). Idle connections are not pooled: a process may host several
/// runtimes (tests), and a pooled connection outlives the runtime that opened it. Proxies from
/// the environment are ignored: replication traffic stays on the lab's own networks.
pub fn tenant_http() -> reqwest::Client {
    static CLIENT: OnceLock<reqwest::Client> = OnceLock::new();
    CLIENT
        .get_or_init(|| {
            reqwest::Client::builder()
                .timeout(TENANT_REQUEST_TIMEOUT)
                .connect_timeout(TENANT_CONNECT_TIMEOUT)
                .pool_max_idle_per_host(0)
                .no_proxy()
                .build()
                .expect("the tenant HTTP client builds")
        })
        .clone()
}

/// Runs until the task is dropped; the participant leaves the clock's barrier with it.
pub async fn replicate(appliance: Arc<Appliance>, mut participant: Participant) {
    let schedule = Schedule::new(appliance.config.sync_offset, appliance.config.replication_window);
    let mut now = participant.now();
    appliance.sync(now).await;
    let mut next = schedule.next_after(now);
    appliance.set_next_sync(next);
    loop {
        // The clock may have moved during the sync: everything due up to the latest instant.
        let latest = participant.now();
        if latest > now {
            now = latest;
        }
        if next <= now {
            appliance.sync(now).await;
            next = schedule.next_after(now);
            appliance.set_next_sync(next);
            continue;
        }
        participant.caught_up(now);
        now = participant.changed().await;
    }
}
