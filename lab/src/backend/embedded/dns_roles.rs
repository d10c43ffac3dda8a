//! The embedded lab's DNS servers, each stoppable and restartable on the same loopback sockets
//! (`fault stop|restart dns [NAME]`). A server's configuration lives apart from its sockets, so
//! it survives a restart as Windows keeps it in AD and zone files. Its management API's HTTP
//! server outlives a lab reset (`http::slot`), so the lab's kept connections to it do too; a
//! fault's stop closes it with the rest.

use super::super::{BackendError, DnsEndpoint, DnsFault};
use super::kept::{KeptDnsSockets, KeptListener};
use crate::backend::RoleFailure;
use crate::clock::Clock;
use crate::dns::{Directory, DnsState};
use crate::dns::{DnsConfig, DnsSockets, ForwardPath};
use crate::http::slot::RouterSlot;
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

pub struct DnsRole {
    pub name: String,
    state: Arc<RwLock<DnsState>>,
    config: DnsConfig,
    clock: Clock,
    /// Where it answers DNS (UDP and TCP) and its management API: the same after a restart.
    dns: SocketAddr,
    admin: SocketAddr,
    /// The lab's shutdown: a server's own token is a child of it.
    lab: CancellationToken,
    running: tokio::sync::Mutex<Option<(CancellationToken, JoinHandle<()>)>>,
    /// Its sockets while it runs, so a reset serves it again without letting its ports go
    /// (`kept.rs`); a fault's stop lets them go, as a stopped Windows server does.
    kept: std::sync::Mutex<Option<KeptDnsSockets>>,
    /// How it reaches the other servers' plan addresses when it forwards, and its own plan
    /// address, stated by ECS as the embedded lab's clients state theirs.
    forward: Arc<ForwardPath>,
    /// The management API's server while its port is held.
    admin_server: tokio::sync::Mutex<Option<AdminServer>>,
}

/// A management API's HTTP server, serving whatever state its slot holds.
struct AdminServer {
    slot: Arc<RouterSlot>,
    stop: CancellationToken,
    task: JoinHandle<()>,
}

impl AdminServer {
    /// Serves a second descriptor of `sockets`' management socket until stopped.
    fn on(sockets: &DnsSockets, name: &str, lab: &CancellationToken) -> Result<AdminServer, BackendError> {
        let listener = KeptListener::of(&sockets.admin)?.listener()?;
        let (slot, stop) = (RouterSlot::new(Default::default()), lab.child_token());
        let served = crate::http::server::serve_slot(listener, slot.clone(), stop.clone());
        let name = name.to_string();
        let task = tokio::spawn(async move {
            if let Err(e) = served.await {
                tracing::error!("DNS server {name}: its management API stopped: {e}");
            }
        });
        Ok(AdminServer { slot, stop, task })
    }

    async fn close(self) {
        self.stop.cancel();
        let _ = self.task.await;
    }
}

impl DnsRole {
    /// Configures one server on its sockets and starts it.
    pub async fn start(
        plan_name: &str,
        config: DnsConfig,
        clock: &Clock,
        directory: &Directory,
        lab: &CancellationToken,
        sockets: DnsSockets,
        forward: ForwardPath,
    ) -> Result<DnsRole, BackendError> {
        let (dns, admin) = (sockets.udp.local_addr()?, sockets.admin.local_addr()?);
        let state = crate::dns::new_state(&config, clock.clone(), Some((directory.clone(), plan_name.to_string())));
        let role = DnsRole {
            name: plan_name.to_string(),
            state,
            config,
            clock: clock.clone(),
            dns,
            admin,
            lab: lab.clone(),
            running: Default::default(),
            kept: Default::default(),
            forward: Arc::new(forward),
            admin_server: Default::default(),
        };
        role.serve(sockets, true).await?;
        Ok(role)
    }

    /// Configures (on a first start) and serves; a configuration that fails is the role's
    /// failure, so no lab is called ready with a dead DNS server.
    async fn serve(&self, sockets: DnsSockets, configure_first: bool) -> Result<(), BackendError> {
        *self.kept.lock().unwrap() = Some(KeptDnsSockets::of(&sockets)?);
        let slot = {
            let mut admin = self.admin_server.lock().await;
            if admin.is_none() {
                *admin = Some(AdminServer::on(&sockets, &self.name, &self.lab)?);
            }
            admin.as_ref().map(|a| a.slot.clone())
        };
        let stop = self.lab.child_token();
        let serving = crate::dns::start_state(
            sockets,
            self.config.clone(),
            self.state.clone(),
            self.clock.clone(),
            configure_first,
            self.forward.clone(),
            slot,
            stop.clone(),
        )
        .await
        .map_err(|e| RoleFailure { role: "dns".into(), cause: format!("DNS server {}: {e}", self.name) })?;
        let name = self.name.clone();
        let task = tokio::spawn(async move {
            if let Err(e) = serving.await {
                tracing::error!("DNS server {name}: {e}");
            }
        });
        *self.running.lock().await = Some((stop, task));
        Ok(())
    }

    /// Stops the server and waits until its sockets are closed; stopping a stopped server is a
    /// no-op.
    pub async fn stop(&self) {
        if let Some((stop, task)) = self.running.lock().await.take() {
            stop.cancel();
            let _ = task.await;
        }
    }

    /// Stops the server and its management API's server: every port let go.
    pub async fn close(&self) {
        self.stop().await;
        if let Some(admin) = self.admin_server.lock().await.take() {
            admin.close().await;
        }
    }

    pub async fn fault(&self, fault: DnsFault) -> Result<(), BackendError> {
        self.close().await;
        self.kept.lock().unwrap().take();
        if fault == DnsFault::Restart {
            self.serve(self.sockets_back().await?, false).await?;
        }
        Ok(())
    }

    /// Stops the server, forgets everything configured on it since, and starts it as the lab's
    /// start did, in `directory` (the forest's AD, as new as the server).
    pub async fn reset(&self, directory: &Directory) -> Result<(), BackendError> {
        self.stop().await;
        let fresh =
            crate::dns::fresh_state(&self.config, self.clock.clone(), Some((directory.clone(), self.name.clone())));
        *self.state.write().unwrap() = fresh;
        let kept = self.kept.lock().unwrap().take();
        let sockets = match kept {
            Some(kept) => kept.sockets()?,
            None => self.sockets_back().await?,
        };
        self.serve(sockets, true).await
    }

    async fn sockets_back(&self) -> Result<DnsSockets, BackendError> {
        DnsSockets::bind(self.dns, self.admin).await.map_err(|source| BackendError::DnsSockets {
            server: self.name.clone(),
            dns: self.dns,
            admin: self.admin,
            source,
        })
    }

    pub fn endpoint(&self, address: std::net::IpAddr) -> DnsEndpoint {
        DnsEndpoint { name: self.name.clone(), address, dns: self.dns, admin: format!("http://{}", self.admin) }
    }
}
