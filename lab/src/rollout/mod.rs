//! Rehearsing an admin's own rollout: their runbook, split into phases, run against a fresh lab
//! whose DNS server starts empty; after every phase the lab settles as the deployment guide
//! says, then every sample client and appliance is observed and judged against what the
//! tenant's configuration then calls for.
//!
//! # Layout
//! - [`model`]: the report (`rehearsal.json`).
//! - [`phase`]: `# phase: NAME` markers.
//! - [`sample`]: one sample client per region of every subnet of every site and of every outside
//!   subnet, and per declared population there.
//! - [`populations`]: each declared population's decision and each site's share that bypasses.
//! - [`settle`]: replication window, sign-out and in, one re-fetch interval.
//! - [`observe`]: what each client and appliance shows.
//! - [`dns_view`]: the DNS server's configuration as its `Get-` cmdlets print it.
//! - [`dns_after`]: what a runbook leaves on the DNS servers, for the DNS plan picture.
//! - [`expect`]: the expectations, and the findings where observations differ.
//! - [`cause`]: the likely cause of each finding, in one sentence.
//! - [`via`]: the forwarder a place's queries pass on their way to the policies.
//! - [`rehearsal`]: the run itself, and the value every report writer starts from.

pub mod blame;
pub mod cause;
pub mod directive;
pub mod dns_after;
pub mod dns_view;
pub mod expect;
pub mod intent;
pub mod intent_check;
pub mod merge;
pub mod model;
pub mod observe;
pub mod phase;
pub mod populations;
pub mod region;
pub mod rehearsal;
pub mod route;
pub mod sample;
pub mod settle;
pub mod shares;
pub mod stale;
pub mod timeline;
pub mod via;
pub mod window;

pub use model::{Finding, RehearsalReport, Severity};
pub use rehearsal::{rehearse_rollout, Progress, Quiet, Rollout, RunbookFailure, RunbookRehearsal};

use crate::lab::LabError;

/// Why a rehearsal of a rollout could not be done. Every variant but [`RolloutError::Lab`] is
/// bad input, found before any lab starts.
#[derive(Debug, thiserror::Error)]
pub enum RolloutError {
    #[error("line {line}: '# phase:' needs a name, e.g. '# phase: enable'")]
    UnnamedPhase { line: usize },
    #[error("line {line}: '{text}' is not a phase marker: write it as '{suggestion}'")]
    MalformedMarker { line: usize, text: String, suggestion: String },
    #[error("line {line}: '# expect:' does not know '{item}': write e.g. '# expect: bypass on, url set, records present' (bypass on|off, url set|kept|$null, records present|removed)")]
    BadExpect { line: usize, item: String },
    #[error(
        "line {line}: '{text}' is no lab directive: write '# lab: cut APPLIANCE tenant' or '# lab: heal APPLIANCE'"
    )]
    BadDirective { line: usize, text: String },
    #[error("line {line}: {name} is no appliance of the plan")]
    UnknownAppliance { line: usize, name: String },
    #[error("phase '{name}' is declared twice: on line {first_line} and again on line {line}")]
    DuplicatePhase { name: String, first_line: usize, line: usize },
    #[error("the lab: {0}")]
    Lab(#[source] LabError),
}

impl RolloutError {
    /// Whether the input was at fault (exit code 2) rather than the lab.
    pub fn is_input(&self) -> bool {
        !matches!(self, RolloutError::Lab(_))
    }
}

impl From<LabError> for RolloutError {
    fn from(e: LabError) -> Self {
        RolloutError::Lab(e)
    }
}
