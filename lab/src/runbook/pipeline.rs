//! `Get-DnsServerClientSubnet -ComputerName dc1 | Add-DnsServerClientSubnet -ComputerName dc2`:
//! the vendor's documented way to copy configuration between servers. The runner takes a
//! pipeline between cmdlets of the same noun (or from a variable holding that noun's objects)
//! and binds each object as PowerShell does: by value to a parameter of the object's type,
//! else by property name. Any other pipeline is refused where its `|` stands.

use super::binder::{self, Variables};
use super::lexer::Fault;
use super::output::Executor;
use super::parser::{Body, Element};
use super::spec::{CmdletSpec, Invocation, ParamKind, PipelineInput};
use super::value::Value;
use super::{CmdletOutput, CmdletTable};

/// The refusal of a pipeline the runner does not take.
fn refused(place: (usize, usize)) -> Fault {
    Fault::at(
        place.0,
        place.1,
        "The '|' character is not supported by the runbook runner: write one cmdlet per line, with values, variables and comma lists as arguments.",
    )
}

/// `Add-DnsServerClientSubnet` → `DnsServerClientSubnet`.
fn noun(cmdlet: &str) -> &str {
    cmdlet.split_once('-').map(|(_, n)| n).unwrap_or(cmdlet)
}

/// Whether `spec` takes `object` from a pipeline: by value (a parameter of the object's
/// type) or by property name (a property named as a parameter that takes it).
fn takes(spec: &CmdletSpec, object: &Value) -> bool {
    let Value::Object(o) = object else { return false };
    spec.params.iter().any(|p| match p.pipeline {
        PipelineInput::ByValue => matches!(p.kind, ParamKind::Object(t) if t.eq_ignore_ascii_case(&o.type_name)),
        PipelineInput::ByPropertyName => o.properties.iter().any(|(k, _)| p.answers_to(k)),
        PipelineInput::No => false,
    })
}

fn values(v: Value) -> Vec<Value> {
    match v {
        Value::Null => vec![],
        Value::List(items) => items,
        one => vec![one],
    }
}

pub(super) async fn run(
    stages: &[Body],
    pipes: &[(usize, usize)],
    variables: &Variables,
    table: &CmdletTable,
) -> Result<CmdletOutput, Fault> {
    let (mut objects, mut previous, mut warnings) = match &stages[0] {
        Body::Value(arg) => (values(binder::resolve(arg, variables)?), None, vec![]),
        Body::Command { name, line, column, elements } => {
            let (out, _information) = super::command(name, *line, *column, elements, variables, table).await?;
            (out.objects, Some(name.clone()), out.warnings)
        }
        Body::Member { line, column, .. } => {
            let stage =
                super::parser::Statement { line: *line, column: *column, assign: None, body: stages[0].clone() };
            let (out, _information) = Box::pin(super::execute(&stage, variables, table)).await?;
            (out.objects, None, out.warnings)
        }
        Body::Pipeline { .. } => unreachable!("the parser does not nest pipelines"),
    };
    for (stage, pipe) in stages[1..].iter().zip(pipes) {
        let Body::Command { name, line, column, elements } = stage else { return Err(refused(*pipe)) };
        if !table.known(name) {
            return Err(refused(*pipe));
        }
        let (spec, executor) = table.choose(name).map_err(|m| Fault::at(*line, *column, m))?;
        let same_noun =
            previous.as_deref().is_none_or(|p| table.known(p) && noun(p).eq_ignore_ascii_case(noun(spec.name)));
        if !same_noun || !objects.iter().all(|o| takes(spec, o)) {
            return Err(refused(*pipe));
        }
        (objects, warnings) =
            feed(spec, executor.as_ref(), objects, warnings, elements, variables, (*line, *column)).await?;
        previous = Some(spec.name.to_string());
    }
    Ok(CmdletOutput { objects, warnings })
}

/// Runs the cmdlet once per incoming object, stopping at the first failure.
async fn feed(
    spec: &'static CmdletSpec,
    executor: &dyn Executor,
    objects: Vec<Value>,
    mut warnings: Vec<String>,
    elements: &[Element],
    variables: &Variables,
    at: (usize, usize),
) -> Result<(Vec<Value>, Vec<String>), Fault> {
    let written = binder::bind_written(spec, elements, variables)?;
    let mut out = vec![];
    for object in &objects {
        let args = binder::bind_pipeline_object(spec, &written, object, at)?.ok_or_else(|| {
            Fault::at(at.0, at.1, "The input object cannot be bound to any parameters for the command either because the command does not take pipeline input or the input and its properties do not match any of the parameters that take pipeline input.")
        })?;
        let invocation = Invocation { cmdlet: spec.name.to_string(), args, line: at.0, column: at.1 };
        let result = executor
            .execute(&invocation)
            .await
            .map_err(|e| Fault::at(at.0, at.1, super::cmdlet_message(spec.name, &e.message)))?;
        out.extend(result.objects);
        warnings.extend(result.warnings);
    }
    Ok((out, warnings))
}
