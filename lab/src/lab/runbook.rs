//! Running a runbook against the lab: tenant cmdlets go to the tenant as its administrator,
//! DNS cmdlets to the DNS server, and with `--on` the Mediation Server cmdlets to one appliance.

use super::{Lab, LabError};
use crate::dns::remote::DnsRemote;
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
        let mut targets = Targets {
            tenant: Some(Arc::new(TenantExecutor::new(self.tenant()))),
            dns: Some(Arc::new(DnsRemote {
                admin_url: endpoints.dns_admin.clone(),
                dns: endpoints.dns,
                token: self.secrets.control.clone(),
            })),
            appliance: None,
        };
        if let RunOn::Appliance(key) = on {
            targets.appliance = Some(Arc::new(self.appliance(key)?));
        }
        runbook::run(source, &targets).await.map_err(|e| LabError::Runbook(Box::new(e)))
    }
}
