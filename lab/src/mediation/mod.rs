//! A Cloud Connector appliance's Mediation Server: the replication agent, its LocalStore, the
//! hybridconfig web service and the PSTN call path.

pub mod call;
pub mod cmdlets;
pub mod document;
pub mod status;

use crate::clock::Clock;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// How one appliance is started.
#[derive(Debug, Clone)]
pub struct ApplianceConfig {
    pub name: String,
    pub site_name: String,
    pub fqdn: String,
    /// The Mediation Server's address in the topology (what DNS hands to clients).
    pub address: IpAddr,
    /// The site's PSTN gateway.
    pub gateway: IpAddr,
    /// The web service answers only for this Host.
    pub service_name: String,
    /// Base URL of the tenant, e.g. `http://127.0.0.1:41000`.
    pub tenant_url: String,
    /// This appliance's own credential towards the tenant.
    pub credential: String,
    /// The lab's control credential (status, cmdlets, clock, faults).
    pub control_token: String,
    /// Holds the LocalStore; survives restart and kill -9.
    pub data_dir: PathBuf,
    pub replication_window: Duration,
    /// This appliance's sync offset inside the window.
    pub sync_offset: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum MediationError {
    #[error("no appliance named '{0}' in the topology")]
    UnknownAppliance(String),
    #[error("appliance {name}: LocalStore at {path}: {reason}")]
    LocalStore { name: String, path: String, reason: String },
    #[error("appliance service: {0}")]
    Io(#[from] std::io::Error),
}

/// Runs the appliance (replication on `clock`, web service and control API on `listener`) until
/// `shutdown` is cancelled.
pub async fn serve(
    listener: TcpListener,
    config: ApplianceConfig,
    clock: Clock,
    shutdown: CancellationToken,
) -> Result<(), MediationError> {
    let _ = (listener, config, clock, shutdown);
    todo!("appliance role")
}

/// The configuration of appliance `name` of a topology (sync offset seeded from the topology).
pub fn appliance_config(
    topology: &crate::topology::Topology,
    secrets: &crate::auth::Secrets,
    name: &str,
    tenant_url: &str,
    data_dir: Option<PathBuf>,
) -> Result<ApplianceConfig, MediationError> {
    let _ = (topology, secrets, name, tenant_url, data_dir);
    todo!("appliance config from topology")
}
