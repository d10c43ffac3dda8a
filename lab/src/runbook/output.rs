//! What a cmdlet gives back, and how an execution target reports a failure.

use super::spec::Invocation;
use super::value::Value;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CmdletOutput {
    /// Objects written to the pipeline (printed in their default view, or as JSON with `--json`).
    pub objects: Vec<Value>,
    /// `WARNING:` lines.
    pub warnings: Vec<String>,
    /// What the cmdlet says under `-Verbose` (without the `VERBOSE: ` PowerShell puts before it):
    /// shown only when the line asks for it.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub verbose: Vec<String>,
}

impl CmdletOutput {
    pub fn object(value: Value) -> CmdletOutput {
        CmdletOutput { objects: vec![value], warnings: vec![], verbose: vec![] }
    }
    pub fn nothing() -> CmdletOutput {
        CmdletOutput::default()
    }
}

/// A cmdlet that ran and failed, in PowerShell's words (the runner adds line and column).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message}")]
pub struct CmdletError {
    pub message: String,
}

impl CmdletError {
    pub fn new(message: impl Into<String>) -> CmdletError {
        CmdletError { message: message.into() }
    }
}

/// Runs bound calls somewhere: the tenant, the DNS server, an appliance.
#[async_trait::async_trait]
pub trait Executor: Send + Sync {
    async fn execute(&self, invocation: &Invocation) -> Result<CmdletOutput, CmdletError>;
}
