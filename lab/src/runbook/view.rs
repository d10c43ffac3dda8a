//! How the console shows objects that no `Format-` cmdlet formatted. PowerShell looks up the
//! type's format data, which the module that prints the type ships; a type without any is shown
//! as a table when it has at most four properties and as a list otherwise. Each role declares the
//! format data of the types it prints, beside its cmdlets, and the run's [`CmdletTable`] carries
//! them to the transcript (docs/design/runbook.md, "Default output").
//!
//! [`CmdletTable`]: super::CmdletTable

use super::render::object_lines;
use super::value::{PsObject, Value};

/// How a type is shown by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    /// One `Name : Value` line per property, nested objects expanded below their property.
    List,
    /// A table of these columns (empty: every property of the first object).
    Table(&'static [&'static str]),
}

/// What a module ships as format data: the view of each type it prints, by type name.
pub type FormatData = &'static [(&'static str, View)];

/// The runner's own types: `Measure-Object` prints a list, as PowerShell does.
pub const RUNNER_FORMAT: FormatData = &[("GenericMeasureInfo", View::List)];

/// PowerShell's limit for a table of an object without format data: more properties make a list.
const MOST_TABLE_COLUMNS: usize = 4;

/// The format data a run knows.
#[derive(Debug, Clone)]
pub struct Views {
    declared: Vec<(&'static str, View)>,
}

impl Default for Views {
    fn default() -> Views {
        Views::new()
    }
}

/// What one group of objects shows: lines framed by a blank line before and after, or one line
/// of text (a string, a number, a formatted table handed on).
pub(super) enum Shown {
    Block(Vec<String>),
    Line(String),
}

impl Views {
    pub fn new() -> Views {
        Views { declared: RUNNER_FORMAT.to_vec() }
    }

    /// Adds a module's format data; a type declared twice keeps its first view.
    pub fn with(mut self, data: FormatData) -> Views {
        for (name, view) in data {
            if self.declared(name).is_none() {
                self.declared.push((name, *view));
            }
        }
        self
    }

    fn declared(&self, type_name: &str) -> Option<View> {
        self.declared.iter().find(|(name, _)| name.eq_ignore_ascii_case(type_name)).map(|(_, view)| *view)
    }

    /// The view of `object`: its type's format data, else PowerShell's rule by property count.
    pub fn of(&self, object: &PsObject) -> View {
        self.declared(&object.type_name).unwrap_or(if object.properties.len() > MOST_TABLE_COLUMNS {
            View::List
        } else {
            View::Table(&[])
        })
    }

    /// What `objects` show on the console: each object shown as a list a block of its own;
    /// consecutive objects of one type shown as a table one table, a new table where the type
    /// changes (lab choice: the console shapes what follows a table by that table).
    pub(super) fn shown(&self, objects: &[Value]) -> Vec<Shown> {
        // The console enumerates a collection written as one object (`$policy.Criteria`).
        let objects: Vec<Value> = objects
            .iter()
            .flat_map(|v| match v {
                Value::List(items) => items.clone(),
                other => vec![other.clone()],
            })
            .collect();
        let mut out = vec![];
        let mut i = 0;
        while i < objects.len() {
            match &objects[i] {
                Value::Object(o) => match self.of(o) {
                    View::List => {
                        out.push(Shown::Block(object_lines(o, 0)));
                        i += 1;
                    }
                    View::Table(columns) => {
                        let run = objects[i..]
                            .iter()
                            .take_while(|v| matches!(v, Value::Object(p) if p.type_name == o.type_name))
                            .count();
                        let columns: Vec<String> = columns.iter().map(|c| c.to_string()).collect();
                        out.push(Shown::Block(super::shape::table_lines(&objects[i..i + run], &columns, false)));
                        i += run;
                    }
                },
                other => {
                    out.push(Shown::Line(other.display()));
                    i += 1;
                }
            }
        }
        out
    }

    /// The console's lines for `objects`, appended to `lines`: a block has a blank line before
    /// (unless one is there already) and after.
    pub(super) fn append_lines(&self, objects: &[Value], lines: &mut Vec<String>) {
        for shown in self.shown(objects) {
            match shown {
                Shown::Block(block) => {
                    if lines.last().is_some_and(|l| !l.is_empty()) {
                        lines.push(String::new());
                    }
                    lines.extend(block);
                    lines.push(String::new());
                }
                Shown::Line(line) => lines.push(line),
            }
        }
    }

    /// `Out-String`: the console's text for `objects`, as one string.
    pub(super) fn text(&self, objects: &[Value]) -> String {
        let mut text = String::new();
        for shown in self.shown(objects) {
            match shown {
                Shown::Block(block) => {
                    text.push('\n');
                    block.iter().for_each(|l| {
                        text.push_str(l);
                        text.push('\n');
                    });
                    text.push('\n');
                }
                Shown::Line(line) => {
                    text.push_str(&line);
                    text.push('\n');
                }
            }
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(type_name: &str, n: usize) -> Value {
        Value::Object(PsObject {
            type_name: type_name.into(),
            properties: (1..=n).map(|i| (format!("P{i}"), Value::Int(i as i64))).collect(),
        })
    }

    fn lines(views: &Views, objects: &[Value]) -> Vec<String> {
        let mut out = vec!["PS> x".to_string()];
        views.append_lines(objects, &mut out);
        out
    }

    #[test]
    fn without_format_data_four_properties_make_a_table_and_five_a_list() {
        let views = Views::new();
        assert_eq!(views.of(object_ref(&object("T", 4))), View::Table(&[]));
        assert_eq!(views.of(object_ref(&object("T", 5))), View::List);
        assert_eq!(
            lines(&views, &[object("T", 2), object("T", 2)]),
            ["PS> x", "", "P1 P2", "-- --", " 1  2", " 1  2", ""]
        );
        assert_eq!(
            lines(&views, &[object("T", 5)]),
            ["PS> x", "", "P1 : 1", "P2 : 2", "P3 : 3", "P4 : 4", "P5 : 5", ""]
        );
    }

    #[test]
    fn format_data_wins_and_a_new_type_starts_a_new_table() {
        const DATA: FormatData = &[("Wide", View::Table(&["P2", "P6"])), ("Narrow", View::List)];
        let views = Views::new().with(DATA);
        assert_eq!(lines(&views, &[object("Wide", 6)]), ["PS> x", "", "P2 P6", "-- --", " 2  6", ""]);
        assert_eq!(lines(&views, &[object("Narrow", 1)]), ["PS> x", "", "P1 : 1", ""]);
        assert_eq!(
            lines(&views, &[object("A", 1), object("B", 1), Value::String("text".into())]),
            ["PS> x", "", "P1", "--", " 1", "", "P1", "--", " 1", "", "text"]
        );
        assert_eq!(views.text(&[object("A", 1)]), "\nP1\n--\n 1\n\n");
    }

    fn object_ref(value: &Value) -> &PsObject {
        match value {
            Value::Object(o) => o,
            _ => unreachable!(),
        }
    }
}
