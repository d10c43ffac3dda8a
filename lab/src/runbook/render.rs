//! How a run is shown: as PowerShell's console shows it for people (objects in their default
//! view, `runbook::view`), JSON for `--json`.

use super::value::{PsObject, Value};
use super::{RunbookError, Step, StepError, Transcript, Views};

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

/// The text a runbook came from, to quote a failing line (`None`: quote the statement itself).
#[derive(Clone, Copy)]
struct Quote<'a> {
    source: Option<&'a str>,
    file: Option<&'a str>,
}

fn step_lines(step: &Step, views: &Views, quote: Quote, out: &mut Vec<String>) {
    out.push(format!("PS> {}", step.source));
    for note in &step.information {
        out.push(format!("INFO: {note}"));
    }
    out.extend(step.host.iter().cloned());
    for warning in &step.output.warnings {
        out.push(format!("WARNING: {warning}"));
    }
    views.append_lines(&step.output.objects, out);
    for error in &step.errors {
        let text = match quote.source {
            Some(source) => error_text(error.line, error.column, &error.message, source, quote.file),
            None => error.render_in_step(step),
        };
        out.extend(text.lines().map(str::to_string));
    }
}

impl Step {
    /// The statement, its output and its errors, as a console shows them; an error's line is
    /// quoted from `source` (`At FILE:L char:C` with a file); objects shown in `views`.
    pub fn render_in(&self, views: &Views, source: &str, file: Option<&str>) -> String {
        let mut lines = Vec::new();
        step_lines(self, views, Quote { source: Some(source), file }, &mut lines);
        lines.iter().map(|l| format!("{l}\n")).collect()
    }
}

impl StepError {
    /// The error in PowerShell's layout, its line quoted from `source`.
    pub fn render_in(&self, source: &str, file: Option<&str>) -> String {
        error_text(self.line, self.column, &self.message, source, file)
    }

    /// The error with its statement quoted when it starts on the error's line.
    fn render_in_step(&self, step: &Step) -> String {
        let mut text = format!("{}\nAt line:{} char:{}\n", self.message, self.line, self.column);
        if self.line == step.line && self.column >= step.column {
            let (shown, marker) = quote_line(&step.source, self.column - step.column + 1);
            text.push_str(&format!("+ {shown}\n+ {marker}\n"));
        }
        text
    }
}

impl Transcript {
    /// The run as a PowerShell console would show it: each statement after `PS> `, then its
    /// warnings, its objects in their default view and its errors in PowerShell's layout.
    pub fn render(&self) -> String {
        self.rendered(Quote { source: None, file: None })
    }

    /// [`Transcript::render`], each error's line quoted from `source` and placed in `file`.
    pub fn render_in(&self, source: &str, file: Option<&str>) -> String {
        self.rendered(Quote { source: Some(source), file })
    }

    fn rendered(&self, quote: Quote) -> String {
        let mut lines = Vec::new();
        for step in &self.steps {
            step_lines(step, &self.views, quote, &mut lines);
        }
        let mut text = lines.join("\n");
        if !text.is_empty() {
            text.push('\n');
        }
        text
    }

    /// `{"steps": [{"line", "column", "source", "objects": [...], "warnings": [...], "errors":
    /// [...]}]}`, objects as plain JSON with the cmdlets' property names.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "steps": self.steps.iter().map(|s| {
                let mut step = serde_json::json!({
                    "line": s.line,
                    "column": s.column,
                    "source": s.source,
                    "objects": s.output.objects.iter().map(Value::to_json).collect::<Vec<_>>(),
                    "warnings": s.output.warnings,
                });
                if !s.host.is_empty() {
                    step["host"] = serde_json::json!(s.host);
                }
                if !s.errors.is_empty() {
                    step["errors"] = serde_json::json!(s.errors);
                }
                step
            }).collect::<Vec<_>>()
        })
    }
}

/// The error in PowerShell's layout: the message, where (`At FILE:L char:C`, or `At line:L
/// char:C` for standard input or a paste), the offending line and a `~` under the offending word.
fn error_text(line: usize, column: usize, message: &str, source: &str, file: Option<&str>) -> String {
    let place = match file {
        Some(f) => format!("At {f}:{line} char:{column}"),
        None => format!("At line:{line} char:{column}"),
    };
    let mut text = format!("{message}\n{place}\n");
    let source = super::encoding::without_bom(source);
    if let Some(quoted) = source.lines().nth(line.saturating_sub(1)) {
        let (shown, marker) = quote_line(quoted, column);
        text.push_str(&format!("+ {shown}\n+ {marker}\n"));
    }
    text
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
        error_text(self.line, self.column, &self.message, source, file)
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
