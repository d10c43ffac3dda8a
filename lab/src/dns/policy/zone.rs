//! Primary zones, their scopes and the A records each scope holds.

use super::error::PolicyError;
use std::collections::BTreeMap;
use std::net::Ipv4Addr;

/// One zone scope: an independent copy of the zone's names.
#[derive(Debug, Clone, Default)]
pub struct ZoneScope {
    /// As the admin spelled it.
    pub name: String,
    /// Owner FQDN (lower case, no trailing dot) → addresses in the order they were added.
    pub a: BTreeMap<String, Vec<Ipv4Addr>>,
}

#[derive(Debug, Clone)]
pub struct Zone {
    /// Lower case, no trailing dot.
    pub name: String,
    /// Accepted for fidelity with Windows; the lab keeps zones in memory only.
    pub zone_file: Option<String>,
    pub replication_scope: Option<String>,
    /// By lower-case name; the default scope's name is the zone's.
    pub scopes: BTreeMap<String, ZoneScope>,
    /// Bumped on every change, shown in the SOA.
    pub serial: u32,
}

impl Zone {
    pub fn new(name: &str, zone_file: Option<String>, replication_scope: Option<String>) -> Result<Zone, PolicyError> {
        let canonical = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let valid = !canonical.is_empty()
            && canonical.split('.').all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'));
        if !valid {
            return Err(PolicyError::BadZoneName { name: name.to_string() });
        }
        let default = ZoneScope { name: canonical.clone(), a: BTreeMap::new() };
        Ok(Zone { scopes: BTreeMap::from([(canonical.clone(), default)]), name: canonical, zone_file, replication_scope, serial: 1 })
    }

    /// Whether `qname` (lower case, no trailing dot) is the zone's apex or below it.
    pub fn holds(&self, qname: &str) -> bool {
        qname == self.name || qname.ends_with(&format!(".{}", self.name))
    }

    /// `-ZoneScope` absent means the default scope.
    pub fn scope(&self, scope: Option<&str>) -> Result<&ZoneScope, PolicyError> {
        let key = scope.unwrap_or(&self.name).trim().to_ascii_lowercase();
        self.scopes.get(&key).ok_or_else(|| PolicyError::UnknownZoneScope { zone: self.name.clone(), scope: scope.unwrap_or_default().trim().to_string() })
    }

    pub fn scope_mut(&mut self, scope: Option<&str>) -> Result<&mut ZoneScope, PolicyError> {
        let key = scope.unwrap_or(&self.name).to_ascii_lowercase();
        let zone = self.name.clone();
        self.scopes.get_mut(&key).ok_or(PolicyError::UnknownZoneScope { zone, scope: scope.unwrap_or_default().to_string() })
    }

    pub fn add_scope(&mut self, name: &str) -> Result<(), PolicyError> {
        let key = name.trim().to_ascii_lowercase();
        if key == self.name {
            return Err(PolicyError::ScopeNamedAfterZone { zone: self.name.clone(), scope: name.to_string() });
        }
        if key.is_empty() {
            return Err(PolicyError::BadValue { what: "zone scope name", text: name.into(), expected: "a non-empty name such as AmsterdamZoneScope" });
        }
        if self.scopes.contains_key(&key) {
            return Err(PolicyError::DuplicateZoneScope { zone: self.name.clone(), scope: name.to_string() });
        }
        self.scopes.insert(key, ZoneScope { name: name.trim().to_string(), a: BTreeMap::new() });
        self.serial += 1;
        Ok(())
    }

    /// `hybridvoice` → `hybridvoice.adatum.biz`; `@` → the apex; a name already ending in the
    /// zone (lab choice) is taken as a full name.
    pub fn owner(&self, name: &str) -> Result<String, PolicyError> {
        let n = name.trim().trim_end_matches('.').to_ascii_lowercase();
        let full = if n == "@" || n == self.name {
            self.name.clone()
        } else if n.ends_with(&format!(".{}", self.name)) {
            n
        } else {
            format!("{n}.{}", self.name)
        };
        let relative = full.strip_suffix(&self.name).unwrap_or_default().trim_end_matches('.');
        let ok = relative.is_empty()
            || relative.split('.').all(|l| !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '*'));
        if ok && full.len() <= 253 {
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
