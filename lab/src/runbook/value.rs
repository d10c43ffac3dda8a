//! Values a runbook line can hold: what PowerShell would keep in a variable or pass to a
//! parameter, reduced to what the rehearsed cmdlets use.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    String(String),
    List(Vec<Value>),
    Object(PsObject),
}

/// An object as PowerShell prints it: a type name and ordered properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PsObject {
    /// e.g. `MediaBypassSettings`; parameters that take objects check it.
    pub type_name: String,
    pub properties: Vec<(String, Value)>,
}

impl PsObject {
    /// Builds an object from any serde type whose field names are the cmdlet property names.
    pub fn from_serialize<T: Serialize>(type_name: &str, value: &T) -> PsObject {
        let json = serde_json::to_value(value).expect("lab types serialize");
        match Value::from_json(&json) {
            Value::Object(mut o) => {
                o.type_name = type_name.to_string();
                o
            }
            other => PsObject { type_name: type_name.into(), properties: vec![("Value".into(), other)] },
        }
    }

    /// The inverse of [`PsObject::from_serialize`].
    pub fn to_deserialize<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_value(Value::Object(self.clone()).to_json())
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.properties.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v)
    }
}

impl Value {
    /// JSON → value; JSON objects become untyped `PSCustomObject`s.
    pub fn from_json(json: &serde_json::Value) -> Value {
        use serde_json::Value as J;
        match json {
            J::Null => Value::Null,
            J::Bool(b) => Value::Bool(*b),
            J::Number(n) => n.as_i64().map(Value::Int).unwrap_or_else(|| Value::String(n.to_string())),
            J::String(s) => Value::String(s.clone()),
            J::Array(items) => Value::List(items.iter().map(Value::from_json).collect()),
            J::Object(map) => Value::Object(PsObject {
                type_name: "PSCustomObject".into(),
                properties: map.iter().map(|(k, v)| (k.clone(), Value::from_json(v))).collect(),
            }),
        }
    }

    /// Value → JSON, for `--json` output and for sending to roles.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value as J;
        match self {
            Value::Null => J::Null,
            Value::Bool(b) => J::Bool(*b),
            Value::Int(i) => J::from(*i),
            Value::String(s) => J::String(s.clone()),
            Value::List(items) => J::Array(items.iter().map(Value::to_json).collect()),
            Value::Object(o) => J::Object(o.properties.iter().map(|(k, v)| (k.clone(), v.to_json())).collect()),
        }
    }

    /// How PowerShell shows the value inside a list-format line.
    pub fn display(&self) -> String {
        match self {
            Value::Null => String::new(),
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Int(i) => i.to_string(),
            Value::String(s) => s.clone(),
            Value::List(items) => format!("{{{}}}", items.iter().map(Value::display).collect::<Vec<_>>().join(", ")),
            Value::Object(o) => o.type_name.clone(),
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }
}
