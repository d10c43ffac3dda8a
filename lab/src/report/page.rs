//! The shell every HTML page shares: one document, its CSS inline, and a Content-Security-Policy
//! that forbids the browser from loading anything at all, so a page opened from a change ticket
//! cannot reach the network even if some text were to slip through unescaped.

use super::escape::html;

/// Colours and layout shared by the rollout page and the feature page (lab choice: green means
/// a place saw what its phase expects, red an error, amber a doubtful but legal outcome).
const CSS: &str = include_str!("page.css");

/// `count` followed by `noun`, with an `s` unless there is exactly one.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// A whole page: `title` is plain text (escaped here), `css` rules the page computed for its own
/// tables (see [`super::fit`]), `body` markup built by the caller with every piece of foreign
/// text already escaped.
pub fn document(title: &str, css: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}{css}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        html(title)
    )
}
