//! The lab's DNS server as `status` and the readiness check see it: answering or not, and why.

use super::{Lab, LabError};
use crate::backend::DnsEndpoint;
use crate::dns::{lookup, Transport};
use serde::Serialize;
use std::net::SocketAddr;

/// One DNS server of the lab.
#[derive(Debug, Clone, Serialize)]
pub struct DnsStatusRow {
    /// Its name (`-ComputerName`); `dns` when the topology declares no `[[dns_server]]`.
    pub name: String,
    /// Where it answers DNS (UDP and TCP).
    pub server: SocketAddr,
    /// Its management API, which the DNS cmdlets use.
    pub management: String,
    /// Both its management API and a query for the service name got an answer.
    pub answering: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl Lab {
    /// Asks each DNS server's management API and the server itself (a query for the service
    /// name from the first site it serves): a server that is down says why.
    pub async fn dns_status(&self) -> Vec<DnsStatusRow> {
        let mut rows = Vec::new();
        for (index, server) in self.dns_endpoints().into_iter().enumerate() {
            let error = self.dns_server_problem(index, &server).await.err().map(|e| crate::http::error_chain(&e));
            rows.push(DnsStatusRow {
                name: server.name,
                server: server.dns,
                management: server.admin,
                answering: error.is_none(),
                error,
            });
        }
        rows
    }

    /// Every DNS server of the plan, the implicit one included.
    fn dns_endpoints(&self) -> Vec<DnsEndpoint> {
        let endpoints = self.endpoints();
        if !endpoints.dns_servers.is_empty() {
            return endpoints.dns_servers.clone();
        }
        let plan = self.topology.dns_server_plans().remove(0);
        vec![DnsEndpoint {
            name: plan.name,
            address: plan.address,
            dns: endpoints.dns,
            admin: endpoints.dns_admin.clone(),
        }]
    }

    /// Every client host answers its health check.
    pub(super) async fn client_hosts_problem(&self) -> Result<(), LabError> {
        for url in self.endpoints().clients.values() {
            let health = format!("{url}/healthz");
            let what = || format!("the client host at {health}");
            let status = crate::http::pool::http_for(url)
                .get(&health)
                .send()
                .await
                .map_err(|source| LabError::Unanswered { what: what(), source })?
                .status();
            if !status.is_success() {
                return Err(LabError::Unhealthy { what: what(), status });
            }
        }
        Ok(())
    }

    /// Every DNS server answers on its management API and for the service name.
    pub(super) async fn dns_problem(&self) -> Result<(), LabError> {
        for (index, server) in self.dns_endpoints().iter().enumerate() {
            self.dns_server_problem(index, server).await?;
        }
        Ok(())
    }

    async fn dns_server_problem(&self, index: usize, server: &DnsEndpoint) -> Result<(), LabError> {
        let health = format!("{}/healthz", server.admin);
        let what = || format!("DNS server {}'s management API at {health}", server.name);
        let reply = crate::http::pool::http_for(&server.admin)
            .get(&health)
            .send()
            .await
            .map_err(|source| LabError::Unanswered { what: what(), source })?;
        if !reply.status().is_success() {
            return Err(LabError::Unhealthy { what: what(), status: reply.status() });
        }
        let served = self.topology.sites_served_by(index);
        let site = self.topology.sites.iter().find(|s| served.iter().any(|n| n.eq_ignore_ascii_case(&s.name)));
        let from = site.or(self.topology.sites.first()).and_then(|s| s.subnets.first()).map(|n| n.addr());
        lookup(server.dns, &self.topology.tenant.service_name, from, Transport::Udp).await?;
        Ok(())
    }
}
