//! DNS over UDP without hickory-server's per-request machinery: a tight receive loop that answers
//! a question it has seen before from the bytes it sent last time, with only the ID patched.
//!
//! Why it is correct: the policy handler's answer is a function of the request's bytes after
//! the ID, the client's address (when the request carries no ECS option), the server address
//! the socket is bound to, and the DNS configuration. A remembered answer is keyed on the
//! first two and is valid only for the configuration revision it was computed under
//! ([`DnsState::revision`]); answers that also depend on the clock or a round robin
//! ([`DnsState::answers_depend_only_on_the_question`]) are never remembered. Anything new goes
//! to [`PolicyHandler`] exactly as hickory-server would hand it over, so a first answer and a
//! remembered one are the same bytes (the unit tests below compare them).
//!
//! TCP stays on hickory-server.

use super::handler::PolicyHandler;
use super::policy::DnsState;
use hickory_proto::op::{Header, MessageType, ResponseCode};
use hickory_proto::rr::Record;
use hickory_proto::serialize::binary::{BinDecodable, BinDecoder, BinEncoder};
use hickory_server::net::runtime::TokioTime;
use hickory_server::net::xfer::Protocol;
use hickory_server::net::NetError;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::{MessageResponse, MessageResponseBuilder, Queries};
use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use tokio::net::UdpSocket;
use tokio_util::sync::CancellationToken;

/// The largest datagram read, as hickory's UDP stream reads (longer ones are cut there too).
const RECEIVE_BUFFER: usize = 4096;
/// How many distinct questions one loop remembers before it forgets them all; bounds memory
/// when many clients (or ECS addresses) ask.
const REMEMBERED: usize = 65_536;

/// What the server did with one question.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Reply {
    /// These bytes, whose first two are the ID.
    Bytes(Vec<u8>),
    /// Nothing (IGNORE, or a packet the server does not answer).
    Silence,
}

/// One remembered reply and the configuration revision it holds for.
struct Remembered {
    revision: u64,
    reply: Reply,
}

/// Answers UDP queries for one receive loop: a cache of encoded replies in front of the policy
/// handler. Each loop owns one, so the hot path takes no lock.
pub struct UdpAnswerer {
    /// The slow path, shared with the other loops.
    handler: Arc<PolicyHandler>,
    /// Configuration changes so far ([`DnsState::revision`]).
    revision: Arc<AtomicU64>,
    /// Replies by the client's address and the request's bytes after the ID.
    remembered: HashMap<Box<[u8]>, Remembered>,
    /// The key of the current request, reused so a lookup does not allocate.
    key: Vec<u8>,
    /// How many replies came from `remembered` (the tests check the fast path ran).
    pub hits: u64,
}

impl UdpAnswerer {
    pub fn new(handler: Arc<PolicyHandler>) -> UdpAnswerer {
        let revision = handler.state.read().expect("DNS state lock").revision();
        UdpAnswerer { handler, revision, remembered: HashMap::new(), key: Vec::with_capacity(64), hits: 0 }
    }

    /// The reply to `packet` from `src`, or `None` for silence.
    pub async fn answer(&mut self, packet: &[u8], src: SocketAddr) -> Option<&[u8]> {
        if packet.len() < 12 {
            // hickory-server cannot read a header either and does not answer.
            return None;
        }
        self.key.clear();
        match src.ip() {
            IpAddr::V4(ip) => self.key.extend_from_slice(&ip.octets()),
            IpAddr::V6(ip) => self.key.extend_from_slice(&ip.octets()),
        }
        self.key.extend_from_slice(&packet[2..]);
        let revision = self.revision.load(Ordering::Acquire);
        let fresh = matches!(self.remembered.get(&self.key[..]), Some(r) if r.revision == revision);
        if !fresh {
            let (reply, cacheable) = self.slow(packet, src).await;
            if self.remembered.len() >= REMEMBERED {
                self.remembered.clear();
            }
            let key: Box<[u8]> = self.key.as_slice().into();
            let kept = Remembered { revision: if cacheable { revision } else { u64::MAX }, reply };
            return match &self.remembered.entry(key).insert_entry(kept).into_mut().reply {
                Reply::Bytes(b) => Some(b.as_slice()),
                Reply::Silence => None,
            };
        }
        self.hits += 1;
        let id = [packet[0], packet[1]];
        match &mut self.remembered.get_mut(&self.key[..]).expect("just found").reply {
            Reply::Bytes(b) => {
                b[..2].copy_from_slice(&id);
                Some(b.as_slice())
            }
            Reply::Silence => None,
        }
    }

    /// The policy handler's reply, as hickory-server would produce it for a UDP request, and
    /// whether it may be remembered.
    async fn slow(&self, packet: &[u8], src: SocketAddr) -> (Reply, bool) {
        let before = self.revision.load(Ordering::Acquire);
        let cacheable = self.handler.state.read().expect("DNS state lock").answers_depend_only_on_the_question();
        let reply = slow_reply(&self.handler, packet, src).await;
        (reply, cacheable && self.revision.load(Ordering::Acquire) == before)
    }
}

/// What hickory-server's UDP path does with one datagram: no answer to a packet without a header
/// or to a response, FORMERR to one it cannot decode, else the handler's answer.
async fn slow_reply(handler: &PolicyHandler, packet: &[u8], src: SocketAddr) -> Reply {
    let capture = Capture::default();
    match Request::from_bytes(packet.to_vec(), src, Protocol::Udp) {
        Ok(request) => {
            if request.metadata.message_type == MessageType::Response {
                return Reply::Silence;
            }
            handler.handle_request::<_, TokioTime>(&request, capture.clone()).await;
        }
        Err(_) => {
            let Ok(header) = Header::read(&mut BinDecoder::new(packet)) else {
                return Reply::Silence;
            };
            let Ok(queries) = Queries::read(&mut BinDecoder::new(&[]), 0) else {
                return Reply::Silence;
            };
            let response =
                MessageResponseBuilder::new(&queries, None).error_msg(&header.metadata, ResponseCode::FormErr);
            let _ = capture.clone().send_response(response).await;
        }
    }
    let bytes = capture.bytes.lock().expect("capture lock").take();
    bytes.map_or(Reply::Silence, Reply::Bytes)
}

/// Keeps the encoded response instead of sending it, encoded as hickory-server encodes for UDP.
#[derive(Clone, Default)]
struct Capture {
    bytes: Arc<Mutex<Option<Vec<u8>>>>,
}

#[async_trait::async_trait]
impl ResponseHandler for Capture {
    async fn send_response<'a>(
        &mut self,
        response: MessageResponse<
            '_,
            'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
            impl Iterator<Item = &'a Record> + Send + 'a,
        >,
    ) -> Result<ResponseInfo, NetError> {
        let id = response.metadata().id;
        // RFC 1035 §4.2.1: 512 bytes without EDNS, else the requester's payload size.
        let max = response.edns().map_or(512, |e| e.max_payload());
        let mut bytes = Vec::with_capacity(512);
        let mut encoder = BinEncoder::new(&mut bytes);
        encoder.set_max_size(max);
        let info = match response.destructive_emit(&mut encoder) {
            Ok(info) => info,
            Err(_) => {
                // As hickory-server does when a response cannot be encoded: a bare SERVFAIL.
                bytes.clear();
                let mut metadata =
                    hickory_proto::op::Metadata::new(id, MessageType::Response, hickory_proto::op::OpCode::Query);
                metadata.response_code = ResponseCode::ServFail;
                let header = Header { metadata, counts: Default::default() };
                let mut encoder = BinEncoder::new(&mut bytes);
                encoder.set_max_size(512);
                hickory_proto::serialize::binary::BinEncodable::emit(&header, &mut encoder).map_err(NetError::from)?;
                ResponseInfo::from(header)
            }
        };
        *self.bytes.lock().expect("capture lock") = Some(bytes);
        Ok(info)
    }
}

/// Answers DNS over UDP on `socket` until `shutdown` is cancelled, with one receive loop per
/// core sharing the socket.
pub async fn run(
    socket: UdpSocket,
    state: Arc<RwLock<DnsState>>,
    forward: Arc<super::forward::ForwardPath>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let interface = socket.local_addr()?.ip();
    let handler = Arc::new(PolicyHandler { state, interface, soa: Default::default(), forward });
    let socket = Arc::new(socket);
    let loops = std::thread::available_parallelism().map_or(1, |n| n.get()).min(4);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..loops {
        let answerer = UdpAnswerer::new(handler.clone());
        tasks.spawn(receive_loop(socket.clone(), answerer, shutdown.clone()));
    }
    let mut out = Ok(());
    while let Some(done) = tasks.join_next().await {
        match done {
            Ok(Ok(())) => {}
            Ok(Err(e)) => out = Err(e),
            Err(e) => out = Err(std::io::Error::other(e)),
        }
    }
    out
}

async fn receive_loop(
    socket: Arc<UdpSocket>,
    mut answerer: UdpAnswerer,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let mut buffer = vec![0u8; RECEIVE_BUFFER];
    loop {
        let (len, src) = tokio::select! {
            received = socket.recv_from(&mut buffer) => match received {
                Ok(r) => r,
                // A previous reply's ICMP "port unreachable" surfaces here on some systems.
                Err(e) if e.kind() == std::io::ErrorKind::ConnectionReset => continue,
                Err(e) => return Err(e),
            },
            _ = shutdown.cancelled() => return Ok(()),
        };
        if !answerable(src) {
            continue;
        }
        if let Some(reply) = answerer.answer(&buffer[..len], src).await {
            if let Err(e) = socket.send_to(reply, src).await {
                tracing::debug!(error = %e, %src, "cannot send a DNS response");
            }
        }
    }
}

/// hickory-server's rule: never answer port 0, an unspecified or a broadcast address.
fn answerable(src: SocketAddr) -> bool {
    src.port() != 0
        && !src.ip().is_unspecified()
        && match src.ip() {
            IpAddr::V4(ip) => !ip.is_broadcast(),
            IpAddr::V6(_) => true,
        }
}

#[cfg(test)]
#[path = "udp_tests.rs"]
mod tests;
