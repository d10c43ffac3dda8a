//! What must happen after a phase before anyone can judge it, as the deployment guide tells the
//! admin: the change replicates to every appliance (up to the replication window), users sign
//! out and in to receive a changed URL, and clients re-fetch the web service every 8 hours.

use super::sample::SampleClient;
use crate::client::REFETCH_INTERVAL;
use crate::lab::{Lab, LabError};

/// One replication window, every sample client signed out and in again (signed in the first
/// time), then one re-fetch interval.
pub async fn settle(lab: &Lab, samples: &[SampleClient], first: bool, step: &dyn Fn(&str)) -> Result<(), LabError> {
    step(&format!("replication window ({})", crate::clock::format_duration(lab.topology().tenant.replication_window)));
    lab.pass_replication_window().await?;
    step(&format!("{} sample clients sign {}", samples.len(), if first { "in" } else { "out and in" }));
    let signs = samples.iter().map(|s| async move {
        if !first {
            lab.sign_out(&s.user).await?;
        }
        lab.sign_in(&s.user, s.address).await
    });
    for result in futures::future::join_all(signs).await {
        result?;
    }
    step(&format!("{} pass: clients re-fetch", crate::clock::format_duration(REFETCH_INTERVAL)));
    lab.advance(REFETCH_INTERVAL).await?;
    Ok(())
}
