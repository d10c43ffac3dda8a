//! Replication as a clock participant: an initial sync at start, then one at every scheduled
//! instant, reporting to the clock only once every sync due so far is done, so that
//! `Clock::advance_to` returning means replication has happened.

use super::appliance::Appliance;
use super::schedule::Schedule;
use crate::clock::{Move, Participant};
use std::sync::Arc;
use std::time::Duration;

/// Per request (connecting within [`crate::http::CONNECT_TIMEOUT`]); a dead link must never hold
/// the lab's clock for long. Every appliance of a process goes through the lab's one shared
/// client ([`crate::http::control::shared`]), so thousands of appliances share one connector.
pub const TENANT_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// How many syncs of this process pull from the tenant at once. When the clock jumps a whole
/// window, every appliance is due in the same real instant; unbounded, their requests would queue
/// at the tenant past the request timeout and fail. Waiting for a slot does not count against the
/// timeout.
pub const CONCURRENT_PULLS: usize = 32;

/// How many syncs of this process report their contact at once. A report waits for the tenant's
/// durable commit, which costs the same for one record as for many: reports held back behind the
/// pulls' slots would make every commit small, so they have slots of their own.
pub const CONCURRENT_REPORTS: usize = 96;

static PULL_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_PULLS);
static REPORT_SLOTS: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(CONCURRENT_REPORTS);

/// Waits for one of the process's slots to pull from the tenant.
pub(super) async fn pull_slot() -> tokio::sync::SemaphorePermit<'static> {
    PULL_SLOTS.acquire().await.expect("the sync slots are never closed")
}

/// Waits for one of the process's slots to report a contact to the tenant.
pub(super) async fn report_slot() -> tokio::sync::SemaphorePermit<'static> {
    REPORT_SLOTS.acquire().await.expect("the sync slots are never closed")
}

/// Runs until dropped; the participant leaves the clock's barrier with it.
pub async fn replicate(appliance: Arc<Appliance>, mut participant: Participant) -> std::convert::Infallible {
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
            // Batched on the clock: every instant due since the last stop is passed at once, and
            // one sync at the last of them stands for all (docs/design/mediation.md).
            let at = schedule.last_at_or_before(now).unwrap_or(now);
            appliance.sync(at).await;
            next = schedule.next_after(now);
            appliance.set_next_sync(next);
            continue;
        }
        // The clock does this sync before any other role's work at or after its instant, so
        // syncs and other roles' work keep their lab-time order.
        participant.due_at(Some(next));
        participant.caught_up(now);
        now = match participant.next_move().await {
            Move::Forward(moved) => moved,
            // The lab was put back as it stood at `moved` (the appliance with it, as its sync
            // then had left it): the schedule starts over from there, owing nothing before.
            Move::PutBack(moved) => {
                next = schedule.next_after(moved);
                appliance.set_next_sync(next);
                moved
            }
        };
    }
}
