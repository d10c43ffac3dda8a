//! The mock tenant: the Skype for Business Online side of a hybrid deployment.

pub mod model;
pub mod remote;

use crate::auth::Secrets;
use crate::topology::Topology;
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

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("tenant store at {path}: {reason}")]
    Store { path: String, reason: String },
    #[error("tenant service: {0}")]
    Io(#[from] std::io::Error),
}

/// Serves the tenant's HTTP API on `listener` until `shutdown` is cancelled.
pub async fn serve(listener: TcpListener, config: TenantConfig, shutdown: CancellationToken) -> Result<(), TenantError> {
    let _ = (listener, config, shutdown);
    todo!("tenant role")
}
