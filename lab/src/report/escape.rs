//! Escaping for the markup the pages and the pictures are made of.
//!
//! Runbooks and plan files are the admin's own text: PowerShell is full of `<`, `&` and quotes,
//! and a site, client subnet or policy may be called anything. Every piece of such text passes
//! through [`html`] before it reaches a page or an SVG, through [`dot`] before it reaches a
//! Graphviz file and through [`mermaid`] before it reaches a Mermaid label.

/// Escapes text for HTML or XML element content and double- or single-quoted attribute values.
pub fn html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // Control characters other than tab and newlines are not allowed in XML 1.0.
            c if c.is_control() && !matches!(c, '\t' | '\n' | '\r') => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// A quoted DOT string of `lines`, joined by DOT's centred line break: inside the quotes only `\`
/// and `"` are special, and a line break in the text becomes a space, so no text can end the
/// string or start a statement.
pub fn dot(lines: &[&str]) -> String {
    let escaped: Vec<String> = lines
        .iter()
        .map(|l| l.replace('\\', "\\\\").replace('"', "\\\"").replace(|c: char| c.is_control(), " "))
        .collect();
    format!("\"{}\"", escaped.join("\\n"))
}

/// Text for a Mermaid label between double quotes, in Mermaid's entity codes: `#` first, since
/// the codes start with it. A line break becomes a space (labels break with `<br/>`).
pub fn mermaid(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            '<' => out.push_str("#lt;"),
            '>' => out.push_str("#gt;"),
            '&' => out.push_str("#amp;"),
            '`' => out.push_str("#96;"),
            '|' => out.push_str("#124;"),
            c if c.is_control() => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dot_quotes_and_backslashes_stay_inside_the_string() {
        assert_eq!(dot(&[r#"a "b" \c"#, "d\ne"]), r#""a \"b\" \\c\nd e""#);
    }

    #[test]
    fn mermaid_labels_cannot_end_a_quoted_label() {
        assert_eq!(mermaid(r#"a "b" <c> #1 & d|e"#), "a #quot;b#quot; #lt;c#gt; #35;1 #amp; d#124;e");
    }

    #[test]
    fn markup_and_quotes_are_escaped() {
        assert_eq!(
            html(r#"<script>alert("x") & 'y'</script>"#),
            "&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;"
        );
    }

    #[test]
    fn control_characters_cannot_break_the_xml() {
        assert_eq!(html("a\u{1b}b\tc"), "a\u{FFFD}b\tc");
    }
}
