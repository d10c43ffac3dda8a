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
                    _ => return Err(bad(format!("the weight of {scope} is '{w}' where a whole number of 1 or more was expected"))),
                },
            };
            if let Some(extra) = fields.next() {
                return Err(bad(format!("part {} has an extra field '{extra}'", i + 1)));
            }
            Ok(WeightedScope { scope: scope.to_string(), weight })
        })
        .collect()
}

/// Picks a scope by weight from a 64-bit draw: draw mod total lands in one scope's share.
pub fn choose(scopes: &[WeightedScope], draw: u64) -> &WeightedScope {
    let total: u64 = scopes.iter().map(|s| u64::from(s.weight)).sum();
    let mut point = draw % total.max(1);
    for s in scopes {
        if point < u64::from(s.weight) {
            return s;
        }
        point -= u64::from(s.weight);
    }
    &scopes[scopes.len() - 1]
}

/// The `n`th draw of a run seeded with `seed` (SplitMix64): the same seed and the same order
/// of queries give the same answers, and draws are spread evenly.
pub fn draw(seed: u64, n: u64) -> u64 {
    let mut z = seed.wrapping_add(n.wrapping_add(1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}
