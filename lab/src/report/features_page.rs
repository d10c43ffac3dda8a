//! `features.html` for a rehearsal of the features: every feature, scenario and step with its
//! outcome and failure message, and the totals, rendered from the Cucumber JSON written beside it.

use super::cucumber_json::{parse, FeatureResult, ScenarioResult, Status};
use super::escape::html;
use super::page::{document, plural};
use super::ReportError;
use std::fmt::Write as _;
use std::path::Path;

/// Counts of scenarios and steps by outcome.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Totals {
    pub scenarios: [usize; 3],
    pub steps: [usize; 3],
}

fn slot(status: Status) -> usize {
    match status {
        Status::Passed => 0,
        Status::Skipped => 1,
        Status::Failed => 2,
    }
}

pub fn totals(features: &[FeatureResult]) -> Totals {
    let mut t = Totals::default();
    for scenario in features.iter().flat_map(|f| &f.elements) {
        t.scenarios[slot(scenario.status())] += 1;
        for step in scenario.background.iter().chain(&scenario.steps) {
            t.steps[slot(Status::of(&step.result))] += 1;
        }
    }
    t
}

/// Reads the Cucumber JSON at `json` and writes the page to `page`.
pub fn write_from_json(json: &Path, page: &Path, title: &str) -> Result<(), ReportError> {
    let text =
        std::fs::read_to_string(json).map_err(|source| ReportError::Read { file: json.to_path_buf(), source })?;
    let features = parse(&text).map_err(|source| ReportError::CucumberJson { file: json.to_path_buf(), source })?;
    std::fs::write(page, render(&features, title))
        .map_err(|source| ReportError::Write { file: page.to_path_buf(), source })
}

/// The page for `features`; `title` names what was rehearsed (plan and backend).
pub fn render(features: &[FeatureResult], title: &str) -> String {
    let t = totals(features);
    let passed = t.scenarios[2] == 0 && t.scenarios[0] > 0;
    let word = if passed { "pass" } else { "fail" };
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h1>{} <span class=\"verdict {word}\" data-verdict=\"{word}\">{}</span></h1>",
        html(title),
        word.to_uppercase()
    );
    let _ = writeln!(
        body,
        "<div class=\"counts totals\" data-features=\"{}\">\
         <span>{}</span>\
         <span data-count=\"scenarios-passed\" class=\"passed\">{} passed</span>\
         <span data-count=\"scenarios-failed\" class=\"failed\">{} failed</span>\
         <span data-count=\"scenarios-skipped\" class=\"skipped\">{} skipped</span>\
         <span data-count=\"steps-passed\">{} passed, {} failed, {} skipped</span></div>",
        features.len(),
        plural(features.len(), "feature"),
        plural(t.scenarios[0], "scenario"),
        t.scenarios[2],
        t.scenarios[1],
        plural(t.steps[0], "step"),
        t.steps[2],
        t.steps[1],
    );
    for feature in features {
        feature_section(&mut body, feature);
    }
    document(&format!("{title}: {word}"), &body)
}

fn feature_section(body: &mut String, feature: &FeatureResult) {
    let _ = writeln!(
        body,
        "<section class=\"feature\" data-feature=\"{}\">\n<h2>{}</h2>\n<p class=\"lead mono\">{}</p>",
        html(&feature.name),
        html(&feature.name),
        html(&feature.uri)
    );
    body.push_str(
        "<table class=\"scenarios\">\n<thead><tr><th>scenario</th><th>outcome</th><th>steps</th></tr></thead>\n<tbody>\n",
    );
    for scenario in &feature.elements {
        scenario_row(body, &feature.name, scenario);
    }
    body.push_str("</tbody>\n</table>\n</section>\n");
}

fn scenario_row(body: &mut String, feature: &str, scenario: &ScenarioResult) {
    let status = scenario.status().word();
    let tags: Vec<String> = scenario.tags.iter().map(|t| html(&t.name)).collect();
    let tags = if tags.is_empty() {
        String::new()
    } else {
        format!("<br><span class=\"mono none\">{}</span>", tags.join(" "))
    };
    let _ = write!(
        body,
        "<tr class=\"scenario {status}\" data-feature=\"{}\" data-scenario=\"{}\" data-status=\"{status}\">\
         <td>{}{tags}<br><span class=\"none\">line {}</span></td><td class=\"{status}\">{status}</td><td>",
        html(feature),
        html(&scenario.name),
        html(&scenario.name),
        scenario.line
    );
    for (which, hooks) in [("before", &scenario.before), ("after", &scenario.after)] {
        for hook in hooks.iter().filter(|h| Status::of(&h.result) == Status::Failed) {
            let _ = write!(
                body,
                "<div class=\"hook failed\" data-hook=\"{which}\"><span class=\"failed\">{which} hook failed</span>{}</div>",
                message(hook.result.error_message.as_deref())
            );
        }
    }
    for (background, step) in
        scenario.background.iter().map(|s| (true, s)).chain(scenario.steps.iter().map(|s| (false, s)))
    {
        let s = Status::of(&step.result).word();
        let part = if background { " background" } else { "" };
        let _ = write!(
            body,
            "<div class=\"step {s}{part}\" data-status=\"{s}\" data-line=\"{}\"><span class=\"{s}\">{}</span> <b>{}</b>{}{}</div>",
            step.line,
            match Status::of(&step.result) {
                Status::Passed => "✔",
                Status::Skipped => "–",
                Status::Failed => "✘",
            },
            html(step.keyword.trim()),
            html(&format!(" {}", step.name)),
            message(step.result.error_message.as_deref())
        );
    }
    body.push_str("</td></tr>\n");
}

fn message(text: Option<&str>) -> String {
    match text {
        Some(m) if !m.trim().is_empty() => format!("<pre class=\"message\">{}</pre>", html(m)),
        _ => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const JSON: &str = r#"[{"uri":"a.feature","name":"F <1>","elements":[
        {"type":"scenario","id":"f/ok","name":"ok","keyword":"Scenario","line":2,"steps":[{"keyword":"Then ","name":"x","line":3,"result":{"status":"passed"}}]},
        {"type":"background","id":"f/ok","name":"ok","keyword":"Background","line":2,"steps":[{"keyword":"Given ","name":"b","line":1,"result":{"status":"passed"}}]},
        {"name":"bad","keyword":"Scenario","line":5,"steps":[{"keyword":"Then ","name":"y & z","line":6,
            "result":{"status":"failed","error_message":"expected <a>, got \"b\""}},
            {"keyword":"And ","name":"w","line":7,"result":{"status":"skipped"}}]},
        {"name":"no lab","keyword":"Scenario","line":9,"before":[{"result":{"status":"failed","error_message":"lab did not start"}}],"steps":[]}
    ]}]"#;

    #[test]
    fn totals_count_scenarios_and_steps_by_outcome() {
        let features = parse(JSON).unwrap();
        let t = totals(&features);
        assert_eq!(t.scenarios, [1, 0, 2], "the Background is not a scenario of its own");
        assert_eq!(t.steps, [2, 1, 1], "the Background's step counts with its scenario");
        assert_eq!(features[0].elements[0].background.len(), 1);
    }

    #[test]
    fn failure_messages_are_escaped_and_the_verdict_is_fail() {
        let page = render(&parse(JSON).unwrap(), "Rehearsal");
        assert!(page.contains("expected &lt;a&gt;, got &quot;b&quot;"), "{page}");
        assert!(page.contains("data-verdict=\"fail\""));
        assert!(page.contains("<h2>F &lt;1&gt;</h2>"));
        assert!(page.contains("lab did not start"));
        assert!(!page.contains("<a>"));
    }
}
