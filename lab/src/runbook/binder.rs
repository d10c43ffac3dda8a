//! Binds a parsed call to its [`CmdletSpec`]: names and prefixes, switches, positions, types,
//! mandatory parameters; every refusal in PowerShell's own words.

use super::lexer::Fault;
use super::parser::{Arg, Element, Expr};
use super::spec::{CmdletSpec, ParamKind, ParamSpec, PipelineInput};
use super::value::Value;
use std::collections::{BTreeMap, HashMap};

/// Variables by lower-case name (PowerShell's are case-insensitive).
pub type Variables = HashMap<String, Value>;

pub fn resolve(arg: &Arg, variables: &Variables) -> Result<Value, Fault> {
    match &arg.expr {
        Expr::Literal(v) => Ok(v.clone()),
        Expr::Variable(name) => super::property::read(variables, name).ok_or_else(|| {
            let name = name.split('.').next().unwrap_or_default();
            Fault::at(
                arg.line,
                arg.column,
                format!("The variable '${name}' cannot be retrieved because it has not been set."),
            )
        }),
        Expr::List(items) => items.iter().map(|a| resolve(a, variables)).collect::<Result<_, _>>().map(Value::List),
        // A script block where a value is wanted is its text, as PowerShell converts it.
        Expr::Block(tokens) => Ok(Value::String(super::parser::block_text(tokens))),
    }
}

/// The parameter a written name means: the exact name, else the one it is a prefix of.
/// The cmdlet's own parameters come first, then the common ones ([`super::common`]).
fn find_param(spec: &CmdletSpec, written: &str, line: usize, column: usize) -> Result<&'static ParamSpec, Fault> {
    let all = || spec.params.iter().chain(super::common::extra_params(spec));
    if let Some(p) = all().find(|p| p.answers_to(written)) {
        return Ok(p);
    }
    let lower = written.to_ascii_lowercase();
    let candidates: Vec<&ParamSpec> = all().filter(|p| p.name.to_ascii_lowercase().starts_with(&lower)).collect();
    match candidates.as_slice() {
        [one] => Ok(one),
        [] => Err(Fault::at(
            line,
            column,
            match super::reference::documented_parameter(spec.name, written) {
                Some(real) => super::reference::unmodelled_parameter(spec.name, real),
                None => format!("A parameter cannot be found that matches parameter name '{written}'."),
            },
        )),
        many => Err(Fault::at(
            line,
            column,
            format!(
                "Parameter cannot be processed because the parameter name '{written}' is ambiguous. Possible matches include: {}.",
                many.iter().map(|p| format!("-{}", p.name)).collect::<Vec<_>>().join(" ")
            ),
        )),
    }
}

/// Whether every parameter written in `elements` is one of `spec`'s (or a common one).
pub fn check_names(spec: &CmdletSpec, elements: &[Element]) -> Result<(), Fault> {
    for element in elements {
        if let Element::Parameter { name, line, column, .. } = element {
            find_param(spec, name, *line, *column)?;
        }
    }
    Ok(())
}

/// The .NET type PowerShell would name for a value in conversion errors.
fn type_of(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(_) => "System.Boolean".into(),
        Value::Int(_) => "System.Int32".into(),
        Value::String(_) => "System.String".into(),
        Value::List(_) => "System.Object[]".into(),
        Value::Object(o) => o.type_name.clone(),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::List(_) => "System.Object[]".into(),
        other => other.display(),
    }
}

/// Converts a value to what `param` accepts.
pub fn convert(param: &ParamSpec, value: Value, line: usize, column: usize) -> Result<Value, Fault> {
    let name = param.name;
    let fail = |message: String| Err(Fault::at(line, column, message));
    if value == Value::Null {
        return if param.nullable {
            Ok(Value::Null)
        } else {
            fail(format!("Cannot bind argument to parameter '{name}' because it is null."))
        };
    }
    match param.kind {
        ParamKind::Switch | ParamKind::Bool => match value {
            Value::Bool(b) => Ok(Value::Bool(b)),
            Value::Int(i) => Ok(Value::Bool(i != 0)),
            other => fail(format!(
                "Cannot process argument transformation on parameter '{name}'. Cannot convert value \"{}\" to type \"System.Boolean\". Boolean parameters accept only Boolean values and numbers, such as $True, $False, 1 or 0.",
                text_of(&other)
            )),
        },
        ParamKind::Int => {
            let parsed = match &value {
                Value::Int(i) => Some(*i),
                Value::String(s) => s.trim().parse::<i64>().ok(),
                _ => None,
            };
            match parsed {
                Some(i) if (0..=u32::MAX as i64).contains(&i) => Ok(Value::Int(i)),
                Some(i) => fail(format!(
                    "Cannot process argument transformation on parameter '{name}'. Cannot convert value \"{i}\" to type \"System.UInt32\". Error: \"Value was either too large or too small for a UInt32.\""
                )),
                None => fail(format!(
                    "Cannot process argument transformation on parameter '{name}'. Cannot convert value \"{}\" to type \"System.UInt32\". Error: \"Input string was not in a correct format.\"",
                    text_of(&value)
                )),
            }
        }
        ParamKind::String => match value {
            Value::String(s) => Ok(Value::String(s)),
            Value::Int(_) | Value::Bool(_) => Ok(Value::String(value.display())),
            other => fail(format!(
                "Cannot convert '{}' to the type 'System.String' required by parameter '{name}'. Specified method is not supported.",
                type_of(&other)
            )),
        },
        ParamKind::StringList => {
            let items = match value {
                Value::List(items) => items,
                single => vec![single],
            };
            items
                .into_iter()
                .map(|item| match item {
                    Value::String(s) => Ok(Value::String(s)),
                    Value::Int(_) | Value::Bool(_) => Ok(Value::String(item.display())),
                    other => Err(Fault::at(
                        line,
                        column,
                        format!("Cannot convert '{}' to the type 'System.String' required by parameter '{name}'.", type_of(&other)),
                    )),
                })
                .collect::<Result<_, _>>()
                .map(Value::List)
        }
        ParamKind::Enum(words) => {
            let text = text_of(&value);
            match words.iter().find(|w| w.eq_ignore_ascii_case(text.trim())) {
                Some(word) if !matches!(value, Value::List(_) | Value::Object(_)) => Ok(Value::String(word.to_string())),
                _ => fail(format!(
                    "Cannot validate argument on parameter '{name}'. The argument \"{text}\" does not belong to the set \"{}\" specified by the ValidateSet attribute. Supply an argument that is in the set and then try the command again.",
                    words.join(",")
                )),
            }
        }
        ParamKind::Object(type_name) => match value {
            Value::Object(o) if o.type_name.eq_ignore_ascii_case(type_name) => Ok(Value::Object(o)),
            other => fail(format!(
                "Cannot bind parameter '{name}'. Cannot convert the \"{}\" value of type \"{}\" to type \"{type_name}\".",
                text_of(&other),
                type_of(&other)
            )),
        },
    }
}

/// Binds `elements` to `spec`; `at` is the cmdlet name's place, for missing mandatory ones.
pub fn bind(
    spec: &CmdletSpec,
    elements: &[Element],
    variables: &Variables,
    at: (usize, usize),
) -> Result<BTreeMap<String, Value>, Fault> {
    let args = bind_written(spec, elements, variables)?;
    check_mandatory(spec, &args, at)?;
    Ok(args)
}

/// Adds what one pipeline object gives to the written arguments: a `ByValue` parameter takes
/// the object itself when its type fits, a `ByPropertyName` one the object's property of its
/// name or alias. Written arguments win, as in PowerShell. `Ok(None)`: the object fits no
/// parameter.
pub fn bind_pipeline_object(
    spec: &CmdletSpec,
    written: &BTreeMap<String, Value>,
    object: &Value,
    at: (usize, usize),
) -> Result<Option<BTreeMap<String, Value>>, Fault> {
    let Value::Object(o) = object else { return Ok(None) };
    let mut args = written.clone();
    let mut used = false;
    for p in spec.params.iter().filter(|p| !written.contains_key(p.name)) {
        let value = match (p.pipeline, p.kind) {
            (PipelineInput::ByValue, ParamKind::Object(t)) if o.type_name.eq_ignore_ascii_case(t) => {
                Some(object.clone())
            }
            (PipelineInput::ByPropertyName, _) => {
                o.properties.iter().find(|(k, _)| p.answers_to(k)).map(|(_, v)| v.clone()).filter(|v| *v != Value::Null)
            }
            _ => None,
        };
        if let Some(v) = value {
            args.insert(p.name.to_string(), convert(p, v, at.0, at.1)?);
            used = true;
        }
    }
    if !used {
        return Ok(None);
    }
    check_mandatory(spec, &args, at)?;
    Ok(Some(args))
}

fn check_mandatory(spec: &CmdletSpec, args: &BTreeMap<String, Value>, at: (usize, usize)) -> Result<(), Fault> {
    let missing: Vec<&str> =
        spec.params.iter().filter(|p| p.mandatory && !args.contains_key(p.name)).map(|p| p.name).collect();
    if !missing.is_empty() {
        return Err(Fault::at(
            at.0,
            at.1,
            format!(
                "Cannot process command because of one or more missing mandatory parameters: {}.",
                missing.join(" ")
            ),
        ));
    }
    Ok(())
}

/// Binds what is written on the line, without asking for mandatory parameters (a pipeline may
/// still supply them).
pub fn bind_written(
    spec: &CmdletSpec,
    elements: &[Element],
    variables: &Variables,
) -> Result<BTreeMap<String, Value>, Fault> {
    let mut args: BTreeMap<String, Value> = BTreeMap::new();
    let mut positionals: Vec<&ParamSpec> = spec.params.iter().filter(|p| p.position.is_some()).collect();
    positionals.sort_by_key(|p| p.position);
    let mut i = 0;
    while i < elements.len() {
        match &elements[i] {
            Element::Parameter { name, colon, line, column } => {
                let param = find_param(spec, name, *line, *column)?;
                if args.contains_key(param.name) {
                    return Err(Fault::at(*line, *column, format!(
                        "Cannot bind parameter because parameter '{}' is specified more than once. To provide multiple values to parameters that can accept multiple values, use the array syntax. For example, \"-parameter value1,value2,value3\".",
                        param.name
                    )));
                }
                let takes_argument = param.kind != ParamKind::Switch || *colon;
                let value = if takes_argument {
                    match elements.get(i + 1) {
                        Some(Element::Argument(arg)) => {
                            i += 1;
                            convert(param, resolve(arg, variables)?, arg.line, arg.column)?
                        }
                        _ => {
                            return Err(Fault::at(*line, *column, format!(
                                "Missing an argument for parameter '{}'. Specify a parameter of type '{}' and try again.",
                                param.name,
                                param.kind.type_name()
                            )))
                        }
                    }
                } else {
                    Value::Bool(true)
                };
                args.insert(param.name.to_string(), value);
            }
            Element::Argument(arg) => {
                let value = resolve(arg, variables)?;
                match positionals.iter().find(|p| !args.contains_key(p.name)) {
                    Some(param) => {
                        let value = convert(param, value, arg.line, arg.column)?;
                        args.insert(param.name.to_string(), value);
                    }
                    None => {
                        return Err(Fault::at(
                            arg.line,
                            arg.column,
                            format!(
                                "A positional parameter cannot be found that accepts argument '{}'.",
                                text_of(&value)
                            ),
                        ))
                    }
                }
            }
        }
        i += 1;
    }
    Ok(args)
}
