//! The 8-hourly re-fetch, driven by the lab clock: on every move of the clock, every signed-in
//! user whose next fetch is due fetches once, and only then does the host report it caught up.
//! A jump of 24 hours gives one fetch per user, not three: a real client that was asleep also
//! fetches once when it wakes.

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
