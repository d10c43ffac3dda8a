//! Primary zones, their scopes and the records each scope holds.

use super::error::PolicyError;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// The record types the lab's zones hold.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RecordData {
    A(Ipv4Addr),
    Aaaa(Ipv6Addr),
    /// The alias target: a full name, lower case, no trailing dot.
    Cname(String),
}

impl RecordData {
    /// The type as `-RRType` spells it.
    pub fn rrtype(&self) -> &'static str {
        match self {
            RecordData::A(_) => "A",
            RecordData::Aaaa(_) => "AAAA",
            RecordData::Cname(_) => "CNAME",
        }
    }

    /// The record's data as `-RecordData` and `Get-DnsServerResourceRecord` write it.
    pub fn text(&self) -> String {
        match self {
            RecordData::A(ip) => ip.to_string(),
            RecordData::Aaaa(ip) => ip.to_string(),
            RecordData::Cname(target) => format!("{target}."),
        }
    }

    /// Parses `-RecordData` for a type; `None` when the text is not data of that type.
    pub fn parse(rrtype: &str, text: &str) -> Option<RecordData> {
        let text = text.trim();
        match rrtype.trim().to_ascii_uppercase().as_str() {
            "A" => text.parse().ok().map(RecordData::A),
            "AAAA" => text.parse().ok().map(RecordData::Aaaa),
            "CNAME" => {
                let target = text.trim_end_matches('.').to_ascii_lowercase();
                valid_name(&target, false).then_some(RecordData::Cname(target))
            }
            _ => None,
        }
    }
}

/// Record types the cmdlets take, upper case.
pub const RECORD_TYPES: &[&str] = &["A", "AAAA", "CNAME"];

/// One zone scope: an independent copy of the zone's names.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ZoneScope {
    /// As the admin spelled it.
    pub name: String,
    /// Owner FQDN (lower case, no trailing dot; `*.x` for a wildcard) → records in the order
    /// they were added.
    pub records: BTreeMap<String, Vec<RecordData>>,
}

impl ZoneScope {
    /// Whether a node exists at `name`: it owns records, or a name below it does (an empty
    /// non-terminal exists too, RFC 4592 §2.2.2).
    pub fn has_node(&self, name: &str) -> bool {
        let below = format!(".{name}");
        self.records.contains_key(name) || self.records.keys().any(|owner| owner.ends_with(&below))
    }
}

/// Serialized when a domain controller in its own process replicates it to the others.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Zone {
    /// Lower case, no trailing dot.
    pub name: String,
    /// Accepted for fidelity with Windows; the lab keeps zones in memory only.
    pub zone_file: Option<String>,
    pub replication_scope: Option<String>,
    /// By lower-case name; the default scope's name is the zone's. Every change stores a new
    /// copy of the zone (the directory keeps the copies other servers still see, and a failed
    /// change leaves the zone as it was): shared scopes keep that copy to one per scope rather
    /// than one per record, and a change copies only the scope it changes ([`Zone::scope_mut`]).
    #[serde(with = "shared_scopes")]
    pub scopes: BTreeMap<String, Arc<ZoneScope>>,
    /// Bumped on every change, shown in the SOA.
    pub serial: u32,
}

fn valid_label(l: &str, wildcard: bool) -> bool {
    (wildcard && l == "*")
        || (!l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'))
}

fn valid_name(name: &str, wildcard_first: bool) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name.split('.').enumerate().all(|(i, l)| valid_label(l, wildcard_first && i == 0))
}

impl Zone {
    pub fn new(name: &str, zone_file: Option<String>, replication_scope: Option<String>) -> Result<Zone, PolicyError> {
        let canonical = name.trim().trim_end_matches('.').to_ascii_lowercase();
        if !valid_name(&canonical, false) {
            return Err(PolicyError::BadZoneName { name: name.to_string() });
        }
        let default = ZoneScope { name: canonical.clone(), records: BTreeMap::new() };
        Ok(Zone {
            scopes: BTreeMap::from([(canonical.clone(), Arc::new(default))]),
            name: canonical,
            zone_file,
            replication_scope,
            serial: 1,
        })
    }

    /// Whether `qname` (lower case, no trailing dot) is the zone's apex or below it.
    pub fn holds(&self, qname: &str) -> bool {
        qname == self.name || qname.ends_with(&format!(".{}", self.name))
    }

    /// `-ZoneScope` absent means the default scope.
    pub fn scope(&self, scope: Option<&str>) -> Result<&ZoneScope, PolicyError> {
        let key = scope.unwrap_or(&self.name).trim().to_ascii_lowercase();
        self.scopes.get(&key).map(|s| &**s).ok_or_else(|| PolicyError::UnknownZoneScope {
            zone: self.name.clone(),
            scope: scope.unwrap_or_default().trim().to_string(),
        })
    }

    /// The scope to change: its own copy when another copy of the zone shares it.
    pub fn scope_mut(&mut self, scope: Option<&str>) -> Result<&mut ZoneScope, PolicyError> {
        let key = scope.unwrap_or(&self.name).trim().to_ascii_lowercase();
        match self.scopes.get_mut(&key) {
            Some(s) => Ok(Arc::make_mut(s)),
            None => Err(PolicyError::UnknownZoneScope {
                zone: self.name.clone(),
                scope: scope.unwrap_or_default().trim().to_string(),
            }),
        }
    }

    pub fn add_scope(&mut self, name: &str) -> Result<(), PolicyError> {
        let key = name.trim().to_ascii_lowercase();
        if key == self.name {
            return Err(PolicyError::ScopeNamedAfterZone { zone: self.name.clone(), scope: name.to_string() });
        }
        if key.is_empty() {
            return Err(PolicyError::BadValue {
                what: "zone scope name",
                text: name.into(),
                expected: "a non-empty name such as AmsterdamZoneScope",
            });
        }
        if self.scopes.contains_key(&key) {
            return Err(PolicyError::DuplicateZoneScope { zone: self.name.clone(), scope: name.to_string() });
        }
        self.scopes.insert(key, Arc::new(ZoneScope { name: name.trim().to_string(), records: BTreeMap::new() }));
        self.serial += 1;
        Ok(())
    }

    /// `hybridvoice` → `hybridvoice.adatum.biz`; `@` → the apex; `*` → the apex wildcard; a name
    /// already ending in the zone (lab choice) is taken as a full name.
    pub fn owner(&self, name: &str) -> Result<String, PolicyError> {
        let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let full = if n == "@" || n == self.name {
            self.name.clone()
        } else if n.ends_with(&format!(".{}", self.name)) {
            n
        } else {
            format!("{n}.{}", self.name)
        };
        if valid_name(&full, true) {
            Ok(full)
        } else {
            Err(PolicyError::BadRecordName { zone: self.name.clone(), name: name.to_string() })
        }
    }

    /// `name` relative to the zone, as Windows shows HostName (`@` for the apex).
    pub fn relative(&self, owner: &str) -> String {
        match owner.strip_suffix(&format!(".{}", self.name)) {
            Some(r) => r.to_string(),
            None => "@".to_string(),
        }
    }
}

/// The scopes as they were written before they were shared: a map of scopes by name.
mod shared_scopes {
    use super::ZoneScope;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;
    use std::sync::Arc;

    pub fn serialize<S: Serializer>(scopes: &BTreeMap<String, Arc<ZoneScope>>, to: S) -> Result<S::Ok, S::Error> {
        let plain: BTreeMap<&String, &ZoneScope> = scopes.iter().map(|(k, v)| (k, &**v)).collect();
        plain.serialize(to)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(from: D) -> Result<BTreeMap<String, Arc<ZoneScope>>, D::Error> {
        let plain = BTreeMap::<String, ZoneScope>::deserialize(from)?;
        Ok(plain.into_iter().map(|(k, v)| (k, Arc::new(v))).collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn zone_with_two_scopes() -> Zone {
        let mut z = Zone::new("adatum.biz", None, Some("Forest".into())).unwrap();
        z.add_scope("AmsterdamZoneScope").unwrap();
        z.add_scope("SeattleZoneScope").unwrap();
        let a = RecordData::A("10.10.0.10".parse().unwrap());
        z.scope_mut(Some("AmsterdamZoneScope")).unwrap().records.insert("hybridvoice.adatum.biz".into(), vec![a]);
        z
    }

    #[test]
    fn a_change_to_a_copy_copies_only_the_scope_it_changes() {
        let original = zone_with_two_scopes();
        let mut copy = original.clone();
        let b = RecordData::A("10.10.0.11".parse().unwrap());
        copy.scope_mut(Some("amsterdamzonescope")).unwrap().records.get_mut("hybridvoice.adatum.biz").unwrap().push(b);
        assert_eq!(original.scope(Some("AmsterdamZoneScope")).unwrap().records["hybridvoice.adatum.biz"].len(), 1);
        assert_eq!(copy.scope(Some("AmsterdamZoneScope")).unwrap().records["hybridvoice.adatum.biz"].len(), 2);
        assert!(!Arc::ptr_eq(&original.scopes["amsterdamzonescope"], &copy.scopes["amsterdamzonescope"]));
        assert!(Arc::ptr_eq(&original.scopes["seattlezonescope"], &copy.scopes["seattlezonescope"]), "still shared");
        assert!(Arc::ptr_eq(&original.scopes["adatum.biz"], &copy.scopes["adatum.biz"]), "still shared");
    }

    #[test]
    fn scopes_are_written_and_read_as_a_map_of_scopes_by_name() {
        let z = zone_with_two_scopes();
        let json = serde_json::to_value(&z).unwrap();
        assert_eq!(json["scopes"]["amsterdamzonescope"]["name"], "AmsterdamZoneScope");
        assert_eq!(json["scopes"]["amsterdamzonescope"]["records"]["hybridvoice.adatum.biz"][0]["A"], "10.10.0.10");
        assert_eq!(json["scopes"]["adatum.biz"]["records"], serde_json::json!({}));
        let read: Zone = serde_json::from_value(json).unwrap();
        assert_eq!(read.scopes.keys().collect::<Vec<_>>(), z.scopes.keys().collect::<Vec<_>>());
        assert_eq!(
            read.scope(Some("AmsterdamZoneScope")).unwrap().records,
            z.scope(Some("AmsterdamZoneScope")).unwrap().records
        );
    }
}
