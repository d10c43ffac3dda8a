//! The shell every HTML page shares: one document, its CSS inline, and a Content-Security-Policy
//! that forbids the browser from loading anything at all, so a page opened from a change ticket
//! cannot reach the network even if some text were to slip through unescaped.

use super::escape::html;

/// Colours and layout shared by the rollout page and the feature page (lab choice: green means
/// what the plan expects happened, red an error, amber a doubtful but legal outcome).
const CSS: &str = r#"
:root { --ok:#d8f0dc; --ok-ink:#1b5e20; --err:#f9d6d5; --err-ink:#a61b16; --warn:#fde9c4; --warn-ink:#8a5300;
        --line:#c9ced6; --muted:#5f6b7a; --head:#eef1f5; }
* { box-sizing: border-box; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #1d2733; }
h1 { font-size: 22px; margin: 0 0 6px; }
h2 { font-size: 18px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 15px; margin: 16px 0 6px; }
p.lead { margin: 0 0 12px; color: var(--muted); }
.verdict { display: inline-block; font-weight: 700; padding: 2px 10px; border-radius: 4px; }
.verdict.pass { background: var(--ok); color: var(--ok-ink); }
.verdict.fail { background: var(--err); color: var(--err-ink); }
.counts { margin: 8px 0 16px; }
.counts span { margin-right: 16px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
th, td { border: 1px solid var(--line); padding: 3px 8px; text-align: left; vertical-align: top; }
th { background: var(--head); }
td.decision, td.web-service { white-space: nowrap; }
table.scenarios { width: 100%; }
tr.scenario.failed td { background: #fdf0ef; }
.step.background { color: var(--muted); }
td.mono, .mono { font-family: ui-monospace, "DejaVu Sans Mono", monospace; }
tr.error td { background: var(--err); }
tr.warning td { background: var(--warn); }
td.decision.bypass.expected { background: var(--ok); color: var(--ok-ink); font-weight: 600; }
tr.error td.decision, tr.error td.resolved { color: var(--err-ink); font-weight: 600; }
tr.warning td.decision, tr.warning td.resolved { color: var(--warn-ink); font-weight: 600; }
tr.finding.error td.severity { color: var(--err-ink); font-weight: 700; }
tr.finding.warning td.severity { color: var(--warn-ink); font-weight: 700; }
tr.finding.error td, tr.finding.warning td { background: none; }
td.passed, span.passed { color: var(--ok-ink); font-weight: 600; }
td.failed, span.failed { color: var(--err-ink); font-weight: 600; }
td.skipped, span.skipped { color: var(--warn-ink); font-weight: 600; }
.picture { overflow-x: auto; border: 1px solid var(--line); padding: 8px; background: #fff; }
.picture svg { max-width: 100%; height: auto; }
.picture summary { cursor: pointer; color: var(--muted); margin-bottom: 6px; }
.runbook { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 13px; border: 1px solid var(--line); }
.runbook .line { display: flex; white-space: pre-wrap; }
.runbook .no { flex: 0 0 4em; text-align: right; padding-right: 10px; color: var(--muted); background: var(--head);
               user-select: none; }
.runbook .text { flex: 1; padding-left: 8px; }
.runbook .line.phase .text { font-weight: 700; color: #2a4d8f; }
.runbook .line.failing { background: var(--err); }
.runbook .line.blamed { background: var(--warn); }
.runbook .line.blamed .no { background: var(--warn-ink); color: #fff; }
.runbook .line.failing .no { background: var(--err-ink); color: #fff; }
.runbook .failure { padding: 2px 8px 4px calc(4em + 18px); color: var(--err-ink); font-family: system-ui, sans-serif;
                    font-weight: 600; background: var(--err); }
.runbook pre.output { margin: 0; padding: 2px 8px 4px calc(4em + 18px); background: #f6f8fa; color: #33404f;
                      font-size: 12px; white-space: pre-wrap; border-left: 3px solid var(--line); }
.runbook pre.output.failed { color: var(--err-ink); border-left-color: var(--err-ink); }
.timeline svg { max-width: 100%; height: auto; }
ul.timeline-sites { font-size: 13px; margin: 4px 0 12px; }
pre.message { margin: 2px 0; white-space: pre-wrap; font-size: 12px; color: var(--err-ink); }
.none { color: var(--muted); font-style: italic; }
"#;

/// `count` followed by `noun`, with an `s` unless there is exactly one.
pub fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("{count} {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

/// A whole page: `title` is plain text (escaped here), `body` is markup built by the caller with
/// every piece of foreign text already escaped.
pub fn document(title: &str, body: &str) -> String {
    format!(
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n{body}\n</body>\n</html>\n",
        html(title)
    )
}
