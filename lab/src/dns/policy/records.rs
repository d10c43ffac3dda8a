//! The record verbs: `Add-`, `Remove-` and `Set-DnsServerResourceRecord` on one zone scope.

use super::zone::{RecordData, Zone, RECORD_TYPES};
use super::{DnsState, PolicyError};

fn rrtype_of(text: &str) -> Result<String, PolicyError> {
    let upper = text.trim().to_ascii_uppercase();
    if RECORD_TYPES.contains(&upper.as_str()) {
        Ok(upper)
    } else {
        Err(PolicyError::UnsupportedRecordType { rrtype: text.trim().into() })
    }
}

fn parse_data(rrtype: &str, text: &str) -> Result<RecordData, PolicyError> {
    RecordData::parse(rrtype, text)
        .ok_or_else(|| PolicyError::BadRecordData { rrtype: rrtype.into(), text: text.trim().into() })
}

impl DnsState {
    /// Adds one record. A CNAME shares its name with no other record (RFC 1034 §3.6.2), so the
    /// lab refuses a CNAME beside other data and other data beside a CNAME.
    pub fn add_record(
        &mut self,
        zone: &str,
        scope: Option<&str>,
        name: &str,
        data: RecordData,
    ) -> Result<(), PolicyError> {
        self.edit_zone(zone, |z| add_to(z, scope, name, data))
    }

    /// Kept for callers that add A records by text.
    pub fn add_a(&mut self, zone: &str, scope: Option<&str>, name: &str, address: &str) -> Result<(), PolicyError> {
        let data = RecordData::parse("A", address).ok_or_else(|| PolicyError::BadAddress { text: address.into() })?;
        self.add_record(zone, scope, name, data)
    }

    /// Removes the records of one type at a name in one scope: those whose data is listed, or
    /// all of them when `data` is empty ("Remove-DnsServerResourceRecord"). Returns how many.
    pub fn remove_records(
        &mut self,
        zone: &str,
        scope: Option<&str>,
        rrtype: &str,
        name: &str,
        data: &[String],
    ) -> Result<usize, PolicyError> {
        let rrtype = rrtype_of(rrtype)?;
        let wanted = data.iter().map(|d| parse_data(&rrtype, d)).collect::<Result<Vec<_>, _>>()?;
        self.edit_zone(zone, |z| remove_from(z, scope, &rrtype, name, &wanted))
    }

    /// Replaces one record's data by another of the same type, as
    /// `Set-DnsServerResourceRecord -OldInputObject -NewInputObject` does.
    pub fn set_record(
        &mut self,
        zone: &str,
        scope: Option<&str>,
        name: &str,
        old: &RecordData,
        new: RecordData,
    ) -> Result<(), PolicyError> {
        if old.rrtype() != new.rrtype() {
            return Err(PolicyError::RecordTypeChange { from: old.rrtype(), to: new.rrtype() });
        }
        self.edit_zone(zone, |z| replace_in(z, scope, name, old, new))
    }
}

fn add_to(zone: &mut Zone, scope: Option<&str>, name: &str, data: RecordData) -> Result<(), PolicyError> {
    let owner = zone.owner(name)?;
    let zone_name = zone.name.clone();
    let s = zone.scope_mut(scope)?;
    let list = s.records.entry(owner.clone()).or_default();
    if list.contains(&data) {
        return Err(PolicyError::DuplicateRecord {
            zone: zone_name.clone(),
            scope: s_name(scope, &zone_name),
            name: owner,
            rrtype: data.rrtype(),
            data: data.text(),
        });
    }
    let is_cname = matches!(data, RecordData::Cname(_));
    if list.iter().any(|d| matches!(d, RecordData::Cname(_)) != is_cname) || (is_cname && !list.is_empty()) {
        if list.is_empty() {
            s.records.remove(&owner);
        }
        return Err(PolicyError::CnameConflict { zone: zone_name, name: owner });
    }
    list.push(data);
    zone.serial += 1;
    Ok(())
}

fn remove_from(
    zone: &mut Zone,
    scope: Option<&str>,
    rrtype: &str,
    name: &str,
    wanted: &[RecordData],
) -> Result<usize, PolicyError> {
    let owner = zone.owner(name)?;
    let zone_name = zone.name.clone();
    let s = zone.scope_mut(scope)?;
    let scope_name = s.name.clone();
    let not_found = || PolicyError::RecordNotFound {
        zone: zone_name.clone(),
        scope: scope_name.clone(),
        name: name.trim().to_string(),
        rrtype: rrtype.to_string(),
    };
    let list = s.records.get_mut(&owner).ok_or_else(not_found)?;
    if let Some(missing) = wanted.iter().find(|w| !list.contains(w)) {
        return Err(PolicyError::RecordNotFound {
            zone: zone_name.clone(),
            scope: scope_name.clone(),
            name: format!("{} with data {}", name.trim(), missing.text()),
            rrtype: rrtype.to_string(),
        });
    }
    let before = list.len();
    list.retain(|d| !(d.rrtype() == rrtype && (wanted.is_empty() || wanted.contains(d))));
    let removed = before - list.len();
    if list.is_empty() {
        s.records.remove(&owner);
    }
    if removed == 0 {
        return Err(not_found());
    }
    zone.serial += 1;
    Ok(removed)
}

fn replace_in(
    zone: &mut Zone,
    scope: Option<&str>,
    name: &str,
    old: &RecordData,
    new: RecordData,
) -> Result<(), PolicyError> {
    let owner = zone.owner(name)?;
    let zone_name = zone.name.clone();
    let s = zone.scope_mut(scope)?;
    let scope_name = s.name.clone();
    let Some(slot) = s.records.get_mut(&owner).and_then(|l| l.iter_mut().find(|d| *d == old)) else {
        return Err(PolicyError::RecordNotFound {
            zone: zone_name,
            scope: scope_name,
            name: format!("{} with data {}", name.trim(), old.text()),
            rrtype: old.rrtype().into(),
        });
    };
    *slot = new;
    zone.serial += 1;
    Ok(())
}

fn s_name(scope: Option<&str>, zone: &str) -> String {
    scope.map(|s| s.trim().to_string()).unwrap_or_else(|| zone.to_string())
}
