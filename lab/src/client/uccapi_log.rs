//! The client's trace log, `Lync-UccApi-0.UccApilog`: where an admin confirms which
//! `hybridconfigserviceinternalurl` a client received at sign-in.
//!
//! Lines have the real client's shape, `MM/DD/YYYY|HH:MM:SS.mmm PID:TID LEVEL :: message`; the
//! timestamp is lab time, with lab time zero at [`LAB_EPOCH`] (lab choice).

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const FILE_NAME: &str = "Lync-UccApi-0.UccApilog";

/// The calendar date lab time zero is written as.
pub const LAB_EPOCH: &str = "01/01/2017 00:00:00.000";

/// Days from 1970-01-01 to 2017-01-01.
const EPOCH_DAYS: i64 = 17_167;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

impl Level {
    fn as_str(self) -> &'static str {
        match self {
            Level::Info => "INFO ",
            Level::Warning => "WARN ",
            Level::Error => "ERROR",
        }
    }
}

/// One user's log file.
#[derive(Debug, Clone)]
pub struct UccApiLog {
    path: PathBuf,
    /// Stands in for the process and thread IDs a real log carries; stable per user so two
    /// users' lines are told apart when logs are compared.
    ids: String,
}

impl UccApiLog {
    /// `<data_dir>/<user>/Lync-UccApi-0.UccApilog`.
    pub fn for_user(data_dir: &Path, user: &str) -> UccApiLog {
        let h = super::stable_hash(user);
        UccApiLog {
            path: data_dir.join(user).join(FILE_NAME),
            ids: format!("{:04X}:{:04X}", h & 0xFFFF, (h >> 16) & 0xFFFF),
        }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Appends one line; the file and its folder are created on first use.
    pub fn append(&self, at: Duration, level: Level, message: &str) -> std::io::Result<()> {
        if let Some(dir) = self.path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
        file.write_all(format_line(at, &self.ids, level, message).as_bytes())
    }

    /// The whole log; empty when the user never signed in here.
    pub fn read(&self) -> std::io::Result<String> {
        match std::fs::read_to_string(&self.path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
            other => other,
        }
    }
}

/// One line, newline included.
pub fn format_line(at: Duration, ids: &str, level: Level, message: &str) -> String {
    format!("{} {ids} {} :: {}\n", timestamp(at), level.as_str(), message.replace('\n', " "))
}

/// `MM/DD/YYYY|HH:MM:SS.mmm` for a lab time.
pub fn timestamp(at: Duration) -> String {
    let secs = at.as_secs() as i64;
    let (y, m, d) = civil_from_days(EPOCH_DAYS + secs.div_euclid(86_400));
    let s = secs.rem_euclid(86_400);
    format!("{m:02}/{d:02}/{y:04}|{:02}:{:02}:{:02}.{:03}", s / 3600, s / 60 % 60, s % 60, at.subsec_millis())
}

/// Proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// The provisioning line an admin searches for. The URL comes last and is empty when none was
/// provisioned, so `hybridconfigserviceinternalurl=http` finds exactly the clients that got one.
pub fn provisioning_line(voice_deployment_mode: &str, url: Option<&str>) -> String {
    format!(
        "In-band provisioning received: voicedeploymentmode={voice_deployment_mode} hybridconfigserviceinternalurl={}",
        url.unwrap_or("")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lab_time_zero_is_the_lab_epoch() {
        assert_eq!(timestamp(Duration::ZERO), "01/01/2017|00:00:00.000");
        assert_eq!(LAB_EPOCH, "01/01/2017 00:00:00.000");
    }

    #[test]
    fn timestamps_cross_days_months_and_the_leap_year() {
        assert_eq!(timestamp(Duration::from_millis(8 * 3_600_000 + 61_001)), "01/01/2017|08:01:01.001");
        assert_eq!(timestamp(Duration::from_secs(31 * 86_400 + 3_599)), "02/01/2017|00:59:59.000");
        // 2020-02-29 is day 1154 after 2017-01-01.
        assert_eq!(timestamp(Duration::from_secs(1154 * 86_400)), "02/29/2020|00:00:00.000");
    }

    #[test]
    fn a_line_has_the_clients_shape() {
        let line = format_line(
            Duration::from_secs(90),
            "1A2C:2B4C",
            Level::Info,
            &provisioning_line(
                "OnPremOnlineHybrid",
                Some("http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc"),
            ),
        );
        assert_eq!(
            line,
            "01/01/2017|00:01:30.000 1A2C:2B4C INFO  :: In-band provisioning received: voicedeploymentmode=OnPremOnlineHybrid hybridconfigserviceinternalurl=http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc\n"
        );
    }

    #[test]
    fn a_missing_url_leaves_the_key_empty() {
        assert!(provisioning_line("OnPremOnlineHybrid", None).ends_with("hybridconfigserviceinternalurl="));
    }

    #[test]
    fn multi_line_messages_stay_on_one_line() {
        assert_eq!(format_line(Duration::ZERO, "0:0", Level::Error, "a\nb").matches('\n').count(), 1);
    }

    #[test]
    fn appends_and_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let log = UccApiLog::for_user(dir.path(), "alice@adatum.biz");
        assert_eq!(log.read().unwrap(), "");
        log.append(Duration::ZERO, Level::Info, "one").unwrap();
        log.append(Duration::from_secs(1), Level::Warning, "two").unwrap();
        let text = log.read().unwrap();
        assert_eq!(text.lines().count(), 2);
        assert!(text.lines().nth(1).unwrap().ends_with("WARN  :: two"), "{text}");
        assert_eq!(log.path(), dir.path().join("alice@adatum.biz").join(FILE_NAME));
    }
}
