//! Running a runbook against the lab: the Lab builds the cmdlet table the runner is handed. Tenant
//! cmdlets go to the tenant as its administrator, DNS cmdlets to the DNS server, and with `--on`
//! the Mediation Server cmdlets to one appliance; each role declares its own cmdlets.

use super::appliances::Reach;
use super::{Lab, LabError};
use crate::dns::{DnsRemote, DnsServers, NamedServer};
use crate::runbook::{self, CmdletTable, Executor, Transcript};
use crate::tenant::{session_specs, InSession, TenantExecutor, TenantRemote};
use std::sync::Arc;

/// Where a runbook is run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RunOn {
    /// The admin's own PowerShell session: remote PowerShell to the tenant, and the DNS server.
    AdminSession,
    /// A PowerShell session on this appliance's Mediation Server (name or address).
    Appliance(String),
}

/// The executor each role has in one run. A role left `None` still declares its cmdlets, so a
/// line naming one says where it must run instead of "not recognized".
#[derive(Clone, Default)]
pub struct RoleExecutors {
    /// Remote PowerShell to the tenant, as its administrator.
    pub tenant: Option<Arc<dyn Executor>>,
    /// The DNS server (or servers, picked by `-ComputerName`).
    pub dns: Option<Arc<dyn Executor>>,
    /// A session on one appliance's Mediation Server, when the run is `--on` it.
    pub appliance: Option<Arc<dyn Executor>>,
}

impl RoleExecutors {
    /// The table the runner is handed. The admin's in-session cmdlets come first and always run;
    /// a name two roles declare goes to the first present (the runner prefers an appliance's own
    /// cmdlet when the run is `--on` one).
    pub fn cmdlet_table(self) -> CmdletTable {
        CmdletTable::new()
            .with(session_specs(), Some(Arc::new(InSession)))
            .with(crate::tenant::cmdlets::specs(), self.tenant)
            .with(crate::dns::cmdlets::specs(), self.dns)
            .with(crate::mediation::cmdlets::specs(), self.appliance)
    }
}

/// Every modelled cmdlet, for `bypass-lab cmdlets`.
pub fn modelled_cmdlets() -> CmdletTable {
    RoleExecutors::default().cmdlet_table()
}

impl Lab {
    pub async fn run_runbook(&self, source: &str, on: &RunOn) -> Result<Transcript, LabError> {
        self.reach().run_runbook(source, on).await
    }
}

impl Reach<'_> {
    /// [`Lab::run_runbook`], with the endpoints this reach read.
    pub async fn run_runbook(&self, source: &str, on: &RunOn) -> Result<Transcript, LabError> {
        let endpoints = &self.endpoints;
        let token = &self.lab.secrets.control;
        let remote = |admin_url: &str, dns| DnsRemote { admin_url: admin_url.to_string(), dns, token: token.clone() };
        // The admin's own session runs `Resolve-DnsName` from the workstation the plan places.
        let workstation = matches!(on, RunOn::AdminSession).then(|| self.lab.topology.admin_workstation()).flatten();
        let dns: Arc<dyn Executor> = if endpoints.dns_servers.is_empty() {
            match &workstation {
                Some((_, address)) => Arc::new(remote(&endpoints.dns_admin, endpoints.dns).as_from(*address)),
                None => Arc::new(remote(&endpoints.dns_admin, endpoints.dns)),
            }
        } else {
            Arc::new(DnsServers {
                servers: endpoints
                    .dns_servers
                    .iter()
                    .map(|d| NamedServer { name: d.name.clone(), address: d.address, remote: remote(&d.admin, d.dns) })
                    .collect(),
                resolver: workstation
                    .as_ref()
                    .map(|(_, address)| (self.lab.topology.dns_server_index_for(*address), *address)),
            })
        };
        // Connections to the DNS servers' management APIs, kept for the length of the run: its
        // cmdlets go out one after another, and thousands of records each on a connection of its
        // own would spend more time connecting than running. The remotes borrow them.
        let admin_urls = std::iter::once(&endpoints.dns_admin).chain(endpoints.dns_servers.iter().map(|d| &d.admin));
        let _kept: Vec<_> = admin_urls.filter_map(|url| crate::http::pool::for_peer(url)).collect();
        // What `Lab::tenant` gives, without reading the endpoints again.
        let tenant = TenantRemote::new(endpoints.tenant.clone(), self.lab.secrets.admin.clone());
        let mut executors =
            RoleExecutors { tenant: Some(Arc::new(TenantExecutor::new(tenant))), dns: Some(dns), appliance: None };
        if let RunOn::Appliance(key) = on {
            executors.appliance = Some(Arc::new(self.appliance(key)?));
        }
        let mut transcript =
            runbook::run(source, &executors.cmdlet_table()).await.map_err(|e| LabError::Runbook(Box::new(e)))?;
        if let Some((place, address)) = &workstation {
            for step in &mut transcript.steps {
                if step.source.to_ascii_lowercase().contains("resolve-dnsname") {
                    step.information.push(format!("as resolved from {place} {address}, the admin's workstation"));
                }
            }
        }
        Ok(transcript)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::runbook::{CmdletSpec, Target};

    /// A name a role declared twice would make one of its handlers unreachable.
    #[test]
    fn every_role_declares_each_cmdlet_once() {
        let roles: [(&str, Vec<&CmdletSpec>); 4] = [
            ("admin session", session_specs().collect()),
            ("tenant", crate::tenant::cmdlets::specs().collect()),
            ("DNS server", crate::dns::cmdlets::specs().collect()),
            ("Mediation Server", crate::mediation::cmdlets::specs().collect()),
        ];
        for (role, specs) in roles {
            assert!(!specs.is_empty(), "{role} declares no cmdlet");
            let mut names: Vec<String> = specs.iter().map(|s| s.name.to_ascii_lowercase()).collect();
            names.sort();
            let count = names.len();
            names.dedup();
            assert_eq!(names.len(), count, "{role} declares a cmdlet twice");
        }
    }

    #[test]
    fn the_listing_says_where_each_runs() {
        let listed = modelled_cmdlets().listing();
        let runs = |name: &str| listed.iter().filter(|l| l.spec.name == name).map(|l| l.runs).collect::<Vec<_>>();
        assert_eq!(
            runs("New-CsNetworkMediaBypassConfiguration"),
            ["in the runner (builds an object, changes nothing)"]
        );
        assert_eq!(
            runs("Get-CsNetworkConfiguration"),
            ["against the tenant (Skype for Business Online)", "on a Mediation Server (run --on APPLIANCE)"]
        );
        assert!(listed.iter().any(|l| l.spec.target == Target::Dns));
    }
}
