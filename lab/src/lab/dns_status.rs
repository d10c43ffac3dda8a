//! The lab's DNS server as `status` and the readiness check see it: answering or not, and why.

use super::{Lab, LabError};
use crate::dns::{lookup, Transport};
use serde::Serialize;
use std::net::SocketAddr;

/// One DNS server of the lab.
#[derive(Debug, Clone, Serialize)]
pub struct DnsStatusRow {
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
    /// Asks the DNS server's management API and the server itself (a query for the service
    /// name from the first site): a server that is down says why.
    pub async fn dns_status(&self) -> DnsStatusRow {
        let endpoints = self.endpoints();
        let error = self.dns_problem().await.err().map(|e| crate::http::error_chain(&e));
        DnsStatusRow { server: endpoints.dns, management: endpoints.dns_admin, answering: error.is_none(), error }
    }

    /// Every client host answers its health check.
    pub(super) async fn client_hosts_problem(&self) -> Result<(), LabError> {
        for url in self.endpoints().clients.values() {
            let health = format!("{url}/healthz");
            let what = || format!("the client host at {health}");
            let status = self
                .http
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

    pub(super) async fn dns_problem(&self) -> Result<(), LabError> {
        let endpoints = self.endpoints();
        let health = format!("{}/healthz", endpoints.dns_admin);
        let what = || format!("the DNS server's management API at {health}");
        let reply =
            self.http.get(&health).send().await.map_err(|source| LabError::Unanswered { what: what(), source })?;
        if !reply.status().is_success() {
            return Err(LabError::Unhealthy { what: what(), status: reply.status() });
        }
        let from = self.topology.sites.first().and_then(|s| s.subnets.first()).map(|n| n.addr());
        lookup(endpoints.dns, &self.topology.tenant.service_name, from, Transport::Udp).await?;
        Ok(())
    }
}
