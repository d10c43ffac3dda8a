//! Escaping for the markup the pages and the SVG picture are made of.
//!
//! Runbooks and plan files are the admin's own text: PowerShell is full of `<`, `&` and quotes,
//! and a site may be called anything. Every piece of such text passes through [`html`] before it
//! reaches a page, whether as element text or as an attribute value.

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

#[cfg(test)]
mod tests {
    use super::*;

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
