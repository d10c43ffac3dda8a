//! Asking the lab's DNS server a question as a client at a given place would.

use hickory_proto::op::{Edns, Message, Query as HQuery, ResponseCode};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsOption};
use hickory_proto::rr::{Name, RData, RecordType};
use serde::{Deserialize, Serialize};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Transport {
    #[default]
    Udp,
    Tcp,
}

/// The outcome of one A query, in the words an admin uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "addresses")]
pub enum Answer {
    /// NOERROR with these A records, sorted.
    Addresses(Vec<IpAddr>),
    NxDomain,
    Refused,
    ServFail,
    /// The server stayed silent (an IGNORE policy), or answered NOERROR with no records.
    NoAnswer,
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("'{0}' is not a valid DNS name")]
    BadName(String),
    #[error("cannot reach the DNS server at {server}: {reason}")]
    Io { server: SocketAddr, reason: String },
}

/// How long a query waits for an answer before calling the server silent (an IGNORE policy).
pub const SILENCE: Duration = Duration::from_millis(800);

/// Queries `server` for the A records of `name`. With `as_from`, the query carries an EDNS
/// Client Subnet option for that address (a /32 or /128), so the lab's DNS server answers as it
/// would a client at that place; without it, the packet's source address decides.
pub async fn lookup(
    server: SocketAddr,
    name: &str,
    as_from: Option<IpAddr>,
    transport: Transport,
) -> Result<Answer, LookupError> {
    lookup_type(server, name, RecordType::A, as_from, transport).await
}

/// As [`lookup`], for A or AAAA records (`Resolve-DnsName -Type AAAA`); a CNAME chain is
/// followed to the addresses it ends in.
pub async fn lookup_type(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    as_from: Option<IpAddr>,
    transport: Transport,
) -> Result<Answer, LookupError> {
    Ok(lookup_with_ttl(server, name, rtype, as_from, transport).await?.0)
}

/// As [`lookup_type`], with how long the answer may be cached: the smallest TTL of its records
/// (`None` when it carried none).
pub async fn lookup_with_ttl(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    as_from: Option<IpAddr>,
    transport: Transport,
) -> Result<(Answer, Option<u32>), LookupError> {
    ask(server, name, rtype, as_from, transport, false).await
}

/// As [`lookup_with_ttl`], for a query a forwarder sends: it carries the option that keeps it
/// from being forwarded again ([`super::forward::FORWARDED_OPTION`]).
pub(super) async fn forwarded(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    as_from: Option<IpAddr>,
    transport: Transport,
) -> Result<(Answer, Option<u32>), LookupError> {
    ask(server, name, rtype, as_from, transport, true).await
}

async fn ask(
    server: SocketAddr,
    name: &str,
    rtype: RecordType,
    as_from: Option<IpAddr>,
    transport: Transport,
    forwarded: bool,
) -> Result<(Answer, Option<u32>), LookupError> {
    let query = encode_query(name, rtype, as_from, forwarded)?;
    let io = |e: std::io::Error| LookupError::Io { server, reason: e.to_string() };
    let reply = match transport {
        Transport::Udp => match ask_udp(server, &query.1).await.map_err(io)? {
            Some(reply) if reply.metadata.truncation => ask_tcp(server, &query.1).await.map_err(io)?,
            other => other,
        },
        Transport::Tcp => ask_tcp(server, &query.1).await.map_err(io)?,
    };
    Ok(match reply {
        None => (Answer::NoAnswer, None),
        Some(reply) if reply.metadata.id != query.0 => (Answer::NoAnswer, None),
        Some(reply) => (answer_of(&reply), reply.answers.iter().map(|r| r.ttl).min()),
    })
}

fn encode_query(
    name: &str,
    rtype: RecordType,
    as_from: Option<IpAddr>,
    forwarded: bool,
) -> Result<(u16, Vec<u8>), LookupError> {
    let bad = || LookupError::BadName(name.to_string());
    let trimmed = name.trim();
    if trimmed.is_empty() {
        return Err(bad());
    }
    let fqdn = if trimmed.ends_with('.') { trimmed.to_string() } else { format!("{trimmed}.") };
    let qname = Name::from_ascii(&fqdn).map_err(|_| bad())?;
    let mut message = Message::query();
    message.metadata.recursion_desired = false;
    message.add_query(HQuery::query(qname, rtype));
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    if let Some(ip) = as_from {
        let prefix = if ip.is_ipv4() { 32 } else { 128 };
        edns.options_mut().insert(EdnsOption::Subnet(ClientSubnet::new(ip, prefix, 0)));
    }
    if forwarded {
        edns.options_mut().insert(EdnsOption::Unknown(super::forward::FORWARDED_OPTION, vec![]));
    }
    message.set_edns(edns);
    let bytes = message.to_vec().map_err(|_| bad())?;
    Ok((message.metadata.id, bytes))
}

fn answer_of(reply: &Message) -> Answer {
    match reply.metadata.response_code {
        ResponseCode::NoError => {
            let mut ips: Vec<IpAddr> = reply
                .answers
                .iter()
                .filter_map(|r| match &r.data {
                    RData::A(a) => Some(IpAddr::V4(a.0)),
                    RData::AAAA(a) => Some(IpAddr::V6(a.0)),
                    _ => None,
                })
                .collect();
            ips.sort();
            if ips.is_empty() {
                Answer::NoAnswer
            } else {
                Answer::Addresses(ips)
            }
        }
        ResponseCode::NXDomain => Answer::NxDomain,
        ResponseCode::Refused => Answer::Refused,
        _ => Answer::ServFail,
    }
}

/// `None` when nothing (decodable, with our ID) came back within [`SILENCE`].
async fn ask_udp(server: SocketAddr, query: &[u8]) -> std::io::Result<Option<Message>> {
    let local: SocketAddr =
        if server.is_ipv4() { (Ipv4Addr::LOCALHOST, 0).into() } else { (Ipv6Addr::LOCALHOST, 0).into() };
    let local = if server.ip().is_loopback() {
        local
    } else {
        SocketAddr::new(if server.is_ipv4() { Ipv4Addr::UNSPECIFIED.into() } else { Ipv6Addr::UNSPECIFIED.into() }, 0)
    };
    let socket = UdpSocket::bind(local).await?;
    socket.connect(server).await?;
    socket.send(query).await?;
    let id = u16::from_be_bytes([query[0], query[1]]);
    let deadline = tokio::time::Instant::now() + SILENCE;
    let mut buf = vec![0u8; 65535];
    loop {
        let n = match tokio::time::timeout_at(deadline, socket.recv(&mut buf)).await {
            Err(_) => return Ok(None),
            Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => return Err(e),
            Ok(r) => r?,
        };
        if let Ok(reply) = Message::from_vec(&buf[..n]) {
            if reply.metadata.id == id {
                return Ok(Some(reply));
            }
        }
    }
}

async fn ask_tcp(server: SocketAddr, query: &[u8]) -> std::io::Result<Option<Message>> {
    let exchange = async {
        let mut stream = TcpStream::connect(server).await?;
        let mut framed = (query.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(query);
        stream.write_all(&framed).await?;
        let mut len = [0u8; 2];
        match stream.read_exact(&mut len).await {
            Ok(_) => {}
            // The server closed without answering: silent, as over UDP.
            Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
            Err(e) => return Err(e),
        }
        let mut buf = vec![0u8; usize::from(u16::from_be_bytes(len))];
        stream.read_exact(&mut buf).await?;
        Ok(Message::from_vec(&buf).ok())
    };
    match tokio::time::timeout(SILENCE, exchange).await {
        Err(_) => Ok(None),
        Ok(r) => r,
    }
}
