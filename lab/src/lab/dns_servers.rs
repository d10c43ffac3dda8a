//! The most likely failure of a multi-site rollout with several domain controllers: client
//! subnets and query resolution policies configured on one DNS server only. They do not
//! replicate ("DNS Policies for split-brain with Active Directory"), so the clients of the
//! sites another server serves get that server's default answer.

use super::{Lab, LabError};
use crate::dns::DnsRemote;
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
        let mut held: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for server in &endpoints.dns_servers {
            let remote =
                DnsRemote { admin_url: server.admin.clone(), dns: server.dns, token: self.secrets.control.clone() };
            let ask = |cmdlet: &str, args: Vec<(&str, String)>| {
                let args = args.into_iter().map(|(k, v)| (k.to_string(), Value::String(v))).collect();
                let call = Invocation { cmdlet: cmdlet.into(), args, line: 1, column: 1 };
                let remote = &remote;
                async move {
                    remote
                        .execute(&call)
                        .await
                        .map(|out| out.objects)
                        .map_err(|e| LabError::DnsServer { server: server.name.clone(), message: e.message })
                }
            };
            let names_of = |objects: Vec<Value>, property: &str, kind: &str| -> Vec<String> {
                objects
                    .into_iter()
                    .filter_map(|o| match o {
                        Value::Object(o) => o.get(property).map(|n| format!("{kind} {}", n.display())),
                        _ => None,
                    })
                    .collect()
            };
            let mut names: BTreeSet<String> =
                names_of(ask("Get-DnsServerClientSubnet", vec![]).await?, "Name", "client subnet")
                    .into_iter()
                    .collect();
            // Conditional forwarders are zones too, but hold no policies of their own.
            let (forwarded, zones): (Vec<Value>, Vec<Value>) =
                ask("Get-DnsServerZone", vec![]).await?.into_iter().partition(|z| match z {
                    Value::Object(o) => o.get("ZoneType").is_some_and(|t| t.display() == "Forwarder"),
                    _ => false,
                });
            let forwarders = ask("Get-DnsServerForwarder", vec![]).await?;
            let forwards = !forwarded.is_empty()
                || forwarders.iter().any(
                    |f| matches!(f, Value::Object(o) if o.get("IPAddress").is_some_and(|a| !matches!(a, Value::Null))),
                );
            // A server that holds no zone and forwards (a branch office's resolver) answers
            // from another server's policies: it lacks nothing.
            if zones.is_empty() && forwards {
                continue;
            }
            // Every zone this server holds, and each one's policies: a zone not replicated here
            // yet counts as lacking its policies.
            for zone in names_of(zones, "ZoneName", "") {
                let zone = zone.trim().to_string();
                let policies = ask("Get-DnsServerQueryResolutionPolicy", vec![("ZoneName", zone.clone())]).await?;
                names.extend(names_of(policies, "Name", "query resolution policy"));
            }
            held.insert(server.name.clone(), names);
        }
        let everything: BTreeSet<String> = held.values().flatten().cloned().collect();
        let first = endpoints.dns_servers[0].name.clone();
        let mut findings = vec![];
        for (index, server) in endpoints.dns_servers.iter().enumerate() {
            let Some(holds) = held.get(&server.name) else { continue };
            let missing: Vec<&String> = everything.iter().filter(|n| !holds.contains(*n)).collect();
            if missing.is_empty() {
                continue;
            }
            let source = endpoints
                .dns_servers
                .iter()
                .map(|d| &d.name)
                .find(|n| **n != server.name && held.contains_key(*n))
                .unwrap_or(&first);
            for site_name in self.topology.sites_served_by(index) {
                let site = self.topology.site(&site_name).expect("a served site exists");
                findings.push(Finding {
                    severity: Severity::Error,
                    phase: phase.to_string(),
                    site: site.name.clone(),
                    subnet: site.subnets.first().map(|n| n.to_string()).unwrap_or_default(),
                    range: site.subnets.first().map(|n| n.to_string()).unwrap_or_default(),
                    window: None,
                    lines: vec![],
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

impl super::appliances::Reach<'_> {
    /// [`Lab::resolve`], with the endpoints this reach read.
    pub async fn resolve(
        &self,
        name: &str,
        from: std::net::IpAddr,
        transport: crate::dns::Transport,
    ) -> Result<crate::dns::Answer, LabError> {
        let index = self.lab.topology.dns_server_index_for(from);
        let server = self.endpoints.dns_servers.get(index).map(|d| d.dns).unwrap_or(self.endpoints.dns);
        Ok(crate::dns::lookup(server, name, Some(self.lab.topology.query_source(from)), transport).await?)
    }
}
