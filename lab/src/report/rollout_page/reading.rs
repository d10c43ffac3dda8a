//! How one row of a phase reads to a reviewer: what the phase expects of that place and what the
//! place saw, one word each, and whether the two agree.
//!
//! Colour follows agreement, never bypass or no bypass as such: "no bypass" is green in a
//! disable phase, where it is the point. The rollout's own judgement comes first (a finding about
//! the row colours it), and the words add what a finding cannot yet say: a DNS answer that sends
//! a place to another site's Mediation Servers is wrong in every phase, though no client uses it
//! before bypass is on (amber then, red once it is in use and the rollout finds it).

use crate::mediation::MediaPath;
use crate::rollout::intent::{Intent, UrlIntent};
use crate::rollout::model::{Decision, Finding, PhaseVerdict, Severity, SubnetRow, WebServiceVerdict};
use crate::topology::Topology;

/// The site name of outside rows and findings.
pub const OUTSIDE: &str = "outside";

/// What a place saw, or is expected to see, in one word.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Word {
    /// Media flows between the client and the gateway.
    Bypass,
    /// Media goes through the site's Mediation Server.
    NoBypass,
    /// An outside client's media goes through the Edge, as it must.
    Edge,
    /// The service name still resolves where its records should be gone.
    Resolves,
    /// The DNS answer names none of the place's own Mediation Servers: it names this site's
    /// (`mixed`, `unknown`).
    SentTo(String),
}

impl Word {
    pub fn text(&self) -> String {
        match self {
            Word::Bypass => "bypass".into(),
            Word::NoBypass => "no bypass".into(),
            Word::Edge => "Edge".into(),
            Word::Resolves => "resolves".into(),
            Word::SentTo(site) => format!("→ {site}"),
        }
    }

    /// The word as an attribute value for tests and scripts.
    pub fn key(&self) -> &'static str {
        match self {
            Word::Bypass => "bypass",
            Word::NoBypass => "no-bypass",
            Word::Edge => "edge",
            Word::Resolves => "resolves",
            Word::SentTo(_) => "other-site",
        }
    }
}

/// Whether a row agrees with its phase, as its colour says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum State {
    Ok,
    Warning,
    Error,
}

impl State {
    pub fn class(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Warning => "warning",
            State::Error => "error",
        }
    }

    /// A sign beside the colour, for readers who do not tell the colours apart.
    pub fn mark(self) -> &'static str {
        match self {
            State::Ok => "✓",
            State::Warning => "!",
            State::Error => "✗",
        }
    }

    fn of(severity: Severity) -> State {
        match severity {
            Severity::Error => State::Error,
            Severity::Warning => State::Warning,
        }
    }
}

/// What a phase expects of the site subnets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PhaseExpects {
    /// Internal clients bypass.
    pub bypass: bool,
    /// The service name's records are in the DNS.
    pub records: bool,
    /// Taken from what the phase is for (its name or `# expect:` line); otherwise read from the
    /// tenant's state the phase left, which a wrong runbook may have wrong too.
    pub from_intent: bool,
}

impl PhaseExpects {
    /// `intent` is the phase's, if its name or an `# expect:` line gives one; `removes_records`
    /// whether its lines remove the service name's records.
    pub fn of(phase: &PhaseVerdict, intent: Option<&Intent>, removes_records: bool) -> PhaseExpects {
        // The tenant's state, as the appliances and clients show it once the phase settled:
        // bypass enabled on the appliances, and a URL handed to the clients that resolved it.
        let enabled = phase.appliances.iter().any(|a| a.enabled);
        let no_url = phase
            .rows
            .iter()
            .any(|r| r.site != OUTSIDE && !r.resolved.is_empty() && r.web_service == WebServiceVerdict::NoUrl);
        match intent {
            Some(i) => {
                let records = i.records.unwrap_or(!removes_records);
                PhaseExpects {
                    bypass: i.bypass.unwrap_or(enabled && !no_url) && i.url != Some(UrlIntent::Null) && records,
                    records,
                    from_intent: true,
                }
            }
            None => PhaseExpects {
                bypass: enabled && !no_url && !removes_records,
                records: !removes_records,
                from_intent: false,
            },
        }
    }
}

/// One row as the page shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reading {
    pub expected: Word,
    pub observed: Word,
    pub state: State,
    /// The findings about the row, as indices into the report's findings.
    pub findings: Vec<usize>,
    /// Whether the service name is meant to resolve at all (for a site row: records present).
    pub answer_expected: bool,
    /// Whether clients act on the answer in this phase (bypass is meant to be on).
    pub in_use: bool,
}

impl Reading {
    pub fn matches(&self) -> bool {
        self.expected == self.observed
    }

    /// A wrong answer that no client acts on yet: bypass is not meant to be on in this phase.
    pub fn latent(&self) -> bool {
        matches!(self.observed, Word::SentTo(_)) && !self.in_use
    }

    /// What to say beside the observed word when it is not the expected one.
    pub fn note(&self) -> Option<String> {
        let answered = matches!(self.observed, Word::SentTo(_) | Word::Resolves);
        if self.matches() {
            None
        } else if self.latent() && self.state == State::Warning && self.answer_expected {
            Some("wrong site, not in use yet".into())
        } else if answered && !self.answer_expected {
            Some("expected no answer".into())
        } else {
            Some(format!("expected {}", self.expected.text()))
        }
    }

    /// What to say under a row's decision when the place is not what the phase expects: the
    /// decision cell shows the client's decision, so a wrong answer is named here.
    pub fn detail(&self) -> Option<String> {
        match &self.observed {
            _ if self.matches() => None,
            Word::SentTo(site) => {
                let whose = match site.as_str() {
                    "mixed" => "several sites' servers".to_string(),
                    "unknown" => "no appliance of the plan".to_string(),
                    site => format!("{site}'s servers"),
                };
                let wrong = if self.answer_expected { "the answer names" } else { "expected no answer; it names" };
                let later = if self.state == State::Warning && self.latent() { ", not in use yet" } else { "" };
                Some(format!("{wrong} {whose}{later}"))
            }
            _ => self.note(),
        }
    }

    /// Whether the row's media actually bypassed (an outside client's never does).
    pub fn bypassed(&self) -> bool {
        self.observed == Word::Bypass
    }
}

/// Whether two ranges (CIDR blocks joined by `, `) share an address.
pub fn overlaps(a: &str, b: &str) -> bool {
    let nets = |t: &str| t.split(',').filter_map(|n| n.trim().parse::<ipnet::IpNet>().ok()).collect::<Vec<_>>();
    let (a, b) = (nets(a), nets(b));
    a.iter().any(|x| b.iter().any(|y| x.contains(&y.network()) || y.contains(&x.network())))
}

/// Whether two windows of the day (spans `08:00-18:00` joined by `, `; None: all day) share a
/// minute.
pub fn same_time(a: Option<&str>, b: Option<&str>) -> bool {
    use crate::clock::TimeOfDay;
    let spans = |text: &str| -> Vec<(TimeOfDay, TimeOfDay)> {
        text.split(',')
            .filter_map(|s| s.trim().split_once('-'))
            .filter_map(|(from, to)| Some((from.parse().ok()?, to.parse().ok()?)))
            .collect()
    };
    let within = crate::dns::policy::criteria::within;
    match (a, b) {
        (Some(a), Some(b)) => spans(a)
            .iter()
            .any(|(af, at)| spans(b).iter().any(|(bf, bt)| within(*bf, *af, *at) || within(*af, *bf, *bt))),
        _ => true,
    }
}

/// Whether a finding is about (part of) a row: its phase, site and subnet, an overlapping range
/// and overlapping hours.
pub fn about(f: &Finding, phase: &str, row: &SubnetRow) -> bool {
    f.phase == phase
        && f.site == row.site
        && f.subnet == row.subnet
        && (f.range.is_empty() || overlaps(&f.range, &row.range))
        && same_time(f.window.as_deref(), row.window.as_deref())
}

/// What a row's client saw, in one word.
fn observed(row: &SubnetRow, expects: &PhaseExpects, topology: &Topology) -> Word {
    let sent_to = || Word::SentTo(row.resolved_site.clone().unwrap_or_else(|| "unknown".into()));
    if row.site == OUTSIDE {
        return if row.decision == Decision::Bypass && row.media != MediaPath::ThroughEdge.as_str() {
            Word::Bypass
        } else if !row.resolved.is_empty() {
            sent_to()
        } else {
            Word::Edge
        };
    }
    // A branch served by another site's Cloud Connector owns that site's Mediation Servers.
    let serving = topology.serving_site(&row.site);
    let own = row
        .resolved
        .iter()
        .any(|ip| topology.appliance_at(*ip).is_some_and(|(site, _)| site.name.eq_ignore_ascii_case(serving)));
    if !row.resolved.is_empty() && !own {
        sent_to()
    } else if row.decision == Decision::Bypass {
        Word::Bypass
    } else if !row.resolved.is_empty() && !expects.records {
        Word::Resolves
    } else {
        Word::NoBypass
    }
}

/// How `row` of phase `phase` reads, given what the phase expects and every finding.
pub fn read(
    row: &SubnetRow,
    phase: &str,
    expects: &PhaseExpects,
    findings: &[Finding],
    topology: &Topology,
) -> Reading {
    let expected = match (row.site == OUTSIDE, expects.bypass) {
        (true, _) => Word::Edge,
        (false, true) => Word::Bypass,
        (false, false) => Word::NoBypass,
    };
    let observed = observed(row, expects, topology);
    let about: Vec<usize> = findings.iter().enumerate().filter(|(_, f)| about(f, phase, row)).map(|(i, _)| i).collect();
    // Outside clients are never meant to resolve the name; sites while its records are in the DNS.
    let answer_expected = row.site != OUTSIDE && expects.records;
    let mut reading =
        Reading { expected, observed, state: State::Ok, findings: about, answer_expected, in_use: expects.bypass };
    let found = reading.findings.iter().map(|&i| State::of(findings[i].severity)).max();
    let differs = if reading.matches() {
        None
    } else if (reading.latent() && expects.records) || !expects.from_intent {
        Some(State::Warning)
    } else {
        Some(State::Error)
    };
    reading.state = found.into_iter().chain(differs).max().unwrap_or(State::Ok);
    reading
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rollout::model::ApplianceRow;

    const PLAN: &str = r#"
[tenant]
domain = "example.net"
sip_domains = ["example.net"]
service_name = "mb.example.net"

[[site]]
name = "Oslo"
subnets = ["10.40.0.0/24", "10.40.8.0/23"]
gateway = "10.40.0.1"
[[site.appliance]]
name = "osl1"
address = "10.40.0.10"

[[site]]
name = "Bergen"
subnets = ["10.50.0.0/24"]
gateway = "10.50.0.1"
[[site.appliance]]
name = "brg1"
address = "10.50.0.10"

[[site]]
name = "Tromso"
subnets = ["10.70.0.0/24"]
gateway = "10.70.0.1"
served_by = "Bergen"

[outside]
subnets = ["203.0.113.0/24", "198.51.100.0/24"]
"#;

    fn plan() -> Topology {
        Topology::parse(PLAN, None).unwrap()
    }

    fn row(site: &str, subnet: &str, resolved: &[&str], decision: Decision, media: MediaPath) -> SubnetRow {
        let t = plan();
        let resolved: Vec<std::net::IpAddr> = resolved.iter().map(|a| a.parse().unwrap()).collect();
        SubnetRow {
            site: site.into(),
            subnet: subnet.into(),
            range: subnet.into(),
            address: "10.0.0.1".parse().unwrap(),
            window: None,
            client: "c".into(),
            population: None,
            resolved_site: crate::rollout::observe::site_of_addresses(&t, &resolved),
            resolved,
            web_service: WebServiceVerdict::Served,
            decision,
            reason: String::new(),
            media: media.as_str().into(),
        }
    }

    fn phase(enabled: bool, rows: Vec<SubnetRow>) -> PhaseVerdict {
        PhaseVerdict {
            name: "p".into(),
            rows,
            appliances: vec![ApplianceRow {
                site: "Oslo".into(),
                appliance: "osl1".into(),
                address: "10.40.0.10".parse().unwrap(),
                version: Some(2),
                enabled,
                always_bypass: false,
                web_service: "Serving".into(),
            }],
            intent: None,
            judged_at: String::new(),
            output: vec![],
            timeline: None,
            populations: vec![],
        }
    }

    const PERMANENT: Intent =
        Intent { bypass: Some(false), url: Some(UrlIntent::Null), records: Some(false), from_marker: false };
    const ON: Intent =
        Intent { bypass: Some(true), url: Some(UrlIntent::Set), records: Some(true), from_marker: false };

    #[test]
    fn no_bypass_is_green_where_the_phase_means_to_turn_bypass_off() {
        let r = row("Oslo", "10.40.0.0/24", &[], Decision::NoBypass, MediaPath::ThroughMediationServer);
        let expects = PhaseExpects::of(&phase(false, vec![r.clone()]), Some(&PERMANENT), true);
        let reading = read(&r, "p", &expects, &[], &plan());
        assert_eq!((reading.expected.clone(), reading.observed.clone()), (Word::NoBypass, Word::NoBypass));
        assert_eq!(reading.state, State::Ok);
        let on = PhaseExpects::of(&phase(true, vec![r.clone()]), Some(&ON), false);
        assert_eq!(read(&r, "p", &on, &[], &plan()).state, State::Error, "the same row fails an enable");
    }

    #[test]
    fn a_wrong_answer_before_bypass_is_on_is_amber_and_red_once_it_is_on() {
        let r = row("Bergen", "10.50.0.0/24", &["10.40.0.10"], Decision::NoBypass, MediaPath::ThroughMediationServer);
        let before = PhaseExpects::of(&phase(false, vec![r.clone()]), None, false);
        let reading = read(&r, "p", &before, &[], &plan());
        assert_eq!(reading.observed, Word::SentTo("Oslo".into()));
        assert_eq!(reading.state, State::Warning);
        assert_eq!(reading.note().as_deref(), Some("wrong site, not in use yet"));
        assert_eq!(reading.detail().as_deref(), Some("the answer names Oslo's servers, not in use yet"));
        let mut bypassing = r.clone();
        bypassing.decision = Decision::Bypass;
        let on = PhaseExpects::of(&phase(true, vec![bypassing.clone()]), Some(&ON), false);
        let reading = read(&bypassing, "p", &on, &[], &plan());
        assert_eq!((reading.state, reading.note()), (State::Error, Some("expected bypass".into())));
    }

    #[test]
    fn a_branch_served_by_another_site_owns_its_servers() {
        let r = row("Tromso", "10.70.0.0/24", &["10.50.0.10"], Decision::Bypass, MediaPath::Bypass);
        let on = PhaseExpects::of(&phase(true, vec![r.clone()]), Some(&ON), false);
        let reading = read(&r, "p", &on, &[], &plan());
        assert_eq!((reading.observed, reading.state), (Word::Bypass, State::Ok));
    }

    #[test]
    fn an_outside_client_through_the_edge_does_not_read_as_bypass() {
        let r = row("outside", "203.0.113.0/24", &["10.40.0.10"], Decision::Bypass, MediaPath::ThroughEdge);
        let on = PhaseExpects::of(&phase(true, vec![r.clone()]), Some(&ON), false);
        let reading = read(&r, "p", &on, &[], &plan());
        assert_eq!((reading.expected.clone(), reading.observed.clone()), (Word::Edge, Word::SentTo("Oslo".into())));
        assert!(!reading.bypassed());
        assert_eq!(reading.note().as_deref(), Some("expected no answer"));
        assert_eq!(reading.detail().as_deref(), Some("expected no answer; it names Oslo's servers"));
        let clean = row("outside", "198.51.100.0/24", &[], Decision::NoBypass, MediaPath::ThroughEdge);
        assert_eq!(read(&clean, "p", &on, &[], &plan()).state, State::Ok);
    }

    #[test]
    fn a_finding_about_the_row_colours_it_whatever_the_words() {
        let r = row("Oslo", "10.40.8.0/23", &["10.40.0.10"], Decision::Bypass, MediaPath::Bypass);
        let on = PhaseExpects::of(&phase(true, vec![r.clone()]), Some(&ON), false);
        let finding = |severity, range: &str| Finding {
            severity,
            phase: "p".into(),
            site: "Oslo".into(),
            subnet: "10.40.8.0/23".into(),
            range: range.into(),
            window: None,
            lines: vec![3],
            message: "m".into(),
        };
        let findings = [finding(Severity::Warning, "10.40.9.0/24"), finding(Severity::Error, "10.40.0.0/24")];
        let reading = read(&r, "p", &on, &findings, &plan());
        assert_eq!((reading.state, reading.findings.clone()), (State::Warning, vec![0]));
    }

    #[test]
    fn without_an_intent_the_tenant_state_sets_the_expectation_and_disagreement_is_only_amber() {
        let r = row("Oslo", "10.40.0.0/24", &["10.40.0.10"], Decision::NoBypass, MediaPath::ThroughMediationServer);
        let enabled = PhaseExpects::of(&phase(true, vec![r.clone()]), None, false);
        assert!(enabled.bypass && !enabled.from_intent);
        assert_eq!(read(&r, "p", &enabled, &[], &plan()).state, State::Warning);
        let mut no_url = r.clone();
        no_url.web_service = WebServiceVerdict::NoUrl;
        assert!(!PhaseExpects::of(&phase(true, vec![no_url]), None, false).bypass, "no URL handed out: no bypass");
    }
}
