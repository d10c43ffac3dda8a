//! What each sample client and each appliance shows once a phase has settled, and the DNS
//! server's configuration as its cmdlets print it.

use super::dns_view::{self, DnsView};
use super::model::{ApplianceRow, Decision, SubnetRow, WebServiceVerdict};
use super::region::NamedPrefixes;
use super::sample::SampleClient;
use super::window::Window;
use crate::client::FetchOutcome;
use crate::clock::TimeOfDay;
use crate::dns::{Answer, Transport};
use crate::lab::{Lab, LabError, RunOn, DEFAULT_NUMBER};
use crate::topology::Topology;
use std::net::IpAddr;

/// One sample client's view, with what the report's row leaves out but the diagnosis needs.
#[derive(Debug, Clone, PartialEq)]
pub struct Observation {
    pub sample: SampleClient,
    /// The lab's time of day when it was observed: what `-TimeOfDay` criteria saw.
    pub time: TimeOfDay,
    /// The stretch of the day it stands for; None when its DNS server has no time-of-day policy.
    pub window: Option<Window>,
    /// The DNS answer's kind (`NOERROR`, `NXDOMAIN`, `REFUSED`, `SERVFAIL`, `no answer`), or why
    /// the server could not be asked.
    pub answer: String,
    pub resolved: Vec<IpAddr>,
    /// The URL the client received at its last sign-in.
    pub provisioned_url: Option<String>,
    /// The client's last fetch; None when it never fetched.
    pub outcome: Option<FetchOutcome>,
    pub media: String,
}

/// The site `addresses` belong to: one site's name, `mixed`, `unknown`, or None when empty.
pub fn site_of_addresses(topology: &Topology, addresses: &[IpAddr]) -> Option<String> {
    let mut sites: Vec<Option<&str>> =
        addresses.iter().map(|ip| topology.appliance_at(*ip).map(|(s, _)| s.name.as_str())).collect();
    sites.sort();
    sites.dedup();
    match sites.as_slice() {
        [] => None,
        [Some(site)] => Some(site.to_string()),
        [None] => Some("unknown".into()),
        _ => Some("mixed".into()),
    }
}

impl Observation {
    pub fn decision(&self) -> Decision {
        if self.outcome.as_ref().is_some_and(FetchOutcome::is_bypass) {
            Decision::Bypass
        } else {
            Decision::NoBypass
        }
    }

    pub fn web_service(&self) -> WebServiceVerdict {
        match &self.outcome {
            Some(FetchOutcome::Bypass { .. })
            | Some(FetchOutcome::BypassDisabled { .. })
            | Some(FetchOutcome::NoModeAny { .. })
            | Some(FetchOutcome::NoBypassId { .. })
            | Some(FetchOutcome::MalformedDocument { .. }) => WebServiceVerdict::Served,
            Some(FetchOutcome::Rejected { .. }) => WebServiceVerdict::Rejected,
            Some(FetchOutcome::ServiceUnreachable { .. }) | Some(FetchOutcome::DnsUnreachable { .. }) => {
                WebServiceVerdict::Unreachable
            }
            Some(FetchOutcome::UnsupportedClient { .. })
            | Some(FetchOutcome::UnsupportedPlatform { .. })
            | Some(FetchOutcome::FullTunnelVpn) => WebServiceVerdict::NotAsked,
            _ => WebServiceVerdict::NoUrl,
        }
    }

    pub fn row(&self, topology: &Topology) -> SubnetRow {
        SubnetRow {
            site: self.sample.site.clone(),
            subnet: self.sample.subnet.to_string(),
            range: self.sample.range_text(),
            address: self.sample.address,
            window: self.window.map(|w| w.to_string()),
            client: self.sample.user.clone(),
            population: self.sample.population.as_ref().map(|p| p.name.clone()),
            resolved: self.resolved.clone(),
            resolved_site: site_of_addresses(topology, &self.resolved),
            web_service: self.web_service(),
            decision: self.decision(),
            reason: self
                .outcome
                .as_ref()
                .map(FetchOutcome::describe)
                .unwrap_or_else(|| "no media bypass: never fetched".into()),
            media: self.media.clone(),
        }
    }
}

/// The host clients resolve: the tenant URL's host when one is set, else the planned service name.
pub fn service_host(topology: &Topology, url: Option<&str>) -> String {
    url.and_then(|u| reqwest::Url::parse(u).ok())
        .and_then(|u| u.host_str().map(|h| h.trim_start_matches('[').trim_end_matches(']').to_string()))
        .unwrap_or_else(|| topology.tenant.service_name.clone())
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

/// One sample client at time of day `time`: its DNS answer from its own address, its status,
/// a PSTN call.
pub async fn observe(
    lab: &Lab,
    sample: &SampleClient,
    host: &str,
    time: TimeOfDay,
    window: Option<Window>,
) -> Result<Observation, LabError> {
    let (answer, resolved) = match lab.resolve(host, sample.address, Transport::Udp).await {
        Ok(Answer::Addresses(mut ips)) => {
            ips.sort();
            ("NOERROR".to_string(), ips)
        }
        Ok(Answer::NxDomain) => ("NXDOMAIN".into(), vec![]),
        Ok(Answer::Refused) => ("REFUSED".into(), vec![]),
        Ok(Answer::ServFail) => ("SERVFAIL".into(), vec![]),
        Ok(Answer::NoAnswer) => ("no answer".into(), vec![]),
        Err(e) => (format!("DNS server not asked: {e}"), vec![]),
    };
    let status = lab.client(&sample.user).await?;
    let media = match lab.call(&sample.user, DEFAULT_NUMBER).await {
        Ok(call) => call.media_path.as_str().to_string(),
        Err(e) => format!("call failed: {e}"),
    };
    Ok(Observation {
        sample: sample.clone(),
        time,
        window,
        answer,
        resolved,
        provisioned_url: status.hybrid_config_service_internal_url,
        outcome: status.last_fetch.map(|f| f.outcome),
        media,
    })
}

/// Every appliance's LocalStore and web service, in topology order.
pub async fn appliances(lab: &Lab) -> Result<Vec<ApplianceRow>, LabError> {
    Ok(lab
        .status()
        .await?
        .into_iter()
        .map(|row| match row.status {
            Some(s) => ApplianceRow {
                site: row.site,
                appliance: row.appliance,
                address: row.address,
                version: s.replicated_version,
                enabled: s.bypass_enabled,
                always_bypass: s.always_bypass,
                web_service: format!("{:?}", s.web_service_state),
            },
            None => ApplianceRow {
                site: row.site,
                appliance: row.appliance,
                address: row.address,
                version: None,
                enabled: false,
                always_bypass: false,
                web_service: row.error.unwrap_or_else(|| "no answer".into()),
            },
        })
        .collect())
}

/// The computer name a read goes to: none with one DNS server, each server's own with several.
fn computer(lab: &Lab, server: usize) -> Option<String> {
    let plans = &lab.topology().dns_servers;
    (plans.len() > 1).then(|| plans.get(server).map(|d| d.name.clone())).flatten()
}

/// Each DNS server's client subnets, by server index: what splits the places into regions.
pub async fn read_client_subnets(lab: &Lab) -> Result<Vec<Vec<NamedPrefixes>>, LabError> {
    let mut out = vec![];
    for server in 0..lab.topology().dns_server_plans().len() {
        let read = lab
            .run_runbook(&dns_view::client_subnets_read(computer(lab, server).as_deref()), &RunOn::AdminSession)
            .await?;
        let subnets = dns_view::outputs(&read).first().map(|o| DnsView::client_subnets_of(o)).unwrap_or_default();
        out.push(subnets.into_iter().map(|c| NamedPrefixes { name: c.name, prefixes: c.subnets }).collect());
    }
    Ok(out)
}

/// Every DNS server's configuration, by server index.
pub async fn read_views(lab: &Lab) -> Result<Vec<DnsView>, LabError> {
    let mut out = vec![];
    for server in 0..lab.topology().dns_server_plans().len() {
        out.push(read_dns(lab, computer(lab, server).as_deref()).await?);
    }
    Ok(out)
}

/// Every DNS server's configuration under its name, in plan order.
pub async fn read_named_views(lab: &Lab) -> Result<Vec<dns_view::DnsServerView>, LabError> {
    let names = lab.topology().dns_server_plans().into_iter().map(|d| d.name);
    Ok(names.zip(read_views(lab).await?).map(|(name, view)| dns_view::DnsServerView { name, view }).collect())
}

/// One DNS server's configuration, read with the `Get-DnsServer*` cmdlets the admin's runbook
/// ran through.
pub async fn read_dns(lab: &Lab, server: Option<&str>) -> Result<DnsView, LabError> {
    dns_view::read(server, |script| async move { lab.run_runbook(&script, &RunOn::AdminSession).await }).await
}
