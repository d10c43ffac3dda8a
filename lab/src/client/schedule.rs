//! The 8-hourly re-fetch, driven by the lab clock: on every move of the clock, every signed-in
//! user whose next fetch is due fetches, and only then does the host report it caught up. The
//! host announces each due instant to the clock, so a long advance stops at every one of them
//! (a 24-hour advance gives fetches at 8, 16 and 24 hours, in order with the appliances' syncs).

use super::host::Host;
use crate::clock::Participant;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub async fn run(host: Arc<Host>, mut participant: Participant, shutdown: CancellationToken) {
    let mut now = participant.now();
    loop {
        let due = host.due(now);
        futures::future::join_all(due.iter().map(|user| host.fetch(user, now))).await;
        participant.caught_up(now);
        tokio::select! {
            t = participant.changed() => now = t,
            _ = shutdown.cancelled() => return,
        }
    }
}
