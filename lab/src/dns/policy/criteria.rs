//! The criteria of a query resolution policy: `EQ,a,b;NE,c` strings, one per kind of fact
//! about a query, and whether a query meets them.

use super::error::PolicyError;
use super::query::Query;
use super::subnet::ClientSubnets;
use crate::clock::TimeOfDay;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;

/// The record types a QType criterion accepts: the RRType values of the DnsServer cmdlets
/// ("Remove-DnsServerResourceRecord") plus ANY, which "Add-DnsServerQueryResolutionPolicy"
/// example 6 blocks.
pub const QTYPES: &[&str] = &[
    "HINFO",
    "AFSDB",
    "ATMA",
    "ISDN",
    "KEY",
    "MB",
    "MD",
    "MF",
    "MG",
    "MINFO",
    "MR",
    "MX",
    "NSNXT",
    "RP",
    "RT",
    "WKS",
    "X25",
    "A",
    "AAAA",
    "CNAME",
    "PTR",
    "SRV",
    "TXT",
    "WINS",
    "WINSR",
    "NS",
    "SOA",
    "NASP",
    "NASPTR",
    "DNAME",
    "GPOS",
    "LOC",
    "DHCID",
    "NAPTR",
    "RRSIG",
    "DNSKEY",
    "DS",
    "NSEC",
    "NSEC3",
    "NSEC3PARAM",
    "TLSA",
    "ANY",
];

/// The facts of a query a policy can test, named as the cmdlet parameters are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum CriterionKind {
    ClientSubnet,
    Fqdn,
    QType,
    ServerInterfaceIP,
    TransportProtocol,
    /// IPv4 or IPv6: the family of the address the policy sees.
    InternetProtocol,
    /// `HH:MM-HH:MM` windows on the lab clock.
    TimeOfDay,
}

impl CriterionKind {
    pub const ALL: [CriterionKind; 7] = [
        CriterionKind::ClientSubnet,
        CriterionKind::Fqdn,
        CriterionKind::QType,
        CriterionKind::ServerInterfaceIP,
        CriterionKind::TransportProtocol,
        CriterionKind::InternetProtocol,
        CriterionKind::TimeOfDay,
    ];

    /// The kind a `CriteriaType` names (any case).
    pub fn parse(text: &str) -> Option<CriterionKind> {
        CriterionKind::ALL.into_iter().find(|k| k.name().eq_ignore_ascii_case(text.trim()))
    }

    pub fn name(self) -> &'static str {
        match self {
            CriterionKind::ClientSubnet => "ClientSubnet",
            CriterionKind::Fqdn => "Fqdn",
            CriterionKind::QType => "QType",
            CriterionKind::ServerInterfaceIP => "ServerInterfaceIP",
            CriterionKind::TransportProtocol => "TransportProtocol",
            CriterionKind::InternetProtocol => "InternetProtocol",
            CriterionKind::TimeOfDay => "TimeOfDay",
        }
    }
}

/// One criterion: the value must be one of `eq` (when any are given) and none of `ne`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Criterion {
    pub kind: CriterionKind,
    pub eq: Vec<String>,
    pub ne: Vec<String>,
}

impl Criterion {
    /// Parses `EQ,a,b;NE,c`; values are checked against what the kind accepts, and client
    /// subnet names against the subnets that exist now (lab choice: a policy naming a subnet that
    /// does not exist could never match).
    pub fn parse(kind: CriterionKind, text: &str, subnets: &ClientSubnets) -> Result<Criterion, PolicyError> {
        let bad = |reason: String| PolicyError::BadCriteria { criterion: kind.name(), text: text.to_string(), reason };
        let mut criterion = Criterion { kind, eq: vec![], ne: vec![] };
        if text.trim().is_empty() {
            return Err(bad("it is empty".into()));
        }
        for (i, section) in text.split(';').enumerate() {
            let mut parts = section.split(',').map(str::trim);
            let operator = parts.next().unwrap_or_default();
            let values: Vec<String> = parts.map(str::to_string).collect();
            let list = match operator.to_ascii_uppercase().as_str() {
                "EQ" => &mut criterion.eq,
                "NE" => &mut criterion.ne,
                "" => return Err(bad(format!("part {} has no operator", i + 1))),
                other => return Err(bad(format!("part {} starts with '{other}' where EQ or NE was expected", i + 1))),
            };
            if values.is_empty() || values.iter().any(String::is_empty) {
                return Err(bad(format!("part {} ('{}') has an empty value", i + 1, section.trim())));
            }
            for value in values {
                check_value(kind, &value, subnets).map_err(|reason| match reason {
                    ValueProblem::Unknown(e) => e,
                    ValueProblem::Malformed(r) => bad(r),
                })?;
                list.push(value);
            }
        }
        Ok(criterion)
    }

    /// The criterion as `EQ,a,b;NE,c`, the format the cmdlet pages give.
    pub fn text(&self) -> String {
        let mut parts = vec![];
        if !self.eq.is_empty() {
            parts.push(format!("EQ,{}", self.eq.join(",")));
        }
        if !self.ne.is_empty() {
            parts.push(format!("NE,{}", self.ne.join(",")));
        }
        parts.join(";")
    }

    pub fn matches(&self, query: &Query, subnets: &ClientSubnets, now: TimeOfDay) -> bool {
        let hit = |value: &String| value_matches(self.kind, value, query, subnets, now);
        (self.eq.is_empty() || self.eq.iter().any(hit)) && !self.ne.iter().any(hit)
    }

    /// The longest prefix of a client subnet named in `eq` that holds the client: how much of
    /// the client's address decided the answer (the ECS scope prefix).
    pub fn deciding_prefix(&self, query: &Query, subnets: &ClientSubnets) -> Option<u8> {
        if self.kind != CriterionKind::ClientSubnet {
            return None;
        }
        self.eq.iter().filter_map(|name| subnets.prefix_holding(name, query.client)).max()
    }
}

enum ValueProblem {
    Unknown(PolicyError),
    Malformed(String),
}

fn check_value(kind: CriterionKind, value: &str, subnets: &ClientSubnets) -> Result<(), ValueProblem> {
    match kind {
        CriterionKind::ClientSubnet => match subnets.get(value) {
            Some(_) => Ok(()),
            None => Err(ValueProblem::Unknown(PolicyError::UnknownClientSubnet { name: value.to_string() })),
        },
        CriterionKind::Fqdn => {
            let name = value.trim_end_matches('.');
            let labels = name.strip_prefix("*.").unwrap_or(name);
            if name == "*" || (!labels.is_empty() && labels.split('.').all(valid_label)) {
                Ok(())
            } else {
                Err(ValueProblem::Malformed(format!("'{value}' is not a name or a wildcard such as *.adatum.biz")))
            }
        }
        CriterionKind::QType => match QTYPES.iter().any(|t| t.eq_ignore_ascii_case(value)) {
            true => Ok(()),
            false => Err(ValueProblem::Malformed(format!("'{value}' is not a record type such as A or AAAA"))),
        },
        CriterionKind::InternetProtocol => match value.to_ascii_uppercase().as_str() {
            "IPV4" | "IPV6" => Ok(()),
            _ => Err(ValueProblem::Malformed(format!("'{value}' is neither IPv4 nor IPv6"))),
        },
        CriterionKind::TimeOfDay => window(value)
            .map(|_| ())
            .ok_or_else(|| ValueProblem::Malformed(format!("'{value}' is not a time window such as 08:00-18:00"))),
        CriterionKind::ServerInterfaceIP => match value.parse::<IpAddr>() {
            Ok(_) => Ok(()),
            Err(_) => Err(ValueProblem::Malformed(format!("'{value}' is not an IP address"))),
        },
        CriterionKind::TransportProtocol => match value.to_ascii_uppercase().as_str() {
            "UDP" | "TCP" => Ok(()),
            _ => Err(ValueProblem::Malformed(format!("'{value}' is neither UDP nor TCP"))),
        },
    }
}

fn valid_label(label: &str) -> bool {
    !label.is_empty() && label.len() <= 63 && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn value_matches(kind: CriterionKind, value: &str, query: &Query, subnets: &ClientSubnets, now: TimeOfDay) -> bool {
    match kind {
        CriterionKind::ClientSubnet => subnets.get(value).is_some_and(|s| s.contains(query.client)),
        CriterionKind::Fqdn => fqdn_matches(value, &query.qname),
        CriterionKind::QType => value.eq_ignore_ascii_case(&query.qtype),
        CriterionKind::ServerInterfaceIP => value.parse::<IpAddr>().is_ok_and(|ip| ip == query.server),
        CriterionKind::TransportProtocol => value.eq_ignore_ascii_case(query.transport.name()),
        CriterionKind::InternetProtocol => {
            let v4 = match query.client {
                IpAddr::V4(_) => true,
                IpAddr::V6(v6) => v6.to_ipv4_mapped().is_some(),
            };
            value.eq_ignore_ascii_case(if v4 { "IPv4" } else { "IPv6" })
        }
        CriterionKind::TimeOfDay => window(value).is_some_and(|(from, to)| within(now, from, to)),
    }
}

/// `08:00-18:00` as two times of day.
fn window(value: &str) -> Option<(TimeOfDay, TimeOfDay)> {
    let (from, to) = value.split_once('-')?;
    Some((from.trim().parse().ok()?, to.trim().parse().ok()?))
}

/// From inclusive, to exclusive; a window whose end is before its start runs over midnight
/// (both lab choices, see docs/design/dns.md).
pub fn within(now: TimeOfDay, from: TimeOfDay, to: TimeOfDay) -> bool {
    if from <= to {
        from <= now && now < to
    } else {
        now >= from || now < to
    }
}

/// `*.adatum.biz` matches adatum.biz itself and every name below it ("MS-DNSP 3.1.8.2 DNS
/// Policy Criteria"); other patterns match the one name. Case and a trailing dot do not matter.
pub fn fqdn_matches(pattern: &str, qname: &str) -> bool {
    let pattern = pattern.trim_end_matches('.').to_ascii_lowercase();
    let qname = qname.trim_end_matches('.').to_ascii_lowercase();
    if pattern == "*" {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(parent) => qname == parent || qname.ends_with(&format!(".{parent}")),
        None => pattern == qname,
    }
}
