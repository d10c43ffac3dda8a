//! The embedded lab's appliances: one task and one loopback listener each, restartable in
//! place so a restart keeps the appliance's address.

use crate::backend::BackendError;
use crate::clock::Clock;
use crate::http::{ControlClient, RemoteError, RemoteErrorKind};
use crate::mediation::{ApplianceConfig, ApplianceStatus, LocalStore, MediationServer};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::Mutex;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct Appliances {
    clock: Clock,
    lab_shutdown: CancellationToken,
    running: BTreeMap<String, Mutex<Running>>,
}

struct Running {
    config: ApplianceConfig,
    /// The Mediation Server serving now (a restart opens another).
    server: MediationServer,
    listen: SocketAddr,
    stop: CancellationToken,
    task: Option<JoinHandle<()>>,
}

impl Appliances {
    pub fn new(clock: &Clock, lab_shutdown: &CancellationToken) -> Appliances {
        Appliances { clock: clock.clone(), lab_shutdown: lab_shutdown.clone(), running: BTreeMap::new() }
    }

    /// Starts an appliance on `listener`; a restart takes the same address again.
    pub fn add(&mut self, config: ApplianceConfig, listener: TcpListener) -> Result<(), BackendError> {
        let listen = listener.local_addr()?;
        let name = config.name.clone();
        let server = open(&config, &self.clock)?;
        let mut r = Running { config, server, listen, stop: self.lab_shutdown.child_token(), task: None };
        r.task = Some(spawn(listener, &r));
        self.running.insert(name, Mutex::new(r));
        Ok(())
    }

    /// Topology address → loopback listener.
    pub fn dial(&self) -> BTreeMap<IpAddr, SocketAddr> {
        self.running
            .values()
            .map(|r| r.try_lock().map(|r| (r.config.address, r.listen)).expect("not yet shared"))
            .collect()
    }

    pub fn urls(&self) -> BTreeMap<String, String> {
        self.running
            .iter()
            .map(|(name, r)| (name.clone(), format!("http://{}", r.try_lock().expect("not yet shared").listen)))
            .collect()
    }

    /// Any appliance's base URL: in this backend every `/lab/clock` moves the one shared clock.
    pub fn any_url(&self) -> String {
        self.urls().into_values().next().unwrap_or_default()
    }

    fn get(&self, name: &str) -> Result<&Mutex<Running>, BackendError> {
        self.running
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, r)| r)
            .ok_or_else(|| BackendError::UnknownAppliance(name.to_string()))
    }

    /// The appliance's status as its `GET /lab/status` answers it, read in this process; `None`
    /// for a name the lab does not know (the network read reports it). A Mediation Server that
    /// is not serving is unreachable, as it would be over the network.
    pub async fn status(&self, name: &str) -> Option<Result<ApplianceStatus, RemoteError>> {
        let r = self.get(name).ok()?;
        let (server, serving, listen) = {
            let r = r.lock().await;
            (r.server.clone(), r.task.as_ref().is_some_and(|t| !t.is_finished()), r.listen)
        };
        if !serving {
            let url = format!("http://{listen}");
            let kind = RemoteErrorKind::Unreachable { url, reason: "the Mediation Server is not running".into() };
            return Some(Err(RemoteError::new(crate::mediation::PEER, kind)));
        }
        Some(Ok(server.status().await))
    }

    /// Cuts or heals the appliance's link to the tenant through its control API.
    pub async fn set_link(&self, name: &str, up: bool, token: &str) -> Result<(), BackendError> {
        let url = format!("http://{}", self.get(name)?.lock().await.listen);
        Ok(ControlClient::new(format!("the Mediation Server {name}"), url, token).set_link(up).await?)
    }

    /// Stops the appliance (cleanly, or abruptly with `kill`) and serves it again at the same
    /// address from the same LocalStore.
    pub async fn restart(&self, name: &str, kill: bool) -> Result<(), BackendError> {
        let mut r = self.get(name)?.lock().await;
        if let Some(task) = r.task.take() {
            if kill {
                task.abort();
            } else {
                r.stop.cancel();
            }
            let _ = task.await;
        }
        let listener = TcpListener::bind(r.listen).await?;
        r.server = open(&r.config, &self.clock)?;
        r.stop = self.lab_shutdown.child_token();
        r.task = Some(spawn(listener, &r));
        Ok(())
    }

    /// Every appliance's LocalStore as it stands now, by name: what a reset puts back.
    pub async fn checkpoint(&self) -> BTreeMap<String, LocalStore> {
        let mut stores = BTreeMap::new();
        for (name, r) in &self.running {
            stores.insert(name.clone(), r.lock().await.server.local_store());
        }
        stores
    }

    /// Puts every appliance back as the checkpoint holds it, in place: each keeps serving on its
    /// port, and the clock's put-back starts its schedule over. The clock must be settled.
    /// Thousands of LocalStore files are rewritten: on every core at once.
    pub async fn restore(&self, stores: &Arc<BTreeMap<String, LocalStore>>) -> Result<(), BackendError> {
        let mut servers = Vec::with_capacity(self.running.len());
        for (name, r) in &self.running {
            let r = r.lock().await;
            if r.task.as_ref().is_none_or(JoinHandle::is_finished) {
                return Err(lost(name, "it is not running".into()));
            }
            if !stores.contains_key(name) {
                return Err(lost(name, "the checkpoint does not hold it".into()));
            }
            servers.push((name.clone(), r.server.clone()));
        }
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
        let share = servers.len().div_ceil(threads).max(1);
        let mut putting_back = Vec::with_capacity(threads);
        while !servers.is_empty() {
            let part: Vec<_> = servers.drain(..share.min(servers.len())).collect();
            let stores = stores.clone();
            putting_back.push(tokio::task::spawn_blocking(move || {
                for (name, server) in part {
                    server.put_back(&stores[&name]).map_err(|e| lost(&name, e.to_string()))?;
                }
                Ok::<(), BackendError>(())
            }));
        }
        for part in putting_back {
            part.await.map_err(|e| BackendError::Checkpoint {
                part: "the appliances".into(),
                reason: format!("putting their LocalStores back failed: {e}"),
            })??;
        }
        Ok(())
    }

    /// Stops every appliance and waits until each has let go of its port and the clock. All are
    /// told first, then awaited: they shut down side by side, not one after another.
    pub async fn stop_all(&self) {
        let mut stopping = Vec::with_capacity(self.running.len());
        for r in self.running.values() {
            let mut r = r.lock().await;
            r.stop.cancel();
            stopping.extend(r.task.take());
        }
        for task in stopping {
            let _ = task.await;
        }
    }
}

fn lost(name: &str, reason: String) -> BackendError {
    BackendError::Checkpoint { part: format!("appliance {name}"), reason }
}

fn open(config: &ApplianceConfig, clock: &Clock) -> Result<MediationServer, BackendError> {
    MediationServer::open(config.clone(), clock.clone())
        .map_err(|source| BackendError::ApplianceConfig { appliance: config.name.clone(), source })
}

fn spawn(listener: TcpListener, r: &Running) -> JoinHandle<()> {
    let (server, stop, name) = (r.server.clone(), r.stop.clone(), r.config.name.clone());
    tokio::spawn(async move {
        if let Err(e) = server.run(listener, stop).await {
            tracing::error!("appliance {name}: {e}");
        }
    })
}
