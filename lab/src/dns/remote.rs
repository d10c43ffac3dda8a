//! The DNS cmdlets as a client runs them: configuration cmdlets go to the server's management
//! API; `Resolve-DnsName` is a real DNS query to the lab's DNS server, and only to it.

use super::cmdlets::{canonical, resolve_dns_name};
use crate::http::ControlClient;
use crate::runbook::{CmdletError, CmdletOutput, Executor, Invocation};
use std::net::{IpAddr, SocketAddr};

/// Names `-Server` may give for the lab's DNS server besides its address (lab choice): the
/// role's name and the SOA's primary server name `dns.<zone>`.
pub const SERVER_NAMES: &[&str] = &["dns", "localhost"];

/// Who the management API is in errors: "cannot reach the DNS server's management API at ...".
pub const PEER: &str = "the DNS server's management API";

#[derive(Debug, Clone)]
pub struct DnsRemote {
    /// Base URL of the management API, e.g. `http://127.0.0.1:8053`.
    pub admin_url: String,
    /// Where the lab's DNS server answers queries.
    pub dns: SocketAddr,
    /// The lab's control credential.
    pub token: String,
}

impl DnsRemote {
    /// The same executor, with `Resolve-DnsName` asking as a client at `address` would (ECS).
    pub fn as_from(self, address: IpAddr) -> DnsRemoteAt {
        DnsRemoteAt { remote: self, as_from: Some(address) }
    }

    /// Refuses a `-Server` other than the lab's DNS server, so a query never leaves the lab.
    pub fn check_server(&self, server: &str) -> Result<(), CmdletError> {
        let s = server.trim().trim_end_matches('.');
        let ours = s
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip == self.dns.ip() || (ip.is_unspecified() && self.dns.ip().is_loopback()))
            || s.parse::<SocketAddr>().is_ok_and(|a| a == self.dns)
            || SERVER_NAMES.iter().any(|n| n.eq_ignore_ascii_case(s))
            || s.to_ascii_lowercase().starts_with("dns.");
        if ours {
            Ok(())
        } else {
            Err(CmdletError::new(format!(
                "Resolve-DnsName: -Server {server} is not the lab's DNS server ({}): the lab only queries its own DNS server",
                self.dns
            )))
        }
    }

    /// The management API as the lab's control plane sees it: over the connections a runbook
    /// run keeps to it while one does ([`crate::lab::Lab::run_runbook`]), else the shared client
    /// (nothing is built per call either way).
    fn management(&self) -> ControlClient {
        let client = ControlClient::new(PEER, &self.admin_url, &self.token);
        match crate::http::pool::kept(&self.admin_url) {
            Some(pool) => client.with_http(pool.http()),
            None => client,
        }
    }

    async fn post(&self, call: &Invocation) -> Result<CmdletOutput, CmdletError> {
        self.management().cmdlet(call).await
    }

    async fn run(&self, call: &Invocation, as_from: Option<IpAddr>) -> Result<CmdletOutput, CmdletError> {
        if canonical(&call.cmdlet) != "Resolve-DnsName" {
            return self.post(call).await;
        }
        if let Some(server) = call.string("Server") {
            self.check_server(server)?;
        }
        resolve_dns_name(call, self.dns, as_from).await
    }
}

#[async_trait::async_trait]
impl Executor for DnsRemote {
    async fn execute(&self, call: &Invocation) -> Result<CmdletOutput, CmdletError> {
        named_as_written(call, self.run(call, None).await)
    }
}

/// A refusal names the server the line wrote with `-ComputerName` (the lab's one server).
fn named_as_written(call: &Invocation, ran: Result<CmdletOutput, CmdletError>) -> Result<CmdletOutput, CmdletError> {
    match call.string("ComputerName") {
        Some(server) => ran.map_err(|e| super::servers::named(e, server)),
        None => ran,
    }
}

/// [`DnsRemote`] for a client at a given address (`Resolve-DnsName` from the admin's
/// workstation); its configuration cmdlets run as the remote's.
#[derive(Debug, Clone)]
pub struct DnsRemoteAt {
    pub remote: DnsRemote,
    pub as_from: Option<IpAddr>,
}

#[async_trait::async_trait]
impl Executor for DnsRemoteAt {
    async fn execute(&self, call: &Invocation) -> Result<CmdletOutput, CmdletError> {
        named_as_written(call, self.remote.run(call, self.as_from).await)
    }
}
