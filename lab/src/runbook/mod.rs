//! The runbook runner: the PowerShell subset admins paste from deployment docs, run against the
//! lab's tenant, DNS server or one appliance.

pub mod output;
pub mod spec;
pub mod value;

pub use output::{CmdletError, CmdletOutput, Executor};
pub use spec::{CmdletSpec, Invocation, ParamKind, ParamSpec, Target};
pub use value::{PsObject, Value};

use serde::Serialize;
use std::sync::Arc;

/// Where each kind of cmdlet goes in this run. A cmdlet whose target is absent fails with a
/// message saying where it must be run (e.g. `run --on APPLIANCE`).
#[derive(Clone, Default)]
pub struct Targets {
    pub tenant: Option<Arc<dyn Executor>>,
    pub dns: Option<Arc<dyn Executor>>,
    pub appliance: Option<Arc<dyn Executor>>,
}

/// One executed line and what it printed.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub line: usize,
    pub column: usize,
    /// The statement as written (continuations joined).
    pub source: String,
    pub output: CmdletOutput,
}

/// Everything a run printed, in order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Transcript {
    pub steps: Vec<Step>,
}

/// A run that stopped at a line: nothing after it ran, nothing before it was rolled back.
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct RunbookError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// What ran before the failing line.
    pub transcript: Transcript,
}

/// Parses and runs `source` line by line against `targets`.
pub async fn run(source: &str, targets: &Targets) -> Result<Transcript, RunbookError> {
    let _ = (source, targets);
    todo!("runbook runner")
}
