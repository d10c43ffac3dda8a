//! A plan's text is plain text. Its names end up in terminals, DNS names, HTML and file names;
//! a control character (an escape sequence written `\u001b` in TOML) has no meaning in any of
//! them, so the plan is refused, naming the field, before anything uses it.

use toml::{Table, Value};

/// The first string (key or value) that holds a control character, as a message naming its
/// place in the plan (`sites[0].name`), or None.
pub fn first_control_character(table: &Table) -> Option<String> {
    in_table(table, "")
}

fn in_table(table: &Table, at: &str) -> Option<String> {
    table.iter().find_map(|(key, value)| {
        let place = if at.is_empty() { key.clone() } else { format!("{at}.{key}") };
        if let Some(c) = key.chars().find(|c| c.is_control()) {
            return Some(refusal(&format!("a key under {}", if at.is_empty() { "the top" } else { at }), c));
        }
        in_value(value, &place)
    })
}

fn in_value(value: &Value, place: &str) -> Option<String> {
    match value {
        Value::String(text) => text.chars().find(|c| c.is_control()).map(|c| refusal(place, c)),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, v)| in_value(v, &format!("{place}[{i}]"))),
        Value::Table(table) => in_table(table, place),
        _ => None,
    }
}

fn refusal(place: &str, c: char) -> String {
    format!("{place} holds the control character U+{:04X}: a plan's names and text must be plain text", c as u32)
}

#[cfg(test)]
mod tests {
    use super::first_control_character;

    #[test]
    fn a_control_character_is_named_by_its_place() {
        let table: toml::Table =
            toml::from_str("[[sites]]\nname = \"Oslo\"\n[[sites]]\nname = \"Am\\u001b[31msterdam\"\n").unwrap();
        assert_eq!(
            first_control_character(&table).as_deref(),
            Some("sites[1].name holds the control character U+001B: a plan's names and text must be plain text")
        );
        let plain: toml::Table = toml::from_str("[tenant]\nname = \"Zürich HQ\"\nlist = [\"a\", \"b\"]\n").unwrap();
        assert_eq!(first_control_character(&plain), None);
    }
}
