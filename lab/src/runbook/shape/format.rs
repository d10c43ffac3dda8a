//! `Format-List` and `Format-Table`: the text PowerShell's console shows. A formatted
//! statement's output is that text, one string, so `| Out-String` and `--json` carry it as
//! printed. **Lab choice:** tables are always as wide as their widest cell (`-AutoSize`): the
//! lab has no console width to share out.

use super::super::render::object_lines;
use super::super::value::{PsObject, Value};
use super::select::chosen;

/// The text of `lines`: a blank line before and after, as the console frames formatted output.
fn framed(mut lines: Vec<String>) -> Vec<Value> {
    lines.insert(0, String::new());
    lines.push(String::new());
    vec![Value::String(lines.join("\n"))]
}

/// `Format-List`: each object's properties (`*` or none: all of them), one per line, colons aligned.
pub(super) fn list(objects: &[Value], properties: &[String]) -> Vec<Value> {
    if objects.is_empty() {
        return vec![];
    }
    let mut lines = vec![];
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            lines.push(String::new());
        }
        match object {
            Value::Object(o) => {
                let shown = PsObject {
                    type_name: o.type_name.clone(),
                    properties: chosen(o, properties).into_iter().cloned().collect(),
                };
                lines.extend(object_lines(&shown, 0));
            }
            other => lines.push(other.display()),
        }
    }
    framed(lines)
}

/// How a cell shows a value: nested objects by their type name, lists in braces.
fn cell(value: &Value) -> String {
    value.display()
}

/// `Format-Table`: the columns the first object has (or those named), a header, dashes as long
/// as each header, a row per object. Columns of numbers are aligned right, as PowerShell does.
pub(super) fn table(objects: &[Value], properties: &[String], hide_headers: bool) -> Vec<Value> {
    if !objects.iter().any(|o| matches!(o, Value::Object(_))) {
        return if objects.is_empty() { vec![] } else { framed(objects.iter().map(Value::display).collect()) };
    }
    framed(table_lines(objects, properties, hide_headers))
}

/// The lines of [`table`], unframed: also the console's default table (`runbook::view`).
pub(crate) fn table_lines(objects: &[Value], properties: &[String], hide_headers: bool) -> Vec<String> {
    let Some(first) = objects.iter().find_map(|o| match o {
        Value::Object(o) => Some(o),
        _ => None,
    }) else {
        return objects.iter().map(Value::display).collect();
    };
    let columns: Vec<String> = if properties.is_empty() || properties.iter().any(|p| p == "*") {
        first.properties.iter().map(|(k, _)| k.clone()).collect()
    } else {
        let named: Vec<String> = chosen(first, properties).into_iter().map(|(k, _)| k.clone()).collect();
        let literal = properties.iter().filter(|p| !p.contains(['*', '?'])).cloned();
        let mut all = named;
        for p in literal {
            if !all.iter().any(|c| c.eq_ignore_ascii_case(&p)) {
                all.push(p);
            }
        }
        all
    };
    let rows: Vec<Vec<(String, bool)>> = objects
        .iter()
        .map(|o| {
            columns
                .iter()
                .map(|c| {
                    let value = match o {
                        Value::Object(obj) => obj.get(c).cloned().unwrap_or(Value::Null),
                        _ => Value::Null,
                    };
                    (cell(&value), matches!(value, Value::Int(_)))
                })
                .collect()
        })
        .collect();
    let numeric: Vec<bool> = (0..columns.len())
        .map(|i| rows.iter().all(|r| r[i].1 || r[i].0.is_empty()) && rows.iter().any(|r| r[i].1))
        .collect();
    let widths: Vec<usize> = (0..columns.len())
        .map(|i| rows.iter().map(|r| r[i].0.chars().count()).chain([columns[i].chars().count()]).max().unwrap_or(0))
        .collect();
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .enumerate()
            .map(
                |(i, c)| if numeric[i] { format!("{c:>w$}", w = widths[i]) } else { format!("{c:<w$}", w = widths[i]) },
            )
            .collect();
        padded.join(" ").trim_end().to_string()
    };
    let mut lines = vec![];
    if !hide_headers {
        lines.push(line(columns.clone()));
        lines.push(line(columns.iter().map(|c| "-".repeat(c.chars().count())).collect()));
    }
    for row in rows {
        lines.push(line(row.into_iter().map(|(c, _)| c).collect()));
    }
    lines
}
