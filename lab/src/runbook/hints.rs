//! Hints added to PowerShell's own message for mistakes that people coming from other languages
//! make, where PowerShell's words alone do not point at the cause.

use super::lexer::Fault;
use super::parser::{Body, Element, Expr, Statement};
use super::value::Value;

/// `fault` with a hint when the failing statement holds a bare `null`, `true` or `false`: in
/// PowerShell those are strings; the values are `$null`, `$true` and `$false`.
pub fn with_hint(mut fault: Fault, statement: &Statement) -> Fault {
    let Body::Command { elements, .. } = &statement.body else { return fault };
    let bare = elements.iter().find_map(|e| match e {
        Element::Argument(arg) => bare_constant(&arg.expr),
        Element::Parameter { .. } => None,
    });
    if let Some(word) = bare {
        fault.message.push_str(&format!(
            " Hint: '{word}' without a $ is the string \"{word}\"; PowerShell writes the value as ${}.",
            word.to_ascii_lowercase()
        ));
    }
    fault
}

fn bare_constant(expr: &Expr) -> Option<&str> {
    match expr {
        Expr::Literal(Value::String(s)) if ["null", "true", "false"].iter().any(|w| s.eq_ignore_ascii_case(w)) => {
            Some(s)
        }
        Expr::List(items) => items.iter().find_map(|a| bare_constant(&a.expr)),
        _ => None,
    }
}
