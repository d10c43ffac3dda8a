//! The runbook runner: the PowerShell subset admins paste from deployment docs, run against the
//! lab's tenant, DNS server or one appliance. The runner knows specs, values and executors; which
//! cmdlets exist and where each goes is the [`CmdletTable`] it is handed.

mod binder;
mod blocks;
pub mod common;
pub mod encoding;
mod hints;
mod lexer;
pub mod output;
mod parser;
mod pipeline;
mod plan;
mod preamble;
mod property;
pub mod reference;
mod render;
mod session;
mod shape;
pub mod spec;
pub mod spelling;
mod table;
#[cfg(test)]
mod tests;
pub mod value;
pub mod view;

pub use render::object_lines;

pub use output::{CmdletError, CmdletOutput, Executor};
pub use spec::{find, specs, Cmdlet, CmdletSpec, Invocation, ParamKind, ParamSpec, Target};
pub use table::{CmdletTable, Listed};
pub use value::{PsObject, Value};
pub use view::{FormatData, View, Views};

use serde::Serialize;

/// One executed line and what it printed.
#[derive(Debug, Clone, Serialize)]
pub struct Step {
    pub line: usize,
    pub column: usize,
    /// The statement as written (continuations joined).
    pub source: String,
    pub output: CmdletOutput,
    /// What the runner itself says about the line (a connection line it runs as a no-op).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub information: Vec<String>,
    /// Lines the statement wrote straight to the console (`What if: ...`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub host: Vec<String>,
    /// The errors the statement wrote: PowerShell writes each and goes on with the next
    /// statement. A statement refused before it ran has exactly one and changed nothing.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<StepError>,
}

impl Step {
    /// Whether the statement wrote an error.
    pub fn failed(&self) -> bool {
        !self.errors.is_empty()
    }
}

/// An error a statement wrote, where PowerShell places it (1-based line and column).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepError {
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl From<lexer::Fault> for StepError {
    fn from(fault: lexer::Fault) -> StepError {
        StepError { line: fault.line, column: fault.column, message: fault.message }
    }
}

/// Everything a run printed, in order.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Transcript {
    pub steps: Vec<Step>,
    /// How the console shows the objects (the run's format data): see [`Views`].
    #[serde(skip)]
    pub views: Views,
}

impl Transcript {
    /// The transcript of `steps` alone, shown as this one is shown.
    pub fn of_steps(&self, steps: Vec<Step>) -> Transcript {
        Transcript { steps, views: self.views.clone() }
    }

    /// Every error the run wrote, in order.
    pub fn failures(&self) -> impl Iterator<Item = &StepError> {
        self.steps.iter().flat_map(|s| s.errors.iter())
    }

    /// Whether no statement wrote an error (`run` exits non-zero otherwise).
    pub fn succeeded(&self) -> bool {
        self.failures().next().is_none()
    }

    /// This transcript, or its first error as a [`RunbookError`] holding it whole: for callers
    /// that treat any failed statement as the end of the runbook.
    pub fn into_result(self) -> Result<Transcript, RunbookError> {
        let first = self.failures().next().cloned();
        match first {
            None => Ok(self),
            Some(e) => Err(RunbookError { line: e.line, column: e.column, message: e.message, transcript: self }),
        }
    }
}

/// A run that stopped: a parse error anywhere (nothing ran, as PowerShell parses a whole script
/// before running it), or an error under `$ErrorActionPreference = 'Stop'` or `-ErrorAction
/// Stop`, or `throw`. Nothing after the stop ran, nothing before it was rolled back. A run whose
/// statements failed without stopping is an `Ok` [`Transcript`] with [`Step::errors`].
#[derive(Debug, Clone, Serialize, thiserror::Error)]
#[error("line {line}, column {column}: {message}")]
pub struct RunbookError {
    pub line: usize,
    pub column: usize,
    pub message: String,
    /// What ran, the stopping statement included (empty after a parse error).
    pub transcript: Transcript,
}

/// Parses the whole of `source`, then runs it statement by statement, each cmdlet on its executor
/// in `table`. Each statement is checked whole before any of it runs ([`plan`]); a statement that
/// fails writes its error and the next one runs, as in PowerShell.
pub async fn run(source: &str, table: &CmdletTable) -> Result<Transcript, RunbookError> {
    run_with(source, table, binder::Variables::new()).await
}

/// [`run`] with variables already set, as a session that ran other lines holds them.
pub(crate) async fn run_with(
    source: &str,
    table: &CmdletTable,
    variables: binder::Variables,
) -> Result<Transcript, RunbookError> {
    session::run(source, table, variables).await
}

/// The PowerShell message for a name no target knows.
pub(crate) fn not_recognized(name: &str) -> String {
    format!("The term '{name}' is not recognized as the name of a cmdlet, function, script file, or operable program. Check the spelling of the name, or if a path was included, verify that the path is correct and try again.")
}

/// Why a name is not run: a real cmdlet the lab does not model, or PowerShell's "not recognized"
/// with the nearest modelled names.
fn unknown_name(name: &str, table: &CmdletTable) -> String {
    if table.unmodelled(name) {
        return format!("{name} is a real cmdlet that this lab does not model; the modelled cmdlets are listed by `bypass-lab cmdlets`.");
    }
    let mut message = not_recognized(name);
    let near = table.suggestions(name);
    if !near.is_empty() {
        message.push_str(&format!(
            " Did you mean {}?",
            near.iter().map(|n| format!("'{n}'")).collect::<Vec<_>>().join(" or ")
        ));
    }
    message
}

/// `Cmdlet : message`, as PowerShell writes a cmdlet's error. A role's message may already
/// start with the cmdlet's name: PowerShell writes it once.
pub(crate) fn cmdlet_message(cmdlet: &str, message: &str) -> String {
    let message = message.trim_start();
    let own = [format!("{cmdlet} : "), format!("{cmdlet}: ")];
    let message = own.iter().find_map(|p| strip_prefix_ignore_case(message, p)).unwrap_or(message);
    format!("{cmdlet} : {message}")
}

fn strip_prefix_ignore_case<'a>(text: &'a str, prefix: &str) -> Option<&'a str> {
    text.get(..prefix.len()).filter(|head| head.eq_ignore_ascii_case(prefix)).map(|_| &text[prefix.len()..])
}
