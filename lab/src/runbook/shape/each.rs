//! `ForEach-Object { ... }`: the block's statements run once per object with `$_` set, cmdlet
//! calls included. What can be checked before `$_` is known is checked before the pipeline runs.

use super::super::binder::Variables;
use super::super::lexer::{Fault, Token};
use super::super::parser::{self, Body, Statement};
use super::super::pipeline::{self, Ran};
use super::super::value::Value;
use super::super::{plan, property, CmdletTable};

/// A `ForEach-Object` block's statements, each checked as far as it can be before `$_` is known:
/// its cmdlets exist and reach their target, and its parameters are theirs.
pub(super) fn check(tokens: &[Token], at: (usize, usize), table: &CmdletTable) -> Result<Vec<Statement>, Fault> {
    let statements: Vec<Statement> =
        parser::statements(tokens).into_iter().map(parser::parse).collect::<Result<_, _>>()?;
    if statements.is_empty() {
        return Err(Fault::at(at.0, at.1, "The script block of ForEach-Object is empty."));
    }
    for statement in &statements {
        let stages: Vec<&Body> = match &statement.body {
            Body::Pipeline { stages, .. } => stages.iter().collect(),
            other => vec![other],
        };
        for stage in stages {
            if let Body::Command { name, line, column, elements } = stage {
                plan::check_names(name, (*line, *column), elements, table)?;
            }
        }
    }
    Ok(statements)
}

/// Runs the block's statements once per object, `$_` (and `$PSItem`) set to it. An object whose
/// statement fails writes its error and the next object goes on.
pub(super) async fn run(
    statements: &[Statement],
    objects: Vec<Value>,
    variables: &Variables,
    table: &CmdletTable,
    ran: &mut Ran,
) -> Vec<Value> {
    let mut out = vec![];
    for object in objects {
        let mut scope = variables.clone();
        scope.insert("_".into(), object.clone());
        scope.insert("psitem".into(), object);
        for statement in statements {
            let plan = match plan::check(statement, &scope, table) {
                Ok(plan) => plan,
                Err(fault) => {
                    ran.errors.push(fault);
                    continue;
                }
            };
            let inner = Box::pin(pipeline::run(&plan, &scope, table)).await;
            ran.information.extend(inner.information);
            ran.host.extend(inner.host);
            ran.errors.extend(inner.errors);
            ran.output.warnings.extend(inner.output.warnings);
            match &statement.assign {
                Some(name) => {
                    let value = match inner.output.objects.len() {
                        0 => Value::Null,
                        1 => inner.output.objects[0].clone(),
                        _ => Value::List(inner.output.objects),
                    };
                    if let Err(message) = property::assign(&mut scope, name, value) {
                        ran.errors.push(Fault::at(statement.line, statement.column, message));
                    }
                }
                None => out.extend(inner.output.objects),
            }
        }
    }
    out
}
