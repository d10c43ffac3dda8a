//! Properties of objects held in variables: `$m.BypassID` reads one, `$s.Enabled = $false`
//! changes one in place, as the cmdlet reference's edit-in-place example does before handing the
//! object back to `Set-CsNetworkConfiguration`. A variable token carries the path as
//! `name.Property.Property`.

use super::binder::Variables;
use super::output::CmdletOutput;
use super::value::Value;

/// Splits `m.BypassID` into the variable's key and the property path.
fn split(name: &str) -> (String, Vec<&str>) {
    let mut parts = name.split('.');
    let variable = parts.next().unwrap_or_default().to_ascii_lowercase();
    (variable, parts.collect())
}

/// `Error[0]` → (`Error`, the indexes written after it).
fn indexes(segment: &str) -> (&str, Vec<i64>) {
    let name = segment.split('[').next().unwrap_or_default();
    let list =
        segment[name.len()..].split(['[', ']']).filter(|s| !s.is_empty()).filter_map(|s| s.parse().ok()).collect();
    (name, list)
}

/// `value[n]`: a list's item (from the end when negative); a single value is its own `[0]`, as
/// in PowerShell; anything else is `$null`.
fn item(value: Value, n: i64) -> Value {
    match value {
        Value::List(items) => {
            let at = if n < 0 { items.len() as i64 + n } else { n };
            usize::try_from(at).ok().and_then(|i| items.into_iter().nth(i)).unwrap_or(Value::Null)
        }
        Value::Null => Value::Null,
        one if n == 0 || n == -1 => one,
        _ => Value::Null,
    }
}

/// The value of `$name` or of a property path under it (with `[n]` indexes). A missing property
/// reads as `$null`, as in PowerShell; `None` only when the variable itself was never set.
pub fn read(variables: &Variables, name: &str) -> Option<Value> {
    let (variable, path) = split(name);
    let (variable, first) = indexes(&variable);
    let mut value = variables.get(variable)?.clone();
    for n in first {
        value = item(value, n);
    }
    Some(follow(value, &path.join(".")))
}

/// `(Command).Path`: the property path of the command's one object (of each, for several), its
/// warnings kept.
pub fn member(output: CmdletOutput, path: &str) -> CmdletOutput {
    CmdletOutput {
        objects: output.objects.into_iter().map(|v| follow(v, path)).collect(),
        warnings: output.warnings,
        verbose: output.verbose,
    }
}

/// The value at the property path `A.B` under `value`; a missing property reads as `$null`.
pub fn follow(mut value: Value, path: &str) -> Value {
    for segment in path.split('.').filter(|p| !p.is_empty()) {
        let (property, list) = indexes(segment);
        value = match value {
            Value::Object(o) => o.get(property).cloned().unwrap_or(Value::Null),
            _ => Value::Null,
        };
        for n in list {
            value = item(value, n);
        }
    }
    value
}

/// Whether `assign(variables, name, ..)` would succeed: checked before the statement runs, so
/// an assignment that cannot be made leaves its command unrun.
pub fn assignable(variables: &Variables, name: &str) -> Result<(), String> {
    let (variable, path) = split(name);
    if path.is_empty() {
        return Ok(());
    }
    let mut probe: Variables = Variables::new();
    if let Some(v) = variables.get(&variable) {
        probe.insert(variable, v.clone());
    }
    assign(&mut probe, name, Value::Null)
}

/// Stores `value` in `$name`, or in a property of the object it holds. Only existing properties
/// of objects can be set; the message is PowerShell's.
pub fn assign(variables: &mut Variables, name: &str, value: Value) -> Result<(), String> {
    let (variable, path) = split(name);
    let Some((last, parents)) = path.split_last() else {
        variables.insert(variable, value);
        return Ok(());
    };
    let not_found = |property: &str| {
        format!(
            "The property '{property}' cannot be found on this object. Verify that the property exists and can be set."
        )
    };
    let mut target = variables.get_mut(&variable).ok_or_else(|| {
        format!(
            "The variable '${}' cannot be retrieved because it has not been set.",
            name.split('.').next().unwrap_or_default()
        )
    })?;
    for property in parents {
        target = match target {
            Value::Object(o) => o
                .properties
                .iter_mut()
                .find(|(k, _)| k.eq_ignore_ascii_case(property))
                .map(|(_, v)| v)
                .ok_or_else(|| not_found(property))?,
            _ => return Err(not_found(property)),
        };
    }
    match target {
        Value::Object(o) => {
            let slot =
                o.properties.iter_mut().find(|(k, _)| k.eq_ignore_ascii_case(last)).ok_or_else(|| not_found(last))?;
            slot.1 = value;
            Ok(())
        }
        _ => Err(not_found(last)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::PsObject;

    fn settings() -> Variables {
        let object = PsObject {
            type_name: "MediaBypassSettings".into(),
            properties: vec![("Enabled".into(), Value::Bool(true)), ("BypassID".into(), Value::String("x".into()))],
        };
        [("s".to_string(), Value::Object(object))].into()
    }

    #[test]
    fn reads_and_sets_a_property_in_place() {
        let mut v = settings();
        assert_eq!(read(&v, "S.bypassid"), Some(Value::String("x".into())));
        assert_eq!(read(&v, "s.Missing"), Some(Value::Null));
        assert_eq!(read(&v, "t.Enabled"), None);
        assign(&mut v, "s.Enabled", Value::Bool(false)).unwrap();
        assert_eq!(read(&v, "s.Enabled"), Some(Value::Bool(false)));
        let Some(Value::Object(o)) = v.get("s") else { panic!() };
        assert_eq!(
            o.type_name, "MediaBypassSettings",
            "the object keeps its type, so Set-CsNetworkConfiguration takes it"
        );
        assert_eq!(
            assign(&mut v, "s.Nope", Value::Null).unwrap_err(),
            "The property 'Nope' cannot be found on this object. Verify that the property exists and can be set."
        );
    }
}
