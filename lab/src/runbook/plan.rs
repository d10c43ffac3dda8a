//! A statement checked whole before any of it runs. Each stage of a pipeline is found, reached and
//! bound first; only a statement whose every part can run is handed to the executors. A line such
//! as `Add-DnsServerClientSubnet ... | Unknown-Thing` is refused before the subnet is added, so
//! a statement that reports failure at this stage has changed nothing.

use super::binder::{self, Variables};
use super::common::Common;
use super::lexer::Fault;
use super::output::Executor;
use super::parser::{Body, Element, Statement};
use super::shape::{self, Shape};
use super::spec::{CmdletSpec, PipelineInput};
use super::value::Value;
use super::CmdletTable;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A modelled cmdlet bound to its arguments, with the executor that runs it.
#[derive(Clone)]
pub(super) struct Call {
    pub spec: &'static CmdletSpec,
    pub executor: Arc<dyn Executor>,
    pub args: BTreeMap<String, Value>,
    pub line: usize,
    pub column: usize,
    /// Its common parameters (`-ErrorAction`, `-WhatIf`, ...), taken out of `args`.
    pub common: Common,
}

/// What starts a statement.
#[derive(Clone)]
pub(super) enum Head {
    /// A value (`$policies`, `1`), already resolved.
    Value(Value),
    /// A modelled cmdlet; `path` is the property path of `(Cmdlet ...).Path`.
    Call { call: Call, path: Option<String> },
    /// A connection line run as a no-op (`runbook::preamble`): its note and placeholder.
    Connect { note: String, value: Value },
    /// An output or filter cmdlet with nothing piped in (`Measure-Object` alone).
    Shape(Shape),
}

/// A later stage of a pipeline.
#[derive(Clone)]
pub(super) enum Stage {
    /// A modelled cmdlet run once per object.
    Feed(Feed),
    /// An output or filter cmdlet run in the runner (`Format-List`, `Where-Object`, ...).
    Shape(Shape),
}

/// A later stage of a pipeline that takes each incoming object.
#[derive(Clone)]
pub(super) struct Feed {
    pub spec: &'static CmdletSpec,
    pub executor: Arc<dyn Executor>,
    /// The arguments written on the line; each object adds its own.
    pub written: BTreeMap<String, Value>,
    pub line: usize,
    pub column: usize,
    /// Its common parameters, taken out of `written`.
    pub common: Common,
}

/// A statement ready to run: nothing in it can fail to bind any more, except an object that a
/// reading cmdlet returns and that fits no parameter of the next stage.
#[derive(Clone)]
pub(super) struct Plan {
    pub head: Head,
    pub stages: Vec<Stage>,
}

impl Plan {
    /// The common parameters of every stage together (a later stage's win).
    pub fn common(&self) -> Common {
        let head = match &self.head {
            Head::Call { call, .. } => call.common.clone(),
            _ => Common::default(),
        };
        self.stages
            .iter()
            .filter_map(|s| match s {
                Stage::Feed(feed) => Some(&feed.common),
                Stage::Shape(_) => None,
            })
            .fold(head, |all, common| all.merged(common))
    }
}

/// The refusal of a pipeline between cmdlets that the runner does not connect.
fn refused(place: (usize, usize), from: &str, into: &str) -> Fault {
    Fault::at(
        place.0,
        place.1,
        format!(
            "The runbook runner does not pipe {from} into {into}: a pipeline runs from a Get- cmdlet (or a variable) into a cmdlet of the same noun, as in 'Get-DnsServerClientSubnet | Add-DnsServerClientSubnet'. Nothing of this line ran."
        ),
    )
}

/// `Add-DnsServerClientSubnet` → `DnsServerClientSubnet`.
pub(super) fn noun(cmdlet: &str) -> &str {
    cmdlet.split_once('-').map(|(_, n)| n).unwrap_or(cmdlet)
}

/// `Get-DnsServerClientSubnet` → `Get`.
fn verb(cmdlet: &str) -> &str {
    cmdlet.split_once('-').map(|(v, _)| v).unwrap_or(cmdlet)
}

/// Checks `statement` whole against `table` and the variables as they are now.
pub(super) fn check(statement: &Statement, variables: &Variables, table: &CmdletTable) -> Result<Plan, Fault> {
    match &statement.body {
        Body::Pipeline { stages: written, pipes } => {
            let head = head(&written[0], variables, table)?;
            let mut stages: Vec<Stage> = vec![];
            for (stage, pipe) in written[1..].iter().zip(pipes) {
                let checked = later(stage, *pipe, &head, &stages, variables, table)?;
                stages.push(checked);
            }
            Ok(Plan { head, stages })
        }
        body => Ok(Plan { head: head(body, variables, table)?, stages: vec![] }),
    }
}

fn head(body: &Body, variables: &Variables, table: &CmdletTable) -> Result<Head, Fault> {
    match body {
        Body::Value(arg) => Ok(Head::Value(binder::resolve(arg, variables)?)),
        Body::Command { name, line, column, elements } => command(name, *line, *column, elements, variables, table),
        Body::Member { command: inner, path, .. } => match head(inner, variables, table)? {
            Head::Call { call, .. } => Ok(Head::Call { call, path: Some(path.clone()) }),
            Head::Connect { note, value } => Ok(Head::Connect { note, value: super::property::follow(value, path) }),
            Head::Value(v) => Ok(Head::Value(super::property::follow(v, path))),
            Head::Shape(shape) => Ok(Head::Shape(shape)),
        },
        Body::Pipeline { .. } => unreachable!("the parser does not nest pipelines"),
        Body::Try { .. } => unreachable!("the session runs try statements"),
        Body::Misassigned { name, line, column } => Err(Fault::at(
            *line,
            *column,
            format!(
                "{} Hint: a variable is assigned with a $ before its name: ${name} = ...",
                super::not_recognized(name)
            ),
        )),
    }
}

/// A command on its own or at the head of a pipeline: found, reached and fully bound.
fn command(
    name: &str,
    line: usize,
    column: usize,
    elements: &[Element],
    variables: &Variables,
    table: &CmdletTable,
) -> Result<Head, Fault> {
    let fault = |message: String| Fault::at(line, column, message);
    if let Some(spec) = shape::find(name) {
        return shape::check(spec, elements, variables, table, (line, column)).map(Head::Shape);
    }
    if !table.known(name) {
        if let Some((note, value)) = super::preamble::run(name) {
            return Ok(Head::Connect { note, value });
        }
        return Err(fault(super::unknown_name(name, table)));
    }
    let (spec, executor) = table.choose(name).map_err(fault)?;
    let mut args = binder::bind(spec, elements, variables, (line, column))?;
    let common = Common::take(spec, &mut args);
    Ok(Head::Call { call: Call { spec, executor, args, line, column, common }, path: None })
}

/// Whether `spec` takes anything from a pipeline.
fn takes_pipeline_input(spec: &CmdletSpec) -> bool {
    spec.params.iter().any(|p| p.pipeline != PipelineInput::No)
}

/// A later stage. An output or filter cmdlet binds its arguments. A modelled cmdlet must be
/// reachable, of the noun of the modelled cmdlet before it, fed by a reading cmdlet or a value (so
/// that when one object fails to bind, nothing before it changed anything), and its written
/// arguments must bind.
fn later(
    stage: &Body,
    pipe: (usize, usize),
    head: &Head,
    before: &[Stage],
    variables: &Variables,
    table: &CmdletTable,
) -> Result<Stage, Fault> {
    let Body::Command { name, line, column, elements } = stage else {
        unreachable!("the parser allows only commands after the first stage")
    };
    let at = (*line, *column);
    if let Some(spec) = shape::find(name) {
        return shape::check(spec, elements, variables, table, at).map(Stage::Shape);
    }
    if !table.known(name) {
        if super::preamble::run(name).is_some() {
            return Err(refused(pipe, "into a connection line", name));
        }
        return Err(Fault::at(at.0, at.1, super::unknown_name(name, table)));
    }
    let (spec, executor) = table.choose(name).map_err(|m| Fault::at(at.0, at.1, m))?;
    let last_feed = before.iter().rev().find_map(|s| match s {
        Stage::Feed(feed) => Some(feed),
        Stage::Shape(_) => None,
    });
    let from = match (last_feed, head) {
        (Some(feed), _) => Some(feed.spec.name),
        (None, Head::Call { call, .. }) => Some(call.spec.name),
        (None, Head::Value(_)) => None,
        (None, Head::Connect { .. }) => return Err(refused(pipe, "a connection line", spec.name)),
        (None, Head::Shape(_)) => return Err(refused(pipe, "an output cmdlet", spec.name)),
    };
    if let Some(from) = from {
        if !noun(from).eq_ignore_ascii_case(noun(spec.name)) || !verb(from).eq_ignore_ascii_case("Get") {
            return Err(refused(pipe, from, spec.name));
        }
    }
    if !takes_pipeline_input(spec) {
        return Err(refused(pipe, from.unwrap_or("a value"), spec.name));
    }
    let mut written = binder::bind_written(spec, elements, variables)?;
    let common = Common::take(spec, &mut written);
    // A value's objects are known now: each must bind before anything runs.
    if let (true, Head::Value(value)) = (before.is_empty(), head) {
        for object in values(value.clone()) {
            binder::bind_pipeline_object(spec, &written, &object, at)?.ok_or_else(|| unbindable(at))?;
        }
    }
    Ok(Stage::Feed(Feed { spec, executor, written, line: at.0, column: at.1, common }))
}

/// What can be checked of a command before the values it will get are known (in a
/// `ForEach-Object` block, `$_`): it exists and reaches its target, and it has the parameters
/// written.
pub(super) fn check_names(
    name: &str,
    at: (usize, usize),
    elements: &[Element],
    table: &CmdletTable,
) -> Result<(), Fault> {
    let spec = match shape::find(name) {
        Some(spec) => spec,
        None if table.known(name) => table.choose(name).map_err(|m| Fault::at(at.0, at.1, m))?.0,
        None if super::preamble::run(name).is_some() => return Ok(()),
        None => return Err(Fault::at(at.0, at.1, super::unknown_name(name, table))),
    };
    binder::check_names(spec, elements)
}

/// PowerShell's words for an object that fits no parameter taking pipeline input.
pub(super) fn unbindable(at: (usize, usize)) -> Fault {
    Fault::at(at.0, at.1, "The input object cannot be bound to any parameters for the command either because the command does not take pipeline input or the input and its properties do not match any of the parameters that take pipeline input.")
}

/// The objects a value sends down a pipeline: a list's items, nothing for `$null`.
pub(super) fn values(v: Value) -> Vec<Value> {
    match v {
        Value::Null => vec![],
        Value::List(items) => items,
        one => vec![one],
    }
}
