//! Lab directives in a runbook: comments that change the lab, not the tenant, so a rehearsal
//! can show what the rollout meets when an appliance loses its link to the tenant
//! (`# lab: cut tyo-cce2 tenant`) or gets it back (`# lab: heal tyo-cce2`). PowerShell reads
//! them as comments, so the same file still runs on rollout day.

use super::phase::Phase;
use super::RolloutError;
use crate::topology::Topology;

/// One directive, with the appliance's name as the plan spells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Directive {
    /// Cut the appliance off from the tenant: it keeps what its LocalStore holds.
    Cut(String),
    /// Give it its link back.
    Heal(String),
}

/// The directives of a phase, in order, with their lines. A comment whose first word is `lab`
/// and that is no valid directive is invalid input, so a slip never passes as a comment.
pub fn directives(phase: &Phase, topology: &Topology) -> Result<Vec<(usize, Directive)>, RolloutError> {
    let mut out = vec![];
    for (i, line) in phase.source.lines().enumerate() {
        let Some(comment) = line.trim().strip_prefix('#').map(str::trim_start) else { continue };
        if !comment.get(..3).is_some_and(|h| h.eq_ignore_ascii_case("lab")) {
            continue;
        }
        let rest = &comment[3..];
        if rest.chars().next().is_some_and(|c| c.is_alphanumeric()) {
            continue; // `# labs`, `# label`: another word
        }
        let bad = || RolloutError::BadDirective { line: i + 1, text: line.trim().to_string() };
        let words: Vec<&str> = rest.trim_start().strip_prefix(':').ok_or_else(bad)?.split_whitespace().collect();
        let appliance = |name: &str| {
            topology
                .find_appliance(name)
                .map(|(_, a)| a.name.clone())
                .ok_or_else(|| RolloutError::UnknownAppliance { line: i + 1, name: name.to_string() })
        };
        let directive = match words.as_slice() {
            [verb, name] | [verb, name, "tenant"] if verb.eq_ignore_ascii_case("cut") => {
                Directive::Cut(appliance(name)?)
            }
            [verb, name] if verb.eq_ignore_ascii_case("heal") => Directive::Heal(appliance(name)?),
            _ => return Err(bad()),
        };
        out.push((i + 1, directive));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::super::phase::split;
    use super::*;

    #[test]
    fn cut_and_heal_name_an_appliance_of_the_plan() {
        let t = Topology::seed();
        let phases = split("# phase: enable\n# lab: cut SEA-CCE2 tenant\n# lab: heal sea-cce2\n# a label\n").unwrap();
        assert_eq!(
            directives(&phases[0], &t).unwrap(),
            [(2, Directive::Cut("sea-cce2".into())), (3, Directive::Heal("sea-cce2".into()))]
        );
        let phases = split("# phase: enable\n# lab: unplug sea-cce2\n").unwrap();
        assert_eq!(
            directives(&phases[0], &t).unwrap_err().to_string(),
            "line 2: '# lab: unplug sea-cce2' is no lab directive: write '# lab: cut APPLIANCE tenant' or '# lab: heal APPLIANCE'"
        );
        let phases = split("# phase: enable\n# lab: cut tyo-cce9\n").unwrap();
        assert!(directives(&phases[0], &t).unwrap_err().to_string().contains("tyo-cce9 is no appliance of the plan"));
    }
}
