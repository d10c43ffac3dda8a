//! How a run is shown: PowerShell's list format for people, JSON for `--json`.

use super::value::{PsObject, Value};
use super::{RunbookError, Step, Transcript};

/// Lines of one object in list format; nested objects are expanded below their property,
/// indented, so e.g. MediaBypassSettings' `Enabled` and `BypassID` each get a line.
pub fn object_lines(object: &PsObject, indent: usize) -> Vec<String> {
    let width = object.properties.iter().map(|(k, _)| k.chars().count()).max().unwrap_or(0);
    let pad = " ".repeat(indent);
    let mut lines = Vec::new();
    for (name, value) in &object.properties {
        match value {
            Value::Object(inner) => {
                lines.push(format!("{pad}{name:<width$} :"));
                lines.extend(object_lines(inner, indent + 4));
            }
            other => lines.push(format!("{pad}{name:<width$} : {}", other.display()).trim_end().to_string()),
        }
    }
    lines
}

fn step_lines(step: &Step, out: &mut Vec<String>) {
    out.push(format!("PS> {}", step.source));
    for note in &step.information {
        out.push(format!("INFO: {note}"));
    }
    for warning in &step.output.warnings {
        out.push(format!("WARNING: {warning}"));
    }
    for object in &step.output.objects {
        match object {
            Value::Object(o) => {
                if out.last().is_some_and(|l| !l.is_empty()) {
                    out.push(String::new());
                }
                out.extend(object_lines(o, 0));
                out.push(String::new());
            }
            Value::List(items) => {
                for item in items {
                    out.push(item.display());
                }
            }
            other => out.push(other.display()),
        }
    }
}

impl Transcript {
    /// The run as a PowerShell console would show it: each statement after `PS> `, then its
    /// warnings and its objects in list format.
    pub fn render(&self) -> String {
        let mut lines = Vec::new();
        for step in &self.steps {
            step_lines(step, &mut lines);
        }
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        text
    }

    /// `{"steps": [{"line", "column", "source", "objects": [...], "warnings": [...]}]}`, objects as
    /// plain JSON with the cmdlets' property names.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "steps": self.steps.iter().map(|s| serde_json::json!({
                "line": s.line,
                "column": s.column,
                "source": s.source,
                "objects": s.output.objects.iter().map(Value::to_json).collect::<Vec<_>>(),
                "warnings": s.output.warnings,
            })).collect::<Vec<_>>()
        })
    }
}

impl RunbookError {
    /// The error as PowerShell reports it: the message, then where (`At line:L char:C`).
    /// What ran before it is in `transcript`.
    pub fn render(&self) -> String {
        format!("{}\nAt line:{} char:{}\n", self.message, self.line, self.column)
    }

    /// The error in PowerShell's layout: the message, where (`At FILE:L char:C`, or `At line:L
    /// char:C` when the runbook came from standard input or a paste), the offending line and a
    /// `~` under the offending word. A very long line is cut around the column, so a 1 MB line
    /// does not make a 1 MB message.
    pub fn render_in(&self, source: &str, file: Option<&str>) -> String {
        let place = match file {
            Some(f) => format!("At {f}:{} char:{}", self.line, self.column),
            None => format!("At line:{} char:{}", self.line, self.column),
        };
        let mut text = format!("{}\n{place}\n", self.message);
        let source = super::encoding::without_bom(source);
        if let Some(line) = source.lines().nth(self.line.saturating_sub(1)) {
            let (shown, marker) = quote_line(line, self.column);
            text.push_str(&format!("+ {shown}\n+ {marker}\n"));
        }
        text
    }
}

/// How much of a long line is quoted before and after the column.
const BEFORE: usize = 60;
const AFTER: usize = 100;

/// The line (cut around `column` when long) and the marker line under it: tabs kept so the
/// `~` lines up, one `~` per character of the word at the column.
fn quote_line(line: &str, column: usize) -> (String, String) {
    let chars: Vec<char> = line.trim_end_matches('\r').chars().collect();
    let at = column.saturating_sub(1).min(chars.len());
    let start = if chars.len() > BEFORE + AFTER { at.saturating_sub(BEFORE) } else { 0 };
    let end = if chars.len() > BEFORE + AFTER { (at + AFTER).min(chars.len()) } else { chars.len() };
    let mut shown: String = chars[start..end].iter().collect();
    let mut marker: String = chars[start..at].iter().map(|c| if *c == '\t' { '\t' } else { ' ' }).collect();
    if start > 0 {
        shown.insert_str(0, "...");
        marker.insert_str(0, "   ");
    }
    if end < chars.len() {
        shown.push_str("...");
    }
    let word = chars[at..end].iter().take_while(|c| !c.is_whitespace()).count().max(1);
    marker.push_str(&"~".repeat(word));
    (shown, marker)
}
