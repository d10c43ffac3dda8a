//! What produced a page and when: a page attached to a change ticket is read weeks later, away
//! from the terminal that wrote it, so it names the command, the plan, the runbook or features,
//! the lab's version and the time, and a reviewer can tell which run it shows.

use super::escape::html;
use std::fmt::Write as _;
use std::time::{SystemTime, UNIX_EPOCH};

/// Everything a page says about its own making.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Provenance {
    /// The command as typed (the program's own path shortened to its name).
    pub command: String,
    /// The plan file, or `built-in topology`.
    pub plan: String,
    /// What was rehearsed: `("runbook", FILE)` or `("features", FOLDER or built-in)`.
    pub input: (String, String),
    /// bypass-lab's version.
    pub version: String,
    /// When the page was written, in UTC (`2025-12-06 09:35 UTC`).
    pub at: String,
}

impl Provenance {
    /// This process's command line, this build's version and the time now.
    pub fn of_this_process(plan: &str, input: (&str, &str)) -> Provenance {
        Provenance {
            command: command_line(std::env::args()),
            plan: plan.to_string(),
            input: (input.0.to_string(), input.1.to_string()),
            version: env!("CARGO_PKG_VERSION").to_string(),
            at: utc(SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)),
        }
    }

    /// The block at the top of a page.
    pub fn html(&self) -> String {
        let mut out = String::from("<dl class=\"provenance\">");
        for (term, value, class) in [
            ("command", self.command.as_str(), "command mono"),
            ("plan", self.plan.as_str(), "plan mono"),
            (self.input.0.as_str(), self.input.1.as_str(), "input mono"),
            ("bypass-lab", self.version.as_str(), "version"),
            ("written", self.at.as_str(), "at"),
        ] {
            let _ = write!(
                out,
                "<dt>{}</dt><dd class=\"{class}\" data-provenance=\"{}\">{}</dd>",
                html(term),
                html(term),
                html(value)
            );
        }
        out.push_str("</dl>\n");
        out
    }
}

/// The command line as a person would type it again: the program by its name, and each argument
/// quoted when the shell would otherwise split or expand it.
pub fn command_line(args: impl IntoIterator<Item = String>) -> String {
    let mut words = vec![];
    for (i, arg) in args.into_iter().enumerate() {
        if i == 0 {
            let name = std::path::Path::new(&arg).file_name().map(|n| n.to_string_lossy().into_owned());
            words.push(name.unwrap_or(arg));
            continue;
        }
        let plain = !arg.is_empty() && arg.chars().all(|c| c.is_alphanumeric() || "-_./=:,@+%".contains(c));
        words.push(if plain { arg } else { format!("'{}'", arg.replace('\'', "'\\''")) });
    }
    words.join(" ")
}

/// Seconds since 1970 as `YYYY-MM-DD HH:MM UTC` (days to a civil date as in Howard Hinnant's
/// `civil_from_days`).
pub fn utc(seconds: u64) -> String {
    let days = (seconds / 86_400) as i64;
    let minutes = (seconds % 86_400) / 60;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!("{year:04}-{month:02}-{day:02} {:02}:{:02} UTC", minutes / 60, minutes % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_civil_dates_in_utc() {
        assert_eq!(utc(0), "1970-01-01 00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00 UTC");
        assert_eq!(utc(1_765_013_700), "2025-12-06 09:35 UTC");
    }

    #[test]
    fn the_command_reads_as_typed_again() {
        let args = [
            "/work/target/debug/bypass-lab",
            "rehearse",
            "--runbook",
            "my rollout.ps1",
            "--tags",
            "@seed and not @slow",
        ];
        assert_eq!(
            command_line(args.map(String::from)),
            "bypass-lab rehearse --runbook 'my rollout.ps1' --tags '@seed and not @slow'"
        );
        assert_eq!(command_line(["x".to_string(), "it's".to_string()]), "x 'it'\\''s'");
    }

    #[test]
    fn every_part_is_escaped() {
        let p = Provenance {
            command: "bypass-lab rehearse --runbook '<a>.ps1'".into(),
            plan: "plan & co.toml".into(),
            input: ("runbook".into(), "<a>.ps1".into()),
            version: "0.1.0".into(),
            at: utc(0),
        };
        let block = p.html();
        assert!(block.contains("&lt;a&gt;.ps1") && block.contains("plan &amp; co.toml"), "{block}");
        assert!(!block.contains("<a>"));
        assert!(block.contains("<dd class=\"version\" data-provenance=\"bypass-lab\">0.1.0</dd>"));
    }
}
