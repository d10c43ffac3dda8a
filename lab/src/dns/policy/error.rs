//! Why the DNS server refused a configuration change, in the words Windows DNS Server uses
//! (object names quoted, what was expected and what was given).

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PolicyError {
    #[error("The zone {zone} was not found on the DNS server.")]
    UnknownZone { zone: String },
    #[error("The zone {zone} was not found on the DNS server: it was added on {origin} and reaches this server by Active Directory replication at {at} (lab time).")]
    NotReplicatedYet { zone: String, origin: String, at: String },
    #[error("The zone {zone} already exists on the DNS server.")]
    DuplicateZone { zone: String },
    #[error("'{name}' is not a valid zone name: expected a DNS name such as adatum.biz.")]
    BadZoneName { name: String },
    #[error("The zone scope {scope} cannot be added to zone {zone}: every zone already has a default scope named after the zone.")]
    ScopeNamedAfterZone { zone: String, scope: String },
    #[error("The zone scope {scope} already exists in zone {zone}.")]
    DuplicateZoneScope { zone: String, scope: String },
    #[error("The zone scope {scope} was not found in zone {zone}.")]
    UnknownZoneScope { zone: String, scope: String },
    #[error("The client subnet {name} already exists on the DNS server.")]
    DuplicateClientSubnet { name: String },
    #[error("The client subnet {name} was not found on the DNS server.")]
    UnknownClientSubnet { name: String },
    #[error("'{text}' is not a valid {family} subnet: expected an address and a prefix length such as {example}.")]
    BadSubnet { text: String, family: &'static str, example: &'static str },
    #[error("A client subnet needs at least one IPv4Subnet or IPv6Subnet.")]
    EmptyClientSubnet,
    #[error("'{text}' is not a valid IPv4 address for an A record.")]
    BadAddress { text: String },
    #[error("'{name}' is not a valid record name in zone {zone}.")]
    BadRecordName { zone: String, name: String },
    #[error("The {rrtype} record {name} with data {data} already exists in scope {scope} of zone {zone}.")]
    DuplicateRecord { zone: String, scope: String, name: String, rrtype: &'static str, data: String },
    #[error("'{text}' is not valid data for a {rrtype} record.")]
    BadRecordData { rrtype: String, text: String },
    #[error("The name {name} in zone {zone} cannot hold a CNAME record together with other records.")]
    CnameConflict { zone: String, name: String },
    #[error("A {from} record cannot be changed into a {to} record: remove it and add the new one.")]
    RecordTypeChange { from: &'static str, to: &'static str },
    #[error("The default zone scope of zone {zone} cannot be removed: remove the zone instead.")]
    DefaultScopeRemoval { zone: String },
    #[error("The zone scope {scope} of zone {zone} is used by query resolution policy {policy}: change or remove the policy first.")]
    ZoneScopeInUse { zone: String, scope: String, policy: String },
    #[error(
        "The client subnet {name} is used by query resolution policy {policy}: change or remove the policy first."
    )]
    ClientSubnetInUse { name: String, policy: String },
    #[error("The client subnet {name} does not contain {subnet}.")]
    SubnetNotInClientSubnet { name: String, subnet: String },
    #[error(
        "A query resolution policy with action {action} answers from no zone scope: -ZoneScope goes with ALLOW only."
    )]
    ScopeWithoutAllow { action: String },
    #[error("A server-level query resolution policy (no -ZoneName) has no zone scopes: -ZoneScope needs -ZoneName.")]
    ServerLevelScope,
    #[error("Failed to find the resource record {name} of type {rrtype} in scope {scope} of zone {zone}.")]
    RecordNotFound { zone: String, scope: String, name: String, rrtype: String },
    #[error("The record type {rrtype} is not supported by this DNS server: only A, AAAA and CNAME records can be added or removed.")]
    UnsupportedRecordType { rrtype: String },
    #[error("The query resolution policy {name} already exists{level}.")]
    DuplicatePolicy { name: String, level: String },
    #[error("The query resolution policy {name} was not found{level}.")]
    UnknownPolicy { name: String, level: String },
    #[error("The processing order must be 1 or more, not {order}.")]
    BadProcessingOrder { order: i64 },
    #[error("The {criterion} criteria '{text}' is not valid: {reason}. Expected for example \"EQ,value1,value2;NE,value3\".")]
    BadCriteria { criterion: &'static str, text: String, reason: String },
    #[error("The zone scope list '{text}' is not valid: {reason}. Expected for example \"AmsterdamZoneScope,1;SeattleZoneScope,2\".")]
    BadZoneScopeList { text: String, reason: String },
    #[error("A query resolution policy with action ALLOW needs -ZoneScope.")]
    AllowWithoutScope,
    #[error("A server-level query resolution policy (no -ZoneName) can only DENY or IGNORE, not {action}.")]
    ServerLevelAllow { action: String },
    #[error("The forwarder {address} was not found on the DNS server.")]
    UnknownForwarder { address: String },
    #[error("'{text}' is not a valid {what}: expected {expected}.")]
    BadValue { what: &'static str, text: String, expected: &'static str },
}
