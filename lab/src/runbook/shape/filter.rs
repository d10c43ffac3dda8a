//! `Where-Object`: a script block of simple comparisons joined by `-and`/`-or`
//! (`{ $_.Name -eq "x" -and $_.Weight -gt 1 }`), or the simplified form that names a property, an
//! operator and a value (`Where-Object Name -eq x`).

use super::super::binder::{self, Variables};
use super::super::lexer::{Fault, Token, TokenKind};
use super::super::parser::Element;
use super::super::property;
use super::super::spec::{CmdletSpec, ParamKind, ParamSpec};
use super::super::value::Value;
use std::cmp::Ordering;

/// Comparison operators of PowerShell (about_Comparison_Operators), by their bare names.
const OPERATORS: &[&str] = &[
    "eq",
    "ne",
    "gt",
    "ge",
    "lt",
    "le",
    "like",
    "notlike",
    "match",
    "notmatch",
    "contains",
    "notcontains",
    "in",
    "notin",
];

/// `Where-Object`'s simplified form: `[-Property] NAME [-OPERATOR] [[-Value] VALUE]`.
pub(super) const WHERE_PARAMS: &[ParamSpec] = &[
    ParamSpec::named("Property", ParamKind::String).required().at(0),
    ParamSpec::named("Value", ParamKind::String).at(1),
    ParamSpec::named("EQ", ParamKind::Switch).alias(&["IEQ"]),
    ParamSpec::named("CEQ", ParamKind::Switch),
    ParamSpec::named("NE", ParamKind::Switch).alias(&["INE"]),
    ParamSpec::named("CNE", ParamKind::Switch),
    ParamSpec::named("GT", ParamKind::Switch).alias(&["IGT"]),
    ParamSpec::named("GE", ParamKind::Switch).alias(&["IGE"]),
    ParamSpec::named("LT", ParamKind::Switch).alias(&["ILT"]),
    ParamSpec::named("LE", ParamKind::Switch).alias(&["ILE"]),
    ParamSpec::named("Like", ParamKind::Switch).alias(&["ILike"]),
    ParamSpec::named("CLike", ParamKind::Switch),
    ParamSpec::named("NotLike", ParamKind::Switch).alias(&["INotLike"]),
    ParamSpec::named("Match", ParamKind::Switch).alias(&["IMatch"]),
    ParamSpec::named("NotMatch", ParamKind::Switch).alias(&["INotMatch"]),
    ParamSpec::named("Contains", ParamKind::Switch).alias(&["IContains"]),
    ParamSpec::named("NotContains", ParamKind::Switch).alias(&["INotContains"]),
    ParamSpec::named("In", ParamKind::Switch).alias(&["IIn"]),
    ParamSpec::named("NotIn", ParamKind::Switch).alias(&["INotIn"]),
];

/// One side of a comparison.
#[derive(Debug, Clone)]
pub(in crate::runbook) enum Operand {
    /// `$_` or `$PSItem`, with a property path (`$_.Name`: "Name").
    Current(String),
    /// Another variable (`$name`, `$m.BypassID`).
    Variable(String),
    Literal(Value),
}

/// A `Where-Object` condition.
#[derive(Debug, Clone)]
pub(in crate::runbook) enum Condition {
    /// `left` alone is tested for truth; with an operator, compared with `right`.
    Compare {
        left: Operand,
        op: Option<(String, bool, Operand)>,
    },
    Not(Box<Condition>),
    And(Box<Condition>, Box<Condition>),
    Or(Box<Condition>, Box<Condition>),
}

/// An operator written `-eq`, `-ceq`, `-ieq`: its bare name and whether it is case-sensitive.
fn operator(name: &str) -> Option<(String, bool)> {
    let lower = name.to_ascii_lowercase();
    let (bare, case) = match lower.strip_prefix('c') {
        Some(rest) if OPERATORS.contains(&rest) => (rest.to_string(), true),
        _ => match lower.strip_prefix('i') {
            Some(rest) if OPERATORS.contains(&rest) && !OPERATORS.contains(&lower.as_str()) => {
                (rest.to_string(), false)
            }
            _ => (lower.clone(), false),
        },
    };
    OPERATORS.contains(&bare.as_str()).then_some((bare, case))
}

fn operand(token: &Token) -> Result<Operand, Fault> {
    Ok(match &token.kind {
        TokenKind::Variable(name) => {
            let (head, path) = name.split_once('.').unwrap_or((name, ""));
            match head.to_ascii_lowercase().as_str() {
                "_" | "psitem" => Operand::Current(path.to_string()),
                "true" => Operand::Literal(Value::Bool(true)),
                "false" => Operand::Literal(Value::Bool(false)),
                "null" => Operand::Literal(Value::Null),
                _ => Operand::Variable(name.clone()),
            }
        }
        TokenKind::Quoted(text) => Operand::Literal(Value::String(text.clone())),
        TokenKind::Word(word) => Operand::Literal(match word.parse::<i64>() {
            Ok(n) => Value::Int(n),
            Err(_) => Value::String(word.clone()),
        }),
        _ => return Err(unsupported(token)),
    })
}

fn unsupported(token: &Token) -> Fault {
    Fault::at(
        token.line,
        token.column,
        "The runbook runner reads a Where-Object script block of comparisons joined by -and, -or and -not, such as { $_.Name -eq 'x' -and $_.Weight -gt 1 }.",
    )
}

impl Condition {
    /// Reads a script block's tokens; `at` is the block's opening brace.
    pub(super) fn parse(tokens: &[Token], at: (usize, usize)) -> Result<Condition, Fault> {
        let tokens: Vec<&Token> = tokens.iter().filter(|t| t.kind != TokenKind::End).collect();
        if tokens.is_empty() {
            return Err(Fault::at(at.0, at.1, "The script block of Where-Object is empty."));
        }
        let mut pos = 0;
        let condition = Condition::joined(&tokens, &mut pos)?;
        match tokens.get(pos) {
            Some(extra) => Err(unsupported(extra)),
            None => Ok(condition),
        }
    }

    /// `-and` and `-or` bind equally tightly, from the left, as in PowerShell.
    fn joined(tokens: &[&Token], pos: &mut usize) -> Result<Condition, Fault> {
        let mut left = Condition::unary(tokens, pos)?;
        while let Some(TokenKind::Parameter { name, .. }) = tokens.get(*pos).map(|t| &t.kind) {
            let join = name.to_ascii_lowercase();
            if join != "and" && join != "or" {
                break;
            }
            *pos += 1;
            let right = Condition::unary(tokens, pos)?;
            left = if join == "and" {
                Condition::And(Box::new(left), Box::new(right))
            } else {
                Condition::Or(Box::new(left), Box::new(right))
            };
        }
        Ok(left)
    }

    fn unary(tokens: &[&Token], pos: &mut usize) -> Result<Condition, Fault> {
        let Some(token) = tokens.get(*pos) else {
            let last = tokens[tokens.len() - 1];
            return Err(Fault::at(
                last.line,
                last.column,
                "You must provide a value expression following the operator.",
            ));
        };
        if matches!(&token.kind, TokenKind::Parameter { name, .. } if name.eq_ignore_ascii_case("not")) {
            *pos += 1;
            return Ok(Condition::Not(Box::new(Condition::unary(tokens, pos)?)));
        }
        let left = operand(token)?;
        *pos += 1;
        let op = match tokens.get(*pos).map(|t| &t.kind) {
            Some(TokenKind::Parameter { name, .. }) if operator(name).is_some() => {
                let (bare, case) = operator(name).expect("checked");
                let right = tokens.get(*pos + 1).ok_or_else(|| {
                    Fault::at(
                        tokens[*pos].line,
                        tokens[*pos].column,
                        format!("You must provide a value expression following the '-{name}' operator."),
                    )
                })?;
                *pos += 2;
                Some((bare, case, operand(right)?))
            }
            _ => None,
        };
        Ok(Condition::Compare { left, op })
    }

    /// Whether `object` passes.
    pub(super) fn holds(&self, object: &Value, variables: &Variables) -> bool {
        match self {
            Condition::Not(inner) => !inner.holds(object, variables),
            Condition::And(a, b) => a.holds(object, variables) && b.holds(object, variables),
            Condition::Or(a, b) => a.holds(object, variables) || b.holds(object, variables),
            Condition::Compare { left, op } => {
                let left = value_of(left, object, variables);
                match op {
                    None => truthy(&left),
                    Some((name, case, right)) => compare(&left, name, *case, &value_of(right, object, variables)),
                }
            }
        }
    }
}

fn value_of(operand: &Operand, object: &Value, variables: &Variables) -> Value {
    match operand {
        Operand::Current(path) => property::follow(object.clone(), path),
        Operand::Variable(name) => property::read(variables, name).unwrap_or(Value::Null),
        Operand::Literal(v) => v.clone(),
    }
}

/// PowerShell's truth of a value.
fn truthy(value: &Value) -> bool {
    match value {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Int(n) => *n != 0,
        Value::String(s) => !s.is_empty(),
        Value::List(items) => !items.is_empty(),
        Value::Object(_) => true,
    }
}

/// Orders two values as PowerShell does, converting the right to the left's type: numbers as
/// numbers, text case-insensitively unless `case`.
pub(super) fn order(left: &Value, right: &Value, case: bool) -> Ordering {
    let number = |v: &Value| match v {
        Value::Int(n) => Some(*n),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    if let (Value::Int(_), Some(a), Some(b)) = (left, number(left), number(right)) {
        return a.cmp(&b);
    }
    if let (Value::Bool(a), Value::Bool(b)) = (left, right) {
        return a.cmp(b);
    }
    let (a, b) = (left.display(), right.display());
    if case {
        a.cmp(&b)
    } else {
        a.to_lowercase().cmp(&b.to_lowercase())
    }
}

/// `*` and `?` wildcards (about_Wildcards), case-insensitive unless `case`.
pub(super) fn like(text: &str, pattern: &str, case: bool) -> bool {
    let fold = |s: &str| if case { s.chars().collect::<Vec<_>>() } else { s.to_lowercase().chars().collect() };
    let (t, p) = (fold(text), fold(pattern));
    let (mut ti, mut pi, mut star, mut mark) = (0, 0, None, 0);
    while ti < t.len() {
        if pi < p.len() && (p[pi] == '?' || p[pi] == t[ti]) {
            ti += 1;
            pi += 1;
        } else if pi < p.len() && p[pi] == '*' {
            star = Some(pi);
            mark = ti;
            pi += 1;
        } else if let Some(s) = star {
            pi = s + 1;
            mark += 1;
            ti = mark;
        } else {
            return false;
        }
    }
    p[pi..].iter().all(|c| *c == '*')
}

/// `-match` in the lab: the pattern as text, with `^` and `$` anchors (lab choice: no regular
/// expressions beyond anchors).
fn matches(text: &str, pattern: &str, case: bool) -> bool {
    let (text, pattern) =
        if case { (text.to_string(), pattern.to_string()) } else { (text.to_lowercase(), pattern.to_lowercase()) };
    match (pattern.strip_prefix('^'), pattern.strip_suffix('$')) {
        (Some(rest), _) if rest.ends_with('$') => text == rest[..rest.len() - 1],
        (Some(rest), _) => text.starts_with(rest),
        (None, Some(rest)) => text.ends_with(rest),
        (None, None) => text.contains(&pattern),
    }
}

fn compare(left: &Value, op: &str, case: bool, right: &Value) -> bool {
    let items = |v: &Value| match v {
        Value::List(items) => items.clone(),
        other => vec![other.clone()],
    };
    let eq = |a: &Value, b: &Value| match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Null, _) | (_, Value::Null) => false,
        _ => order(a, b, case) == Ordering::Equal,
    };
    // A collection on the left compares each item: the condition holds when one does.
    if let (Value::List(list), false) = (left, matches!(op, "contains" | "notcontains")) {
        return list.iter().any(|item| compare(item, op, case, right));
    }
    match op {
        "eq" => eq(left, right),
        "ne" => !eq(left, right),
        "gt" => left != &Value::Null && order(left, right, case) == Ordering::Greater,
        "ge" => left != &Value::Null && order(left, right, case) != Ordering::Less,
        "lt" => order(left, right, case) == Ordering::Less,
        "le" => order(left, right, case) != Ordering::Greater,
        "like" => like(&left.display(), &right.display(), case),
        "notlike" => !like(&left.display(), &right.display(), case),
        "match" => matches(&left.display(), &right.display(), case),
        "notmatch" => !matches(&left.display(), &right.display(), case),
        "contains" => items(left).iter().any(|i| eq(i, right)),
        "notcontains" => !items(left).iter().any(|i| eq(i, right)),
        "in" => items(right).iter().any(|i| eq(left, i)),
        "notin" => !items(right).iter().any(|i| eq(left, i)),
        _ => false,
    }
}

/// `Where-Object Name -eq x`: the property, one operator switch and the value.
pub(super) fn simplified(
    spec: &CmdletSpec,
    elements: &[Element],
    variables: &Variables,
    at: (usize, usize),
) -> Result<Condition, Fault> {
    let args = binder::bind(spec, elements, variables, at)?;
    let switches: Vec<&str> = args
        .iter()
        .filter(|(k, v)| operator(k).is_some() && **v == Value::Bool(true))
        .map(|(k, _)| k.as_str())
        .collect();
    let property = args.get("Property").map(Value::display).unwrap_or_default();
    let left = Operand::Current(property);
    let value = args.get("Value").cloned().unwrap_or(Value::Null);
    match switches.as_slice() {
        [] => Ok(Condition::Compare { left, op: None }),
        [one] => {
            let (bare, case) = operator(one).expect("an operator");
            Ok(Condition::Compare { left, op: Some((bare, case, Operand::Literal(value))) })
        }
        _ => Err(Fault::at(at.0, at.1, "Parameter set cannot be resolved using the specified named parameters.")),
    }
}
