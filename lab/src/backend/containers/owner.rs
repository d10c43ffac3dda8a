//! Who a containers lab belongs to, written on every object it creates, and whether that owner
//! is provably gone.
//!
//! Many labs share one Docker engine (two people's `up`, a rehearsal beside a CI job). A lab may
//! only remove another when it can prove nobody holds it any more: the process that started it
//! ended (its pid is gone, or the machine rebooted since), and no lab file names it. Anything
//! short of proof leaves the lab alone. See "Ownership" in `docs/design/containers.md`.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// The owning lab file (`<state>/lab.json`), absolute, for labs started by `up`.
pub const FILE_LABEL: &str = "bypass-lab.owner.file";
/// The host the owner runs on: pids and files mean something only there.
pub const HOST_LABEL: &str = "bypass-lab.owner.host";
/// The process holding the lab (a rehearsal, a test, `up` while it starts).
pub const PID_LABEL: &str = "bypass-lab.owner.pid";
/// The boot the pid belongs to: after a reboot the same pid is another process.
pub const BOOT_LABEL: &str = "bypass-lab.owner.boot";
/// When the lab started, in seconds since the Unix epoch.
pub const CREATED_LABEL: &str = "bypass-lab.created";
/// The owner's command line, so whoever waits for a lab or finds it in `ls` can tell which run
/// holds it (a CI job's rehearsal, someone's `up`).
pub const COMMAND_LABEL: &str = "bypass-lab.owner.command";
/// The longest command line a label keeps: enough to tell runs apart, short enough for listings.
const COMMAND_LENGTH: usize = 160;

/// What a lab records of its owner.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Owner {
    /// The lab file that describes the lab once it runs detached.
    pub file: Option<PathBuf>,
    pub host: String,
    /// (pid, boot id) of the process that holds the lab.
    pub process: Option<(u32, String)>,
    /// Seconds since the Unix epoch.
    pub created: Option<u64>,
    /// The owner's command line, shortened to [`COMMAND_LENGTH`] characters.
    pub command: Option<String>,
}

/// Whether anything still holds a lab.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Liveness {
    /// Held: by a running process or a lab file that names it.
    Live(String),
    /// Provably abandoned, and why.
    Gone(String),
    /// Cannot be told from here (another host, no owner recorded): treated as held.
    Unknown(String),
}

impl Liveness {
    pub fn is_gone(&self) -> bool {
        matches!(self, Liveness::Gone(_))
    }

    /// The reason, for listings.
    pub fn reason(&self) -> &str {
        match self {
            Liveness::Live(r) | Liveness::Gone(r) | Liveness::Unknown(r) => r,
        }
    }

    pub fn word(&self) -> &'static str {
        match self {
            Liveness::Live(_) => "live",
            Liveness::Gone(_) => "gone",
            Liveness::Unknown(_) => "unknown",
        }
    }
}

impl Owner {
    /// This process: the lab lives as long as it does (rehearsals, tests).
    pub fn this_process() -> Owner {
        Owner {
            file: None,
            host: host_name(),
            process: Some((std::process::id(), boot_id())),
            created: Some(now_seconds()),
            command: Some(command_line()),
        }
    }

    /// This process while it starts the lab, then the lab file once it is written (`up`).
    pub fn lab_file(path: &Path) -> Owner {
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        Owner { file: Some(absolute), ..Owner::this_process() }
    }

    /// The labels that record this owner.
    pub fn labels(&self) -> HashMap<String, String> {
        let mut labels = HashMap::from([(HOST_LABEL.to_string(), self.host.clone())]);
        if let Some(file) = &self.file {
            labels.insert(FILE_LABEL.into(), file.display().to_string());
        }
        if let Some((pid, boot)) = &self.process {
            labels.insert(PID_LABEL.into(), pid.to_string());
            labels.insert(BOOT_LABEL.into(), boot.clone());
        }
        if let Some(created) = self.created {
            labels.insert(CREATED_LABEL.into(), created.to_string());
        }
        if let Some(command) = &self.command {
            labels.insert(COMMAND_LABEL.into(), command.clone());
        }
        labels
    }

    /// The owner recorded in an object's labels, if any label of it is there.
    pub fn from_labels(labels: &HashMap<String, String>) -> Option<Owner> {
        let host = labels.get(HOST_LABEL)?.clone();
        let process = match (labels.get(PID_LABEL).and_then(|p| p.parse().ok()), labels.get(BOOT_LABEL)) {
            (Some(pid), Some(boot)) => Some((pid, boot.clone())),
            _ => None,
        };
        Some(Owner {
            file: labels.get(FILE_LABEL).map(PathBuf::from),
            host,
            process,
            created: labels.get(CREATED_LABEL).and_then(|c| c.parse().ok()),
            command: labels.get(COMMAND_LABEL).cloned(),
        })
    }

    /// Whether this process is the one holding the lab.
    pub fn is_this_process(&self) -> bool {
        self.host == host_name()
            && self.process.as_ref().is_some_and(|(pid, boot)| *pid == std::process::id() && *boot == boot_id())
    }

    /// The directory of the owning lab file, else the process, for messages.
    pub fn describe(&self) -> String {
        match (&self.file, &self.process) {
            (Some(file), _) => file.parent().unwrap_or(file).display().to_string(),
            (None, Some((pid, _))) => format!("process {pid} on {}", self.host),
            (None, None) => format!("an unknown owner on {}", self.host),
        }
    }

    /// Who holds the lab and since when, for messages that name it: the directory or process,
    /// the age, and the command when it was recorded.
    pub fn details(&self) -> String {
        let mut text = format!("started from {}, {} ago", self.describe(), self.age());
        if let Some(command) = &self.command {
            text.push_str(&format!(", by `{command}`"));
        }
        text
    }

    /// How long ago the lab started, as text.
    pub fn age(&self) -> String {
        match self.created {
            Some(created) => {
                crate::clock::format_duration(std::time::Duration::from_secs(now_seconds().saturating_sub(created)))
            }
            None => "unknown".into(),
        }
    }

    /// Judges lab `lab` by this owner record, from this host.
    pub fn liveness(&self, lab: &str) -> Liveness {
        if self.host != host_name() {
            return Liveness::Unknown(format!("started on host {}", self.host));
        }
        let mut gone = Vec::new();
        if let Some((pid, boot)) = &self.process {
            if *boot != boot_id() {
                gone.push(format!("process {pid} belonged to an earlier boot"));
            } else if Path::new(&format!("/proc/{pid}")).exists() {
                return Liveness::Live(format!("process {pid} runs"));
            } else {
                gone.push(format!("process {pid} ended"));
            }
        }
        if let Some(file) = &self.file {
            match file_names_lab(file, lab) {
                FileSays::Names => return Liveness::Live(format!("{} describes it", file.display())),
                FileSays::Unreadable(why) => {
                    return Liveness::Unknown(format!("{} cannot be read: {why}", file.display()))
                }
                FileSays::Missing => gone.push(format!("{} is gone", file.display())),
                FileSays::Other => gone.push(format!("{} describes another lab", file.display())),
            }
        }
        if gone.is_empty() {
            return Liveness::Unknown("no owner recorded".into());
        }
        Liveness::Gone(gone.join(" and "))
    }
}

enum FileSays {
    Names,
    Other,
    Missing,
    Unreadable(String),
}

/// Where a lab file holds the id of the containers lab it describes (a JSON pointer).
pub const LAB_ID_IN_FILE: &str = "/backend/lab";

/// Whether the lab file at `path` describes the containers lab `lab`. Read as plain JSON (the
/// saved backend's `lab` field, see [`LAB_ID_IN_FILE`]) so this floor does not depend on the lab
/// handle above it; a test beside the lab file pins the pointer to what the lab file writes.
fn file_names_lab(path: &Path, lab: &str) -> FileSays {
    match std::fs::read_to_string(path) {
        Ok(text) => match serde_json::from_str::<serde_json::Value>(&text) {
            Ok(value) if value.pointer(LAB_ID_IN_FILE).and_then(|v| v.as_str()) == Some(lab) => FileSays::Names,
            Ok(_) => FileSays::Other,
            // A file being rewritten is not proof of anything.
            Err(e) => FileSays::Unreadable(e.to_string()),
        },
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => FileSays::Missing,
        Err(e) => FileSays::Unreadable(e.to_string()),
    }
}

/// `/proc/sys/kernel/random/boot_id`: changes with every boot.
pub fn boot_id() -> String {
    std::fs::read_to_string("/proc/sys/kernel/random/boot_id").map(|s| s.trim().to_string()).unwrap_or_default()
}

fn host_name() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_string())
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "localhost".into())
}

/// This process's command line: the program's file name, then its arguments.
fn command_line() -> String {
    let mut args = std::env::args();
    let program = args.next().unwrap_or_default();
    let program = Path::new(&program).file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or(program);
    let line = std::iter::once(program).chain(args).collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(COMMAND_LENGTH) {
        Some((cut, _)) => format!("{}…", &line[..cut]),
        None => line,
    }
}

fn now_seconds() -> u64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        let owner = Owner::lab_file(Path::new("/tmp/somewhere/lab.json"));
        assert!(owner.command.as_deref().is_some_and(|c| !c.is_empty()), "{owner:?}");
        assert_eq!(Owner::from_labels(&owner.labels()), Some(owner));
    }

    #[test]
    fn this_process_holds_its_lab() {
        assert!(matches!(Owner::this_process().liveness("abc"), Liveness::Live(_)));
        assert!(Owner::this_process().is_this_process());
    }

    #[test]
    fn an_ended_process_without_a_file_is_gone() {
        let mut child = std::process::Command::new("true").spawn().expect("spawn true");
        let pid = child.id();
        child.wait().unwrap();
        let owner = Owner { process: Some((pid, boot_id())), ..Owner::this_process() };
        assert!(owner.liveness("abc").is_gone(), "{:?}", owner.liveness("abc"));
        let earlier_boot =
            Owner { process: Some((std::process::id(), "another-boot".into())), ..Owner::this_process() };
        assert!(earlier_boot.liveness("abc").is_gone());
    }

    #[test]
    fn a_lab_file_naming_the_lab_holds_it_after_its_process_ended() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("lab.json");
        let ended = Owner { process: Some((u32::MAX - 1, boot_id())), ..Owner::lab_file(&file) };
        assert!(ended.liveness("abc").is_gone(), "no file yet: {:?}", ended.liveness("abc"));
        std::fs::write(&file, r#"{"backend": {"kind": "containers", "lab": "abc"}}"#).unwrap();
        assert!(matches!(ended.liveness("abc"), Liveness::Live(_)));
        assert!(ended.liveness("def").is_gone(), "the file names another lab");
    }

    #[test]
    fn another_host_or_no_owner_is_never_gone() {
        let elsewhere =
            Owner { host: "elsewhere".into(), process: Some((u32::MAX - 1, "x".into())), ..Owner::default() };
        assert!(matches!(elsewhere.liveness("abc"), Liveness::Unknown(_)));
        let nobody = Owner { host: host_name(), ..Owner::default() };
        assert!(matches!(nobody.liveness("abc"), Liveness::Unknown(_)));
    }
}
