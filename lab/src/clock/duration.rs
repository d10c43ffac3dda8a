//! Lab durations as admins write them: `24h`, `90m`, `30s`, `1d`, `1h30m`, `250ms`.

use std::time::Duration;

/// Why a duration was refused; the text goes straight to the user.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("'{input}' is not a duration: {reason} (write e.g. 24h, 90m, 30s, 1d or 1h30m)")]
pub struct DurationError {
    pub input: String,
    pub reason: &'static str,
}

/// Parses a duration made of `<number><unit>` parts (units: d, h, m, s, ms).
pub fn parse_duration(input: &str) -> Result<Duration, DurationError> {
    let err = |reason| DurationError { input: input.to_string(), reason };
    let text = input.trim();
    if text.is_empty() {
        return Err(err("it is empty"));
    }
    let mut total = Duration::ZERO;
    let mut rest = text;
    while !rest.is_empty() {
        let digits = rest.chars().take_while(|c| c.is_ascii_digit()).count();
        if digits == 0 {
            return Err(err("each part must start with a whole number"));
        }
        let number: u64 = rest[..digits].parse().map_err(|_| err("the number is too large"))?;
        rest = &rest[digits..];
        let unit_len = rest.chars().take_while(|c| c.is_ascii_alphabetic()).count();
        let unit = &rest[..unit_len];
        rest = &rest[unit_len..];
        let millis: u64 = match unit {
            "d" => 86_400_000,
            "h" => 3_600_000,
            "m" => 60_000,
            "s" => 1_000,
            "ms" => 1,
            "" => return Err(err("a number needs a unit (d, h, m, s or ms)")),
            _ => return Err(err("unknown unit (use d, h, m, s or ms)")),
        };
        let part = number.checked_mul(millis).ok_or_else(|| err("the number is too large"))?;
        total = total.checked_add(Duration::from_millis(part)).ok_or_else(|| err("the number is too large"))?;
    }
    Ok(total)
}

/// Renders a duration the way [`parse_duration`] reads it, largest units first.
pub fn format_duration(d: Duration) -> String {
    let mut ms = d.as_millis() as u64;
    if ms == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    for (unit, size) in [("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        if ms >= size {
            out.push_str(&format!("{}{}", ms / size, unit));
            ms %= size;
        }
    }
    out
}

/// A lab time as a clock reading, the lab starting on day 1 at 00:00 (`day 2 09:14`): how people
/// read "when", where a raw duration (`1d9h14m3s331ms`) reads as a span.
pub fn clock_time(at: Duration) -> String {
    const DAY: u64 = 86_400;
    let s = at.as_secs();
    format!("day {} {:02}:{:02}", s / DAY + 1, (s % DAY) / 3600, (s % 3600) / 60)
}

/// Serde adapter so topology files can say `replication_window = "24h"`.
pub mod serde_text {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format_duration(*d))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let text = String::deserialize(d)?;
        parse_duration(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_units_admins_write() {
        assert_eq!(parse_duration("24h").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("1d").unwrap(), Duration::from_secs(86_400));
        assert_eq!(parse_duration("1h30m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse_duration("250ms").unwrap(), Duration::from_millis(250));
    }

    #[test]
    fn refuses_what_it_cannot_read() {
        assert_eq!(parse_duration("24").unwrap_err().reason, "a number needs a unit (d, h, m, s or ms)");
        assert_eq!(parse_duration("h").unwrap_err().reason, "each part must start with a whole number");
        assert_eq!(parse_duration("3w").unwrap_err().reason, "unknown unit (use d, h, m, s or ms)");
        assert_eq!(parse_duration("").unwrap_err().reason, "it is empty");
    }

    #[test]
    fn formats_back_to_the_same_text() {
        for text in ["1d", "8h", "1h30m", "250ms", "0s"] {
            assert_eq!(format_duration(parse_duration(text).unwrap_or_default()), text);
        }
    }
}
