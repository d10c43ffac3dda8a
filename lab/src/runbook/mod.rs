//! The runbook runner: the PowerShell subset admins paste from deployment docs, run against the
//! lab's tenant, DNS server or one appliance. The runner knows specs, values and executors; which
//! cmdlets exist and where each goes is the [`CmdletTable`] it is handed.

mod binder;
pub mod encoding;
mod hints;
mod lexer;
pub mod output;
mod parser;
mod pipeline;
mod plan;
mod preamble;
mod property;
mod render;
pub mod spec;
pub mod spelling;
mod table;
#[cfg(test)]
mod tests;
pub mod value;

pub use render::object_lines;

pub use output::{CmdletError, CmdletOutput, Executor};
pub use spec::{find, specs, Cmdlet, CmdletSpec, Invocation, ParamKind, ParamSpec, Target};
pub use table::{CmdletTable, Listed};
pub use value::{PsObject, Value};

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

/// Parses and runs `source` line by line, each cmdlet on its executor in `table`. Each
/// statement is checked whole before any of it runs ([`plan`]).
pub async fn run(source: &str, table: &CmdletTable) -> Result<Transcript, RunbookError> {
    run_with(source, table, binder::Variables::new()).await
}

/// [`run`] with variables already set, as a session that ran other lines holds them.
pub(crate) async fn run_with(
    source: &str,
    table: &CmdletTable,
    mut variables: binder::Variables,
) -> Result<Transcript, RunbookError> {
    // A BOM that survived reading (a pasted file, a feature's doc string) is no part of the text;
    // columns stay those of the text an editor shows.
    let source = encoding::without_bom(source);
    let (tokens, lex_fault) = lexer::lex(source);
    let mut transcript = Transcript::default();
    for tokens in parser::statements(&tokens) {
        let statement_source = parser::source_of(source, tokens);
        let stop = |fault: lexer::Fault, transcript: &Transcript| RunbookError {
            line: fault.line,
            column: fault.column,
            message: fault.message,
            transcript: transcript.clone(),
        };
        let statement = parser::parse(tokens).map_err(|f| stop(f, &transcript))?;
        let checked = plan::check(&statement, &variables, table).and_then(|plan| {
            match &statement.assign {
                Some(name) => property::assignable(&variables, name)
                    .map_err(|m| lexer::Fault::at(statement.line, statement.column, m)),
                None => Ok(()),
            }
            .map(|()| plan)
        });
        let plan = checked.map_err(|fault| stop(hints::with_hint(fault, &statement), &transcript))?;
        let ran = pipeline::run(&plan).await;
        if let Some(fault) = ran.errors.into_iter().next() {
            return Err(stop(hints::with_hint(fault, &statement), &transcript));
        }
        let (output, information) = (ran.output, ran.information);
        let printed = match &statement.assign {
            Some(name) => {
                let value = match output.objects.len() {
                    0 => Value::Null,
                    1 => output.objects[0].clone(),
                    _ => Value::List(output.objects.clone()),
                };
                property::assign(&mut variables, name, value).map_err(|message| {
                    stop(lexer::Fault::at(statement.line, statement.column, message), &transcript)
                })?;
                CmdletOutput { objects: vec![], warnings: output.warnings }
            }
            None => output,
        };
        transcript.steps.push(Step {
            line: statement.line,
            column: statement.column,
            source: statement_source,
            output: printed,
            information,
        });
    }
    match lex_fault {
        Some(fault) => Err(RunbookError { line: fault.line, column: fault.column, message: fault.message, transcript }),
        None => Ok(transcript),
    }
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
