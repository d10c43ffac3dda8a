//! Running a runbook against the lab: the Lab builds the cmdlet table the runner is handed. Tenant
//! cmdlets go to the tenant as its administrator, DNS cmdlets to the DNS server, and with `--on`
//! the Mediation Server cmdlets to one appliance; each role declares its own cmdlets.

use super::appliances::Reach;
use super::{Lab, LabError};
use crate::dns::{DnsRemote, DnsServers, NamedServer};
use crate::runbook::{self, CmdletError, CmdletOutput, CmdletTable, Executor, Invocation, Transcript};
use crate::tenant::{session_specs, InSession, TenantExecutor, TenantRemote};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, oneshot};

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
    /// The lab's clock, for `Start-Sleep`.
    pub clock: Option<Arc<dyn Executor>>,
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
            .with(crate::clock::cmdlets::specs(), self.clock)
            .with_views(crate::tenant::FORMAT)
            .with_views(crate::dns::cmdlets_output::FORMAT)
            .with_views(crate::mediation::cmdlets::FORMAT)
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
                Some((_, address)) => Arc::new(
                    remote(&endpoints.dns_admin, endpoints.dns).as_from(self.lab.topology.query_source(*address)),
                ),
                None => Arc::new(remote(&endpoints.dns_admin, endpoints.dns)),
            }
        } else {
            Arc::new(DnsServers {
                servers: endpoints
                    .dns_servers
                    .iter()
                    .map(|d| NamedServer { name: d.name.clone(), address: d.address, remote: remote(&d.admin, d.dns) })
                    .collect(),
                resolver: workstation.as_ref().map(|(_, address)| {
                    let topology = &self.lab.topology;
                    (topology.dns_server_index_for(*address), topology.query_source(*address))
                }),
            })
        };
        // Connections to the DNS servers' management APIs, kept for the length of the run: its
        // cmdlets go out one after another, and thousands of records each on a connection of its
        // own would spend more time connecting than running. The remotes borrow them.
        let admin_urls = std::iter::once(&endpoints.dns_admin).chain(endpoints.dns_servers.iter().map(|d| &d.admin));
        let _kept: Vec<_> = admin_urls.filter_map(|url| crate::http::pool::for_peer(url)).collect();
        // What `Lab::tenant` gives, without reading the endpoints again.
        let tenant = TenantRemote::new(endpoints.tenant.clone(), self.lab.secrets.admin.clone());
        let (sleeper, mut sleeps) = Sleeper::new();
        let mut executors = RoleExecutors {
            tenant: Some(Arc::new(TenantExecutor::new(tenant).starting_at(self.lab.topology.tenant.start_time_of_day))),
            dns: Some(dns),
            appliance: None,
            clock: Some(Arc::new(sleeper)),
        };
        if let RunOn::Appliance(key) = on {
            executors.appliance = Some(Arc::new(self.appliance(key)?));
        }
        let table = executors.cmdlet_table();
        // `Start-Sleep` asks for lab time through a channel, answered here, beside the run: the
        // lab cannot be lent to an executor that outlives this call.
        let clock = async {
            while let Some((by, reply)) = sleeps.recv().await {
                let moved = self.lab.advance(by).await.map(|_| ()).map_err(|e| e.to_string());
                let _ = reply.send(moved);
            }
            std::future::pending::<std::convert::Infallible>().await
        };
        let ran = tokio::select! {
            ran = runbook::run(source, &table) => ran,
            never = clock => match never {},
        };
        let mut transcript = ran.map_err(|e| LabError::Runbook(Box::new(e)))?;
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

/// A request for lab time: how far, and where to say whether the lab got there.
type Sleep = (Duration, oneshot::Sender<Result<(), String>>);

/// `Start-Sleep`'s executor: sends the duration to the run that owns the lab and waits until
/// lab time has moved that far.
struct Sleeper {
    requests: mpsc::Sender<Sleep>,
}

impl Sleeper {
    fn new() -> (Sleeper, mpsc::Receiver<Sleep>) {
        let (requests, receiver) = mpsc::channel(1);
        (Sleeper { requests }, receiver)
    }
}

#[async_trait::async_trait]
impl Executor for Sleeper {
    async fn execute(&self, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
        let by = crate::clock::cmdlets::sleep_duration(invocation)?;
        let (reply, moved) = oneshot::channel();
        let gone = || CmdletError::new("Start-Sleep : the lab's clock is no longer reachable");
        self.requests.send((by, reply)).await.map_err(|_| gone())?;
        moved.await.map_err(|_| gone())?.map_err(|e| CmdletError::new(format!("Start-Sleep : {e}")))?;
        Ok(CmdletOutput::nothing())
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
