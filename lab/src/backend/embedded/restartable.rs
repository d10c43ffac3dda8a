//! The embedded lab's tenant and client host: each one's state runs as its own task that a reset
//! stops and serves again, behind an HTTP server that stays for the lab's life
//! ([`crate::http::slot`]): every address handed out stays good, and every connection to it
//! stays open across resets.

use super::launch;
use crate::auth::Secrets;
use crate::backend::role_plan::{RoleArgs, RoleSpec};
use crate::backend::{BackendError, RoleFailure};
use crate::clock::Clock;
use crate::http::slot::RouterSlot;
use crate::topology::Topology;
use std::sync::Arc;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// What every role of one embedded lab shares to be served again.
#[derive(Clone)]
pub struct RoleContext {
    pub topology: Arc<Topology>,
    pub secrets: Secrets,
    pub clock: Clock,
    /// The lab's shutdown: a role's own token is a child of it.
    pub lab: CancellationToken,
    /// The first role that ended in error, kept for the lab to report.
    pub failed: watch::Sender<Option<RoleFailure>>,
}

pub struct RestartableRole {
    spec: RoleSpec,
    /// Where its server finds the state serving now.
    slot: Arc<RouterSlot>,
    /// Its server, listening until the lab stops, whatever the state behind it.
    server: tokio::sync::Mutex<Option<JoinHandle<()>>>,
    /// Its address: a client host is named by it on the lab's clock.
    listen: std::net::SocketAddr,
    context: RoleContext,
    running: tokio::sync::Mutex<Option<(CancellationToken, JoinHandle<()>)>>,
}

impl RestartableRole {
    /// Configures the role of `spec` on `listener` and serves it.
    pub async fn start(spec: RoleSpec, listener: TcpListener, context: &RoleContext) -> Result<Self, BackendError> {
        let slot = RouterSlot::new(Default::default());
        let role = RestartableRole {
            listen: listener.local_addr()?,
            slot: slot.clone(),
            server: Default::default(),
            spec,
            context: context.clone(),
            running: Default::default(),
        };
        role.serve().await?;
        let label = launch::label(&role.spec);
        let server = crate::http::server::serve_slot(listener, slot, context.lab.child_token());
        *role.server.lock().await = Some(tokio::spawn(async move {
            if let Err(e) = server.await {
                tracing::error!("{label}: its HTTP server stopped: {e}");
            }
        }));
        Ok(role)
    }

    async fn serve(&self) -> Result<(), BackendError> {
        let c = &self.context;
        let stop = c.lab.child_token();
        let serving = launch::serve_in_slot(
            &self.spec,
            &self.slot,
            self.listen,
            &c.topology,
            &c.secrets,
            &c.clock,
            stop.clone(),
        )?;
        let task = super::spawn_watched(&c.failed, launch::label(&self.spec), serving);
        *self.running.lock().await = Some((stop, task));
        Ok(())
    }

    /// Where the role keeps what it must not forget.
    pub fn data_dir(&self) -> Option<&std::path::Path> {
        match &self.spec.args {
            RoleArgs::Tenant { args, .. } => Some(&args.data),
            RoleArgs::Client { args, .. } => Some(&args.data),
            _ => None,
        }
    }

    /// Stops the role's state and waits until it has let go of its store and the clock; its
    /// server keeps its port and connections, and requests wait for [`Self::serve_again`].
    pub async fn stop(&self) {
        if let Some((stop, task)) = self.running.lock().await.take() {
            stop.cancel();
            let _ = task.await;
        }
    }

    /// Serves the (stopped) role again behind the same server, reading its data as a start does.
    pub async fn serve_again(&self) -> Result<(), BackendError> {
        self.serve().await
    }

    /// Stops the role and its server (the lab's shutdown must be cancelled): returns once its
    /// port and connections are closed.
    pub async fn close(&self) {
        self.stop().await;
        self.slot.close();
        if let Some(server) = self.server.lock().await.take() {
            let _ = server.await;
        }
    }
}
