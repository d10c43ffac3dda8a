//! Adding, editing, enabling and removing query resolution policies, with the validation of
//! "MS-DNSP 3.1.8.3 DNS Policy Validation": at zone level an ALLOW answers from the zone's
//! scopes and a DENY or IGNORE has no scopes; at server level queries can only be denied or
//! ignored, and there are no scopes at all.

use super::rules::level_words;
use super::{weights, Action, Condition, Criterion, CriterionKind, DnsState, PolicyError, QueryResolutionPolicy};
use std::sync::atomic::AtomicU64;
use std::sync::Arc;

/// A new policy as the cmdlet gives it, before validation.
#[derive(Debug, Clone, Default)]
pub struct NewPolicy {
    pub name: String,
    pub zone: Option<String>,
    /// Absent: ALLOW at zone level, DENY at server level (lab choice: the cmdlet page makes
    /// -Action optional without a default; these are the only actions both levels accept).
    pub action: Option<String>,
    pub condition: Option<String>,
    pub criteria: Vec<(CriterionKind, String)>,
    pub zone_scope: Option<String>,
    pub processing_order: Option<i64>,
    /// `-Disable`: created but not applied until `Enable-DnsServerPolicy`.
    pub disabled: bool,
}

/// `Set-DnsServerQueryResolutionPolicy`: what is given replaces what the policy had; a
/// criterion of a kind not given stays.
#[derive(Debug, Clone, Default)]
pub struct PolicyEdit {
    pub condition: Option<String>,
    pub criteria: Vec<(CriterionKind, String)>,
    pub zone_scope: Option<String>,
    pub processing_order: Option<i64>,
}

impl DnsState {
    fn level_zone(&self, zone: Option<&str>) -> Result<Option<String>, PolicyError> {
        zone.map(|z| self.zone(z).map(|z| z.name.clone())).transpose()
    }

    fn scopes_for(
        &self,
        zone: Option<&str>,
        action: Action,
        text: Option<&str>,
    ) -> Result<Vec<weights::WeightedScope>, PolicyError> {
        match (zone, text) {
            (None, Some(_)) => Err(PolicyError::ServerLevelScope),
            (Some(_), Some(_)) if action != Action::Allow => {
                Err(PolicyError::ScopeWithoutAllow { action: action.name().to_ascii_uppercase() })
            }
            (Some(z), Some(text)) => {
                let scopes = weights::parse(text)?;
                let zone = self.zone(z)?;
                for s in &scopes {
                    zone.scope(Some(&s.scope))?;
                }
                Ok(scopes)
            }
            (Some(_), None) if action == Action::Allow => Err(PolicyError::AllowWithoutScope),
            _ => Ok(vec![]),
        }
    }

    fn order(&self, zone: &Option<String>, wanted: Option<i64>, except: Option<&str>) -> Result<u32, PolicyError> {
        let same_level =
            |p: &&QueryResolutionPolicy| &p.zone == zone && except.is_none_or(|n| !p.name.eq_ignore_ascii_case(n));
        let order = match wanted {
            Some(n) if n < 1 || n > i64::from(u32::MAX) => return Err(PolicyError::BadProcessingOrder { order: n }),
            Some(n) => n as u32,
            None => self.policies.iter().filter(same_level).map(|p| p.processing_order).max().unwrap_or(0) + 1,
        };
        Ok(order)
    }

    /// Frees `order` at a level for a policy taking it: as the Set page documents ("the DNS
    /// server updates the processing order of the existing policies"), the policy holding it and
    /// those right after it without a gap move down by one, so the new one comes first and the
    /// others keep their relative order. **Lab choice:** Add does the same, and gaps further down
    /// are kept.
    fn make_room(&mut self, zone: &Option<String>, order: u32, except: Option<&str>) {
        let mut level: Vec<&mut QueryResolutionPolicy> = self
            .policies
            .iter_mut()
            .filter(|p| &p.zone == zone && except.is_none_or(|n| !p.name.eq_ignore_ascii_case(n)))
            .filter(|p| p.processing_order >= order)
            .collect();
        level.sort_by_key(|p| p.processing_order);
        for (taken, p) in (order..).zip(level) {
            if p.processing_order != taken {
                break;
            }
            p.processing_order += 1;
        }
    }

    fn criteria(&self, given: &[(CriterionKind, String)]) -> Result<Vec<Criterion>, PolicyError> {
        given.iter().map(|(kind, text)| Criterion::parse(*kind, text, &self.subnets)).collect()
    }

    pub fn add_policy(&mut self, new: NewPolicy) -> Result<&QueryResolutionPolicy, PolicyError> {
        let zone = self.level_zone(new.zone.as_deref())?;
        let level = level_words(zone.as_deref());
        let action = match &new.action {
            Some(text) => Action::parse(text)?,
            None if zone.is_some() => Action::Allow,
            None => Action::Deny,
        };
        if zone.is_none() && action == Action::Allow {
            return Err(PolicyError::ServerLevelAllow { action: "ALLOW".into() });
        }
        let condition = new.condition.as_deref().map(Condition::parse).transpose()?.unwrap_or_default();
        let criteria = self.criteria(&new.criteria)?;
        let scopes = self.scopes_for(zone.as_deref(), action, new.zone_scope.as_deref())?;
        let name = new.name.trim();
        if name.is_empty() {
            return Err(PolicyError::BadValue {
                what: "policy name",
                text: new.name.clone(),
                expected: "a non-empty name such as AmsterdamPolicy",
            });
        }
        if self.policies.iter().any(|p| p.zone == zone && p.name.eq_ignore_ascii_case(name)) {
            return Err(PolicyError::DuplicatePolicy { name: name.into(), level });
        }
        let processing_order = self.order(&zone, new.processing_order, None)?;
        self.make_room(&zone, processing_order, None);
        self.policies.push(QueryResolutionPolicy {
            name: name.to_string(),
            zone: zone.clone(),
            action,
            condition,
            criteria,
            scopes,
            processing_order,
            enabled: !new.disabled,
            rotation: Arc::new(AtomicU64::new(0)),
        });
        // Kept in processing order, so answering a query never sorts.
        self.policies.sort_by_key(|p| p.processing_order);
        Ok(self.policy(name, zone.as_deref()).expect("just added"))
    }

    /// One policy by name at a level (`zone` None = server level).
    pub fn policy(&self, name: &str, zone: Option<&str>) -> Result<&QueryResolutionPolicy, PolicyError> {
        let zone = self.level_zone(zone)?;
        self.policies
            .iter()
            .find(|p| p.zone == zone && p.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| PolicyError::UnknownPolicy { name: name.trim().into(), level: level_words(zone.as_deref()) })
    }

    /// Applies an edit as a whole: nothing changes unless all of it is valid.
    pub fn set_policy(
        &mut self,
        name: &str,
        zone: Option<&str>,
        edit: PolicyEdit,
    ) -> Result<&QueryResolutionPolicy, PolicyError> {
        let current = self.policy(name, zone)?.clone();
        let mut updated = current.clone();
        if let Some(c) = &edit.condition {
            updated.condition = Condition::parse(c)?;
        }
        for c in self.criteria(&edit.criteria)? {
            updated.criteria.retain(|old| old.kind != c.kind);
            updated.criteria.push(c);
        }
        if edit.zone_scope.is_some() {
            updated.scopes = self.scopes_for(current.zone.as_deref(), current.action, edit.zone_scope.as_deref())?;
            // A new list starts a new round.
            updated.rotation = Arc::new(AtomicU64::new(0));
        }
        if edit.processing_order.is_some() {
            updated.processing_order = self.order(&current.zone, edit.processing_order, Some(&current.name))?;
        }
        if edit.processing_order.is_some() {
            self.make_room(&current.zone, updated.processing_order, Some(&current.name));
        }
        let slot =
            self.policies.iter_mut().find(|p| p.zone == current.zone && p.name == current.name).expect("found above");
        *slot = updated;
        self.policies.sort_by_key(|p| p.processing_order);
        self.policy(&current.name, current.zone.as_deref())
    }

    /// `Enable-` / `Disable-DnsServerPolicy`: one policy by name, or every policy of the level
    /// (server, or one zone). Returns how many changed state.
    pub fn set_enabled(&mut self, zone: Option<&str>, name: Option<&str>, enabled: bool) -> Result<usize, PolicyError> {
        let zone = self.level_zone(zone)?;
        if let Some(n) = name {
            self.policy(n, zone.as_deref())?;
        }
        let mut changed = 0;
        for p in self
            .policies
            .iter_mut()
            .filter(|p| p.zone == zone && name.is_none_or(|n| p.name.eq_ignore_ascii_case(n.trim())))
        {
            changed += usize::from(p.enabled != enabled);
            p.enabled = enabled;
        }
        Ok(changed)
    }

    pub fn remove_policy(&mut self, name: &str, zone: Option<&str>) -> Result<(), PolicyError> {
        let zone = self.level_zone(zone)?;
        let before = self.policies.len();
        self.policies.retain(|p| !(p.zone == zone && p.name.eq_ignore_ascii_case(name.trim())));
        if self.policies.len() == before {
            return Err(PolicyError::UnknownPolicy { name: name.trim().into(), level: level_words(zone.as_deref()) });
        }
        Ok(())
    }
}
