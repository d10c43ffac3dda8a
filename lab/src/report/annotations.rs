//! A rehearsal's findings as the CI platform's own annotations on the runbook's lines, so a
//! reviewer sees them on the diff of the runbook, not only in a log.
//!
//! The platform is told apart by the variables it documents for every job: `GITHUB_ACTIONS=true`
//! (GitHub Actions) and `GITLAB_CI=true` (GitLab CI/CD).
//! - **GitHub Actions** reads workflow commands from a step's output: one
//!   `::error file=F,line=L,title=T::MESSAGE` (or `::warning`) line per annotation, with `%`,
//!   CR and LF escaped in the message, and `:` and `,` too in properties.
//! - **GitLab** has no command that annotates a line from a job's output; its documented way is
//!   a Code Quality report, a JSON artefact (`artifacts:reports:codequality`) whose entries carry
//!   a description, a check name, a fingerprint, a severity and a location (path and first line).
//!
//! One annotation per finding and runbook line it blames (a finding that blames two lines marks
//! both); a finding that blames none is placed on its phase's `# phase:` line, or on the file.

use crate::fnv::fnv1a;
use crate::rollout::model::{Finding, Severity};
use crate::rollout::RunbookRehearsal;
use std::path::{Component, Path, PathBuf};

/// The Code Quality report's name in the report folder (GitLab's documented example name).
pub const GITLAB_FILE: &str = "gl-code-quality-report.json";

/// A CI platform whose annotations the lab writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Platform {
    GitHubActions,
    GitLabCi,
}

impl Platform {
    /// The platform this process runs in, read from `var` (the environment).
    pub fn detect(var: impl Fn(&str) -> Option<String>) -> Option<Platform> {
        let set = |name: &str| var(name).is_some_and(|v| v.eq_ignore_ascii_case("true"));
        if set("GITHUB_ACTIONS") {
            Some(Platform::GitHubActions)
        } else if set("GITLAB_CI") {
            Some(Platform::GitLabCi)
        } else {
            None
        }
    }

    /// The variable holding the checkout's folder, which annotation paths are relative to.
    pub fn workspace_variable(self) -> &'static str {
        match self {
            Platform::GitHubActions => "GITHUB_WORKSPACE",
            Platform::GitLabCi => "CI_PROJECT_DIR",
        }
    }
}

/// One finding on one runbook line.
#[derive(Debug, Clone, PartialEq)]
pub struct Annotation {
    pub severity: Severity,
    /// The 1-based runbook line; None for a finding of a phase without a marker line.
    pub line: Option<usize>,
    /// `enable: Tokyo 10.60.0.0/23`, or `enable` for a finding about no one place.
    pub title: String,
    pub message: String,
    /// The finding's phase, which names the check.
    pub phase: String,
}

/// The annotations of a rehearsal, in the order of its findings.
pub fn annotations(done: &RunbookRehearsal) -> Vec<Annotation> {
    let markers: Vec<(String, usize)> = crate::rollout::phase::split(&done.source)
        .map(|phases| phases.into_iter().filter(|p| p.marker_line > 0).map(|p| (p.name, p.marker_line)).collect())
        .unwrap_or_default();
    let mut out = vec![];
    for f in &done.report.findings {
        let lines: Vec<Option<usize>> = match f.lines.as_slice() {
            [] => vec![markers.iter().find(|(name, _)| *name == f.phase).map(|(_, line)| *line)],
            lines => lines.iter().map(|l| Some(*l)).collect(),
        };
        for line in lines {
            out.push(Annotation {
                severity: f.severity,
                line,
                title: title(f),
                message: f.message.clone(),
                phase: f.phase.clone(),
            });
        }
    }
    out
}

fn title(f: &Finding) -> String {
    if f.site == "all" {
        return f.phase.clone();
    }
    let place = super::junit::region_name(&f.site, &f.subnet, &f.range, f.window.as_deref());
    format!("{}: {place}", f.phase)
}

/// GitHub's escaping of a workflow command's message.
pub fn github_data(text: &str) -> String {
    text.replace('%', "%25").replace('\r', "%0D").replace('\n', "%0A")
}

/// GitHub's escaping of a workflow command's property value.
pub fn github_property(text: &str) -> String {
    github_data(text).replace(':', "%3A").replace(',', "%2C")
}

/// The workflow commands, one line each; `file` is the runbook's path in the repository (None
/// for a runbook read from standard input: the annotations then mark no file).
pub fn github(annotations: &[Annotation], file: Option<&str>) -> String {
    let mut out = String::new();
    for a in annotations {
        let command = match a.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut properties = vec![];
        if let Some(file) = file {
            properties.push(format!("file={}", github_property(file)));
            if let Some(line) = a.line {
                properties.push(format!("line={line}"));
            }
        }
        properties.push(format!("title={}", github_property(&format!("bypass-lab {}", a.title))));
        out.push_str(&format!("::{command} {}::{}\n", properties.join(","), github_data(&a.message)));
    }
    out
}

/// The Code Quality report: a JSON array, one entry per annotation; `path` is the runbook's
/// path in the repository.
pub fn gitlab(annotations: &[Annotation], path: &str) -> String {
    let entries: Vec<serde_json::Value> = annotations
        .iter()
        .map(|a| {
            let severity = match a.severity {
                Severity::Error => "critical",
                Severity::Warning => "minor",
            };
            let line = a.line.unwrap_or(1);
            let identity = format!("{severity}\n{path}\n{line}\n{}\n{}", a.title, a.message);
            serde_json::json!({
                "description": format!("[{}] {}", a.title, a.message),
                "check_name": format!("bypass-lab/{}", a.phase),
                "fingerprint": format!("{:016x}", fnv1a(identity.bytes())),
                "severity": severity,
                "location": {"path": path, "lines": {"begin": line}},
            })
        })
        .collect();
    serde_json::to_string_pretty(&entries).expect("JSON values serialise") + "\n"
}

/// `origin` (the runbook as the user named it) relative to the checkout `workspace`, as the
/// platforms place annotations; as given when it lies elsewhere or no workspace is known.
pub fn repository_path(origin: &str, workspace: Option<&Path>, cwd: &Path) -> String {
    let Some(workspace) = workspace else { return origin.to_string() };
    let absolute = normal(&cwd.join(origin));
    match absolute.strip_prefix(normal(workspace)) {
        Ok(relative) => relative.to_string_lossy().replace('\\', "/"),
        Err(_) => origin.to_string(),
    }
}

/// `path` without `.` and with `..` taken back, by its text alone.
fn normal(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for part in path.components() {
        match part {
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn github_escapes_percent_and_line_breaks_and_in_properties_colons_and_commas() {
        assert_eq!(github_data("50% a\r\nb: c, d"), "50%25 a%0D%0Ab: c, d");
        assert_eq!(github_property("50% a\nb: c, d"), "50%25 a%0Ab%3A c%2C d");
    }

    fn rehearsal() -> RunbookRehearsal {
        let finding = |severity, phase: &str, site: &str, lines: &[usize], message: &str| Finding {
            severity,
            phase: phase.into(),
            site: site.into(),
            subnet: if site == "all" { "all".into() } else { "10.0.0.0/24".into() },
            range: if site == "all" { "all".into() } else { "10.0.0.0/24".into() },
            window: None,
            lines: lines.to_vec(),
            message: message.into(),
        };
        RunbookRehearsal {
            report: crate::rollout::RehearsalReport {
                phases: vec![],
                findings: vec![
                    finding(Severity::Error, "dns", "Lyon, <A>", &[2, 3], "100% wrong:\r\nsecond line"),
                    finding(Severity::Warning, "enable", "all", &[], "no line of its own"),
                    finding(Severity::Warning, "setup", "all", &[], "before any marker"),
                ],
                ..Default::default()
            },
            source: "$x = 1\n# phase: dns\nAdd-DnsServerZoneScope\n# phase: enable\n".into(),
            origin: "run,books/a:b.ps1".into(),
            failure: None,
        }
    }

    #[test]
    fn a_finding_marks_each_line_it_blames_else_its_phase_marker() {
        let found = annotations(&rehearsal());
        let placed: Vec<(Option<usize>, &str)> = found.iter().map(|a| (a.line, a.title.as_str())).collect();
        assert_eq!(
            placed,
            [
                (Some(2), "dns: Lyon, <A> 10.0.0.0/24"),
                (Some(3), "dns: Lyon, <A> 10.0.0.0/24"),
                (Some(4), "enable"),
                (None, "setup")
            ]
        );
    }

    #[test]
    fn github_commands_keep_hostile_text_inside_their_fields() {
        let out = github(&annotations(&rehearsal()), Some("run,books/a:b.ps1"));
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines.len(), 4, "one command a line, whatever the messages hold: {out}");
        assert_eq!(
            lines[0],
            "::error file=run%2Cbooks/a%3Ab.ps1,line=2,title=bypass-lab dns%3A Lyon%2C <A> 10.0.0.0/24::100%25 wrong:%0D%0Asecond line"
        );
        assert_eq!(lines[2], "::warning file=run%2Cbooks/a%3Ab.ps1,line=4,title=bypass-lab enable::no line of its own");
        assert_eq!(lines[3], "::warning file=run%2Cbooks/a%3Ab.ps1,title=bypass-lab setup::before any marker");
        let stdin = github(&annotations(&rehearsal()), None);
        assert!(stdin.starts_with("::error title=bypass-lab dns%3A"), "no file for standard input: {stdin}");
    }

    #[test]
    fn the_code_quality_report_places_every_annotation() {
        let report: serde_json::Value =
            serde_json::from_str(&gitlab(&annotations(&rehearsal()), "runbooks/go.ps1")).unwrap();
        let begins: Vec<u64> =
            report.as_array().unwrap().iter().map(|e| e["location"]["lines"]["begin"].as_u64().unwrap()).collect();
        assert_eq!(begins, [2, 3, 4, 1], "a finding of no marked phase lands on the first line");
        assert_eq!(report[0]["description"], "[dns: Lyon, <A> 10.0.0.0/24] 100% wrong:\r\nsecond line");
        assert_eq!(report[0]["check_name"], "bypass-lab/dns");
        assert_ne!(report[0]["fingerprint"], report[1]["fingerprint"]);
        assert_eq!(report[2]["severity"], "minor");
    }

    #[test]
    fn only_the_documented_variables_name_a_platform() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(k, _)| *k == name).map(|(_, v)| v.to_string())
        };
        assert_eq!(Platform::detect(env(&[("GITHUB_ACTIONS", "true")])), Some(Platform::GitHubActions));
        assert_eq!(Platform::detect(env(&[("GITLAB_CI", "true")])), Some(Platform::GitLabCi));
        assert_eq!(Platform::detect(env(&[("CI", "true"), ("GITLAB_CI", "false")])), None);
        assert_eq!(Platform::detect(env(&[])), None);
    }

    #[test]
    fn paths_are_made_relative_to_the_checkout() {
        let cwd = Path::new("/builds/it/net/ci");
        let workspace = Some(Path::new("/builds/it/net"));
        assert_eq!(repository_path("../runbooks/./go.ps1", workspace, cwd), "runbooks/go.ps1");
        assert_eq!(repository_path("/builds/it/net/go.ps1", workspace, cwd), "go.ps1");
        assert_eq!(repository_path("/tmp/go.ps1", workspace, cwd), "/tmp/go.ps1", "outside the checkout: as given");
        assert_eq!(repository_path("go.ps1", None, cwd), "go.ps1");
    }
}
