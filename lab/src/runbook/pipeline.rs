//! Runs a checked statement ([`super::plan::Plan`]): its head, then each later stage once per
//! incoming object, bound as PowerShell binds pipeline input (by value to a parameter of the
//! object's type, else by property name, as the cmdlet pages' "Accept pipeline input" say;
//! written arguments win). `Get-DnsServerClientSubnet -ComputerName dc1 |
//! Add-DnsServerClientSubnet -ComputerName dc2` is the vendor's documented way to copy
//! configuration between servers.

use super::binder;
use super::binder::Variables;
use super::lexer::Fault;
use super::plan::{self, Call, Feed, Head, Plan, Stage};
use super::spec::Invocation;
use super::value::Value;
use super::{CmdletOutput, CmdletTable};

/// What a statement did: what it printed, the runner's own notes, and the errors of the objects
/// or calls that failed (a failed object does not stop the next one, as in PowerShell).
#[derive(Debug, Default)]
pub(super) struct Ran {
    pub output: CmdletOutput,
    pub information: Vec<String>,
    /// Lines written straight to the console (`What if: ...`).
    pub host: Vec<String>,
    pub errors: Vec<Fault>,
}

/// Runs one bound call; with `-WhatIf` only says what it would do. Its VERBOSE lines are shown
/// under `-Verbose` or `$VerbosePreference = 'Continue'` (`verbose`).
async fn call(call: &Call, host: &mut Vec<String>, verbose: bool) -> Result<CmdletOutput, Fault> {
    if call.common.what_if {
        host.push(super::common::what_if(call.spec, &call.args));
        return Ok(CmdletOutput::nothing());
    }
    let shown = verbose || call.common.verbose;
    let result = run_call(call).await?;
    if shown {
        host.extend(result.verbose.iter().map(|line| format!("VERBOSE: {line}")));
    }
    Ok(result)
}

async fn run_call(call: &Call) -> Result<CmdletOutput, Fault> {
    let invocation = Invocation {
        cmdlet: call.spec.name.to_string(),
        args: call.args.clone(),
        line: call.line,
        column: call.column,
    };
    call.executor
        .execute(&invocation)
        .await
        .map_err(|e| Fault::at(call.line, call.column, super::cmdlet_message(call.spec.name, &e.message)))
}

/// Runs `plan`; `variables` are the session's (a `Where-Object` block reads them).
pub(super) async fn run(plan: &Plan, variables: &Variables, table: &CmdletTable) -> Ran {
    let mut ran = Ran::default();
    let verbose =
        matches!(variables.get("verbosepreference"), Some(Value::String(p)) if p.eq_ignore_ascii_case("Continue"));
    let objects = match &plan.head {
        Head::Value(value) => plan::values(value.clone()),
        Head::Connect { note, value } => {
            ran.information.push(note.clone());
            plan::values(value.clone())
        }
        Head::Shape(shape) => super::shape::apply(shape, vec![], variables, table, &mut ran).await,
        Head::Call { call: c, path } => match call(c, &mut ran.host, verbose).await {
            Ok(output) => {
                let output = match path {
                    Some(path) => super::property::member(output, path),
                    None => output,
                };
                ran.output.warnings = output.warnings;
                output.objects
            }
            Err(fault) => {
                ran.errors.push(fault);
                return ran;
            }
        },
    };
    // A value alone prints as it is: a list stays one value, as `$list` shows it.
    if plan.stages.is_empty() {
        ran.output.objects = match &plan.head {
            Head::Value(value) => vec![value.clone()],
            _ => objects,
        };
        return ran;
    }
    let mut objects = objects;
    for stage in &plan.stages {
        objects = match stage {
            Stage::Feed(feed) => self::feed(feed, objects, &mut ran, verbose).await,
            Stage::Shape(shape) => super::shape::apply(shape, objects, variables, table, &mut ran).await,
        };
    }
    ran.output.objects = objects;
    ran
}

/// Runs `stage` once per object; an object that fails is reported and the next one goes on.
async fn feed(stage: &Feed, objects: Vec<Value>, ran: &mut Ran, verbose: bool) -> Vec<Value> {
    let at = (stage.line, stage.column);
    let mut out = vec![];
    for object in &objects {
        let args = match binder::bind_pipeline_object(stage.spec, &stage.written, object, at) {
            Ok(Some(args)) => args,
            Ok(None) => {
                ran.errors.push(plan::unbindable(at));
                continue;
            }
            Err(fault) => {
                ran.errors.push(fault);
                continue;
            }
        };
        let one = Call {
            spec: stage.spec,
            executor: stage.executor.clone(),
            args,
            line: at.0,
            column: at.1,
            common: stage.common.clone(),
        };
        match call(&one, &mut ran.host, verbose).await {
            Ok(result) => {
                out.extend(result.objects);
                ran.output.warnings.extend(result.warnings);
            }
            Err(fault) => ran.errors.push(fault),
        }
    }
    out
}
