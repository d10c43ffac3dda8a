//! A DNS server asking its forwarders a query its own zones do not answer, as a Windows server
//! with `Add-DnsServerForwarder` or a conditional forwarder does: the server it asks sees the
//! forwarding server's address as the query's source, never the client's.
//!
//! Lab choices (docs/design/dns.md, "Forwarders"): in the embedded lab every server listens on
//! loopback, so the forwarding server reaches a plan address through `dial` and states its own
//! plan address with EDNS Client Subnet, as a client there does; on networks it sends from its
//! own address and states nothing. A query a forwarder sent carries a private EDNS option and
//! is never forwarded again, so servers forwarding to each other answer SERVFAIL, not loop.

use super::lookup::{self, Answer, Transport};
use hickory_proto::rr::RecordType;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

/// The EDNS option (from the local-use range, RFC 6891 §9) that marks a forwarded query.
pub const FORWARDED_OPTION: u16 = 65_001;

/// How a server reaches the addresses it forwards to, and which address it states.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ForwardPath {
    /// Where a plan address's DNS really listens (the embedded lab's loopback sockets); absent:
    /// the address itself, on port 53.
    pub dial: BTreeMap<IpAddr, SocketAddr>,
    /// The address the server states as its own by ECS when it forwards (the embedded lab,
    /// where every packet comes from loopback); None: the packet's source speaks for it.
    pub state_as: Option<IpAddr>,
}

impl ForwardPath {
    fn socket(&self, to: IpAddr) -> SocketAddr {
        self.dial.get(&to).copied().unwrap_or(SocketAddr::new(to, 53))
    }

    /// Asks `to` in order for the `rtype` records of `name`: the first forwarder that answers
    /// gives the answer (and how long it may be kept); None when none answered.
    pub async fn ask(
        &self,
        to: &[IpAddr],
        name: &str,
        rtype: RecordType,
        transport: Transport,
    ) -> Option<(Answer, Option<u32>)> {
        for forwarder in to {
            match lookup::forwarded(self.socket(*forwarder), name, rtype, self.state_as, transport).await {
                // Silence is a forwarder that did not answer: the next one is asked.
                Ok((Answer::NoAnswer, None)) => continue,
                Ok(answer) => return Some(answer),
                Err(e) => tracing::debug!(%forwarder, "forwarding failed: {e}"),
            }
        }
        None
    }
}
