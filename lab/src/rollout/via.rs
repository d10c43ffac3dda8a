//! How a place's DNS queries reach the server whose policies answer them, when a forwarder sits
//! between: the site's `dns_via` resolver, or the site's own DNS server forwarding the service's
//! host to another of the plan's servers. Windows matches `-ClientSubnet` against the source of
//! the query it receives, so the diagnosis reads the answering server's policies with the
//! forwarder's address (docs/design/rollout.md, "Queries through forwarders").

use super::dns_view::DnsView;
use super::sample::SampleClient;
use crate::topology::Topology;
use std::net::IpAddr;

/// A forwarder on a place's way to the policies that answer it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Via {
    /// The index of the answering server (in [`Topology::dns_server_plans`]); None when the
    /// forwarder sends the queries to no DNS server of the plan.
    pub server: Option<usize>,
    /// The address that server sees as the queries' source.
    pub source: IpAddr,
    /// The forwarder as a sentence names it: `forwarder 10.50.0.5`, or `forwarder perth-dns
    /// (10.50.0.5)`.
    pub forwarder: String,
    /// Where the forwarder sends them, when to no server of the plan.
    pub to: Vec<IpAddr>,
}

/// The forwarder `sample`'s queries for `host` pass, given every server's configuration (by
/// server index); None when they reach the policies straight from the client.
pub fn via(topology: &Topology, views: &[DnsView], host: &str, sample: &SampleClient) -> Option<Via> {
    if sample.is_outside() {
        return None;
    }
    let plans = topology.dns_server_plans();
    if let Some(via) = topology.site(&sample.site).and_then(|s| s.dns_via) {
        return Some(Via {
            server: Some(sample.server.min(plans.len().saturating_sub(1))),
            source: via,
            forwarder: format!("forwarder {via}"),
            to: vec![],
        });
    }
    let own = views.get(sample.server)?;
    let to = own.forwarding.forwards(host, own.zone_of(host))?;
    let plan = plans.get(sample.server)?;
    let server = to.iter().find_map(|ip| plans.iter().position(|d| d.address == *ip));
    Some(Via { server, source: plan.address, forwarder: format!("forwarder {} ({})", plan.name, plan.address), to })
}
