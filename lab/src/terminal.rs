//! Text bound for a terminal. A plan's names and a runbook's strings are input: a control
//! character in them (an escape sequence, a carriage return) would otherwise move the cursor,
//! clear the screen or retitle the window of whoever reads the output. The HTML report escapes
//! the same text for the same reason.

use std::borrow::Cow;
use std::fmt::Write;

/// The text with every control character other than newline and tab written out as a visible
/// escape (`\x1b`, `\r`, `\u{9b}`), so what the reader sees is what the input held.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(unsafe_char) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        match c {
            '\r' => out.push_str("\\r"),
            c if unsafe_char(c) && (c as u32) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if unsafe_char(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

fn unsafe_char(c: char) -> bool {
    c.is_control() && c != '\n' && c != '\t'
}

#[cfg(test)]
mod tests {
    use super::safe;

    #[test]
    fn control_characters_are_shown_never_sent() {
        assert_eq!(safe("Am\u{1b}[31msterdam"), "Am\\x1b[31msterdam");
        assert_eq!(safe("a\rb\u{7}c\u{7f}"), "a\\rb\\x07c\\x7f");
        assert_eq!(safe("csi \u{9b}2J"), "csi \\u{9b}2J");
        assert!(matches!(safe("Zürich\tline\n"), std::borrow::Cow::Borrowed(_)), "plain text is left alone");
    }
}
