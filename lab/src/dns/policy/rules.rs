//! The rules of a query resolution policy: its action, how its criteria combine, and what DENY
//! answers. Adding, editing and removing policies on the server is `policies.rs`.

use super::criteria::Criterion;
use super::error::PolicyError;
use super::query::Query;
use super::subnet::ClientSubnets;
use super::weights::WeightedScope;
use crate::clock::TimeOfDay;
use serde::{Deserialize, Serialize};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Action {
    Allow,
    Deny,
    Ignore,
}

impl Action {
    pub fn parse(text: &str) -> Result<Action, PolicyError> {
        match text.trim().to_ascii_uppercase().as_str() {
            "ALLOW" => Ok(Action::Allow),
            "DENY" => Ok(Action::Deny),
            "IGNORE" => Ok(Action::Ignore),
            _ => Err(PolicyError::BadValue { what: "Action", text: text.into(), expected: "ALLOW, DENY or IGNORE" }),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Action::Allow => "Allow",
            Action::Deny => "Deny",
            Action::Ignore => "Ignore",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Condition {
    #[default]
    And,
    Or,
}

impl Condition {
    pub fn parse(text: &str) -> Result<Condition, PolicyError> {
        match text.trim().to_ascii_uppercase().as_str() {
            "AND" => Ok(Condition::And),
            "OR" => Ok(Condition::Or),
            _ => Err(PolicyError::BadValue { what: "Condition", text: text.into(), expected: "AND or OR" }),
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Condition::And => "And",
            Condition::Or => "Or",
        }
    }
}

/// What DENY answers. "Add-DnsServerQueryResolutionPolicy" says REFUSED in its description and
/// SERV_FAIL under -Action; the lab answers REFUSED unless the server is told otherwise
/// (`DnsState::set_deny_answer`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum DenyAnswer {
    #[default]
    Refused,
    ServFail,
}

#[derive(Debug, Clone)]
pub struct QueryResolutionPolicy {
    pub name: String,
    /// `None` for a server-level policy (tried before every zone's).
    pub zone: Option<String>,
    pub action: Action,
    pub condition: Condition,
    pub criteria: Vec<Criterion>,
    pub scopes: Vec<WeightedScope>,
    pub processing_order: u32,
    pub enabled: bool,
    /// How many answers this policy has given: the weighted round robin's position. Shared by
    /// clones so a read-only query can advance it.
    pub rotation: Arc<AtomicU64>,
}

impl QueryResolutionPolicy {
    pub(super) fn matches(&self, query: &Query, subnets: &ClientSubnets, now: TimeOfDay) -> bool {
        match self.condition {
            Condition::And => self.criteria.iter().all(|c| c.matches(query, subnets, now)),
            Condition::Or => self.criteria.is_empty() || self.criteria.iter().any(|c| c.matches(query, subnets, now)),
        }
    }

    pub fn level(&self) -> &'static str {
        if self.zone.is_some() {
            "Zone"
        } else {
            "Server"
        }
    }
}

pub(super) fn level_words(zone: Option<&str>) -> String {
    match zone {
        Some(z) => format!(" in zone {z}"),
        None => " at server level".into(),
    }
}
