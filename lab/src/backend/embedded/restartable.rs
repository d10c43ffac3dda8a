//! The embedded lab's tenant and client host: each runs as its own task that a reset stops and
//! serves again on the same socket, so every address handed out stays good.

use super::kept::KeptListener;
use super::launch::{self, Sockets};
use crate::auth::Secrets;
use crate::backend::role_plan::{RoleArgs, RoleSpec};
use crate::backend::{BackendError, RoleFailure};
use crate::clock::Clock;
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
    /// Its port, never let go until the lab is dropped (see `kept.rs`).
    kept: KeptListener,
    context: RoleContext,
    running: tokio::sync::Mutex<Option<(CancellationToken, JoinHandle<()>)>>,
}

impl RestartableRole {
    /// Configures the role of `spec` on `listener` and serves it.
    pub async fn start(spec: RoleSpec, listener: TcpListener, context: &RoleContext) -> Result<Self, BackendError> {
        let role = RestartableRole {
            kept: KeptListener::of(&listener)?,
            spec,
            context: context.clone(),
            running: Default::default(),
        };
        role.serve(listener).await?;
        Ok(role)
    }

    async fn serve(&self, listener: TcpListener) -> Result<(), BackendError> {
        let c = &self.context;
        let stop = c.lab.child_token();
        let serving =
            launch::serve_role(&self.spec, Sockets::Http(listener), &c.topology, &c.secrets, &c.clock, stop.clone())
                .await?;
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

    /// Stops the role and waits until it has let go of its port, its store and the clock.
    pub async fn stop(&self) {
        if let Some((stop, task)) = self.running.lock().await.take() {
            stop.cancel();
            let _ = task.await;
        }
    }

    /// Serves the (stopped) role again on its port, reading its data as a start does.
    pub async fn serve_again(&self) -> Result<(), BackendError> {
        self.serve(self.kept.listener()?).await
    }
}
