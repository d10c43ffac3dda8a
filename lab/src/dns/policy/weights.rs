//! `-ZoneScope "AmsterdamZoneScope,1;SeattleZoneScope,2"`: the scopes an ALLOW policy answers
//! from, and how often each.

use super::error::PolicyError;
use serde::Serialize;

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WeightedScope {
    pub scope: String,
    pub weight: u32,
}

/// Parses the list; a scope without a weight weighs 1.
pub fn parse(text: &str) -> Result<Vec<WeightedScope>, PolicyError> {
    let bad = |reason: String| PolicyError::BadZoneScopeList { text: text.to_string(), reason };
    if text.trim().is_empty() {
        return Err(bad("it is empty".into()));
    }
    text.split(';')
        .enumerate()
        .map(|(i, part)| {
            let mut fields = part.split(',').map(str::trim);
            let scope = fields.next().unwrap_or_default();
            if scope.is_empty() {
                return Err(bad(format!("part {} has no scope name", i + 1)));
            }
            let weight = match fields.next() {
                None => 1,
                Some(w) => match w.parse::<u32>() {
                    Ok(w) if w > 0 => w,
                    _ => {
                        return Err(bad(format!(
                            "the weight of {scope} is '{w}' where a whole number of 1 or more was expected"
                        )))
                    }
                },
            };
            if let Some(extra) = fields.next() {
                return Err(bad(format!("part {} has an extra field '{extra}'", i + 1)));
            }
            Ok(WeightedScope { scope: scope.to_string(), weight })
        })
        .collect()
}

/// The scope of a policy's `n`th answer: a weighted round robin, so with weights 3 and 5 every
/// eight consecutive answers are exactly three from the first scope and five from the second
/// (lab choice: Windows documents the ratio, not the order; a fixed order makes rehearsals
/// reproducible). Within a round the scopes answer in the order the policy lists them.
pub fn choose(scopes: &[WeightedScope], n: u64) -> &WeightedScope {
    let total: u64 = scopes.iter().map(|s| u64::from(s.weight)).sum();
    let mut point = n % total.max(1);
    for s in scopes {
        if point < u64::from(s.weight) {
            return s;
        }
        point -= u64::from(s.weight);
    }
    &scopes[scopes.len() - 1]
}
