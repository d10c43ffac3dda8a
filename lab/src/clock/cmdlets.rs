//! `Start-Sleep` in a runbook moves lab time: runbooks wait for Active Directory replication and
//! for the appliances' syncs this way, and a rehearsal must not wait the real hours. The runner
//! hands the call to the executor the Lab gives it; this module declares the cmdlet and reads
//! how long it sleeps.

use crate::runbook::{CmdletError, CmdletSpec, Invocation, ParamKind, ParamSpec, Target, Value};
use std::time::Duration;

/// `Start-Sleep` as its page documents it: `-Seconds` (position 0, a Double), `-Milliseconds`
/// (alias `ms`), `-Duration` (a TimeSpan, PowerShell 7.3 and later).
const SPECS: &[CmdletSpec] = &[CmdletSpec {
    name: "Start-Sleep",
    target: Target::Clock,
    params: &[
        ParamSpec::named("Seconds", ParamKind::String).at(0).alias(&["s"]),
        ParamSpec::named("Milliseconds", ParamKind::String).alias(&["ms"]),
        ParamSpec::named("Duration", ParamKind::String),
    ],
}];

/// The clock's cmdlets, for the table a run is handed.
pub fn specs() -> impl Iterator<Item = &'static CmdletSpec> + Clone {
    SPECS.iter()
}

fn refused(parameter: &str, value: &str, type_name: &str) -> CmdletError {
    CmdletError::new(format!(
        "Cannot bind parameter '{parameter}'. Cannot convert value \"{value}\" to type \"{type_name}\"."
    ))
}

/// A TimeSpan as PowerShell reads one from text: `[d.]hh:mm[:ss[.fff]]`, or a whole number of days.
fn time_span(text: &str) -> Option<Duration> {
    let text = text.trim();
    if let Ok(days) = text.parse::<u64>() {
        return Some(Duration::from_secs(days * 86_400));
    }
    let (days, clock) = match text.split_once('.') {
        Some((d, rest)) if rest.contains(':') && d.chars().all(|c| c.is_ascii_digit()) => {
            (d.parse::<u64>().ok()?, rest)
        }
        _ => (0, text),
    };
    let parts: Vec<&str> = clock.split(':').collect();
    if !(2..=3).contains(&parts.len()) {
        return None;
    }
    let hours: u64 = parts[0].parse().ok()?;
    let minutes: u64 = parts[1].parse().ok()?;
    let seconds: f64 = parts.get(2).map_or(Some(0.0), |s| s.parse().ok())?;
    if hours > 23 || minutes > 59 || !(0.0..60.0).contains(&seconds) {
        return None;
    }
    Some(Duration::from_secs(days * 86_400 + hours * 3600 + minutes * 60) + Duration::from_secs_f64(seconds))
}

/// How long a `Start-Sleep` call sleeps; exactly one of its parameters must be given.
pub fn sleep_duration(call: &Invocation) -> Result<Duration, CmdletError> {
    let text = |name: &str| call.get(name).map(Value::display);
    match (text("Seconds"), text("Milliseconds"), text("Duration")) {
        (Some(s), None, None) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|n| *n >= 0.0 && n.is_finite())
            .map(Duration::from_secs_f64)
            .ok_or_else(|| refused("Seconds", &s, "System.Double")),
        (None, Some(ms), None) => ms
            .trim()
            .parse::<u64>()
            .map(Duration::from_millis)
            .map_err(|_| refused("Milliseconds", &ms, "System.Int32")),
        (None, None, Some(d)) => time_span(&d).ok_or_else(|| refused("Duration", &d, "System.TimeSpan")),
        (None, None, None) => Err(CmdletError::new(
            "Cannot process command because of one or more missing mandatory parameters: Seconds.",
        )),
        _ => Err(CmdletError::new("Parameter set cannot be resolved using the specified named parameters.")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(name: &str, value: &str) -> Invocation {
        Invocation {
            cmdlet: "Start-Sleep".into(),
            args: [(name.to_string(), Value::String(value.into()))].into(),
            line: 1,
            column: 1,
        }
    }

    #[test]
    fn seconds_milliseconds_and_time_spans() {
        assert_eq!(sleep_duration(&call("Seconds", "1.5")), Ok(Duration::from_millis(1500)));
        assert_eq!(sleep_duration(&call("Milliseconds", "250")), Ok(Duration::from_millis(250)));
        assert_eq!(sleep_duration(&call("Duration", "01:30:00")), Ok(Duration::from_secs(5400)));
        assert_eq!(sleep_duration(&call("Duration", "1.00:00:05")), Ok(Duration::from_secs(86_405)));
        assert_eq!(
            sleep_duration(&call("Seconds", "soon")).unwrap_err().message,
            "Cannot bind parameter 'Seconds'. Cannot convert value \"soon\" to type \"System.Double\"."
        );
        assert!(sleep_duration(&call("Duration", "25:00")).is_err());
    }
}
