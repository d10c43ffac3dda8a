//! Fetching the hybridconfig document: resolve the URL's host with the internal DNS server as
//! this client, GET the web service at one of the answers, decide.

use super::dns_cache::DnsCache;
use super::outcome::{decide, DnsFailure, FetchOutcome};
use super::ClientHostConfig;
use crate::dns::resolve_with_ttl;
use crate::dns::{lookup_with_ttl, Answer, LookupError, Transport};
use hickory_proto::rr::RecordType;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// How long a client waits for a Mediation Server's web service before calling it unreachable
/// (and, for the whole request, for the tenant and for a call).
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The machine's DNS cache and the lab time of a fetch.
pub struct Cache<'a> {
    pub dns: &'a DnsCache,
    pub now: Duration,
}

/// One fetch by `user` living at `address`.
///
/// This is the user's machine fetching a URL: the URL's host stays in the Host header while the
/// connection goes where the lab maps the Mediation Server's address (the answer of this
/// fetch's own DNS lookup). It waits as a client does ([`REQUEST_TIMEOUT`]), not as the lab
/// does, and goes out on the lab's kept connections to that Mediation Server when it keeps some
/// (`http::pool`; a pool's connect timeout is the lab's [`crate::http::CONNECT_TIMEOUT`], shorter
/// than a client's [`CONNECT_TIMEOUT`]), else on a connection of its own.
pub async fn fetch(
    config: &ClientHostConfig,
    cache: Cache<'_>,
    user: &str,
    address: IpAddr,
    url: &str,
) -> FetchOutcome {
    let bad_url = |reason: &str| FetchOutcome::BadUrl { url: url.to_string(), reason: reason.to_string() };
    let parsed = match reqwest::Url::parse(url) {
        Ok(u) => u,
        Err(e) => return bad_url(&e.to_string()),
    };
    if parsed.scheme() != "http" {
        return bad_url(&format!("the web service is reached over http, not {}", parsed.scheme()));
    }
    let Some(host) = parsed.host_str().map(str::to_string) else {
        return bad_url("the URL has no host");
    };
    let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
    let addresses = match literal {
        Some(ip) => vec![ip],
        None => match resolve(config, &cache, &host, address).await {
            Ok(a) => a,
            Err(outcome) => return outcome,
        },
    };
    let ip = addresses[(super::stable_hash(user) % addresses.len() as u64) as usize];
    let target = match parsed.port() {
        None => config.dial.get(&ip).copied().unwrap_or(SocketAddr::new(ip, 80)),
        Some(port) => SocketAddr::new(ip, port),
    };
    let mediation_server =
        config.topology.find_appliance(&ip.to_string()).map(|(_, a)| a.name.clone()).unwrap_or_else(|| ip.to_string());
    let unreachable = |reason: String| FetchOutcome::ServiceUnreachable { host: host.clone(), address: ip, reason };
    // The Host header must stay the URL's host (the web service answers only for it), while the
    // connection goes where the lab maps the Mediation Server's address: the request goes to
    // that address with the URL's host in its Host header, on the lab's kept connections to the
    // Mediation Server when it keeps some.
    let mut direct = parsed.clone();
    let _ = direct.set_ip_host(target.ip());
    let _ = direct.set_port(Some(target.port()));
    let origin = direct.origin().ascii_serialization();
    let http = match crate::http::pool::kept(&origin) {
        Some(pool) => pool.http(),
        None => match reqwest::Client::builder().no_proxy().connect_timeout(CONNECT_TIMEOUT).build() {
            Ok(h) => h,
            Err(e) => return unreachable(format!("cannot build an HTTP client: {e}")),
        },
    };
    let host_header = match parsed.port() {
        Some(port) => format!("{host}:{port}"),
        None => host.clone(),
    };
    let request = http.get(direct).timeout(REQUEST_TIMEOUT).header(reqwest::header::HOST, host_header);
    let response = match crate::http::pool::send(request).await {
        Ok(r) => r,
        Err(e) => return unreachable(crate::http::error_chain(&e)),
    };
    let status = response.status().as_u16();
    match response.text().await {
        Ok(body) => decide(&mediation_server, ip, status, &body),
        Err(e) => unreachable(format!("the answer broke off: {}", crate::http::error_chain(&e))),
    }
}

/// The DNS server a client at `address` asks: its site's `[[dns_server]]` at its topology
/// address (reached through `dial` in the embedded lab), else the lab's one DNS server.
fn dns_server_for(config: &ClientHostConfig, address: IpAddr) -> SocketAddr {
    if config.topology.dns_servers.is_empty() {
        return config.dns;
    }
    let plans = config.topology.dns_server_plans();
    let plan = &plans[config.topology.dns_server_index_for(address)];
    config.dial.get(&plan.address).copied().unwrap_or_else(|| SocketAddr::new(plan.address, 53))
}

/// The DNS servers a client at `address` has configured, preferred first: its site's server,
/// then the topology's other DNS servers in order (lab choice).
fn dns_servers_for(config: &ClientHostConfig, address: IpAddr) -> Vec<SocketAddr> {
    let preferred = dns_server_for(config, address);
    let alternates = config
        .topology
        .dns_servers
        .iter()
        .map(|plan| config.dial.get(&plan.address).copied().unwrap_or_else(|| SocketAddr::new(plan.address, 53)));
    let mut servers = vec![preferred];
    for server in alternates {
        if !servers.contains(&server) {
            servers.push(server);
        }
    }
    servers
}

/// The addresses DNS gives this client for `host` (from the machine's cache while their TTL
/// lasts), or why there are none.
async fn resolve(
    config: &ClientHostConfig,
    cache: &Cache<'_>,
    host: &str,
    address: IpAddr,
) -> Result<Vec<IpAddr>, FetchOutcome> {
    if let Some(cached) = cache.dns.get(address, host, cache.now) {
        return Ok(cached);
    }
    let failed = |answer| FetchOutcome::NameDoesNotResolve { host: host.to_string(), answer };
    // Where the DNS server sees the client's real source address, the stub resolver asks its
    // server list; where the address is only stated (ECS), the hand-made query carries it. A
    // site behind a forwarder the plan names (`dns_via`, no container of the lab) states the
    // forwarder's address on both backends: that is what the server sees (lab choice).
    let seen_as = config.topology.query_source(address);
    let asked = if config.state_address_by_ecs || seen_as != address {
        lookup_with_ttl(dns_server_for(config, address), host, RecordType::A, Some(seen_as), Transport::Udp).await
    } else {
        resolve_with_ttl(&dns_servers_for(config, address), host, RecordType::A).await
    };
    match asked.map(|(answer, ttl)| {
        if let (Answer::Addresses(a), Some(ttl)) = (&answer, ttl) {
            cache.dns.put(address, host, a.clone(), Duration::from_secs(u64::from(ttl)), cache.now);
        }
        answer
    }) {
        Ok(Answer::Addresses(a)) if !a.is_empty() => Ok(a),
        Ok(Answer::Addresses(_)) | Ok(Answer::NoAnswer) => Err(failed(DnsFailure::NoAnswer)),
        Ok(Answer::NxDomain) => Err(failed(DnsFailure::NxDomain)),
        Ok(Answer::Refused) => Err(failed(DnsFailure::Refused)),
        Ok(Answer::ServFail) => Err(failed(DnsFailure::ServFail)),
        Err(LookupError::BadName(name)) => {
            Err(FetchOutcome::BadUrl { url: host.to_string(), reason: format!("'{name}' is not a valid DNS name") })
        }
        Err(LookupError::Io { server, reason }) => {
            Err(FetchOutcome::DnsUnreachable { server: server.to_string(), reason })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Topology;

    /// "The clients of those sites query that server": a `[[dns_server]]` serves the sites it
    /// lists; the first serves the rest; with none, the lab's one server.
    #[test]
    fn clients_ask_their_sites_dns_server() {
        let mut text = crate::topology::SEED_TOML.to_string();
        text.push_str("\n[[dns_server]]\nname = \"dc-ams\"\naddress = \"192.168.1.5\"\n\n[[dns_server]]\nname = \"dc-sea\"\naddress = \"10.10.1.5\"\nsites = [\"Seattle\"]\n");
        let mut config = ClientHostConfig {
            tenant_url: "http://127.0.0.1:1".into(),
            dns: "127.0.0.1:5301".parse().unwrap(),
            state_address_by_ecs: true,
            dial: [("10.10.1.5".parse().unwrap(), "127.0.0.1:5302".parse().unwrap())].into(),
            topology: Topology::parse(&text, None).unwrap(),
            user_password: "p".into(),
            control_token: "t".into(),
            data_dir: std::env::temp_dir(),
        };
        assert_eq!(dns_server_for(&config, "10.10.1.77".parse().unwrap()), "127.0.0.1:5302".parse().unwrap());
        assert_eq!(
            dns_servers_for(&config, "10.10.1.77".parse().unwrap()),
            vec!["127.0.0.1:5302".parse().unwrap(), "192.168.1.5:53".parse().unwrap()],
            "the site's server first, then the others as alternates"
        );
        assert_eq!(
            dns_servers_for(&config, "192.168.1.77".parse().unwrap()),
            vec!["192.168.1.5:53".parse().unwrap(), "127.0.0.1:5302".parse().unwrap()]
        );
        assert_eq!(
            dns_server_for(&config, "192.168.1.77".parse().unwrap()),
            "192.168.1.5:53".parse().unwrap(),
            "Amsterdam is listed by no server: the first"
        );
        config.topology = Topology::seed();
        assert_eq!(dns_server_for(&config, "10.10.1.77".parse().unwrap()), "127.0.0.1:5301".parse().unwrap());
        assert_eq!(
            dns_servers_for(&config, "10.10.1.77".parse().unwrap()),
            vec!["127.0.0.1:5301".parse::<SocketAddr>().unwrap()]
        );
    }
}
