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

    /// [`RunbookError::render`] with the offending line quoted and the column marked.
    pub fn render_in(&self, source: &str) -> String {
        let mut text = format!("{}\nAt line:{} char:{}\n", self.message, self.line, self.column);
        if let Some(line) = source.lines().nth(self.line.saturating_sub(1)) {
            let marker: String =
                line.chars().take(self.column.saturating_sub(1)).map(|c| if c == '\t' { '\t' } else { ' ' }).collect();
            text.push_str(&format!("+ {line}\n+ {marker}~\n"));
        }
        text
    }
}
