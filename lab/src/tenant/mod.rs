//! The mock tenant: the Skype for Business Online side of a hybrid deployment.
//!
//! The submodules are private; what other parts of the lab name is re-exported here.
//!
//! Layout: `model.rs` the configuration the tenant holds and appliances copy; `state.rs` and
//! `store.rs` that configuration live and on disk, `record.rs` its records as bytes (each with a
//! checksum); `routes.rs`, `access.rs` and `api_error.rs` the HTTP API, who may call it and how
//! it refuses; `internal_url.rs` what a web service URL must be;
//! `users.rs` which users the tenant has; `cmdlets.rs`, `in_session.rs` and `objects.rs` the
//! tenant's cmdlets, those that run in the admin's own session, and the objects they print (and
//! how the console shows them); `remote.rs` calling the tenant over HTTP.

mod access;
mod api_error;
pub(crate) mod cmdlets;
mod in_session;
mod internal_url;
mod model;
mod objects;
mod record;
mod remote;
mod routes;
mod state;
mod store;
mod users;

pub use cmdlets::TenantExecutor;
pub use in_session::{session_specs, InSession};
pub use model::{
    appliance_identity, tenant_id, user_key, ApplianceContact, ApplianceRecord, ApplianceRegistration, BypassMode,
    HybridConfiguration, HybridConfigurationAnswer, HybridConfigurationChange, HybridPstnSite, MediaBypassParameters,
    MediaBypassSettings, NetworkConfiguration, Provisioning, PstnRoute, TenantConfiguration, TenantInfo,
    UserPstnSettings, ALWAYS_BYPASS_IGNORED,
};
pub use objects::{appliance_object, network_object, FORMAT};
pub use record::{decode_appliance, decode_configuration, RecordError, COMMIT_ATTRIBUTE};
pub use remote::TenantRemote;
pub use routes::MAX_LONG_POLL;
pub use store::{Store, TenantState};

use crate::auth::Secrets;
use crate::topology::Topology;
use std::net::SocketAddr;
use std::path::PathBuf;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How a tenant role is started.
#[derive(Debug, Clone)]
pub struct TenantConfig {
    /// Where the tenant's embedded store lives; state survives restarts and kill -9.
    pub data_dir: PathBuf,
    /// SIP domains (URL validation) and the appliances allowed to register.
    pub topology: Topology,
    pub secrets: Secrets,
}

/// What starting a tenant takes beyond the topology and the secrets: `bypass-lab serve tenant`
/// parses it, and a lab's plan renders it back to that command line.
#[derive(Debug, Clone, PartialEq, Eq, clap::Args)]
pub struct TenantArgs {
    /// The tenant's HTTP API.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// The tenant's store.
    #[arg(long, default_value = ".bypass-lab/tenant")]
    pub data: PathBuf,
}

impl TenantArgs {
    pub fn config(&self, topology: &Topology, secrets: &Secrets) -> TenantConfig {
        TenantConfig { data_dir: self.data.clone(), topology: topology.clone(), secrets: secrets.clone() }
    }

    /// The arguments as `serve tenant` reads them.
    pub fn argv(&self) -> Vec<String> {
        vec!["--listen".into(), self.listen.to_string(), "--data".into(), self.data.to_string_lossy().into_owned()]
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("tenant store at {path}: {reason}")]
    Store { path: String, reason: String },
    /// One record of the store is damaged: refused, never read as other data.
    #[error("tenant store at {path}: record {record}: {reason}; to start the tenant afresh, move the file away (all tenant data starts over at version 1)")]
    Record { path: String, record: String, reason: String },
    #[error(transparent)]
    Panicked(#[from] crate::role_tasks::RolePanicked),
    #[error("tenant service: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves the tenant's HTTP API on `listener` until `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    config: TenantConfig,
    shutdown: CancellationToken,
) -> Result<(), TenantError> {
    start(listener, config, shutdown)?.await
}

/// Opens and reads the store, and only then returns the future that serves: a store that
/// cannot be read fails the start, before anyone is told the tenant is ready.
pub fn start(
    listener: TcpListener,
    config: TenantConfig,
    shutdown: CancellationToken,
) -> Result<impl std::future::Future<Output = Result<(), TenantError>> + Send + 'static, TenantError> {
    let slot = crate::http::slot::RouterSlot::new(Default::default());
    let serving = start_in(&slot, config, shutdown.clone())?;
    Ok(async move {
        // The listener stops with the state: a panic stops the whole role.
        let server = shutdown.child_token();
        let served = tokio::spawn(crate::http::server::serve_slot(listener, slot, server.clone()));
        let outcome = serving.await;
        server.cancel();
        served.await.map_err(|e| std::io::Error::other(e.to_string()))??;
        outcome
    })
}

/// As [`start`], serving through `slot` (whose server outlives this state, as across an
/// embedded lab's reset): the future ends once `shutdown` is cancelled (or a panic stopped the
/// tenant), every request on this state has been answered and its store is closed.
pub fn start_in(
    slot: &std::sync::Arc<crate::http::slot::RouterSlot>,
    config: TenantConfig,
    shutdown: CancellationToken,
) -> Result<impl std::future::Future<Output = Result<(), TenantError>> + Send + 'static, TenantError> {
    let store = store::Store::open(&config.data_dir)?;
    let state = store.load()?;
    let slot = slot.clone();
    Ok(async move {
        tracing::info!(version = state.configuration.version, data = %config.data_dir.display(), "tenant starting");
        let tasks = crate::role_tasks::RoleTasks::new("tenant", &shutdown);
        let (tenant, closed) = state::Tenant::new(state, store, config.topology, config.secrets, tasks.clone());
        let installed = slot.install(tasks.router(routes::router(tenant)));
        tasks.stop().cancelled().await;
        installed.withdraw().await;
        // The router (and with it every handle to the tenant) is gone: the committer ends.
        let _ = closed.await;
        let outcome = tasks.outcome();
        if outcome.is_err() {
            slot.close();
        }
        Ok(outcome?)
    })
}
