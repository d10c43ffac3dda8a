//! What the `Get-DnsServer*` cmdlets print: objects with Windows' property names.

use super::cmdlets::Args;
use super::handler::RECORD_TTL;
use super::policy::{DnsState, PolicyError, RecordData};
use crate::runbook::{CmdletOutput, PsObject, Value};

fn object(type_name: &str, properties: Vec<(&str, Value)>) -> Value {
    Value::Object(PsObject {
        type_name: type_name.into(),
        properties: properties.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    })
}

/// The record type's number (RFC 1035, RFC 3596), which Windows shows as `Type`.
fn type_code(data: &RecordData) -> i64 {
    match data {
        RecordData::A(_) => 1,
        RecordData::Cname(_) => 5,
        RecordData::Aaaa(_) => 28,
    }
}

fn text(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

pub(super) fn get(state: &DnsState, cmdlet: &str, args: &Args) -> Result<CmdletOutput, PolicyError> {
    let objects = match cmdlet {
        "Get-DnsServerResourceRecord" => {
            let zone = state.zone(&args.opt("ZoneName").unwrap_or_default())?;
            let scope = zone.scope(args.opt("ZoneScope").as_deref())?;
            let only = args.opt("Name").map(|n| zone.owner(&n)).transpose()?;
            scope
                .records
                .iter()
                .filter(|(owner, _)| only.as_ref().is_none_or(|o| o == *owner))
                .flat_map(|(owner, records)| {
                    records.iter().map(move |data| {
                        object(
                            "DnsServerResourceRecord",
                            vec![
                                ("HostName", text(zone.relative(owner))),
                                ("RecordType", text(data.rrtype())),
                                ("Type", Value::Int(type_code(data))),
                                ("Timestamp", Value::Int(0)),
                                ("TimeToLive", text(format!("{:02}:{:02}:{:02}", RECORD_TTL / 3600, RECORD_TTL / 60 % 60, RECORD_TTL % 60))),
                                ("RecordData", text(data.text())),
                            ],
                        )
                    })
                })
                .collect()
        }
        "Get-DnsServerQueryResolutionPolicy" => {
            let zone = args.opt("ZoneName").map(|z| state.zone(&z).map(|z| z.name.clone())).transpose()?;
            state
                .policies()
                .into_iter()
                .filter(|p| p.zone == zone)
                .map(|p| {
                    object(
                        "DnsServerPolicy",
                        vec![
                            ("Name", text(&p.name)),
                            ("Level", text(if p.zone.is_some() { "Zone" } else { "Server" })),
                            ("ZoneName", p.zone.clone().map(Value::String).unwrap_or(Value::Null)),
                            ("ProcessingOrder", Value::Int(i64::from(p.processing_order))),
                            ("IsEnabled", Value::Bool(p.enabled)),
                            ("Action", text(p.action.name())),
                            ("Condition", text(p.condition.name())),
                            (
                                "Criteria",
                                Value::List(
                                    p.criteria
                                        .iter()
                                        .map(|c| object("DnsServerPolicyCriteria", vec![("CriteriaType", text(c.kind.name())), ("Criteria", text(c.text()))]))
                                        .collect(),
                                ),
                            ),
                            (
                                "Content",
                                Value::List(
                                    p.scopes
                                        .iter()
                                        .map(|s| object("DnsServerPolicyContent", vec![("ScopeName", text(&s.scope)), ("Weight", Value::Int(i64::from(s.weight)))]))
                                        .collect(),
                                ),
                            ),
                        ],
                    )
                })
                .collect()
        }
        "Get-DnsServerZone" => {
            let only = args.opt("Name").map(|n| state.zone(&n).map(|z| z.name.clone())).transpose()?;
            state
                .zones()
                .filter(|z| only.as_ref().is_none_or(|o| o == &z.name))
                .map(|z| {
                    object(
                        "DnsServerPrimaryZone",
                        vec![
                            ("ZoneName", text(&z.name)),
                            ("ZoneType", text("Primary")),
                            ("IsAutoCreated", Value::Bool(false)),
                            ("IsDsIntegrated", Value::Bool(z.replication_scope.is_some())),
                            ("IsReverseLookupZone", Value::Bool(false)),
                            ("IsSigned", Value::Bool(false)),
                        ],
                    )
                })
                .collect()
        }
        "Get-DnsServerZoneScope" => {
            let zone = state.zone(&args.opt("ZoneName").unwrap_or_default())?;
            let only = args.opt("Name").map(|n| zone.scope(Some(&n)).map(|s| s.name.clone())).transpose()?;
            zone.scopes
                .values()
                .filter(|s| only.as_ref().is_none_or(|o| o == &s.name))
                .map(|s| object("DnsServerZoneScope", vec![("ZoneScope", text(&s.name)), ("FileName", text(format!("{}.dns", s.name)))]))
                .collect()
        }
        "Get-DnsServerClientSubnet" => {
            let name = args.opt("Name");
            if let Some(n) = &name {
                state.subnets().get(n).ok_or_else(|| PolicyError::UnknownClientSubnet { name: n.clone() })?;
            }
            state
                .subnets()
                .all()
                .filter(|s| name.as_ref().is_none_or(|n| n.eq_ignore_ascii_case(&s.name)))
                .map(|s| {
                    let list = |v: Vec<String>| if v.is_empty() { Value::Null } else { Value::List(v.into_iter().map(Value::String).collect()) };
                    object(
                        "DnsServerClientSubnet",
                        vec![
                            ("Name", text(&s.name)),
                            ("IPV4Subnet", list(s.ipv4.iter().map(|n| n.to_string()).collect())),
                            ("IPV6Subnet", list(s.ipv6.iter().map(|n| n.to_string()).collect())),
                        ],
                    )
                })
                .collect()
        }
        _ => vec![],
    };
    Ok(CmdletOutput { objects, warnings: vec![] })
}
