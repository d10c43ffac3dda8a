//! `rehearse --runbook` speaks CI: `rehearsal.junit.xml` beside `rehearsal.json`, and inside
//! GitHub Actions or GitLab CI the findings as the platform's annotations on the runbook's lines.
//! The broken Contoso runbook is rehearsed for real; the annotations and the JUnit are read back
//! as the platforms would read them and compared with `rehearsal.json`.

use quick_xml::events::Event;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const RUNBOOK: &str = "examples/contoso/rollout-broken.ps1";

fn repo() -> PathBuf {
    std::fs::canonicalize(Path::new(env!("CARGO_MANIFEST_DIR")).join("..")).unwrap()
}

/// Rehearses the broken Contoso runbook into `reports`, in the environment `ci` adds to one
/// with no CI platform's variables.
fn rehearse(reports: &Path, ci: &[(&str, &str)]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bypass-lab"));
    command
        .current_dir(repo())
        .args(["rehearse", "--topology", "examples/contoso/topology.toml", "--runbook", RUNBOOK, "--report"])
        .arg(reports);
    for name in ["GITHUB_ACTIONS", "GITHUB_WORKSPACE", "GITLAB_CI", "CI_PROJECT_DIR"] {
        command.env_remove(name);
    }
    command.envs(ci.iter().copied());
    let out = command.output().expect("bypass-lab runs");
    assert_eq!(out.status.code(), Some(1), "the broken runbook fails: {}", String::from_utf8_lossy(&out.stderr));
    out
}

/// `findings` of `rehearsal.json`: (severity, lines, message).
fn findings(reports: &Path) -> Vec<(String, Vec<usize>, String)> {
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(reports.join("rehearsal.json")).unwrap()).unwrap();
    json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let lines = f["lines"].as_array().unwrap().iter().map(|l| l.as_u64().unwrap() as usize).collect();
            (f["severity"].as_str().unwrap().to_string(), lines, f["message"].as_str().unwrap().to_string())
        })
        .collect()
}

/// GitHub's unescaping of a workflow command's data or property.
fn unescape(text: &str) -> String {
    text.replace("%2C", ",").replace("%3A", ":").replace("%0A", "\n").replace("%0D", "\r").replace("%25", "%")
}

#[test]
fn in_github_actions_each_finding_is_an_annotation_on_the_lines_it_blames() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = repo();
    let out = rehearse(dir.path(), &[("GITHUB_ACTIONS", "true"), ("GITHUB_WORKSPACE", workspace.to_str().unwrap())]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let commands: Vec<&str> = stdout.lines().filter(|l| l.starts_with("::")).collect();
    let expected: Vec<(String, usize, String)> = findings(dir.path())
        .into_iter()
        .flat_map(|(severity, lines, message)| lines.into_iter().map(move |l| (severity.clone(), l, message.clone())))
        .collect();
    assert_eq!(expected.len(), 6, "every finding of the broken runbook blames a line");
    assert_eq!(commands.len(), expected.len(), "{stdout}");
    for (command, (severity, line, message)) in commands.iter().zip(&expected) {
        // `::error file=F,line=L,title=T::MESSAGE`: the first `::` after the properties ends them,
        // which only holds if no property value kept a raw `:`.
        let rest =
            command.strip_prefix(&format!("::{severity} ")).unwrap_or_else(|| panic!("not a {severity}: {command}"));
        let (properties, data) = rest.split_once("::").unwrap();
        assert!(!data.contains('\n') && !data.contains('\r'));
        assert_eq!(unescape(data), *message);
        let properties: Vec<(&str, &str)> = properties.split(',').map(|p| p.split_once('=').unwrap()).collect();
        let keys: Vec<&str> = properties.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["file", "line", "title"], "{command}");
        assert_eq!(properties[0].1, RUNBOOK, "relative to the workspace");
        assert_eq!(properties[1].1, line.to_string());
        let title = unescape(properties[2].1);
        assert!(title.starts_with("bypass-lab "), "{title}");
        assert!(!properties.iter().any(|(_, v)| v.contains(':')), "a raw colon in a property: {command}");
        assert_eq!(title.contains(':'), properties[2].1.contains("%3A"), "the title's colon is escaped: {command}");
    }
    // The runbook's own lines, the lines the broken runbook plants.
    let lines: Vec<usize> = expected.iter().map(|(_, l, _)| *l).collect();
    assert_eq!(lines, [9, 22, 20, 20, 20, 20]);
    let placed: Vec<&str> =
        commands.iter().filter_map(|c| c.split_once("title=").map(|(_, t)| t.split("::").next().unwrap())).collect();
    assert_eq!(placed[1], "bypass-lab enable%3A Tokyo 10.60.0.0/23");
    assert!(!dir.path().join("gl-code-quality-report.json").exists(), "no GitLab report outside GitLab");
}

#[test]
fn in_gitlab_ci_a_code_quality_report_places_each_finding_on_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let workspace = repo();
    let out = rehearse(dir.path(), &[("GITLAB_CI", "true"), ("CI_PROJECT_DIR", workspace.to_str().unwrap())]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.lines().any(|l| l.starts_with("::")), "no GitHub commands in GitLab");
    let file = dir.path().join("gl-code-quality-report.json");
    assert!(stdout.contains(&format!("report: {}", file.display())), "{stdout}");
    let report: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    let entries = report.as_array().expect("an array of issues");
    let expected: Vec<(String, usize, String)> = findings(dir.path())
        .into_iter()
        .flat_map(|(severity, lines, message)| lines.into_iter().map(move |l| (severity.clone(), l, message.clone())))
        .collect();
    assert_eq!(entries.len(), expected.len());
    let mut fingerprints = std::collections::HashSet::new();
    for (entry, (severity, line, message)) in entries.iter().zip(&expected) {
        for key in ["description", "check_name", "fingerprint", "severity"] {
            assert!(entry[key].as_str().is_some_and(|v| !v.is_empty()), "{key} missing: {entry}");
        }
        assert!(fingerprints.insert(entry["fingerprint"].as_str().unwrap().to_string()), "fingerprints are unique");
        assert!(entry["description"].as_str().unwrap().ends_with(message.as_str()));
        let expected_severity = if severity == "error" { "critical" } else { "minor" };
        assert_eq!(entry["severity"], expected_severity);
        assert_eq!(entry["location"]["path"], RUNBOOK);
        assert_eq!(entry["location"]["lines"]["begin"].as_u64(), Some(*line as u64));
    }
}

/// Each element of an XML file as (name, attributes); fails on anything not well-formed.
fn elements(xml: &str) -> Vec<(String, Vec<(String, String)>)> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut out = vec![];
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("not well-formed XML: {e}")) {
            Event::Start(e) | Event::Empty(e) => {
                let attributes = e
                    .attributes()
                    .map(|a| {
                        let a = a.unwrap();
                        let value = a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned();
                        (String::from_utf8(a.key.as_ref().to_vec()).unwrap(), value)
                    })
                    .collect();
                out.push((String::from_utf8(e.name().as_ref().to_vec()).unwrap(), attributes));
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

fn attribute<'a>(element: &'a (String, Vec<(String, String)>), name: &str) -> Option<&'a str> {
    element.1.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
}

#[test]
fn the_junit_has_a_case_per_phase_and_region_and_a_failure_per_failed_region_naming_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = rehearse(dir.path(), &[]);
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(!stdout.lines().any(|l| l.starts_with("::")), "no annotations outside CI");
    assert!(stdout.contains(&format!("report: {}", dir.path().join("rehearsal.junit.xml").display())));
    let xml = std::fs::read_to_string(dir.path().join("rehearsal.junit.xml")).unwrap();
    assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites "));
    let all = elements(&xml);
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("rehearsal.json")).unwrap()).unwrap();
    let phases = json["phases"].as_array().unwrap();
    let suites: Vec<_> = all.iter().filter(|e| e.0 == "testsuite").collect();
    assert_eq!(suites.len(), phases.len());
    let cases: Vec<_> = all.iter().filter(|e| e.0 == "testcase").collect();
    let rows: usize = phases.iter().map(|p| p["rows"].as_array().unwrap().len()).sum();
    assert_eq!(cases.len(), rows + phases.len(), "a case per region of each phase, and the phase as a whole");
    for phase in phases {
        let name = phase["name"].as_str().unwrap();
        for row in phase["rows"].as_array().unwrap() {
            let region = format!("{} {}", row["site"].as_str().unwrap(), row["subnet"].as_str().unwrap());
            assert!(
                cases.iter().any(|c| attribute(c, "classname") == Some(name) && attribute(c, "name") == Some(&region)),
                "no case {name}/{region}"
            );
        }
    }
    // The root's and each suite's counts agree with the elements.
    let failures: Vec<_> = all.iter().filter(|e| e.0 == "failure").collect();
    assert_eq!(attribute(&all[0], "tests"), Some(cases.len().to_string().as_str()));
    assert_eq!(attribute(&all[0], "failures"), Some(failures.len().to_string().as_str()));
    let per_suite: usize = suites.iter().map(|s| attribute(s, "failures").unwrap().parse::<usize>().unwrap()).sum();
    assert_eq!(per_suite, failures.len());
    // Each error finding is in a failure that names its runbook line.
    for (severity, lines, message) in findings(dir.path()) {
        if severity != "error" {
            continue;
        }
        let named = format!("{RUNBOOK} line {}: {message}", lines[0]);
        assert!(failures.iter().any(|f| attribute(f, "message") == Some(&named)), "no failure says {named}");
    }
    assert_eq!(failures.len(), 6, "three in enable, three in permanent-disable");
}

/// The value of `NAME: value` in a workflow file.
fn variable<'a>(workflow: &'a str, name: &str) -> &'a str {
    let line = workflow
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name} in the workflow"));
    line.split_once(':').unwrap().1.trim()
}

#[test]
fn the_shipped_workflows_rehearse_a_shipped_runbook_and_publish_the_files_it_writes() {
    let root = repo();
    let github = std::fs::read_to_string(root.join("examples/ci/github-actions.yml")).unwrap();
    let gitlab = std::fs::read_to_string(root.join("examples/ci/.gitlab-ci.yml")).unwrap();
    let command = "bypass-lab rehearse --topology \"$TOPOLOGY\" --runbook \"$RUNBOOK\" --report reports";
    let junit = format!("reports/{}", bypass_lab::report::junit::FILE);
    let quality = format!("reports/{}", bypass_lab::report::annotations::GITLAB_FILE);
    for (name, workflow) in [("GitHub", &github), ("GitLab", &gitlab)] {
        assert!(workflow.contains(command), "{name} runs the rehearsal");
        assert!(workflow.contains(&junit), "{name} publishes {junit}");
        assert!(!workflow.contains('\t'), "{name}: YAML takes no tabs");
    }
    assert!(gitlab.contains(&format!("codequality: {quality}")) && gitlab.contains(&format!("junit: {junit}")));
    assert!(github.contains("path: reports/") && gitlab.contains("- reports/"), "every report is kept");
    // The two name the same runbook and plan; rehearsed as GitLab would, it passes and writes
    // every file the workflows publish.
    let (runbook, topology) = (variable(&gitlab, "RUNBOOK"), variable(&gitlab, "TOPOLOGY"));
    assert_eq!((variable(&github, "RUNBOOK"), variable(&github, "TOPOLOGY")), (runbook, topology));
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .current_dir(&root)
        .args(["rehearse", "--topology", topology, "--runbook", runbook, "--report"])
        .arg(dir.path())
        .env_remove("GITHUB_ACTIONS")
        .env("GITLAB_CI", "true")
        .env("CI_PROJECT_DIR", &root)
        .output()
        .unwrap();
    assert!(out.status.success(), "the shipped rollout passes: {}", String::from_utf8_lossy(&out.stdout));
    for file in [bypass_lab::report::junit::FILE, bypass_lab::report::annotations::GITLAB_FILE, "rehearsal.json"] {
        assert!(dir.path().join(file).is_file(), "{file} is written");
    }
    let quality: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join(bypass_lab::report::annotations::GITLAB_FILE)).unwrap(),
    )
    .unwrap();
    assert_eq!(quality, serde_json::json!([]), "a passing rollout has no issue");
}
