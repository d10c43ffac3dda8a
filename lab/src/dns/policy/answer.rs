//! The answer one zone scope gives: the records at the name, a CNAME followed within the same
//! scope, a wildcard synthesised per RFC 4592, NODATA or NXDOMAIN.

use super::query::Query;
use super::zone::{RecordData, Zone, ZoneScope};

/// One record of an answer, owner included (a CNAME chain has several owners).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnswerRecord {
    /// Lower case, no trailing dot.
    pub owner: String,
    pub data: RecordData,
}

/// The zone data an answer comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Answered {
    pub zone: String,
    /// The zone's SOA serial (the SOA goes in the authority section of NXDOMAIN and NODATA).
    pub serial: u32,
    pub scope: String,
    /// Empty for NODATA (and for NXDOMAIN).
    pub records: Vec<AnswerRecord>,
    /// A SOA question at the apex: the SOA is the answer.
    pub soa_in_answer: bool,
    /// How many bits of the client's address decided the answer (RFC 7871 scope prefix), when
    /// a client subnet did.
    pub deciding_prefix: Option<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// NOERROR, with these records (none = NODATA).
    Records(Answered),
    NxDomain(Answered),
    Refused,
    ServFail,
    /// No response at all.
    Ignore,
    /// Not answered here: asked of these forwarders, in order (a conditional forwarder zone's
    /// master servers, or the server's forwarders for a name outside its zones).
    Forward(Vec<std::net::IpAddr>),
}

/// A CNAME chain longer than this is answered as far as it got (lab choice; it also stops loops).
const MAX_CHAIN: usize = 8;

/// The records at `name` in `scope`, synthesised from the closest encloser's wildcard when the
/// name itself does not exist (RFC 4592 §3.3.1). `None`: no such name.
fn records_at<'a>(zone: &Zone, scope: &'a ZoneScope, name: &str) -> Option<&'a [RecordData]> {
    if let Some(list) = scope.records.get(name) {
        return Some(list);
    }
    if scope.has_node(name) || name == zone.name {
        return Some(&[]);
    }
    // The closest encloser is the longest existing ancestor; only its wildcard applies.
    let mut ancestor = name;
    while let Some((_, parent)) = ancestor.split_once('.') {
        if parent.len() < zone.name.len() {
            break;
        }
        if parent == zone.name || scope.has_node(parent) {
            return scope.records.get(&format!("*.{parent}")).map(Vec::as_slice);
        }
        ancestor = parent;
    }
    None
}

fn wanted(data: &RecordData, qtype: &str) -> bool {
    qtype == "ANY" || data.rrtype() == qtype
}

pub(super) fn from_scope(zone: &Zone, scope: &str, deciding_prefix: Option<u8>, query: &Query) -> Resolution {
    let Ok(scope) = zone.scope(Some(scope)) else {
        // Removing a scope a policy answers from is refused, so this cannot happen; fail
        // loudly rather than answer from elsewhere.
        return Resolution::ServFail;
    };
    let mut answered = Answered {
        zone: zone.name.clone(),
        serial: zone.serial,
        scope: scope.name.clone(),
        records: vec![],
        soa_in_answer: false,
        deciding_prefix,
    };
    let mut name = query.qname.clone();
    for hop in 0..=MAX_CHAIN {
        let Some(list) = records_at(zone, scope, &name) else {
            // A dangling alias inside the zone still answers with the chain so far.
            return if hop == 0 { Resolution::NxDomain(answered) } else { Resolution::Records(answered) };
        };
        if hop == 0 && query.qtype == "SOA" && name == zone.name {
            answered.soa_in_answer = true;
        }
        let alias = list.iter().find_map(|d| match d {
            RecordData::Cname(target) if query.qtype != "CNAME" => Some(target.clone()),
            _ => None,
        });
        match alias {
            Some(target) => {
                answered.records.push(AnswerRecord { owner: name.clone(), data: RecordData::Cname(target.clone()) });
                if !zone.holds(&target) || hop == MAX_CHAIN {
                    break;
                }
                name = target;
            }
            None => {
                answered.records.extend(
                    list.iter()
                        .filter(|d| wanted(d, &query.qtype))
                        .map(|d| AnswerRecord { owner: name.clone(), data: d.clone() }),
                );
                break;
            }
        }
    }
    Resolution::Records(answered)
}
