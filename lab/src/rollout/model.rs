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
}

/// What every sample client and every appliance showed once a phase had settled.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PhaseVerdict {
    /// The name after `# phase:` (`setup` for lines before the first marker).
    pub name: String,
    /// One row per subnet of every site, then one per outside subnet.
    pub rows: Vec<SubnetRow>,
    pub appliances: Vec<ApplianceRow>,
}

/// One sample client, placed in one subnet, after sign-out/in and a re-fetch.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SubnetRow {
    /// A site name, or `outside`.
    pub site: String,
    pub subnet: String,
    /// The sample client's user name.
    pub client: String,
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
    /// One sentence naming the likely cause.
    pub message: String,
}

impl RehearsalReport {
    /// Whether any finding is an error (the rehearsal then exits 1).
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}
