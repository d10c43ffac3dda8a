//! Running a runbook against the lab: tenant cmdlets go to the tenant as its administrator,
//! DNS cmdlets to the DNS server, and with `--on` the Mediation Server cmdlets to one appliance.

use super::{Lab, LabError};
use crate::dns::DnsRemote;
use crate::dns::{DnsServers, NamedServer};
use crate::runbook::{self, Targets, Transcript};
use crate::tenant::cmdlets::TenantExecutor;
use std::sync::Arc;

/// Where a runbook is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOn {
    /// The admin's remote PowerShell session (tenant and DNS cmdlets).
    Tenant,
    /// A PowerShell session on this appliance's Mediation Server (name or address).
    Appliance(String),
}

impl Lab {
    pub async fn run_runbook(&self, source: &str, on: &RunOn) -> Result<Transcript, LabError> {
        let endpoints = self.endpoints();
        let remote = |admin_url: &str, dns| DnsRemote {
            admin_url: admin_url.to_string(),
            dns,
            token: self.secrets.control.clone(),
        };
        let dns: Arc<dyn crate::runbook::Executor> = if endpoints.dns_servers.is_empty() {
            Arc::new(remote(&endpoints.dns_admin, endpoints.dns))
        } else {
            Arc::new(DnsServers {
                servers: endpoints
                    .dns_servers
                    .iter()
                    .map(|d| NamedServer { name: d.name.clone(), address: d.address, remote: remote(&d.admin, d.dns) })
                    .collect(),
            })
        };
        let mut targets =
            Targets { tenant: Some(Arc::new(TenantExecutor::new(self.tenant()))), dns: Some(dns), appliance: None };
        if let RunOn::Appliance(key) = on {
            targets.appliance = Some(Arc::new(self.appliance(key)?));
        }
        runbook::run(source, &targets).await.map_err(|e| LabError::Runbook(Box::new(e)))
    }
}
