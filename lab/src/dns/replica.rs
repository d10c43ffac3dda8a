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
//! memory, so none of this is needed there. Each journal line carries a checksum
//! ([`crate::seal`]): a damaged line fails the start, naming the file and the line, rather
//! than replaying another cmdlet.

use super::cmdlets::{is_query, DnsExecutor};
use super::policy::directory::SharedWrite;
use super::policy::Directory;
use super::DnsError;
use crate::clock::Clock;
use crate::http::ControlClient;
use crate::runbook::{Executor, Invocation};
use crate::seal::{self, Separator};
use serde::{Deserialize, Serialize};
use std::io::Write as _;
use std::path::PathBuf;
use std::time::Duration;

/// The journal's file in the data directory.
const JOURNAL: &str = "dns-journal.jsonl";
/// What each line's checksum is taken over, beside the line.
const LINE_CONTEXT: &str = "dns-journal";
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
    /// writes this server missed. Only a server that ran before on this data directory asks: one
    /// on an empty directory starts with its lab (or with its lab's reset, while its peers may
    /// still hold the writes being reset away), and has missed nothing.
    pub async fn resume(&self, executor: &DnsExecutor, clock: &Clock) -> Result<(), DnsError> {
        let mut ran_before = self.journal.is_none();
        if let Some(path) = &self.journal {
            let text = match std::fs::read(path) {
                Ok(text) => {
                    ran_before = true;
                    text
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    // An empty journal marks this directory as one a server has run on.
                    std::fs::OpenOptions::new().create(true).append(true).open(path)?;
                    Vec::new()
                }
                Err(e) => return Err(DnsError::Io(e)),
            };
            let lines = text.split(|b| *b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l));
            for (n, line) in lines.enumerate().filter(|(_, l)| !l.trim_ascii().is_empty()) {
                let damaged = |e: &dyn std::fmt::Display| {
                    DnsError::Script(format!(
                        "journal {} line {}: {e}; to start this DNS server afresh, move the file away",
                        path.display(),
                        n + 1
                    ))
                };
                let json = seal::unseal(LINE_CONTEXT, Separator::Space, line).map_err(|e| damaged(&e))?;
                let entry: Entry = serde_json::from_slice(json).map_err(|e| damaged(&e))?;
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
        if ran_before {
            self.catch_up().await?;
        }
        Ok(())
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
        // Counted by place, not by number: a write forgotten before it was sent needs no sending.
        *sent = new.iter().map(|w| w.origin_seq + 1).max().unwrap_or(*sent);
        Ok(())
    }

    fn append(&self, entry: &Entry) -> Result<(), DnsError> {
        let Some(path) = &self.journal else { return Ok(()) };
        let json = serde_json::to_vec(entry).map_err(|e| DnsError::Script(e.to_string()))?;
        let mut line = seal::seal(LINE_CONTEXT, Separator::Space, &json);
        line.push(b'\n');
        let mut file = std::fs::OpenOptions::new().create(true).append(true).open(path)?;
        file.write_all(&line)?;
        file.sync_data()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::Value;
    use std::sync::{Arc, RwLock};

    fn call(cmdlet: &str, args: &[(&str, &str)]) -> Invocation {
        Invocation {
            cmdlet: cmdlet.into(),
            args: args.iter().map(|(k, v)| (k.to_string(), Value::String(v.to_string()))).collect(),
            line: 1,
            column: 1,
        }
    }

    /// A domain controller `name` with a journal in `data`, its clock and its state.
    fn server(name: &str, data: &std::path::Path) -> (Replica, DnsExecutor, Clock, Directory) {
        server_with_peers(name, data, vec![])
    }

    fn server_with_peers(
        name: &str,
        data: &std::path::Path,
        peers: Vec<String>,
    ) -> (Replica, DnsExecutor, Clock, Directory) {
        let clock = Clock::new();
        let directory = Directory::new(Duration::from_secs(900));
        let mut state = crate::dns::DnsState::default();
        state.set_clock(clock.clone(), Default::default());
        state.join_directory(directory.clone(), name);
        let executor = DnsExecutor { state: Arc::new(RwLock::new(state)), answers_on: None };
        let args = ReplicaArgs { data: Some(data.to_path_buf()), computer_name: Some(name.into()), peers };
        (Replica::new(&args, Some((directory.clone(), name.into())), "t"), executor, clock, directory)
    }

    async fn apply(replica: &Replica, executor: &DnsExecutor, clock: &Clock, c: Invocation) {
        executor.execute(&c).await.unwrap_or_else(|e| panic!("{}: {}", c.cmdlet, e.message));
        replica.applied(&c, clock.now()).await.unwrap();
    }

    #[tokio::test]
    async fn a_restarted_server_replays_its_journal_at_the_lab_times_it_was_written() {
        let data = tempfile::tempdir().unwrap();
        let (replica, executor, clock, _) = server("dc-oslo", data.path());
        let zone = call("Add-DnsServerPrimaryZone", &[("Name", "late.test"), ("ReplicationScope", "Forest")]);
        apply(&replica, &executor, &clock, zone).await;
        clock.advance(Duration::from_secs(3600)).await.unwrap();
        let subnet = call("Add-DnsServerClientSubnet", &[("Name", "OsloNet"), ("IPv4Subnet", "10.62.1.0/24")]);
        apply(&replica, &executor, &clock, subnet).await;
        apply(&replica, &executor, &clock, call("Get-DnsServerClientSubnet", &[])).await;
        let lines = std::fs::read_to_string(data.path().join(JOURNAL)).unwrap();
        assert_eq!(lines.lines().count(), 2, "queries are not journaled: {lines}");

        let (again, executor, clock, directory) = server("dc-oslo", data.path());
        again.resume(&executor, &clock).await.unwrap();
        assert_eq!(clock.now(), Duration::from_secs(3600), "the last change's lab time");
        assert!(executor.state.read().unwrap().subnets().get("OsloNet").is_some(), "its client subnet came back");
        let writes = directory.shared(None);
        assert_eq!((writes.len(), writes[0].at_ms, writes[0].origin.as_str()), (1, 0, "dc-oslo"));
        assert_eq!(directory.written_by("dc-oslo"), 1);
    }

    #[tokio::test]
    async fn a_damaged_or_unsealed_journal_line_fails_the_start_by_file_and_line() {
        let data = tempfile::tempdir().unwrap();
        let (replica, executor, clock, _) = server("dc-oslo", data.path());
        let subnet = call("Add-DnsServerClientSubnet", &[("Name", "OsloNet"), ("IPv4Subnet", "10.62.1.0/24")]);
        apply(&replica, &executor, &clock, subnet).await;
        let path = data.path().join(JOURNAL);
        let line = std::fs::read(&path).unwrap();
        // One bit of every byte of the line (the seal's own test flips them all), but its
        // newline, which would only split it.
        for byte in 0..line.len() - 1 {
            let bit = byte * 8 + byte % 8;
            let mut damaged = line.clone();
            damaged[byte] ^= 1 << (byte % 8);
            std::fs::write(&path, &damaged).unwrap();
            let (again, executor, clock, _) = server("dc-oslo", data.path());
            let err = again.resume(&executor, &clock).await.expect_err(&format!("bit {bit} flipped went unnoticed"));
            assert!(err.to_string().contains("dns-journal.jsonl line 1: "), "{err}");
        }
        let unsealed = b"{\"kind\":\"received\",\"writes\":[]}\n";
        std::fs::write(&path, unsealed).unwrap();
        let (again, executor, clock, _) = server("dc-oslo", data.path());
        let err = again.resume(&executor, &clock).await.unwrap_err().to_string();
        assert!(err.contains("line 1: it carries no checksum"), "{err}");
    }

    #[tokio::test]
    async fn another_servers_writes_are_kept_once_and_journaled() {
        let (data, elsewhere) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
        let (lisbon, executor, clock, from) = server("dc-lisbon", elsewhere.path());
        let zone = call("Add-DnsServerPrimaryZone", &[("Name", "late.test"), ("ReplicationScope", "Forest")]);
        apply(&lisbon, &executor, &clock, zone).await;
        let (oslo, _, _, to) = server("dc-oslo", data.path());
        oslo.receive(from.shared(None)).unwrap();
        oslo.receive(from.shared(None)).unwrap();
        assert_eq!(to.shared(None).len(), 1, "a write received twice is kept once");
        oslo.receive(to.shared(None).into_iter().map(|w| SharedWrite { origin: "dc-oslo".into(), ..w }).collect())
            .unwrap();
        assert_eq!(to.shared(None).len(), 1, "its own writes it makes again itself");
        let (again, executor, clock, replayed) = server("dc-oslo", data.path());
        again.resume(&executor, &clock).await.unwrap();
        assert_eq!(replayed.shared(None)[0].origin, "dc-lisbon", "received writes survive a restart");
        assert!(executor.state.read().unwrap().zone("late.test").is_err(), "not visible before the AD delay");
        clock.advance(Duration::from_secs(900)).await.unwrap();
        assert!(executor.state.read().unwrap().zone("late.test").is_ok(), "visible after it");
    }

    /// A reset empties every server's data at once: a server asking a peer not yet reset would
    /// take back the writes being reset away. Only a restart on kept data has missed anything.
    #[tokio::test]
    async fn only_a_server_that_ran_before_on_its_data_asks_its_peers() {
        use futures::FutureExt as _;
        let data = tempfile::tempdir().unwrap();
        let peer = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", peer.local_addr().unwrap());

        let (fresh, executor, clock, _) = server_with_peers("dc-oslo", data.path(), vec![url.clone()]);
        fresh.resume(&executor, &clock).await.unwrap();
        assert!(peer.accept().now_or_never().is_none(), "a server on an empty data directory asked its peer");
        assert!(data.path().join(JOURNAL).exists(), "the journal marks the directory as run on");

        let asked = tokio::spawn(async move { peer.accept().await.map(drop) });
        let (restarted, executor, clock, _) = server_with_peers("dc-oslo", data.path(), vec![url]);
        restarted.resume(&executor, &clock).await.unwrap();
        tokio::time::timeout(Duration::from_secs(10), asked)
            .await
            .expect("a restarted server asks its peers for what it missed")
            .unwrap()
            .unwrap();
    }
}
