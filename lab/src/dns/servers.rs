//! Several DNS servers, as in a real Active Directory: `-ComputerName NAME` picks the server a
//! DNS cmdlet runs on (its computer name or address); without it, the cmdlet runs on the first
//! server ("Add-DnsServerClientSubnet": -ComputerName "Specifies a remote DNS server").

use super::cmdlets::canonical;
use super::remote::DnsRemote;
use crate::runbook::{CmdletError, CmdletOutput, Executor, Invocation};
use std::net::IpAddr;

/// One server a runbook can reach.
#[derive(Debug, Clone)]
pub struct NamedServer {
    pub name: String,
    /// Its address in the topology.
    pub address: IpAddr,
    pub remote: DnsRemote,
}

/// The runbook's DNS target when the lab has several DNS servers.
#[derive(Debug, Clone)]
pub struct DnsServers {
    /// In topology order; the first answers calls without `-ComputerName`.
    pub servers: Vec<NamedServer>,
    /// Where `Resolve-DnsName` asks from: the index of the server the admin's workstation
    /// queries and the workstation's address. None: the first server, from the lab host.
    pub resolver: Option<(usize, IpAddr)>,
}

impl DnsServers {
    /// The server `-ComputerName` names: its name (also as the first label of an FQDN) or its
    /// address. Refused when no server of the lab has it, so nothing runs on a wrong server.
    pub fn pick(&self, computer: Option<&str>) -> Result<&NamedServer, String> {
        let Some(wanted) = computer.map(str::trim).filter(|c| !c.is_empty()) else {
            return self.servers.first().ok_or_else(|| "the lab has no DNS server".to_string());
        };
        let host = wanted.split('.').next().unwrap_or(wanted);
        self.servers
            .iter()
            .find(|s| {
                s.name.eq_ignore_ascii_case(wanted)
                    || s.name.eq_ignore_ascii_case(host)
                    || wanted.parse::<IpAddr>().is_ok_and(|ip| ip == s.address)
            })
            .ok_or_else(|| {
                format!(
                    "-ComputerName {wanted} is not a DNS server of this lab (servers: {})",
                    self.servers.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(", ")
                )
            })
    }
}

#[async_trait::async_trait]
impl Executor for DnsServers {
    async fn execute(&self, call: &Invocation) -> Result<CmdletOutput, CmdletError> {
        if let Some((index, from)) = self.resolver.filter(|_| canonical(&call.cmdlet) == "Resolve-DnsName") {
            // `-Server dc-tokyo` names one of the lab's servers by its computer name: ask that
            // one; any other `-Server` is checked against the workstation's own server.
            let named = call.string("Server").and_then(|s| self.pick(Some(s)).ok());
            let server = named
                .or_else(|| self.servers.get(index))
                .ok_or_else(|| CmdletError::new("the lab has no DNS server"))?;
            let mut call = call.clone();
            if named.is_some() {
                call.args.remove("Server");
            }
            return server.remote.clone().as_from(from).execute(&call).await;
        }
        let server = self
            .pick(call.string("ComputerName"))
            .map_err(|m| CmdletError::new(format!("{}: {m}", canonical(&call.cmdlet))))?;
        server.remote.execute(call).await.map_err(|e| named(e, &server.name))
    }
}

/// A refusal that speaks of "the DNS server" names the one that answered, as an admin with
/// several domain controllers needs to know which of them lacks the zone.
pub(crate) fn named(error: CmdletError, server: &str) -> CmdletError {
    CmdletError::new(error.message.replace("on the DNS server", &format!("on DNS server {server}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn servers() -> DnsServers {
        let remote = |port: u16| DnsRemote {
            admin_url: format!("http://127.0.0.1:{port}"),
            dns: ([127, 0, 0, 1], port).into(),
            token: "t".into(),
        };
        DnsServers {
            servers: vec![
                NamedServer { name: "dc-amsterdam".into(), address: "192.168.1.5".parse().unwrap(), remote: remote(1) },
                NamedServer { name: "dc-tokyo".into(), address: "172.20.5.10".parse().unwrap(), remote: remote(2) },
            ],
            resolver: None,
        }
    }

    #[test]
    fn computer_name_picks_by_name_fqdn_or_address_and_defaults_to_the_first() {
        let s = servers();
        assert_eq!(s.pick(None).unwrap().name, "dc-amsterdam");
        assert_eq!(s.pick(Some("DC-Tokyo")).unwrap().name, "dc-tokyo");
        assert_eq!(s.pick(Some("dc-tokyo.adatum.biz")).unwrap().name, "dc-tokyo");
        assert_eq!(s.pick(Some("172.20.5.10")).unwrap().name, "dc-tokyo");
        assert_eq!(
            s.pick(Some("dc-paris")).unwrap_err(),
            "-ComputerName dc-paris is not a DNS server of this lab (servers: dc-amsterdam, dc-tokyo)"
        );
    }
}
