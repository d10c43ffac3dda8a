//! `features.html` for a rehearsal of the features, the features as living documentation: a
//! table of contents, then per feature its file (`features/NAME.feature`), its description, and
//! every scenario as its file groups them (Rules, Scenario Outlines with their examples), with
//! each step's outcome and failure message. Rendered from the Cucumber JSON written beside it,
//! and from the feature files that ran for what the JSON leaves out.

use super::cucumber_json::{parse, FeatureResult, ScenarioResult, Status};
use super::escape::html;
use super::feature_file::{FeatureFile, Placement};
use super::fit::{Fit, Reflow};
use super::page::{document, plural};
use super::provenance::Provenance;
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

/// Reads the Cucumber JSON at `json` and writes the page to `page`; `provenance` says what
/// produced it.
pub fn write_from_json(json: &Path, page: &Path, title: &str, provenance: &Provenance) -> Result<(), ReportError> {
    let text =
        std::fs::read_to_string(json).map_err(|source| ReportError::Read { file: json.to_path_buf(), source })?;
    let features = parse(&text).map_err(|source| ReportError::CucumberJson { file: json.to_path_buf(), source })?;
    std::fs::write(page, render(&features, title, provenance))
        .map_err(|source| ReportError::Write { file: page.to_path_buf(), source })
}

/// The prefix of the scratch folder the features are copied to before they run (each file as
/// `NNN-NAME.feature`, in the order found).
const SCRATCH: &str = "bypass-lab-features-";

/// A feature file as its author knows it: `features/NAME.feature` (or under the folder given with
/// `--features`), not the scratch copy that ran.
pub fn shown_path(uri: &str, provenance: &Provenance) -> String {
    let path = Path::new(uri);
    let in_scratch =
        path.parent().and_then(|p| p.file_name()).is_some_and(|d| d.to_string_lossy().starts_with(SCRATCH));
    if !in_scratch {
        return uri.to_string();
    }
    let file = path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let name = match file.split_once('-') {
        Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => rest.to_string(),
        _ => file,
    };
    let folder = match &provenance.input {
        (label, dir) if label == "features" && dir != BUILT_IN => dir.trim_end_matches('/').to_string(),
        _ => "features".to_string(),
    };
    format!("{folder}/{name}")
}

/// What [`Provenance::input`] says for the features built into the binary.
pub const BUILT_IN: &str = "built-in";

/// The page for `features`; `title` names what was rehearsed (plan and backend).
pub fn render(features: &[FeatureResult], title: &str, provenance: &Provenance) -> String {
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
    body.push_str(&provenance.html());
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
    let mut ordered: Vec<&FeatureResult> = features.iter().collect();
    // The files in the order they were found (the scratch copies are numbered so).
    ordered.sort_by_key(|f| Path::new(&f.uri).file_name().map(|n| n.to_string_lossy().into_owned()));
    let ids = feature_ids(&ordered);
    toc(&mut body, &ordered, &ids, provenance);
    let mut reflow = Reflow::default();
    for (feature, id) in ordered.iter().zip(&ids) {
        feature_section(&mut body, feature, id, provenance, &mut reflow);
    }
    document(&format!("{title}: {word}"), &reflow.css(), &body)
}

/// A stable id per feature, from its file's name.
fn feature_ids(features: &[&FeatureResult]) -> Vec<String> {
    let mut ids: Vec<String> = vec![];
    for f in features {
        let stem = Path::new(&f.uri).file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let stem = match stem.split_once('-') {
            Some((n, rest)) if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) => rest.to_string(),
            _ => stem,
        };
        let base: String =
            stem.chars().map(|c| if c.is_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
        let mut id = format!("feature-{base}");
        let mut n = 2;
        while ids.contains(&id) {
            id = format!("feature-{base}-{n}");
            n += 1;
        }
        ids.push(id);
    }
    ids
}

fn toc(body: &mut String, features: &[&FeatureResult], ids: &[String], provenance: &Provenance) {
    body.push_str("<nav class=\"toc\" id=\"contents\">\n<h2>Contents</h2>\n<ol>\n");
    for (f, id) in features.iter().zip(ids) {
        let t = totals(std::slice::from_ref(*f));
        let failed = if t.scenarios[2] > 0 {
            format!(", <span class=\"failed\">{} failed</span>", t.scenarios[2])
        } else {
            String::new()
        };
        let _ = writeln!(
            body,
            "<li><a href=\"#{id}\">{}</a> <span class=\"mono note-inline\">{}</span> \
             <span class=\"none\">({}{failed})</span></li>",
            html(&f.name),
            html(&shown_path(&f.uri, provenance)),
            plural(f.elements.len(), "scenario"),
        );
    }
    body.push_str("</ol>\n</nav>\n");
}

fn feature_section(body: &mut String, feature: &FeatureResult, id: &str, provenance: &Provenance, reflow: &mut Reflow) {
    // The file that ran, while the run's scratch copy is still there; a page rendered later from
    // the JSON alone shows no description and no grouping beyond the scenarios' names.
    let file = read_feature_file(&feature.uri).map(|t| FeatureFile::parse(&t));
    let _ = writeln!(
        body,
        "<section class=\"feature\" id=\"{id}\" data-feature=\"{}\">\n<h2>{}</h2>\n<p class=\"lead mono path\">{}</p>",
        html(&feature.name),
        html(&feature.name),
        html(&shown_path(&feature.uri, provenance))
    );
    if let Some(description) = file.as_ref().map(|f| f.description.as_str()).filter(|d| !d.is_empty()) {
        // The file's lines are wrapped for an editor; the page rewraps each paragraph.
        for paragraph in description.split("\n\n").filter(|p| !p.trim().is_empty()) {
            let text = paragraph.split_whitespace().collect::<Vec<_>>().join(" ");
            let _ = writeln!(body, "<p class=\"description\">{}</p>", html(&text));
        }
    }
    let mut scenarios: Vec<&ScenarioResult> = feature.elements.iter().collect();
    scenarios.sort_by_key(|s| s.line);
    let mut fit = Fit::default();
    fit.words(0, "scenario");
    fit.words(1, "outcome skipped");
    fit.cell(2, ["a-long-step-word"]);
    let mut rows = String::new();
    let mut rule: Option<String> = None;
    let mut outline: Option<(usize, String)> = None;
    for (i, scenario) in scenarios.iter().enumerate() {
        let placement = match &file {
            Some(f) => f.placement(scenario.line),
            // Without the file, scenarios of one name next to each other are an outline's examples.
            None => {
                let same = |j: usize| scenarios.get(j).is_some_and(|s| s.name == scenario.name);
                let repeated = same(i + 1) || (i > 0 && same(i - 1));
                let first = scenarios.iter().position(|s| s.name == scenario.name).unwrap_or(i);
                Placement { rule: None, outline: repeated.then(|| (scenarios[first].line, scenario.name.clone())) }
            }
        };
        if placement.rule != rule {
            if let Some(name) = &placement.rule {
                let _ = writeln!(
                    rows,
                    "<tr class=\"group rule\" data-rule=\"{}\"><td colspan=\"3\" data-label=\"rule\"><b>Rule:</b> {}</td></tr>",
                    html(name),
                    html(name)
                );
            }
            rule = placement.rule.clone();
        }
        if placement.outline != outline {
            if let Some((line, name)) = &placement.outline {
                let examples = scenarios
                    .iter()
                    .filter(|s| {
                        file.as_ref()
                            .map(|f| f.placement(s.line).outline == placement.outline)
                            .unwrap_or(s.name == *name)
                    })
                    .count();
                let _ = writeln!(
                    rows,
                    "<tr class=\"group outline\" data-outline=\"{}\"><td colspan=\"3\" class=\"scenario-name\" data-label=\"outline\">\
                     <b>Scenario Outline:</b> {} <span class=\"none\">line {line}, {}</span></td></tr>",
                    html(name),
                    html(name),
                    plural(examples, "example")
                );
            }
            outline = placement.outline.clone();
        }
        fit.words(0, &scenario.name);
        scenario_row(&mut rows, &feature.name, scenario, outline.is_some());
    }
    let _ = write!(
        body,
        "<table class=\"scenarios\"{}>\n<thead><tr><th>scenario</th><th>outcome</th><th>steps</th></tr></thead>\n<tbody>\n{rows}</tbody>\n</table>\n</section>\n",
        reflow.attribute(&fit)
    );
}

/// The text of the feature file a report's `uri` names. Cucumber writes the path less the
/// current directory and less its leading `/`, so a file in the scratch folder under `/tmp` is
/// `tmp/...`: it is looked for both under the current directory and from the root.
fn read_feature_file(uri: &str) -> Option<String> {
    [uri.to_string(), format!("/{uri}")].iter().find_map(|path| std::fs::read_to_string(path).ok())
}

fn scenario_row(body: &mut String, feature: &str, scenario: &ScenarioResult, example: bool) {
    let status = scenario.status().word();
    let tags: Vec<String> = scenario.tags.iter().map(|t| html(&t.name)).collect();
    let tags = if tags.is_empty() {
        String::new()
    } else {
        format!("<br><span class=\"mono none\">{}</span>", tags.join(" "))
    };
    let (class, name) = if example {
        (" example", format!("Example <span class=\"none\">line {}</span>", scenario.line))
    } else {
        ("", format!("{}{tags}<br><span class=\"none\">line {}</span>", html(&scenario.name), scenario.line))
    };
    let _ = write!(
        body,
        "<tr class=\"scenario {status}{class}\" data-feature=\"{}\" data-scenario=\"{}\" data-status=\"{status}\">\
         <td class=\"scenario-name\" data-label=\"scenario\">{name}</td><td class=\"{status}\" data-label=\"outcome\">{status}</td><td data-label=\"steps\">",
        html(feature),
        html(&scenario.name),
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

    fn provenance() -> Provenance {
        Provenance {
            command: "bypass-lab rehearse".into(),
            plan: "built-in topology".into(),
            input: ("features".into(), BUILT_IN.into()),
            version: "0.1.0".into(),
            at: "2025-12-06 09:35 UTC".into(),
        }
    }

    #[test]
    fn a_scratch_copy_is_shown_as_the_file_its_author_knows() {
        let p = provenance();
        assert_eq!(shown_path("/tmp/bypass-lab-features-Ab12/003-dns.feature", &p), "features/dns.feature");
        assert_eq!(shown_path("features/tiny.feature", &p), "features/tiny.feature");
        let mine = Provenance { input: ("features".into(), "my/features/".into()), ..p };
        assert_eq!(shown_path("/tmp/bypass-lab-features-x/010-a-b.feature", &mine), "my/features/a-b.feature");
    }

    #[test]
    fn the_page_has_contents_descriptions_and_outlines_grouped() {
        let dir = tempfile::Builder::new().prefix(SCRATCH).tempdir().unwrap();
        let file = dir.path().join("000-dns.feature");
        std::fs::write(
            &file,
            "Feature: DNS\n  Answers per site.\n\n  Scenario: one\n    Then x\n\n  Scenario Outline: by address\n    Then <a>\n    Examples:\n      | a |\n      | 1 |\n      | 2 |\n",
        )
        .unwrap();
        let step =
            |line: usize| format!(r#"{{"keyword":"Then ","name":"x","line":{line},"result":{{"status":"passed"}}}}"#);
        let json = format!(
            r#"[{{"uri":{uri},"name":"DNS","elements":[
              {{"type":"scenario","id":"dns/by-address","name":"by address","line":12,"steps":[{s8}]}},
              {{"type":"scenario","id":"dns/one","name":"one","line":4,"steps":[{s5}]}},
              {{"type":"scenario","id":"dns/by-address","name":"by address","line":11,"steps":[{s8}]}}]}}]"#,
            uri = serde_json::to_string(&file.display().to_string()).unwrap(),
            s8 = step(8),
            s5 = step(5)
        );
        let page = render(&parse(&json).unwrap(), "Rehearsal", &provenance());
        assert!(
            page.contains(
                "<li><a href=\"#feature-dns\">DNS</a> <span class=\"mono note-inline\">features/dns.feature</span>"
            ),
            "{page}"
        );
        assert!(page.contains("<p class=\"description\">Answers per site.</p>"));
        assert!(!page.contains(SCRATCH), "the scratch path is not shown");
        let outline =
            page.find("<b>Scenario Outline:</b> by address <span class=\"none\">line 7, 2 examples</span>").unwrap();
        let one = page.find("data-scenario=\"one\"").unwrap();
        let examples: Vec<usize> = page.match_indices("class=\"scenario passed example\"").map(|(i, _)| i).collect();
        assert_eq!(examples.len(), 2);
        assert!(one < outline && outline < examples[0], "in file order, the examples under their outline");
        assert!(
            page[examples[0]..].contains("line 11") && page.find("line 11").unwrap() < page.find("line 12").unwrap()
        );
    }

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
        let page = render(&parse(JSON).unwrap(), "Rehearsal", &provenance());
        assert!(page.contains("expected &lt;a&gt;, got &quot;b&quot;"), "{page}");
        assert!(page.contains("data-verdict=\"fail\""));
        assert!(page.contains("<h2>F &lt;1&gt;</h2>"));
        assert!(page.contains("lab did not start"));
        assert!(!page.contains("<a>"));
    }
}
