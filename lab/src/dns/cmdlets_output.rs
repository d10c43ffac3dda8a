//! What the `DnsServer` cmdlets print, with Windows' property names, and the way back: objects
//! piped from a `Get-` into an `Add-` (or held in a variable) become configuration again.

use super::cmdlets::Args;
use super::handler::RECORD_TTL;
use super::policy::{
    ClientSubnet, CriterionKind, DnsState, NewPolicy, PolicyError, QueryResolutionPolicy, RecordData, Zone, ZoneScope,
};
use crate::runbook::{FormatData, PsObject, Value, View};

/// How the console shows these objects: the DnsServer and DnsClient modules' default views, as
/// their pages' example output shows them (*Get-DnsServerQueryResolutionPolicy* example 4,
/// *Get-DnsServerZoneScope* examples 1 and 2).
pub const FORMAT: FormatData = &[
    (
        "DnsServerZone",
        View::Table(&["ZoneName", "ZoneType", "IsAutoCreated", "IsDsIntegrated", "IsReverseLookupZone", "IsSigned"]),
    ),
    ("DnsServerZoneScope", View::Table(&["ZoneScope", "FileName"])),
    (
        "DnsServerResourceRecord",
        View::Table(&["HostName", "RecordType", "Type", "Timestamp", "TimeToLive", "RecordData"]),
    ),
    ("DnsServerPolicy", View::Table(&["Name", "ProcessingOrder", "IsEnabled", "Action"])),
    ("Microsoft.DnsClient.Commands.DnsRecord_A", View::Table(&["Name", "Type", "TTL", "Section", "IPAddress"])),
    ("Microsoft.DnsClient.Commands.DnsRecord_AAAA", View::Table(&["Name", "Type", "TTL", "Section", "IPAddress"])),
];

fn object(type_name: &str, properties: Vec<(&str, Value)>) -> Value {
    Value::Object(PsObject {
        type_name: type_name.into(),
        properties: properties.into_iter().map(|(k, v)| (k.to_string(), v)).collect(),
    })
}

fn text(s: impl Into<String>) -> Value {
    Value::String(s.into())
}

/// The record type's number (RFC 1035, RFC 3596), which Windows shows as `Type`.
fn type_code(data: &RecordData) -> i64 {
    match data {
        RecordData::A(_) => 1,
        RecordData::Cname(_) => 5,
        RecordData::Aaaa(_) => 28,
    }
}

pub(super) fn zone(z: &Zone) -> Value {
    object(
        "DnsServerZone",
        vec![
            ("ZoneName", text(&z.name)),
            ("ZoneType", text("Primary")),
            ("IsAutoCreated", Value::Bool(false)),
            ("IsDsIntegrated", Value::Bool(z.replication_scope.is_some())),
            ("IsReverseLookupZone", Value::Bool(false)),
            ("IsSigned", Value::Bool(false)),
            ("ReplicationScope", z.replication_scope.clone().map(Value::String).unwrap_or(Value::Null)),
            ("ZoneFile", z.zone_file.clone().map(Value::String).unwrap_or(Value::Null)),
        ],
    )
}

pub(super) fn zone_scope(z: &Zone, s: &ZoneScope) -> Value {
    object(
        "DnsServerZoneScope",
        vec![("ZoneName", text(&z.name)), ("ZoneScope", text(&s.name)), ("FileName", text(format!("{}.dns", s.name)))],
    )
}

pub(super) fn subnet(s: &ClientSubnet) -> Value {
    let list = |v: Vec<String>| {
        if v.is_empty() {
            Value::Null
        } else {
            Value::List(v.into_iter().map(Value::String).collect())
        }
    };
    object(
        "DnsServerClientSubnet",
        vec![
            ("Name", text(&s.name)),
            ("IPV4Subnet", list(s.ipv4.iter().map(|n| n.to_string()).collect())),
            ("IPV6Subnet", list(s.ipv6.iter().map(|n| n.to_string()).collect())),
        ],
    )
}

pub(super) fn record(z: &Zone, owner: &str, data: &RecordData) -> Value {
    let host = z.relative(owner);
    object(
        "DnsServerResourceRecord",
        vec![
            ("DistinguishedName", text(&host)),
            ("HostName", text(host)),
            ("RecordClass", text("IN")),
            ("RecordType", text(data.rrtype())),
            ("Type", Value::Int(type_code(data))),
            ("Timestamp", Value::Int(0)),
            (
                "TimeToLive",
                text(format!("{:02}:{:02}:{:02}", RECORD_TTL / 3600, RECORD_TTL / 60 % 60, RECORD_TTL % 60)),
            ),
            ("RecordData", text(data.text())),
        ],
    )
}

pub(super) fn policy(p: &QueryResolutionPolicy) -> Value {
    object(
        "DnsServerPolicy",
        vec![
            ("Name", text(&p.name)),
            ("Level", text(p.level())),
            ("AppliesOn", text("QueryProcessing")),
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
                        .map(|c| {
                            object(
                                "DnsServerPolicyCriteria",
                                vec![("CriteriaType", text(c.kind.name())), ("Criteria", text(c.text()))],
                            )
                        })
                        .collect(),
                ),
            ),
            (
                "Content",
                Value::List(
                    p.scopes
                        .iter()
                        .map(|s| {
                            object(
                                "DnsServerPolicyContent",
                                vec![("ScopeName", text(&s.scope)), ("Weight", Value::Int(i64::from(s.weight)))],
                            )
                        })
                        .collect(),
                ),
            ),
        ],
    )
}

fn field(o: &PsObject, name: &str) -> Option<String> {
    match o.get(name)? {
        Value::Null => None,
        v => Some(v.display()),
    }
}

fn bad(what: &'static str, o: &PsObject) -> PolicyError {
    PolicyError::BadValue { what, text: o.type_name.clone(), expected: "an object as Get-DnsServer* prints it" }
}

/// A `DnsServerPolicy` object back into a policy to add.
pub(super) fn policy_from_object(o: &PsObject) -> Result<NewPolicy, PolicyError> {
    let list = |name: &str| match o.get(name) {
        Some(Value::List(items)) => items.clone(),
        Some(Value::Object(one)) => vec![Value::Object(one.clone())],
        _ => vec![],
    };
    let mut criteria = vec![];
    for c in list("Criteria") {
        let Value::Object(c) = c else { return Err(bad("policy criteria", o)) };
        let kind = field(&c, "CriteriaType").ok_or_else(|| bad("policy criteria", o))?;
        let kind = CriterionKind::parse(&kind).ok_or(PolicyError::BadValue {
            what: "CriteriaType",
            text: kind,
            expected: "a criterion such as ClientSubnet or Fqdn",
        })?;
        criteria.push((kind, field(&c, "Criteria").ok_or_else(|| bad("policy criteria", o))?));
    }
    let scopes: Vec<String> = list("Content")
        .iter()
        .filter_map(|c| match c {
            Value::Object(c) => {
                Some(format!("{},{}", field(c, "ScopeName")?, field(c, "Weight").unwrap_or_else(|| "1".into())))
            }
            _ => None,
        })
        .collect();
    Ok(NewPolicy {
        name: field(o, "Name").unwrap_or_default(),
        zone: field(o, "ZoneName"),
        action: field(o, "Action"),
        condition: field(o, "Condition"),
        criteria,
        zone_scope: (!scopes.is_empty()).then(|| scopes.join(";")),
        processing_order: field(o, "ProcessingOrder").and_then(|n| n.parse().ok()),
        disabled: matches!(o.get("IsEnabled"), Some(Value::Bool(false))),
    })
}

/// A `DnsServerResourceRecord` object's HostName and data.
pub(super) fn record_from_object(o: &PsObject) -> Result<(String, RecordData), PolicyError> {
    let host = field(o, "HostName").ok_or_else(|| bad("resource record", o))?;
    let rrtype = field(o, "RecordType").ok_or_else(|| bad("resource record", o))?;
    let data = field(o, "RecordData").ok_or_else(|| bad("resource record", o))?;
    let parsed = RecordData::parse(&rrtype, &data).ok_or(PolicyError::BadRecordData { rrtype, text: data })?;
    Ok((host, parsed))
}

/// `Get-DnsServerResourceRecord`.
pub(super) fn records(state: &DnsState, args: &Args) -> Result<Vec<Value>, PolicyError> {
    let z = state.zone(&args.opt("ZoneName").unwrap_or_default())?;
    let scope = z.scope(args.opt("ZoneScope").as_deref())?;
    let only = args.opt("Name").map(|n| z.owner(&n)).transpose()?;
    let rrtype = args.opt("RRType").map(|t| t.to_ascii_uppercase());
    Ok(scope
        .records
        .iter()
        .filter(|(owner, _)| only.as_ref().is_none_or(|o| o == *owner))
        .flat_map(|(owner, records)| records.iter().map(move |data| (owner, data)))
        .filter(|(_, data)| rrtype.as_ref().is_none_or(|t| t == data.rrtype()))
        .map(|(owner, data)| record(&z, owner, data))
        .collect())
}

/// `Get-DnsServerQueryResolutionPolicy`.
pub(super) fn policies(state: &DnsState, args: &Args) -> Result<Vec<Value>, PolicyError> {
    let zone = args.opt("ZoneName");
    if let Some(name) = args.opt("Name") {
        return Ok(vec![policy(state.policy(&name, zone.as_deref())?)]);
    }
    let zone = zone.map(|z| state.zone(&z).map(|z| z.name.clone())).transpose()?;
    Ok(state.policies().into_iter().filter(|p| p.zone == zone).map(policy).collect())
}

/// `Get-DnsServerClientSubnet`.
pub(super) fn client_subnets(state: &DnsState, args: &Args) -> Result<Vec<Value>, PolicyError> {
    Ok(match args.opt("Name") {
        Some(n) => vec![subnet(
            state.subnets().get(n.trim()).ok_or_else(|| PolicyError::UnknownClientSubnet { name: n.clone() })?,
        )],
        None => state.subnets().all().map(subnet).collect(),
    })
}

/// `Get-DnsServerZoneScope`.
pub(super) fn zone_scopes(state: &DnsState, args: &Args) -> Result<Vec<Value>, PolicyError> {
    let z = state.zone(&args.opt("ZoneName").unwrap_or_default())?;
    Ok(match args.opt("Name") {
        Some(n) => vec![zone_scope(&z, z.scope(Some(&n))?)],
        // The default scope first (lab choice).
        None => z
            .scopes
            .values()
            .filter(|s| s.name == z.name)
            .chain(z.scopes.values().filter(|s| s.name != z.name))
            .map(|s| zone_scope(&z, s))
            .collect(),
    })
}

/// `Get-DnsServerZone`.
pub(super) fn zones(state: &DnsState, args: &Args) -> Result<Vec<Value>, PolicyError> {
    Ok(match args.opt("Name") {
        Some(n) => match state.forwarders().zone(&n) {
            Some((name, masters)) => vec![super::cmdlets_forwarders::forwarder_zone(name, masters)],
            None => vec![zone(&*state.zone(&n)?)],
        },
        None => {
            // Conditional forwarders are zones too (ZoneType Forwarder), listed by name with the rest.
            let mut all: Vec<(String, Value)> = state.zones().iter().map(|z| (z.name.clone(), zone(z))).collect();
            all.extend(
                state
                    .forwarders()
                    .zones
                    .iter()
                    .map(|(name, masters)| (name.clone(), super::cmdlets_forwarders::forwarder_zone(name, masters))),
            );
            all.sort_by(|a, b| a.0.cmp(&b.0));
            all.into_iter().map(|(_, z)| z).collect()
        }
    })
}

#[cfg(test)]
mod tests {
    use super::super::cmdlets::{specs, DnsExecutor};
    use super::*;
    use std::sync::Arc;

    /// A runbook's `Get-` lines print the module's default views: the pages' tables.
    #[test]
    fn the_get_cmdlets_print_the_modules_default_views() {
        let e = DnsExecutor::new(Arc::default());
        let table = crate::runbook::CmdletTable::new().with(specs(), Some(Arc::new(e))).with_views(FORMAT);
        let script = "Add-DnsServerPrimaryZone contoso.com\nAdd-DnsServerZoneScope contoso.com contoso_Europe\nAdd-DnsServerQueryResolutionPolicy -Name DropPolicy -Action IGNORE -QType 'EQ,ANY'\nGet-DnsServerZoneScope -ZoneName contoso.com\nGet-DnsServerQueryResolutionPolicy -Name DropPolicy\nAdd-DnsServerClientSubnet -Name EuropeSubnet -IPv4Subnet 141.1.0.0/24 -PassThru";
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        let text = rt.block_on(crate::runbook::run(script, &table)).unwrap().render();
        for shown in [
            "PS> Get-DnsServerZoneScope -ZoneName contoso.com\n\nZoneScope      FileName\n---------      --------\ncontoso.com    contoso.com.dns\ncontoso_Europe contoso_Europe.dns\n\n",
            "PS> Get-DnsServerQueryResolutionPolicy -Name DropPolicy\n\nName       ProcessingOrder IsEnabled Action\n----       --------------- --------- ------\nDropPolicy               1 True      Ignore\n\n",
            // No format data for client subnets: three properties make a table.
            "\n\nName         IPV4Subnet     IPV6Subnet\n----         ----------     ----------\nEuropeSubnet {141.1.0.0/24}\n",
        ] {
            assert!(text.contains(shown), "expected\n{shown}\nin\n{text}");
        }
    }
}
