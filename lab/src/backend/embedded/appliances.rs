//! The embedded lab's appliances: one task and one loopback listener each, restartable in
//! place so a restart keeps the appliance's address.

use crate::backend::BackendError;
use crate::clock::Clock;
use crate::http::ControlClient;
use crate::mediation::{self, ApplianceConfig};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
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
        let mut r = Running { config, listen, stop: self.lab_shutdown.child_token(), task: None };
        r.task = Some(spawn(listener, &r, &self.clock));
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
        r.stop = self.lab_shutdown.child_token();
        r.task = Some(spawn(listener, &r, &self.clock));
        Ok(())
    }

    pub async fn stop_all(&self) {
        for r in self.running.values() {
            let mut r = r.lock().await;
            r.stop.cancel();
            if let Some(task) = r.task.take() {
                let _ = task.await;
            }
        }
    }
}

fn spawn(listener: TcpListener, r: &Running, clock: &Clock) -> JoinHandle<()> {
    let (config, clock, stop) = (r.config.clone(), clock.clone(), r.stop.clone());
    tokio::spawn(async move {
        let name = config.name.clone();
        if let Err(e) = mediation::serve(listener, config, clock, stop).await {
            tracing::error!("appliance {name}: {e}");
        }
    })
}
