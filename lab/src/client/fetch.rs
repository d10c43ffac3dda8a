//! Fetching the hybridconfig document: resolve the URL's host with the internal DNS server as
//! this client, GET the web service at one of the answers, decide.

use super::outcome::{decide, DnsFailure, FetchOutcome};
use super::ClientHostConfig;
use crate::dns::lookup::{lookup, Answer, LookupError, Transport};
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

/// How long a client waits for a Mediation Server's web service before calling it unreachable.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// One fetch by `user` living at `address`.
pub async fn fetch(config: &ClientHostConfig, user: &str, address: IpAddr, url: &str) -> FetchOutcome {
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
        None => match resolve(config, &host, address).await {
            Ok(a) => a,
            Err(outcome) => return outcome,
        },
    };
    let ip = addresses[(super::stable_hash(user) % addresses.len() as u64) as usize];
    let target = match parsed.port() {
        None => config.dial.get(&ip).copied().unwrap_or(SocketAddr::new(ip, 80)),
        Some(port) => SocketAddr::new(ip, port),
    };
    let mediation_server = config
        .topology
        .find_appliance(&ip.to_string())
        .map(|(_, a)| a.name.clone())
        .unwrap_or_else(|| ip.to_string());
    let unreachable = |reason: String| FetchOutcome::ServiceUnreachable { host: host.clone(), address: ip, reason };
    let builder = reqwest::Client::builder().no_proxy().connect_timeout(CONNECT_TIMEOUT).timeout(REQUEST_TIMEOUT);
    // The Host header must stay the URL's host (the web service answers only for it), while the
    // connection goes where the lab maps the Mediation Server's address.
    let (builder, request_url) = match literal {
        None => (builder.resolve(&host, target), parsed.clone()),
        Some(_) => {
            let mut direct = parsed.clone();
            let _ = direct.set_ip_host(target.ip());
            let _ = direct.set_port(Some(target.port()));
            (builder, direct)
        }
    };
    let http = match builder.build() {
        Ok(h) => h,
        Err(e) => return unreachable(format!("cannot build an HTTP client: {e}")),
    };
    let mut request = http.get(request_url);
    if literal.is_some() {
        request = request.header(reqwest::header::HOST, host.as_str());
    }
    let response = match request.send().await {
        Ok(r) => r,
        Err(e) => return unreachable(error_chain(&e)),
    };
    let status = response.status().as_u16();
    match response.text().await {
        Ok(body) => decide(&mediation_server, ip, status, &body),
        Err(e) => unreachable(format!("the answer broke off: {}", error_chain(&e))),
    }
}

/// The addresses DNS gives this client for `host`, or why there are none.
async fn resolve(config: &ClientHostConfig, host: &str, address: IpAddr) -> Result<Vec<IpAddr>, FetchOutcome> {
    let as_from = config.state_address_by_ecs.then_some(address);
    let failed = |answer| FetchOutcome::NameDoesNotResolve { host: host.to_string(), answer };
    match lookup(config.dns, host, as_from, Transport::Udp).await {
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

/// reqwest hides the useful part ("connection refused") in the error's sources.
pub(super) fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        text.push_str(": ");
        text.push_str(&s.to_string());
        source = s.source();
    }
    text
}
