//! Splitting an admin's runbook into phases at `# phase: NAME` comment lines.
//!
//! A phase keeps the runbook's own line numbers: every line outside it is blanked, not removed,
//! so a failing line is reported where the admin sees it in their file.

use super::RolloutError;

/// The phase of the lines before the first marker.
pub const SETUP: &str = "setup";

/// One phase: its name and the runbook with only its own lines kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    pub name: String,
    /// The 1-based line of its marker (0 for `setup`).
    pub marker_line: usize,
    /// The whole runbook with every line of other phases (and every marker) blanked.
    pub source: String,
}

impl Phase {
    /// Whether the phase runs anything: a line that is neither blank nor a comment.
    pub fn has_statements(&self) -> bool {
        self.source.lines().any(|l| !l.trim().is_empty() && !l.trim_start().starts_with('#'))
    }
}

/// The phase name a line declares, if it is a marker.
///
/// A comment whose first word is `phase` (any case, however it goes on) is meant as a marker, so
/// one that is not written `# phase: NAME` is refused rather than read as a plain comment: a
/// missed marker would merge two phases and leave one of them unjudged.
fn marker(line: &str, number: usize) -> Result<Option<String>, RolloutError> {
    let Some(comment) = line.trim().strip_prefix('#') else {
        return Ok(None);
    };
    let comment = comment.trim_start();
    if !comment.get(..5).is_some_and(|h| h.eq_ignore_ascii_case("phase")) {
        return Ok(None);
    }
    let rest = &comment[5..];
    if rest.chars().next().is_some_and(|c| c.is_alphanumeric()) {
        return Ok(None); // `# phases of the rollout`, `# phased`: another word
    }
    let malformed =
        || RolloutError::MalformedMarker { line: number, text: line.trim().to_string(), suggestion: suggestion(rest) };
    let Some(name) = rest.trim_start().strip_prefix(':') else {
        return Err(malformed());
    };
    let name = name.trim();
    if name.is_empty() {
        return Err(RolloutError::UnnamedPhase { line: number });
    }
    Ok(Some(name.to_string()))
}

/// The marker an admin most likely meant by `# phase<rest>`.
fn suggestion(rest: &str) -> String {
    let name: String = rest.trim_start_matches(|c: char| !c.is_alphanumeric()).trim().to_string();
    format!("# phase: {}", if name.is_empty() { "NAME" } else { &name })
}

/// The phases in runbook order. Lines before the first marker form `setup`, which is left out
/// when it runs nothing; a named phase is kept even when empty. Names are compared
/// case-insensitively, and a name used twice is an error naming both lines.
pub fn split(source: &str) -> Result<Vec<Phase>, RolloutError> {
    let lines: Vec<&str> = source.lines().collect();
    let mut starts: Vec<(String, usize)> = vec![(SETUP.to_string(), 0)];
    for (i, line) in lines.iter().enumerate() {
        if let Some(name) = marker(line, i + 1)? {
            if let Some((first, at)) = starts.iter().find(|(n, at)| *at > 0 && n.eq_ignore_ascii_case(&name)) {
                return Err(RolloutError::DuplicatePhase { name: first.clone(), first_line: *at, line: i + 1 });
            }
            starts.push((name, i + 1));
        }
    }
    let mut phases = Vec::new();
    for (k, (name, marker_line)) in starts.iter().enumerate() {
        let first = *marker_line; // 0-based index of the first line after the marker
        let end = starts.get(k + 1).map(|(_, at)| at - 1).unwrap_or(lines.len());
        let kept: Vec<&str> =
            lines.iter().enumerate().map(|(i, l)| if i >= first && i < end { *l } else { "" }).collect();
        let phase = Phase { name: name.clone(), marker_line: *marker_line, source: kept.join("\n") + "\n" };
        if *marker_line == 0 && !phase.has_statements() {
            continue;
        }
        phases.push(phase);
    }
    Ok(phases)
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNBOOK: &str = "\
$x = 1
# phase: dns
Add-DnsServerPrimaryZone -Name \"example.org\"
#   PHASE:   enable  
Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://a.example.org/x
# a plain comment
# phase: empty
";

    #[test]
    fn lines_before_the_first_marker_are_setup_and_keep_their_numbers() {
        let phases = split(RUNBOOK).unwrap();
        let names: Vec<&str> = phases.iter().map(|p| p.name.as_str()).collect();
        assert_eq!(names, ["setup", "dns", "enable", "empty"]);
        assert_eq!(phases[0].source.lines().next(), Some("$x = 1"));
        let dns: Vec<&str> = phases[1].source.lines().collect();
        assert_eq!(dns[2], "Add-DnsServerPrimaryZone -Name \"example.org\"", "line 3 stays line 3");
        assert!(dns.iter().enumerate().all(|(i, l)| i == 2 || l.is_empty()), "{dns:?}");
        assert_eq!(phases[2].marker_line, 4);
        assert!(phases[2].source.lines().nth(4).unwrap().starts_with("Set-CsTenantHybridConfiguration"));
        assert!(!phases[3].has_statements(), "an empty phase is kept");
    }

    #[test]
    fn a_runbook_without_markers_is_one_setup_phase() {
        let phases = split("Get-CsTenantHybridConfiguration\n").unwrap();
        assert_eq!(phases.len(), 1);
        assert_eq!(phases[0].name, SETUP);
    }

    #[test]
    fn an_empty_setup_is_left_out() {
        let phases = split("# Rollout of example.org\n\n# phase: dns\nGet-DnsServerZone\n").unwrap();
        assert_eq!(phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["dns"]);
    }

    #[test]
    fn a_duplicate_phase_names_both_lines() {
        let err = split("# phase: enable\n\n# phase: Enable\n").unwrap_err();
        assert_eq!(err.to_string(), "phase 'enable' is declared twice: on line 1 and again on line 3");
    }

    #[test]
    fn a_comment_meant_as_a_marker_is_refused_with_the_accepted_form() {
        for (text, want) in [
            ("# phase enable", "# phase: enable"),
            ("#phase-enable", "# phase: enable"),
            ("# Phase 2 - enable", "# phase: 2 - enable"),
            ("  # PHASE", "# phase: NAME"),
        ] {
            let err = split(&format!("Get-DnsServerZone\n{text}\n")).unwrap_err();
            assert!(err.is_input());
            assert_eq!(
                err.to_string(),
                format!("line 2: '{}' is not a phase marker: write it as '{want}'", text.trim()),
                "{text}"
            );
        }
        let err = split("# Phase :\n").unwrap_err();
        assert_eq!(err.to_string(), "line 1: '# phase:' needs a name, e.g. '# phase: enable'");
    }

    #[test]
    fn other_words_and_spaced_colons_are_not_mistaken() {
        let phases =
            split("# phases of the rollout\n# phased in over a week\n# Phase : enable\nGet-DnsServerZone\n").unwrap();
        assert_eq!(phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["enable"]);
    }

    #[test]
    fn a_marker_without_a_name_is_refused() {
        let err = split("Get-DnsServerZone\n#phase:\n").unwrap_err();
        assert_eq!(err.to_string(), "line 2: '# phase:' needs a name, e.g. '# phase: enable'");
    }
}
