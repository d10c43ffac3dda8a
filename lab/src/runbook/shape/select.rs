//! `Select-Object`, `Sort-Object` and `Measure-Object` on the objects the modelled cmdlets return.

use super::super::property;
use super::super::value::{PsObject, Value};
use super::filter::{like, order};
use std::cmp::Ordering;

/// The properties of `object` that `patterns` name, in the object's order (`*` and `?`
/// wildcards); no pattern means every property.
pub(super) fn chosen<'a>(object: &'a PsObject, patterns: &[String]) -> Vec<&'a (String, Value)> {
    if patterns.is_empty() {
        return object.properties.iter().collect();
    }
    let mut out: Vec<&(String, Value)> = vec![];
    for pattern in patterns {
        for p in object.properties.iter().filter(|(k, _)| like(k, pattern, false)) {
            if !out.iter().any(|q| q.0 == p.0) {
                out.push(p);
            }
        }
    }
    out
}

/// `Select-Object`'s parameters.
#[derive(Debug, Clone)]
pub(in crate::runbook) struct Selection {
    pub properties: Vec<String>,
    pub expand: Option<String>,
    pub first: Option<usize>,
    pub last: Option<usize>,
    pub skip: usize,
    pub unique: bool,
}

impl Selection {
    pub(super) fn apply(&self, objects: Vec<Value>) -> Vec<Value> {
        let mut objects: Vec<Value> = objects.into_iter().skip(self.skip).collect();
        if let Some(last) = self.last {
            let from = objects.len().saturating_sub(last);
            objects.drain(..from);
        }
        if let Some(first) = self.first {
            objects.truncate(first);
        }
        let mut out: Vec<Value> = match &self.expand {
            Some(name) => objects
                .into_iter()
                .flat_map(|o| match property::follow(o, name) {
                    Value::List(items) => items,
                    Value::Null => vec![],
                    one => vec![one],
                })
                .collect(),
            None if self.properties.is_empty() => objects,
            None => objects.into_iter().map(|o| self.pick(o)).collect(),
        };
        if self.unique {
            let mut seen: Vec<Value> = vec![];
            out.retain(|v| {
                let new = !seen.contains(v);
                if new {
                    seen.push(v.clone());
                }
                new
            });
        }
        out
    }

    /// A new object with the chosen properties, named `Selected.TYPE` as PowerShell names it. A
    /// property the object lacks is there, `$null`, as in PowerShell.
    fn pick(&self, object: Value) -> Value {
        let Value::Object(o) = object else { return object };
        let mut properties: Vec<(String, Value)> = chosen(&o, &self.properties).into_iter().cloned().collect();
        for name in self.properties.iter().filter(|p| !p.contains(['*', '?'])) {
            if !properties.iter().any(|(k, _)| k.eq_ignore_ascii_case(name)) {
                properties.push((name.clone(), Value::Null));
            }
        }
        Value::Object(PsObject { type_name: format!("Selected.{}", o.type_name), properties })
    }
}

/// `Sort-Object`: by the properties in turn (by the value itself without one); stable.
pub(super) fn sort(mut objects: Vec<Value>, properties: &[String], descending: bool, unique: bool) -> Vec<Value> {
    let key = |v: &Value, name: &str| property::follow(v.clone(), name);
    objects.sort_by(|a, b| {
        let ordering = if properties.is_empty() {
            order(a, b, false)
        } else {
            properties
                .iter()
                .map(|p| order(&key(a, p), &key(b, p), false))
                .find(|o| *o != Ordering::Equal)
                .unwrap_or(Ordering::Equal)
        };
        if descending {
            ordering.reverse()
        } else {
            ordering
        }
    });
    if unique {
        objects.dedup_by(|a, b| {
            if properties.is_empty() {
                order(a, b, false) == Ordering::Equal
            } else {
                properties.iter().all(|p| order(&key(a, p), &key(b, p), false) == Ordering::Equal)
            }
        });
    }
    objects
}

/// `Measure-Object`'s parameters.
#[derive(Debug, Clone)]
pub(in crate::runbook) struct Measure {
    pub property: Option<String>,
    pub sum: bool,
    pub average: bool,
    pub maximum: bool,
    pub minimum: bool,
}

/// A number as PowerShell prints a double: no decimals when whole.
fn number(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        Value::Int(n as i64)
    } else {
        Value::String(format!("{n}"))
    }
}

impl Measure {
    /// A `GenericMeasureInfo`: Count always; Average, Sum, Maximum and Minimum when asked for.
    pub(super) fn apply(&self, objects: &[Value]) -> Value {
        let values: Vec<Value> = match &self.property {
            Some(p) => objects.iter().map(|o| property::follow(o.clone(), p)).filter(|v| *v != Value::Null).collect(),
            None => objects.to_vec(),
        };
        let numbers: Vec<f64> = values
            .iter()
            .filter_map(|v| match v {
                Value::Int(n) => Some(*n as f64),
                Value::String(s) => s.trim().parse::<f64>().ok(),
                _ => None,
            })
            .collect();
        let stat = |asked: bool, f: &dyn Fn(&[f64]) -> f64| {
            if asked && !numbers.is_empty() {
                number(f(&numbers))
            } else {
                Value::Null
            }
        };
        let sum = |n: &[f64]| n.iter().sum::<f64>();
        Value::Object(PsObject {
            type_name: "Microsoft.PowerShell.Commands.GenericMeasureInfo".into(),
            properties: vec![
                ("Count".into(), Value::Int(values.len() as i64)),
                ("Average".into(), stat(self.average, &|n| sum(n) / n.len() as f64)),
                ("Sum".into(), stat(self.sum, &sum)),
                ("Maximum".into(), stat(self.maximum, &|n| n.iter().cloned().fold(f64::MIN, f64::max))),
                ("Minimum".into(), stat(self.minimum, &|n| n.iter().cloned().fold(f64::MAX, f64::min))),
                ("Property".into(), self.property.clone().map(Value::String).unwrap_or(Value::Null)),
            ],
        })
    }
}
