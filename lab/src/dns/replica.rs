//! A DNS server in its own process (a container) as one domain controller among several: its
//! configuration survives a restart of the process, and its AD-integrated zone writes reach the
//! other domain controllers.
//!
//! Lab choice: the configuration survives as a journal in the role's data directory: every
//! configuration cmdlet the server applied, with the lab time it was applied at, and every
//! directory write another server sent. A start applies the topology's configuration as always,
//! then replays the journal in order, each cmdlet at its lab time, so zones, zone scopes,
//! records, client subnets and policies come back as they were (Windows keeps them in AD and
//! zone files). Then it asks the other servers for the writes it missed while it was down.
//! In one process (the embedded lab) the servers share one directory and keep their state in
//! memory, so none of this is needed there.

use super::cmdlets::{is_query, DnsExecutor};
use super::policy::directory::SharedWrite;
use super::policy::Directory;
use super::DnsError;
use crate::clock::Clock;
use crate::http::ControlClient;
use crate::runbook::{Executor, Invocation};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// The journal's file in the data directory.
const JOURNAL: &str = "dns-journal.jsonl";
/// How long a server waits for another one it sends writes to or asks for them.
const PEER_DEADLINE: Duration = Duration::from_secs(3);

/// How a DNS server in its own process keeps its configuration and replicates: `bypass-lab
/// serve dns` parses it, a containers lab's plan renders it.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct ReplicaArgs {
    /// Keep the configuration in this directory, replayed when the server starts again.
    #[arg(long)]
    pub data: Option<PathBuf>,
    /// Join the forest's directory as this domain controller (a `[[dns_server]]` name).
    #[arg(long)]
    pub computer_name: Option<String>,
    /// Another domain controller's management API, sent this server's AD-integrated zone
    /// writes (repeatable).
    #[arg(long = "peer")]
    pub peers: Vec<String>,
}

impl ReplicaArgs {
    pub fn argv(&self) -> Vec<String> {
        let mut argv = vec![];
        if let Some(data) = &self.data {
            argv.extend(["--data".into(), data.to_string_lossy().into_owned()]);
        }
        if let Some(name) = &self.computer_name {
            argv.extend(["--computer-name".into(), name.clone()]);
        }
        for peer in &self.peers {
            argv.extend(["--peer".into(), peer.clone()]);
        }
        argv
    }
}

/// One line of the journal.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
enum Entry {
    /// A configuration cmdlet this server applied.
    Cmdlet { at_ms: u64, call: Invocation },
    /// Directory writes another domain controller made.
    Received { writes: Vec<SharedWrite> },
}

/// The running server's journal, directory membership and peers.
pub struct Replica {
    journal: Option<PathBuf>,
    /// The forest's directory as this server holds it, and its name there.
    member: Option<(Directory, String)>,
    peers: Vec<String>,
    token: String,
    /// How many of its own directory writes the peers were sent.
    sent: tokio::sync::Mutex<u64>,
}

impl Replica {
    /// Neither journal nor peers (a server in the embedded lab, or alone).
    pub fn none() -> Replica {
        Replica { journal: None, member: None, peers: vec![], token: String::new(), sent: Default::default() }
    }

    pub fn new(args: &ReplicaArgs, member: Option<(Directory, String)>, token: &str) -> Replica {
        Replica {
            journal: args.data.as_ref().map(|d| d.join(JOURNAL)),
            member,
            peers: args.peers.clone(),
            token: token.to_string(),
            sent: Default::default(),
        }
    }

    /// Replays the journal (after the topology's configuration), then asks the peers for the
    /// writes this server missed.
    pub async fn resume(&self, executor: &DnsExecutor, clock: &Clock) -> Result<(), DnsError> {
        if let Some(path) = &self.journal {
            let text = match std::fs::read_to_string(path) {
                Ok(text) => text,
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
                Err(e) => return Err(DnsError::Io(e)),
            };
            for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
                let entry: Entry = serde_json::from_str(line)
                    .map_err(|e| DnsError::Script(format!("journal {} line {}: {e}", path.display(), n + 1)))?;
                match entry {
                    Entry::Cmdlet { at_ms, call } => {
                        let at = Duration::from_millis(at_ms);
                        if at > clock.now() {
                            clock.advance_to(at).await.map_err(|e| DnsError::Script(e.to_string()))?;
                        }
                        if let Err(e) = executor.execute(&call).await {
                            tracing::warn!("journal {} line {}: {}", path.display(), n + 1, e.message);
                        }
                    }
                    Entry::Received { writes } => {
                        if let Some((directory, own)) = &self.member {
                            directory.receive(writes, own);
                        }
                    }
                }
            }
        }
        if let Some((directory, own)) = &self.member {
            *self.sent.lock().await = directory.written_by(own);
        }
        self.catch_up().await
    }

    /// Asks every peer that answers for the directory writes it holds.
    async fn catch_up(&self) -> Result<(), DnsError> {
        for peer in &self.peers {
            match self.peer(peer).get::<Vec<SharedWrite>>("/lab/directory").await {
                Ok(writes) => self.receive(writes)?,
                Err(e) => tracing::info!("DNS directory: {peer} did not answer ({e}); it sends its writes when it can"),
            }
        }
        Ok(())
    }

    fn peer(&self, url: &str) -> ControlClient {
        ControlClient::new(format!("the domain controller at {url}"), url, &self.token).with_timeout(PEER_DEADLINE)
    }

    /// Writes another domain controller sent: kept, and journaled.
    pub fn receive(&self, writes: Vec<SharedWrite>) -> Result<(), DnsError> {
        let Some((directory, own)) = &self.member else { return Ok(()) };
        let taken = directory.receive(writes, own);
        if taken.is_empty() {
            return Ok(());
        }
        self.append(&Entry::Received { writes: taken })
    }

    /// Every write this server's copy of the directory holds.
    pub fn shared(&self) -> Vec<SharedWrite> {
        self.member.as_ref().map(|(d, _)| d.shared(None)).unwrap_or_default()
    }

    /// A configuration cmdlet the server applied at `at`: journaled, and the directory writes
    /// it made sent to the peers before the cmdlet returns (a peer that does not answer asks
    /// for them when it starts again).
    pub async fn applied(&self, call: &Invocation, at: Duration) -> Result<(), DnsError> {
        if is_query(&call.cmdlet) || call.cmdlet.to_ascii_lowercase().starts_with("get-") {
            return Ok(());
        }
        self.append(&Entry::Cmdlet { at_ms: at.as_millis() as u64, call: call.clone() })?;
        let Some((directory, own)) = &self.member else { return Ok(()) };
        let mut sent = self.sent.lock().await;
        let new = directory.shared(Some((own, *sent)));
        if new.is_empty() {
            return Ok(());
        }
        for peer in &self.peers {
            if let Err(e) = self.peer(peer).post_empty("/lab/directory", &new).await {
                tracing::info!("DNS directory: {peer} did not take {} writes ({e})", new.len());
            }
        }
        *sent += new.len() as u64;
        Ok(())
    }

    fn append(&self, entry: &Entry) -> Result<(), DnsError> {
        let Some(path) = &self.journal else { return Ok(()) };
        let line = serde_json::to_string(entry).map_err(|e| DnsError::Script(e.to_string()))?;
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        writeln!(file, "{line}")?;
        file.sync_data()?;
        Ok(())
    }
}
