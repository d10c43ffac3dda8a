//! A wall-clock time of day on the lab's virtual clock, written `HH:MM` as Windows DNS time-of-day
//! criteria write it (`EQ,08:00-18:00`).
//!
//! Lab time 0 is 00:00 of day 1 unless the topology says the lab starts at another time
//! (`[tenant] start_time_of_day = "07:30"`), so a site-failover window at 18:00 is reached by
//! advancing the clock, never by waiting.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

const MINUTES_PER_DAY: u32 = 24 * 60;

/// Minutes since midnight, 0..1440.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct TimeOfDay(u16);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("'{input}' is not a time of day: expected HH:MM from 00:00 to 23:59, such as 08:00")]
pub struct TimeOfDayError {
    pub input: String,
}

impl TimeOfDay {
    pub const MIDNIGHT: TimeOfDay = TimeOfDay(0);

    pub fn from_minutes(minutes: u32) -> TimeOfDay {
        TimeOfDay((minutes % MINUTES_PER_DAY) as u16)
    }

    pub fn minutes(self) -> u32 {
        u32::from(self.0)
    }

    /// The time of day `elapsed` lab time after a lab that started at `self`.
    pub fn after(self, elapsed: Duration) -> TimeOfDay {
        let minutes = (elapsed.as_secs() / 60) % u64::from(MINUTES_PER_DAY);
        TimeOfDay::from_minutes(self.minutes() + minutes as u32)
    }

    /// Lab time `at` as a clock reading (`day 2 09:14`) on the clock of a lab that started at
    /// `self` on day 1: what every verb prints for "when".
    pub fn reading(self, at: Duration) -> String {
        super::clock_time(at + Duration::from_secs(u64::from(self.minutes()) * 60))
    }
}

impl FromStr for TimeOfDay {
    type Err = TimeOfDayError;

    fn from_str(input: &str) -> Result<TimeOfDay, TimeOfDayError> {
        let err = || TimeOfDayError { input: input.to_string() };
        let (h, m) = input.trim().split_once(':').ok_or_else(err)?;
        let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.chars().all(|c| c.is_ascii_digit());
        if !digits(h) || m.len() != 2 || !digits(m) {
            return Err(err());
        }
        let (h, m): (u32, u32) = (h.parse().map_err(|_| err())?, m.parse().map_err(|_| err())?);
        if h > 23 || m > 59 {
            return Err(err());
        }
        Ok(TimeOfDay::from_minutes(h * 60 + m))
    }
}

impl fmt::Display for TimeOfDay {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for TimeOfDay {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

impl<'de> Deserialize<'de> for TimeOfDay {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<TimeOfDay, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints_hh_mm() {
        let t: TimeOfDay = "08:05".parse().unwrap();
        assert_eq!(t.minutes(), 485);
        assert_eq!(t.to_string(), "08:05");
        assert_eq!("7:30".parse::<TimeOfDay>().unwrap().to_string(), "07:30");
        for bad in ["24:00", "08:60", "8", "08:5", "ab:cd", ""] {
            assert!(bad.parse::<TimeOfDay>().is_err(), "{bad} must be refused");
        }
    }

    #[test]
    fn lab_time_wraps_at_midnight() {
        let start: TimeOfDay = "22:00".parse().unwrap();
        assert_eq!(start.after(Duration::from_secs(3 * 3600)).to_string(), "01:00");
        assert_eq!(TimeOfDay::MIDNIGHT.after(Duration::from_secs(26 * 3600 + 59)).to_string(), "02:00");
    }

    #[test]
    fn a_reading_counts_from_the_start_of_the_lab() {
        let start: TimeOfDay = "22:00".parse().unwrap();
        assert_eq!(start.reading(Duration::from_secs(3 * 3600)), "day 2 01:00");
        assert_eq!(TimeOfDay::MIDNIGHT.reading(Duration::from_secs(3 * 3600)), "day 1 03:00");
    }
}
