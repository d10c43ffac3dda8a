//! What a runbook leaves on the DNS servers, without judging anything: a fresh embedded lab
//! whose servers start empty runs the runbook once through, the lab clock moves on by the plan's
//! AD replication delay when there are several servers (so each holds what AD carries to it, as
//! it would by the time clients ask), and each server is read as a rehearsal reads it. What
//! `bypass-lab graph --dns --runbook` draws.

use super::dns_view::DnsServerView;
use super::observe::read_named_views;
use crate::backend::{BackendKind, DnsStart};
use crate::lab::{Lab, LabError, LabOptions, RunOn};
use crate::runbook::StepError;
use crate::topology::Topology;

/// The DNS servers after the runbook, and what went wrong in it.
#[derive(Debug, Clone)]
pub struct DnsAfter {
    /// Each server's configuration, in plan order.
    pub servers: Vec<DnsServerView>,
    /// The errors failed statements wrote; the runbook went on after each, as PowerShell does.
    pub errors: Vec<StepError>,
    /// Where the runbook stopped, if it did: the servers hold what ran before.
    pub stopped: Option<StepError>,
}

/// Runs `source` as the admin's session in a fresh embedded lab of `topology`, reads every
/// DNS server and stops the lab.
pub async fn dns_after(topology: Topology, source: &str) -> Result<DnsAfter, LabError> {
    let options = LabOptions { backend: BackendKind::Embedded, dns: DnsStart::Empty, ..LabOptions::default() };
    let lab = Lab::start(topology, options).await?;
    let after = run_and_read(&lab, source).await;
    let stopped = lab.stop().await;
    let after = after?;
    stopped?;
    Ok(after)
}

async fn run_and_read(lab: &Lab, source: &str) -> Result<DnsAfter, LabError> {
    let (errors, stopped) = match lab.run_runbook(source, &RunOn::AdminSession).await {
        Ok(transcript) => (transcript.failures().cloned().collect(), None),
        Err(LabError::Runbook(failure)) => {
            let stop = StepError { line: failure.line, column: failure.column, message: failure.message.clone() };
            // The stopping statement's error is the stop itself, not one more failed line.
            let errors = failure.transcript.failures().filter(|e| **e != stop).cloned().collect();
            (errors, Some(stop))
        }
        Err(e) => return Err(e),
    };
    if lab.topology().dns_servers.len() > 1 {
        lab.advance(lab.topology().tenant.ad_replication_delay).await?;
    }
    Ok(DnsAfter { servers: read_named_views(lab).await?, errors, stopped })
}
