//! The question as the policies see it, whatever transport and packet it came in.

use crate::dns::lookup::Transport;
use std::net::IpAddr;

/// One question as the policies see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Query {
    /// The packet's source address, or the EDNS Client Subnet address when present.
    pub client: IpAddr,
    /// The server address the query arrived on.
    pub server: IpAddr,
    /// Lower case, no trailing dot.
    pub qname: String,
    /// Upper-case type mnemonic (`A`, `AAAA`, `SOA`, ...).
    pub qtype: String,
    pub transport: Transport,
}

impl Query {
    pub fn new(client: IpAddr, server: IpAddr, qname: &str, qtype: &str, transport: Transport) -> Query {
        Query {
            client,
            server,
            qname: qname.trim_end_matches('.').to_ascii_lowercase(),
            qtype: qtype.to_ascii_uppercase(),
            transport,
        }
    }
}

impl Transport {
    /// As the TransportProtocol criterion spells it.
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}
