//! One run of a runbook, as PowerShell runs a .ps1: the whole file is parsed first (a parse error
//! anywhere means nothing runs), then statements run one by one. A statement that fails writes its
//! error and the next one runs; the run stops only on `$ErrorActionPreference = 'Stop'`, on a
//! cmdlet error under `-ErrorAction Stop`, or on `throw`.

use super::binder::{self, Variables};
use super::common::{Common, NEVER_PROMPTS};
use super::lexer::{self, Fault};
use super::parser::{self, Body, Element, Statement};
use super::value::{PsObject, Value};
use super::{hints, pipeline, plan, property, CmdletOutput, CmdletTable, RunbookError, Step, StepError, Transcript};

/// The state a run keeps between statements.
struct Session {
    variables: Variables,
    transcript: Transcript,
    /// Whether the run has said once that `-Confirm` never prompts.
    said_never_prompts: bool,
    /// How many `try` blocks the running statement is inside: a terminating error there goes
    /// to the `catch` block instead of being written.
    in_try: usize,
}

/// How bad a statement's error is, as PowerShell tells them apart.
#[derive(Clone, Copy, PartialEq)]
enum Severity {
    /// Refused before it ran ("not recognized", binding): ends the statement; caught by `try`.
    Terminating,
    /// The cmdlet's own error: written, the statement goes on; caught only under `Stop`.
    Written,
    /// `throw`: ends the run unless a `try` catches it.
    Thrown,
}

pub(super) async fn run(source: &str, table: &CmdletTable, variables: Variables) -> Result<Transcript, RunbookError> {
    // A BOM that survived reading (a pasted file, a feature's doc string) is no part of the text;
    // columns stay those of the text an editor shows.
    let source = super::encoding::without_bom(source);
    let statements = parse_all(source)?;
    let transcript = Transcript { steps: vec![], views: table.views().clone() };
    let mut session = Session { variables, transcript, said_never_prompts: false, in_try: 0 };
    for (statement, text) in statements {
        if let Some(stop) = session.statement(&statement, text, table).await {
            return Err(stop);
        }
    }
    Ok(session.transcript)
}

/// Every statement of `source`, or the first parse error: then nothing runs.
fn parse_all(source: &str) -> Result<Vec<(Statement, String)>, RunbookError> {
    let (tokens, lex_fault) = lexer::lex(source);
    let parse_error = |fault: Fault| RunbookError {
        line: fault.line,
        column: fault.column,
        message: fault.message,
        transcript: Transcript::default(),
    };
    let statements = parser::statements(&tokens)
        .into_iter()
        .map(|tokens| parser::parse(tokens).map(|s| (s, parser::source_of(source, tokens))))
        .collect::<Result<Vec<_>, _>>()
        .map_err(parse_error)?;
    match lex_fault {
        Some(fault) => Err(parse_error(fault)),
        None => Ok(statements),
    }
}

/// `throw` and its message: the argument as text, or PowerShell's `ScriptHalted`.
fn thrown(statement: &Statement, variables: &Variables) -> Option<Result<String, Fault>> {
    let Body::Command { name, elements, .. } = &statement.body else { return None };
    if !name.eq_ignore_ascii_case("throw") {
        return None;
    }
    Some(match elements.first() {
        None => Ok("ScriptHalted".to_string()),
        Some(Element::Argument(arg)) => binder::resolve(arg, variables).map(|v| v.display()),
        Some(Element::Parameter { name, .. }) => Ok(format!("-{name}")),
    })
}

/// An error record as `$Error` holds it: the message under `Exception.Message`.
fn error_record(error: &StepError) -> Value {
    let exception = PsObject {
        type_name: "System.Exception".into(),
        properties: vec![("Message".into(), Value::String(error.message.clone()))],
    };
    Value::Object(PsObject {
        type_name: "System.Management.Automation.ErrorRecord".into(),
        properties: vec![
            ("Exception".into(), Value::Object(exception)),
            ("ScriptLineNumber".into(), Value::Int(error.line as i64)),
            ("OffsetInLine".into(), Value::Int(error.column as i64)),
        ],
    })
}

impl Session {
    /// Whether `$ErrorActionPreference` says to stop at any error.
    fn preference_stops(&self) -> bool {
        matches!(self.variables.get("erroractionpreference"), Some(Value::String(p)) if p.eq_ignore_ascii_case("Stop"))
    }

    /// Records the step; `Some` when the run stops at it, or, inside a `try`, when its error
    /// goes to the `catch` block (then it is not written, as PowerShell does not write a
    /// caught error; `$Error` still gets it).
    fn finish(&mut self, mut step: Step, severity: Severity, stops: bool) -> Option<RunbookError> {
        let stopping = match severity {
            Severity::Thrown => true,
            Severity::Terminating => self.preference_stops() || self.in_try > 0,
            Severity::Written => stops || self.preference_stops(),
        };
        let stop = step.errors.first().cloned().filter(|_| stopping);
        // `$Error` holds the newest error first.
        if !step.errors.is_empty() {
            let mut all: Vec<Value> = step.errors.iter().rev().map(error_record).collect();
            if let Some(Value::List(older)) = self.variables.remove("error") {
                all.extend(older);
            }
            self.variables.insert("error".into(), Value::List(all));
        }
        if stop.is_some() && self.in_try > 0 {
            step.errors.clear();
        }
        self.transcript.steps.push(step);
        stop.map(|e| RunbookError {
            line: e.line,
            column: e.column,
            message: e.message,
            transcript: self.transcript.clone(),
        })
    }

    /// Runs `statements` in order; the first that stops (or is caught) ends them.
    async fn block(&mut self, statements: &[(Statement, String)], table: &CmdletTable) -> Option<RunbookError> {
        for (statement, text) in statements {
            if let Some(stop) = Box::pin(self.statement(statement, text.clone(), table)).await {
                return Some(stop);
            }
        }
        None
    }

    /// `try { } catch { } finally { }`: a terminating error in the try block (or any error under
    /// `Stop`, or `throw`) runs the catch block with `$_` holding its error record; the finally
    /// block runs either way. Without a catch block the error goes on after the finally block.
    async fn try_statement(
        &mut self,
        body: &[(Statement, String)],
        catch: Option<&[(Statement, String)]>,
        finally: Option<&[(Statement, String)]>,
        table: &CmdletTable,
    ) -> Option<RunbookError> {
        self.in_try += 1;
        let caught = self.block(body, table).await;
        self.in_try -= 1;
        let mut stop = None;
        if let Some(error) = caught {
            match catch {
                Some(handler) => {
                    let record =
                        error_record(&StepError { line: error.line, column: error.column, message: error.message });
                    let outer = self.variables.insert("_".into(), record.clone());
                    self.variables.insert("psitem".into(), record);
                    stop = self.block(handler, table).await;
                    match outer {
                        Some(v) => self.variables.insert("_".into(), v),
                        None => self.variables.remove("_"),
                    };
                }
                None => stop = Some(error),
            }
        }
        if let Some(last) = finally {
            if let Some(error) = self.block(last, table).await {
                stop = Some(error);
            }
        }
        // An error no catch block took is written where it happened, and ends what encloses it.
        if let (Some(error), 0) = (&stop, self.in_try) {
            let written = StepError { line: error.line, column: error.column, message: error.message.clone() };
            if let Some(step) = self.transcript.steps.iter_mut().rev().find(|s| s.line == written.line) {
                if !step.errors.contains(&written) {
                    step.errors.push(written);
                }
            }
            return stop.map(|mut e| {
                e.transcript = self.transcript.clone();
                e
            });
        }
        stop
    }

    async fn statement(&mut self, statement: &Statement, source: String, table: &CmdletTable) -> Option<RunbookError> {
        let mut step = Step {
            line: statement.line,
            column: statement.column,
            source,
            output: CmdletOutput::nothing(),
            information: vec![],
            host: vec![],
            errors: vec![],
        };
        if let Body::Try { body, catch, finally } = &statement.body {
            return self.try_statement(body, catch.as_deref(), finally.as_deref(), table).await;
        }
        if let Some(message) = thrown(statement, &self.variables) {
            let fault = match message {
                Ok(message) => Fault::at(statement.line, statement.column, message),
                Err(fault) => fault,
            };
            step.errors.push(fault.into());
            return self.finish(step, Severity::Thrown, true);
        }
        let checked = plan::check(statement, &self.variables, table).and_then(|plan| {
            match &statement.assign {
                Some(name) => property::assignable(&self.variables, name)
                    .map_err(|m| Fault::at(statement.line, statement.column, m)),
                None => Ok(()),
            }
            .map(|()| plan)
        });
        let plan = match checked {
            Ok(plan) => plan,
            Err(fault) => {
                step.errors.push(hints::with_hint(fault, statement).into());
                return self.finish(step, Severity::Terminating, false);
            }
        };
        let common = plan.common();
        if common.confirm && !self.said_never_prompts {
            self.said_never_prompts = true;
            step.information.push(NEVER_PROMPTS.to_string());
        }
        let ran = pipeline::run(&plan, &self.variables, table).await;
        step.information.extend(ran.information);
        step.host = ran.host;
        let errors: Vec<StepError> = ran.errors.into_iter().map(|f| hints::with_hint(f, statement).into()).collect();
        self.keep_common_variables(&common, &ran.output, &errors);
        if common.silences() {
            step.information.extend(errors.iter().map(|e| {
                format!(
                    "silenced by -ErrorAction {}: {}",
                    common.error_action.as_deref().unwrap_or_default(),
                    e.message
                )
            }));
        } else {
            step.errors = errors;
        }
        step.output = match &statement.assign {
            Some(name) => {
                let objects = &ran.output.objects;
                let value = match objects.len() {
                    0 => Value::Null,
                    1 => objects[0].clone(),
                    _ => Value::List(objects.clone()),
                };
                if let Err(message) = property::assign(&mut self.variables, name, value) {
                    step.errors.push(StepError { line: statement.line, column: statement.column, message });
                }
                CmdletOutput { objects: vec![], warnings: ran.output.warnings, verbose: vec![] }
            }
            None => ran.output,
        };
        let stops = common.stops();
        self.finish(step, Severity::Written, stops)
    }

    /// `-OutVariable` and `-ErrorVariable`: the output and the errors, also in a variable.
    fn keep_common_variables(&mut self, common: &Common, output: &CmdletOutput, errors: &[StepError]) {
        if let Some(name) = &common.out_variable {
            self.variables.insert(name.to_ascii_lowercase(), Value::List(output.objects.clone()));
        }
        if let Some(name) = &common.error_variable {
            self.variables.insert(name.to_ascii_lowercase(), Value::List(errors.iter().map(error_record).collect()));
        }
    }
}
