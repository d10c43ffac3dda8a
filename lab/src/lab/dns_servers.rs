//! The most likely failure of a multi-site rollout with several domain controllers: client
//! subnets and query resolution policies configured on one DNS server only. They do not
//! replicate ("DNS Policies for split-brain with Active Directory"), so the clients of the
//! sites another server serves get that server's default answer.

use super::{Lab, LabError};
use crate::dns::remote::DnsRemote;
use crate::rollout::model::{Finding, Severity};
use crate::runbook::{Executor, Invocation, Value};
use std::collections::{BTreeMap, BTreeSet};

impl Lab {
    /// One error finding per site served by a DNS server that lacks a client subnet or a zone
    /// policy (of the service name's zone) another server has. Empty with one DNS server.
    pub async fn dns_server_findings(&self, phase: &str) -> Result<Vec<Finding>, LabError> {
        let endpoints = self.endpoints();
        if endpoints.dns_servers.len() < 2 {
            return Ok(vec![]);
        }
        let zone = crate::dns::plan::service_zone(&self.topology);
        let mut held: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for server in &endpoints.dns_servers {
            let remote = DnsRemote { admin_url: server.admin.clone(), dns: server.dns, token: self.secrets.control.clone() };
            let mut names = BTreeSet::new();
            for (cmdlet, args, kind) in [
                ("Get-DnsServerClientSubnet", vec![], "client subnet"),
                ("Get-DnsServerQueryResolutionPolicy", vec![("ZoneName".to_string(), Value::String(zone.clone()))], "query resolution policy"),
            ] {
                let call = Invocation { cmdlet: cmdlet.into(), args: args.into_iter().collect(), line: 1, column: 1 };
                let out = remote.execute(&call).await.map_err(|e| LabError::Invalid(format!("DNS server {}: {}", server.name, e.message)))?;
                for o in out.objects {
                    if let Value::Object(o) = o {
                        if let Some(name) = o.get("Name") {
                            names.insert(format!("{kind} {}", name.display()));
                        }
                    }
                }
            }
            held.insert(server.name.clone(), names);
        }
        let everything: BTreeSet<String> = held.values().flatten().cloned().collect();
        let first = endpoints.dns_servers[0].name.clone();
        let mut findings = vec![];
        for (index, server) in endpoints.dns_servers.iter().enumerate() {
            let missing: Vec<&String> = everything.iter().filter(|n| !held[&server.name].contains(*n)).collect();
            if missing.is_empty() {
                continue;
            }
            let source = endpoints.dns_servers.iter().map(|d| &d.name).find(|n| **n != server.name).unwrap_or(&first);
            for site_name in self.topology.sites_served_by(index) {
                let site = self.topology.site(&site_name).expect("a served site exists");
                findings.push(Finding {
                    severity: Severity::Error,
                    phase: phase.to_string(),
                    site: site.name.clone(),
                    subnet: site.subnets.first().map(|n| n.to_string()).unwrap_or_default(),
                    message: format!(
                        "DNS server {} (serving {}) lacks {}: client subnets and query resolution policies do not replicate between domain controllers; copy them, e.g. Get-DnsServerClientSubnet -ComputerName {source} | Add-DnsServerClientSubnet -ComputerName {}",
                        server.name,
                        self.topology.sites_served_by(index).join(", "),
                        missing.iter().map(|m| m.as_str()).collect::<Vec<_>>().join(", "),
                        server.name
                    ),
                });
            }
        }
        Ok(findings)
    }
}
