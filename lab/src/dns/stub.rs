//! The client's stub resolver: its list of DNS servers, the site's first, asked through
//! `hickory-resolver`.
//!
//! It serves only clients whose real source address is what the DNS server sees (the containers
//! backend). `hickory-resolver` sends no EDNS Client Subnet option, so a client of the embedded
//! backend, where every client shares the loopback address and states its own with ECS, asks
//! through [`super::lookup::lookup_with_ttl`] instead.
//!
//! Lab choices:
//! - Servers are asked one at a time, in list order. The next one is asked only when the one
//!   before stays silent for [`SILENCE`] or cannot be reached; any answer, REFUSED and SERVFAIL
//!   included, is final. Each server gets its own one-server resolver, because the resolver's
//!   own pool spends its whole timeout on a silent first server and orders servers by measured
//!   round-trip time, which would not keep the site's server first.
//! - A closed port reads as silence (no answer), not as an unreachable server: hickory does not
//!   act on the ICMP refusal of a UDP query, as a host that is down sends none either.
//! - hickory's cache is off (`cache_size` 0): the client's cache runs on lab time
//!   (`client::dns_cache`), which a cache on real time cannot follow.
//! - No search domains, no hosts file, no recursion asked for: the name is asked as given, of
//!   the lab's own DNS servers.

use super::lookup::{Answer, LookupError, SILENCE};
use hickory_proto::op::ResponseCode;
use hickory_proto::rr::{Name, RData, RecordType};
use hickory_resolver::config::{
    ConnectionConfig, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts, ServerOrderingStrategy,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::{Resolver, TokioResolver};
use std::net::{IpAddr, SocketAddr};

/// The EDNS payload the client offers, as [`super::lookup`] does: larger answers come over TCP.
const EDNS_PAYLOAD: u16 = 1232;

/// Asks `servers` in order for the `rtype` records of `name`, with how long the answer may be
/// cached (the smallest TTL of its records; `None` when it carried none), as
/// [`super::lookup::lookup_with_ttl`] does without ECS.
pub async fn resolve_with_ttl(
    servers: &[SocketAddr],
    name: &str,
    rtype: RecordType,
) -> Result<(Answer, Option<u32>), LookupError> {
    let qname = fqdn(name)?;
    let mut unreachable = None;
    let mut silent = false;
    for &server in servers {
        let resolver = resolver_for(server).map_err(|e| LookupError::Io { server, reason: e.to_string() })?;
        match resolver.lookup(qname.clone(), rtype).await {
            Ok(lookup) => {
                let ttl = lookup.answers().iter().map(|r| r.ttl).min();
                let mut ips: Vec<IpAddr> = lookup
                    .answers()
                    .iter()
                    .filter_map(|r| match &r.data {
                        RData::A(a) => Some(IpAddr::V4(a.0)),
                        RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                        _ => None,
                    })
                    .collect();
                ips.sort();
                let answer = if ips.is_empty() { Answer::NoAnswer } else { Answer::Addresses(ips) };
                return Ok((answer, ttl));
            }
            Err(NetError::Dns(DnsError::NoRecordsFound(no_records))) => {
                return Ok((answer_of_code(no_records.response_code), None));
            }
            Err(NetError::Dns(DnsError::ResponseCode(code))) => return Ok((answer_of_code(code), None)),
            Err(NetError::Timeout) => silent = true,
            Err(e) => {
                unreachable.get_or_insert(LookupError::Io { server, reason: e.to_string() });
            }
        }
    }
    match unreachable {
        Some(error) if !silent => Err(error),
        _ => Ok((Answer::NoAnswer, None)),
    }
}

/// The name as asked: fully qualified, so no search domain is ever appended.
fn fqdn(name: &str) -> Result<Name, LookupError> {
    let bad = || LookupError::BadName(name.to_string());
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(bad());
    }
    let fqdn = if trimmed.ends_with('.') { trimmed.to_string() } else { format!("{trimmed}.") };
    Name::from_ascii(&fqdn).map_err(|_| bad())
}

fn answer_of_code(code: ResponseCode) -> Answer {
    match code {
        ResponseCode::NoError => Answer::NoAnswer,
        ResponseCode::NXDomain => Answer::NxDomain,
        ResponseCode::Refused => Answer::Refused,
        _ => Answer::ServFail,
    }
}

/// A resolver of one server, over UDP with TCP when an answer is truncated.
fn resolver_for(server: SocketAddr) -> Result<TokioResolver, NetError> {
    let mut udp = ConnectionConfig::udp();
    udp.port = server.port();
    let mut tcp = ConnectionConfig::tcp();
    tcp.port = server.port();
    let config =
        ResolverConfig::from_parts(None, vec![], vec![NameServerConfig::new(server.ip(), true, vec![udp, tcp])]);
    let mut options = ResolverOpts::default();
    options.cache_size = 0;
    options.timeout = SILENCE;
    // A silent server is asked once; the next server in the list is the retry.
    options.attempts = 0;
    options.ndots = 0;
    options.use_hosts_file = ResolveHosts::Never;
    options.recursion_desired = false;
    options.num_concurrent_reqs = 1;
    options.server_ordering_strategy = ServerOrderingStrategy::UserProvidedOrder;
    options.edns_payload_len = EDNS_PAYLOAD;
    Resolver::builder_with_config(config, TokioRuntimeProvider::default()).with_options(options).build()
}
