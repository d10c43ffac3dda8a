//! What must happen after a phase before anyone can judge it, as the deployment guide tells the
//! admin: the change replicates to every appliance (up to the replication window), users sign
//! out and in to receive a changed URL, and clients re-fetch the web service every 8 hours.

use super::model::Timeline;
use super::sample::SampleClient;
use super::timeline::pass_window;
use crate::client::REFETCH_INTERVAL;
use crate::lab::{Lab, LabError};
use crate::tenant::TenantConfiguration;
use std::collections::HashSet;

/// One replication window (watched when the phase changed the tenant from `before` to
/// `after`), every sample client signed out and in again (signed in the first time it is
/// placed), then one re-fetch interval. Returns the window's timeline.
pub async fn settle(
    lab: &Lab,
    samples: &[SampleClient],
    signed_in: &mut HashSet<String>,
    before: &TenantConfiguration,
    after: &TenantConfiguration,
    step: &dyn Fn(&str),
) -> Result<Option<Timeline>, LabError> {
    step(&format!("replication window ({})", crate::clock::format_duration(lab.topology().tenant.replication_window)));
    let timeline = pass_window(lab, before, after).await?;
    let again = samples.iter().filter(|s| signed_in.contains(&s.user)).count();
    step(&format!("{} sample clients sign in, {again} of them after signing out", samples.len()));
    let signs = samples.iter().map(|s| {
        let again = signed_in.contains(&s.user);
        async move {
            if again {
                lab.sign_out(&s.user).await?;
            }
            // A declared population signs in with its own client; the rest with the lab's.
            lab.sign_in_as(&s.user, &s.sign_in_request()).await
        }
    });
    for result in futures::future::join_all(signs).await {
        result?;
    }
    signed_in.extend(samples.iter().map(|s| s.user.clone()));
    step(&format!("{} pass: clients re-fetch", crate::clock::format_duration(REFETCH_INTERVAL)));
    lab.advance(REFETCH_INTERVAL).await?;
    Ok(timeline)
}
