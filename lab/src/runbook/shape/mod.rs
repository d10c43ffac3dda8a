//! PowerShell's own output and filter cmdlets, as Microsoft's examples pipe into them: about one
//! cmdlet-page example in five ends in `| Format-List`. They run in the runner on the objects the
//! modelled cmdlets return and change nothing anywhere: `Format-List`, `Format-Table`,
//! `Select-Object`, `Sort-Object`, `Where-Object`, `ForEach-Object`, `Out-Null`, `Out-String`,
//! `Measure-Object`.

mod each;
mod filter;
mod format;
mod select;

use super::binder::{self, Variables};
use super::common::Common;
use super::lexer::Fault;
use super::parser::{Element, Expr, Statement};
use super::spec::{CmdletSpec, ParamKind, ParamSpec, Target};
use super::value::Value;
use super::CmdletTable;
use ParamKind::{Int, String as Str, StringList, Switch};

pub(super) use filter::Condition;
pub(super) use format::table_lines;

/// The shape cmdlets' parameters, as their pages name and number them (positions from 0).
const SPECS: &[CmdletSpec] = &[
    CmdletSpec {
        name: "Format-List",
        target: Target::Local,
        params: &[ParamSpec::named("Property", StringList).at(0)],
    },
    CmdletSpec {
        name: "Format-Table",
        target: Target::Local,
        params: &[
            ParamSpec::named("Property", StringList).at(0),
            ParamSpec::named("AutoSize", Switch),
            ParamSpec::named("Wrap", Switch),
            ParamSpec::named("HideTableHeaders", Switch),
        ],
    },
    CmdletSpec {
        name: "Select-Object",
        target: Target::Local,
        params: &[
            ParamSpec::named("Property", StringList).at(0),
            ParamSpec::named("ExpandProperty", Str),
            ParamSpec::named("First", Int),
            ParamSpec::named("Last", Int),
            ParamSpec::named("Skip", Int),
            ParamSpec::named("Unique", Switch),
        ],
    },
    CmdletSpec {
        name: "Sort-Object",
        target: Target::Local,
        params: &[
            ParamSpec::named("Property", StringList).at(0),
            ParamSpec::named("Descending", Switch),
            ParamSpec::named("Unique", Switch),
            ParamSpec::named("CaseSensitive", Switch),
        ],
    },
    CmdletSpec { name: "Where-Object", target: Target::Local, params: filter::WHERE_PARAMS },
    CmdletSpec {
        name: "ForEach-Object",
        target: Target::Local,
        params: &[ParamSpec::named("MemberName", Str).required().at(0)],
    },
    CmdletSpec { name: "Out-Null", target: Target::Local, params: &[] },
    CmdletSpec {
        name: "Out-String",
        target: Target::Local,
        params: &[ParamSpec::named("Stream", Switch), ParamSpec::named("Width", Int)],
    },
    CmdletSpec {
        name: "Measure-Object",
        target: Target::Local,
        params: &[
            ParamSpec::named("Property", StringList).at(0),
            ParamSpec::named("Sum", Switch),
            ParamSpec::named("Average", Switch),
            ParamSpec::named("Maximum", Switch),
            ParamSpec::named("Minimum", Switch),
        ],
    },
];

/// The shape cmdlet `name` names (any case).
pub(super) fn find(name: &str) -> Option<&'static CmdletSpec> {
    SPECS.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// Every shape cmdlet, for `bypass-lab cmdlets` and "Did you mean".
pub fn specs() -> impl Iterator<Item = &'static CmdletSpec> + Clone {
    SPECS.iter()
}

/// A shape cmdlet bound to its arguments.
#[derive(Debug, Clone)]
pub(super) enum Shape {
    FormatList {
        properties: Vec<String>,
    },
    FormatTable {
        properties: Vec<String>,
        hide_headers: bool,
    },
    Select(select::Selection),
    Sort {
        properties: Vec<String>,
        descending: bool,
        unique: bool,
    },
    Where(Condition),
    /// `ForEach-Object { ... }`: the block's statements, run once per object with `$_` set.
    ForEach(Vec<Statement>),
    /// `ForEach-Object Name`: each object's property.
    ForEachMember(String),
    OutNull,
    OutString,
    Measure(select::Measure),
}

/// The script block written as the cmdlet's first argument (or after `-FilterScript`/`-Process`).
fn script_block<'a>(elements: &'a [Element], parameter: &str) -> Option<(&'a [super::lexer::Token], usize, usize)> {
    let block = match elements {
        [Element::Argument(arg)] => arg,
        [Element::Parameter { name, .. }, Element::Argument(arg)]
            if parameter.to_ascii_lowercase().starts_with(&name.to_ascii_lowercase()) =>
        {
            arg
        }
        _ => return None,
    };
    match &block.expr {
        Expr::Block(tokens) => Some((tokens, block.line, block.column)),
        _ => None,
    }
}

fn strings(value: Option<Value>) -> Vec<String> {
    match value {
        Some(Value::List(items)) => items.iter().map(Value::display).collect(),
        Some(v) => vec![v.display()],
        None => vec![],
    }
}

fn count(value: Option<&Value>) -> Option<usize> {
    match value {
        Some(Value::Int(n)) => Some(*n as usize),
        _ => None,
    }
}

/// Binds a shape cmdlet's line, so that it is known to run before any stage of its statement does.
pub(super) fn check(
    spec: &'static CmdletSpec,
    elements: &[Element],
    variables: &Variables,
    table: &CmdletTable,
    at: (usize, usize),
) -> Result<Shape, Fault> {
    match spec.name {
        "Where-Object" => {
            if let Some((tokens, line, column)) = script_block(elements, "FilterScript") {
                return Condition::parse(tokens, (line, column)).map(Shape::Where);
            }
            return filter::simplified(spec, elements, variables, at).map(Shape::Where);
        }
        "ForEach-Object" => {
            if let Some((tokens, line, column)) = script_block(elements, "Process") {
                return each::check(tokens, (line, column), table).map(Shape::ForEach);
            }
        }
        _ => {}
    }
    let mut args = binder::bind(spec, elements, variables, at)?;
    let _ = Common::take(spec, &mut args);
    let switch = |name: &str| matches!(args.get(name), Some(Value::Bool(true)));
    Ok(match spec.name {
        "Format-List" => Shape::FormatList { properties: strings(args.get("Property").cloned()) },
        "Format-Table" => Shape::FormatTable {
            properties: strings(args.get("Property").cloned()),
            hide_headers: switch("HideTableHeaders"),
        },
        "Select-Object" => Shape::Select(select::Selection {
            properties: strings(args.get("Property").cloned()),
            expand: args.get("ExpandProperty").map(Value::display),
            first: count(args.get("First")),
            last: count(args.get("Last")),
            skip: count(args.get("Skip")).unwrap_or(0),
            unique: switch("Unique"),
        }),
        "Sort-Object" => Shape::Sort {
            properties: strings(args.get("Property").cloned()),
            descending: switch("Descending"),
            unique: switch("Unique"),
        },
        "ForEach-Object" => Shape::ForEachMember(args.get("MemberName").map(Value::display).unwrap_or_default()),
        "Out-Null" => Shape::OutNull,
        "Out-String" => Shape::OutString,
        "Measure-Object" => Shape::Measure(select::Measure {
            property: strings(args.get("Property").cloned()).into_iter().next(),
            sum: switch("Sum"),
            average: switch("Average"),
            maximum: switch("Maximum"),
            minimum: switch("Minimum"),
        }),
        other => unreachable!("{other} is a shape cmdlet"),
    })
}

/// Runs `shape` over `objects`. `ForEach-Object` may run cmdlets: their output, host lines and
/// errors go to `ran`.
pub(super) async fn apply(
    shape: &Shape,
    objects: Vec<Value>,
    variables: &Variables,
    table: &CmdletTable,
    ran: &mut super::pipeline::Ran,
) -> Vec<Value> {
    match shape {
        Shape::FormatList { properties } => format::list(&objects, properties),
        Shape::FormatTable { properties, hide_headers } => format::table(&objects, properties, *hide_headers),
        Shape::Select(selection) => selection.apply(objects),
        Shape::Sort { properties, descending, unique } => select::sort(objects, properties, *descending, *unique),
        Shape::Where(condition) => objects.into_iter().filter(|o| condition.holds(o, variables)).collect(),
        Shape::ForEach(statements) => each::run(statements, objects, variables, table, ran).await,
        Shape::ForEachMember(name) => objects.into_iter().map(|o| super::property::follow(o, name)).collect(),
        Shape::OutNull => vec![],
        Shape::OutString => vec![Value::String(table.views().text(&objects))],
        Shape::Measure(measure) => vec![measure.apply(&objects)],
    }
}
