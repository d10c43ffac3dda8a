//! An embedded lab running in another process (`bypass-lab up`), driven from this one through
//! the roles' endpoints and the `up` process's control API.

use super::control::Restart;
use crate::backend::{Backend, BackendError, DnsFault, Endpoints, SavedBackend};
use crate::clock::ClockReading;
use crate::http::{ControlClient, RemoteError};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

pub struct Attached {
    endpoints: std::sync::Arc<Endpoints>,
    /// Topology address → loopback listener, as the `up` process mapped them.
    dial: BTreeMap<IpAddr, SocketAddr>,
    /// The `up` process, kept so the lab file still names it after this process records to it.
    pid: u32,
    control_token: String,
}

impl Attached {
    pub fn new(endpoints: Endpoints, dial: BTreeMap<IpAddr, SocketAddr>, pid: u32, control_token: String) -> Attached {
        Attached { endpoints: std::sync::Arc::new(endpoints), dial, pid, control_token }
    }

    fn control(&self) -> Result<ControlClient, BackendError> {
        let url = self.endpoints.control.clone().ok_or(BackendError::NoControlApi)?;
        Ok(ControlClient::new("the lab's `bypass-lab up` process", url, &self.control_token))
    }

    /// Every role that moves lab time (in an embedded lab, one clock behind one or more URLs).
    fn clocks(&self) -> Vec<ControlClient> {
        self.endpoints
            .clocks
            .iter()
            .map(|url| ControlClient::new(format!("the lab clock at {url}"), url, &self.control_token))
            .collect()
    }

    fn appliance(&self, name: &str) -> Result<ControlClient, BackendError> {
        let (name, url) = self
            .endpoints
            .appliances
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .ok_or_else(|| BackendError::UnknownAppliance(name.to_string()))?;
        Ok(ControlClient::new(format!("the Mediation Server {name}"), url, &self.control_token))
    }

    /// The earliest of the clocks (they differ when a move failed part of the way).
    async fn lowest_clock(&self) -> Option<Duration> {
        let reads = self.clocks().into_iter().map(|c| async move { c.clock().await.ok() });
        let readings: Option<Vec<ClockReading>> = futures::future::join_all(reads).await.into_iter().collect();
        readings?.into_iter().map(|r| Duration::from_millis(r.now_ms)).min()
    }
}

#[async_trait]
impl Backend for Attached {
    fn endpoints(&self) -> std::sync::Arc<Endpoints> {
        self.endpoints.clone()
    }

    fn saved(&self) -> SavedBackend {
        SavedBackend::Embedded { dial: self.dial.clone(), pid: self.pid }
    }

    /// The embedded lab's one clock lives in the `up` process: the first clock URL reads it.
    async fn now(&self) -> Result<Duration, BackendError> {
        let clock = self.clocks().into_iter().next().ok_or(BackendError::NoClock)?;
        Ok(Duration::from_millis(clock.clock().await?.now_ms))
    }

    /// Every clock URL is asked to move to the target; each answers with the time it reached when
    /// its move budget ran out, and the lab stands at the lowest of them until all arrive.
    async fn advance(&self, by: Duration, progress: &(dyn Fn(Duration) + Sync)) -> Result<Duration, BackendError> {
        let start = self.now().await?;
        let target = start + by;
        let mut reached = start;
        loop {
            let moves = self.clocks().into_iter().map(|c| async move { c.move_clock(target).await });
            let mut lowest: Option<Duration> = None;
            let mut failure: Option<RemoteError> = None;
            for result in futures::future::join_all(moves).await {
                match result {
                    Ok(reading) => {
                        let at = Duration::from_millis(reading.now_ms);
                        lowest = Some(lowest.map_or(at, |l| l.min(at)));
                    }
                    Err(e) => {
                        failure.get_or_insert(e);
                    }
                }
            }
            if let Some(e) = failure {
                let at = self.lowest_clock().await.unwrap_or(reached);
                return Err(BackendError::clock_stopped(at, target, e.into()));
            }
            reached = lowest.unwrap_or(target);
            if reached >= target {
                return Ok(reached);
            }
            progress(reached);
        }
    }

    async fn client_host(&self, _at: IpAddr) -> Result<String, BackendError> {
        self.endpoints.clients.get("*").cloned().ok_or(BackendError::NoClientHost)
    }

    async fn cut(&self, appliance: &str) -> Result<(), BackendError> {
        Ok(self.appliance(appliance)?.set_link(false).await?)
    }

    async fn heal(&self, appliance: &str) -> Result<(), BackendError> {
        Ok(self.appliance(appliance)?.set_link(true).await?)
    }

    async fn restart(&self, appliance: &str, kill: bool) -> Result<(), BackendError> {
        self.appliance(appliance)?;
        let body = Restart { appliance: appliance.to_string(), kill };
        Ok(self.control()?.post_empty("/lab/restart", &body).await?)
    }

    async fn dns_fault(&self, server: &str, fault: DnsFault) -> Result<(), BackendError> {
        let body = super::control::DnsFaultRequest { server: server.to_string(), fault };
        Ok(self.control()?.post_empty("/lab/dns", &body).await?)
    }

    async fn stop(&self) -> Result<(), BackendError> {
        Err(BackendError::StopsWhereStarted)
    }
}

/// Whether the process runs; one that ended but was not yet reaped by its parent (a zombie) does not.
pub fn alive(pid: u32) -> bool {
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        // The state follows the parenthesised command name: `123 (bypass-lab) S ...`.
        Ok(stat) => stat.rsplit_once(") ").is_some_and(|(_, rest)| !rest.starts_with('Z') && !rest.starts_with('X')),
        Err(_) => false,
    }
}

/// Asks the `up` process to stop (SIGTERM, which it handles by stopping the lab) and waits for it
/// to end, reading /proc: a process that is not our child cannot be waited for otherwise.
pub async fn stop_process(pid: u32, deadline: Duration) -> Result<String, BackendError> {
    if !alive(pid) {
        return Ok(format!("the lab's process {pid} had already ended"));
    }
    let raw = rustix::process::Pid::from_raw(pid as i32)
        .ok_or(BackendError::Signal { pid, source: std::io::ErrorKind::InvalidInput.into() })?;
    rustix::process::kill_process(raw, rustix::process::Signal::TERM)
        .map_err(|e| BackendError::Signal { pid, source: e.into() })?;
    let until = std::time::Instant::now() + deadline;
    while alive(pid) {
        if std::time::Instant::now() >= until {
            return Err(BackendError::StillRunning { pid, waited: deadline });
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(format!("asked the lab (process {pid}) to stop; it stopped"))
}
