//! Asking the lab's DNS server a question as a client at a given place would.

use serde::{Deserialize, Serialize};
use std::net::{IpAddr, SocketAddr};

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

/// Queries `server` for the A records of `name`. With `as_from`, the query carries an EDNS
/// Client Subnet option for that address (a /32 or /128), so the lab's DNS server answers as it
/// would a client at that place; without it, the packet's source address decides.
pub async fn lookup(
    server: SocketAddr,
    name: &str,
    as_from: Option<IpAddr>,
    transport: Transport,
) -> Result<Answer, LookupError> {
    let _ = (server, name, as_from, transport);
    todo!("dns lookup")
}
