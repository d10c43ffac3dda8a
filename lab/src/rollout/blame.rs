//! Which runbook lines a finding is the effect of: the line that created or changed the DNS
//! object the finding blames (its first named policy, client subnet, zone scope or default
//! scope), and any line the finding names itself, so a reviewer sees the faulty lines marked.

use std::collections::BTreeSet;

/// A DNS object as findings name it.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Named {
    Policy(String),
    ClientSubnet(String),
    ZoneScope(String),
    /// Records added without `-ZoneScope`, in the zone's default scope.
    DefaultScope(String),
}

impl Named {
    /// How a finding writes it.
    fn phrase(&self) -> String {
        match self {
            Named::Policy(n) => format!("policy {n}"),
            Named::ClientSubnet(n) => format!("client subnet {n}"),
            Named::ZoneScope(n) => format!("zone scope {n}"),
            Named::DefaultScope(z) => format!("default scope of zone {z}"),
        }
    }
}

/// The value of `-name` in a statement's text (quoted or bare), lower-cased.
fn parameter(line: &str, name: &str) -> Option<String> {
    let lower = line.to_ascii_lowercase();
    let flag = format!("-{name}");
    let mut from = 0;
    while let Some(at) = lower[from..].find(&flag).map(|i| i + from) {
        let after = &line[at + flag.len()..];
        let boundary = after.chars().next().is_none_or(|c| c.is_whitespace() || c == ':');
        if boundary && (at == 0 || lower[..at].ends_with(char::is_whitespace)) {
            let value = after.trim_start_matches(':').trim_start();
            let value = match value.chars().next() {
                Some(q @ ('"' | '\'')) => value[1..].split(q).next().unwrap_or_default(),
                _ => value.split_whitespace().next().unwrap_or_default(),
            };
            return Some(value.trim_end_matches(',').to_ascii_lowercase());
        }
        from = at + flag.len();
    }
    None
}

/// The DNS objects each statement of a runbook creates or changes, by line.
pub struct Ledger {
    entries: Vec<(usize, Named)>,
}

impl Ledger {
    pub fn of(source: &str) -> Ledger {
        let mut entries = vec![];
        for (i, line) in source.lines().enumerate() {
            let text = line.trim();
            if text.starts_with('#') {
                continue;
            }
            // `$policy = Add-...`: the cmdlet comes after the assignment.
            let statement = match text.strip_prefix('$').and_then(|t| t.split_once('=')) {
                Some((_, rest)) => rest.trim_start(),
                None => text,
            };
            let cmdlet = statement.split_whitespace().next().unwrap_or_default();
            let cmdlet = cmdlet.to_ascii_lowercase();
            let named = match cmdlet.as_str() {
                "add-dnsserverqueryresolutionpolicy" | "set-dnsserverqueryresolutionpolicy" => {
                    parameter(text, "name").map(Named::Policy)
                }
                "add-dnsserverclientsubnet" | "set-dnsserverclientsubnet" => {
                    parameter(text, "name").map(Named::ClientSubnet)
                }
                "add-dnsserverzonescope" => parameter(text, "name").map(Named::ZoneScope),
                "add-dnsserverresourcerecord" => match parameter(text, "zonescope") {
                    Some(scope) => Some(Named::ZoneScope(scope)),
                    None => parameter(text, "zonename").map(Named::DefaultScope),
                },
                _ => None,
            };
            if let Some(named) = named {
                entries.push((i + 1, named));
            }
        }
        Ledger { entries }
    }

    /// The lines a finding blames: those of the first object it names, and every `line N` it
    /// cites.
    pub fn lines(&self, message: &str) -> Vec<usize> {
        let lower = message.to_ascii_lowercase();
        let whole = |at: usize, len: usize| {
            lower[at + len..].chars().next().is_none_or(|c| !(c.is_alphanumeric() || c == '_' || c == '-' || c == '.'))
                || lower[at + len..].starts_with(". ")
        };
        let first = self
            .entries
            .iter()
            .filter_map(|(_, named)| {
                let phrase = named.phrase();
                lower.match_indices(&phrase).map(|(at, _)| at).find(|at| whole(*at, phrase.len())).map(|at| (at, named))
            })
            .min_by_key(|(at, _)| *at)
            .map(|(_, named)| named.clone());
        let mut out: BTreeSet<usize> =
            self.entries.iter().filter(|(_, n)| Some(n) == first.as_ref()).map(|(line, _)| *line).collect();
        let words: Vec<&str> = lower.split(|c: char| !c.is_ascii_alphanumeric()).collect();
        for pair in words.windows(2) {
            if pair[0] == "line" {
                if let Ok(n) = pair[1].parse::<usize>() {
                    out.insert(n);
                }
            }
        }
        out.into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RUNBOOK: &str = "# phase: dns
Add-DnsServerClientSubnet -Name \"SydneyClients\" -IPv4Subnet \"10.40.0.0/24\"
Add-DnsServerZoneScope -ZoneName \"contoso.com\" -Name \"DenverScope\"
Add-DnsServerResourceRecord -ZoneName \"contoso.com\" -A -Name \"mbws\" -IPv4Address \"172.16.4.21\" -ZoneScope \"DenverScope\"
Add-DnsServerResourceRecord -ZoneName \"contoso.com\" -A -Name \"mbws\" -IPv4Address \"10.60.0.11\"
$p = Add-DnsServerQueryResolutionPolicy -Name 'TokyoPolicy' -ClientSubnet \"eq,TokyoClients\" -ZoneScope \"DenverScope,1\" -ZoneName \"contoso.com\" -PassThru
";

    #[test]
    fn a_finding_blames_the_first_object_it_names_and_the_lines_it_cites() {
        let ledger = Ledger::of(RUNBOOK);
        assert_eq!(
            ledger.lines("policy TokyoPolicy sends Tokyo's clients to zone scope DenverScope (Denver's Mediation Servers) via client subnet TokyoClients"),
            [6]
        );
        assert_eq!(ledger.lines("no client subnet covers 10.40.8.0/24 (client subnet SydneyClients covers only 10.40.0.0/24 of Sydney), so ..."), [2]);
        assert_eq!(ledger.lines("a record in the default scope of zone contoso.com answers them"), [5]);
        assert_eq!(ledger.lines("zone scope DenverScope holds no record"), [3, 4]);
        assert_eq!(ledger.lines("rollout.ps1 line 14, column 1 failed"), [14]);
        assert!(ledger.lines("policy TokyoPolicyOld is unknown").is_empty());
    }
}
