//! What a rehearsal of an admin's own rollout found, as written to `rehearsal.json` and drawn in
//! `rehearsal.html`. The JSON keys are a contract with the admins' own tooling (CI jobs parse
//! them), so every field here is named exactly as it appears on the wire.

use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The whole verdict: one entry per phase of the runbook, then every finding.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RehearsalReport {
    pub phases: Vec<PhaseVerdict>,
    pub findings: Vec<Finding>,
    /// Each DNS server's configuration as the runbook left it, for the pages' picture of what
    /// decides each answer. Not on the wire: `rehearsal.json` stays the verdict.
    #[serde(skip)]
    pub dns_servers: Vec<super::dns_view::DnsServerView>,
}

/// What every sample client and every appliance showed once a phase had settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseVerdict {
    /// The name after `# phase:` (`setup` for lines before the first marker).
    pub name: String,
    /// One row per region of every subnet of every site (one region when the whole subnet
    /// behaves alike), then the same for each outside subnet; per window of the day when the
    /// place's DNS server has time-of-day policies.
    pub rows: Vec<SubnetRow>,
    pub appliances: Vec<ApplianceRow>,
    /// What the phase is for (`bypass on, URL set, records present (from its name)`); null when
    /// its name is no step of the guide and it has no `# expect:` line: then it is judged by the
    /// tenant's state only.
    #[serde(default)]
    pub intent: Option<String>,
    /// The lab clock when the phase was judged (`day 2 16:00`, counted from the plan's
    /// `start_time_of_day`): the time of day its DNS answers were asked at.
    #[serde(default)]
    pub judged_at: String,
    /// What the phase's lines printed, line by line, as `run` prints them.
    #[serde(default)]
    pub output: Vec<OutputLine>,
    /// How the phase's tenant change reached each site's appliances across the replication
    /// window; null when the phase changed nothing on the tenant.
    #[serde(default)]
    pub timeline: Option<Timeline>,
    /// Per site (and outside) with declared clients, the share of its users that bypass and
    /// each population's decision; absent when the plan declares no clients.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub populations: Vec<PopulationShare>,
}

/// The declared clients of one site (or outside) after a phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationShare {
    /// A site name, or `outside`.
    pub site: String,
    /// How many users the site's populations hold, and how many of them bypass.
    pub users: u32,
    pub bypassing: u32,
    /// `bypassing` in whole percent of `users`.
    pub percent: u32,
    pub populations: Vec<PopulationDecision>,
    /// In words: "Seattle: 80 % of declared clients bypass; Mac and Lync 2013 clients do not
    /// (Plan page: supported clients)".
    pub summary: String,
}

/// One declared population's decision: `bypass` only when every sample of it bypasses (every
/// region of its subnet, every window of the day).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PopulationDecision {
    pub name: String,
    pub subnet: String,
    pub users: u32,
    /// Whether the Plan page supports media bypass for it (the Windows client from
    /// 16.0.7870.2020, not on a full-tunnel VPN).
    pub supported: bool,
    pub decision: Decision,
}

/// One runbook line's printed output.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OutputLine {
    /// The 1-based line of the statement in the runbook file.
    pub line: usize,
    /// The statement as written.
    pub command: String,
    /// What it printed (objects, warnings, the runner's notes); empty when it printed nothing.
    pub text: String,
    /// Its error, when the line failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// A tenant change on its way to the appliances.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Timeline {
    /// The tenant configuration version the phase left.
    pub version: u64,
    /// Lab time of the change and of the end of the window, in milliseconds.
    pub from_ms: u64,
    pub to_ms: u64,
    /// The same as clock readings on the plan's clock (`day 2 08:00`).
    pub from: String,
    pub to: String,
    /// What a client decides under the settings before and after the change.
    pub before: String,
    pub after: String,
    pub sites: Vec<SiteTimeline>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SiteTimeline {
    pub site: String,
    pub appliances: usize,
    /// One point per sync instant of the site's appliances, or per lab hour when there are
    /// more instants than hours.
    pub points: Vec<TimelinePoint>,
    /// When each appliance first served the new settings (null: not within the window).
    pub arrivals: Vec<Arrival>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimelinePoint {
    pub at_ms: u64,
    /// The lab clock reading (`day 1 14:05`).
    pub at: String,
    /// How many of the site's appliances serve the new settings.
    pub serving: usize,
    /// What a client fetching then decides: `bypass`, `no bypass` or `mixed`.
    pub decision: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Arrival {
    pub appliance: String,
    pub at_ms: Option<u64>,
    pub at: Option<String>,
}

/// One sample client, placed in one subnet, after sign-out/in and a re-fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubnetRow {
    /// A site name, or `outside`.
    pub site: String,
    pub subnet: String,
    /// The addresses of the subnet this row stands for (CIDR blocks joined by `, `): the whole
    /// subnet when every address of it behaves alike.
    pub range: String,
    /// The sample client's address, a free host of the range.
    pub address: IpAddr,
    /// The stretch of the day this row holds for (`08:00-18:00`); null when no policy of the
    /// place's DNS server depends on the time of day, or the place behaves alike all day.
    pub window: Option<String>,
    /// The sample client's user name.
    pub client: String,
    /// The declared population the client stands for (`Mac`); absent where the plan declares
    /// no clients for the subnet.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub population: Option<String>,
    /// The addresses the client's DNS server gave for the service name (empty: none).
    pub resolved: Vec<IpAddr>,
    /// The site those addresses belong to; `mixed` when they span sites, `unknown` when none
    /// is an appliance of the plan, null when nothing resolved.
    pub resolved_site: Option<String>,
    pub web_service: WebServiceVerdict,
    pub decision: Decision,
    /// Why the client decided so, in the client's own words (its UccApi log line).
    pub reason: String,
    /// The PSTN call's media path.
    pub media: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum WebServiceVerdict {
    #[serde(rename = "served")]
    Served,
    #[serde(rename = "rejected")]
    Rejected,
    #[serde(rename = "unreachable")]
    Unreachable,
    /// The client was given no URL, or its name resolved to nothing, so nothing was asked.
    #[serde(rename = "no URL")]
    NoUrl,
    /// The client does not ask: the Plan page does not support media bypass for it (a Mac, a
    /// build before 16.0.7870.2020, a full-tunnel VPN).
    #[serde(rename = "not asked")]
    NotAsked,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Decision {
    #[serde(rename = "bypass")]
    Bypass,
    #[serde(rename = "no-bypass")]
    NoBypass,
}

/// One appliance's LocalStore and web service after the phase.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplianceRow {
    pub site: String,
    pub appliance: String,
    pub address: IpAddr,
    /// The tenant configuration version its LocalStore holds.
    pub version: Option<u64>,
    pub enabled: bool,
    pub always_bypass: bool,
    /// `Serving` or `Rejecting`; the error when the appliance could not be read.
    pub web_service: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// A deviation from what the tenant's configuration after the phase says every client should see.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Finding {
    pub severity: Severity,
    pub phase: String,
    /// A site name, or `outside`.
    pub site: String,
    pub subnet: String,
    /// The part of the subnet the finding is about (the whole subnet, or CIDR blocks of it).
    #[serde(default)]
    pub range: String,
    /// The stretches of the day it holds for (`18:00-08:00`); null when all day.
    #[serde(default)]
    pub window: Option<String>,
    /// The runbook lines it is the effect of: the line that created or changed the DNS object
    /// at fault, or the line that failed.
    #[serde(default)]
    pub lines: Vec<usize>,
    /// One sentence naming the likely cause.
    pub message: String,
}

impl Finding {
    /// A finding about the whole rollout rather than one place (`site`, `subnet` and `range`
    /// `all`): the runbook's own lines, the tenant's settings.
    pub fn everywhere(severity: Severity, phase: &str, message: String) -> Finding {
        Finding {
            severity,
            phase: phase.to_string(),
            site: "all".into(),
            subnet: "all".into(),
            range: "all".into(),
            window: None,
            lines: vec![],
            message,
        }
    }
}

impl RehearsalReport {
    /// Whether any finding is an error (the rehearsal then exits 1).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}
