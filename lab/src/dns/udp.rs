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
//! Why it is bounded: input reaches the cache, so it holds at most [`REMEMBERED_BYTES`] per loop,
//! keeps only replies to short requests that decoded, and never keeps silence or FORMERR.
//!
//! The loops that receive and send are in `udp_receive.rs`; TCP is in `tcp.rs`.
//!
//! [`DnsState::revision`]: super::policy::DnsState::revision
//! [`DnsState::answers_depend_only_on_the_question`]: super::policy::DnsState::answers_depend_only_on_the_question

use super::handler::PolicyHandler;
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
use std::sync::{Arc, Mutex};

/// The most bytes one receive loop's remembered replies take, counted by [`entry_cost`]: 4 MiB,
/// so the four loops stay under 16 MiB whatever arrives. Half is the recent generation, half the
/// older one (see [`UdpAnswerer`]).
pub const REMEMBERED_BYTES: usize = 4 << 20;
/// What an entry costs beyond its key and reply: its share of the map's slots (a map is at least
/// 7/16 full, at 49 bytes a slot) and the allocator's headers for the key and the reply.
const ENTRY_OVERHEAD: usize = 160;
/// The longest request whose reply is remembered. An ordinary query (one question, an OPT record
/// with ECS and a cookie) is well under it; a padded or junk-laden one would only crowd the
/// cache out, so it takes the slow path every time.
const LONGEST_REMEMBERED: usize = 512;
/// RCODE 1 in the header's low nibble: the request was malformed, so its reply is not kept.
const FORMERR: u8 = 1;

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
    /// The encoded reply, whose first two bytes are patched with each asker's ID.
    reply: Vec<u8>,
}

/// The bytes an entry is charged against [`REMEMBERED_BYTES`].
fn entry_cost(key: &[u8], remembered: &Remembered) -> usize {
    key.len() + remembered.reply.capacity() + ENTRY_OVERHEAD
}

/// One generation of remembered replies and what they cost.
#[derive(Default)]
struct Generation {
    replies: HashMap<Box<[u8]>, Remembered>,
    bytes: usize,
}

impl Generation {
    fn remove(&mut self, key: &[u8]) -> Option<Remembered> {
        let (key, remembered) = self.replies.remove_entry(key)?;
        self.bytes -= entry_cost(&key, &remembered);
        Some(remembered)
    }
}

/// Answers UDP queries for one receive loop: a cache of encoded replies in front of the policy
/// handler. Each loop owns one, so the hot path takes no lock.
///
/// The cache is two generations, an approximate LRU bounded in bytes: new and re-used replies go
/// to the recent one; when it would pass half of [`REMEMBERED_BYTES`] it becomes the older one and
/// the previous older one is dropped whole. Replies asked for at least once per generation stay.
pub struct UdpAnswerer {
    /// The slow path, shared with the other loops.
    handler: Arc<PolicyHandler>,
    /// Configuration changes so far ([`DnsState::revision`](super::policy::DnsState::revision)).
    revision: Arc<AtomicU64>,
    /// Replies by the client's address and the request's bytes after the ID, added or used lately.
    recent: Generation,
    /// The generation before `recent`; a key is in at most one of them.
    older: Generation,
    /// The key of the current request, reused so a lookup does not allocate.
    key: Vec<u8>,
    /// The configuration revision the current key was looked up under.
    looked_up: u64,
    /// A reply that is sent but not remembered.
    unremembered: Vec<u8>,
    /// The most `cached_bytes` has been (the tests check the bound held throughout).
    peak: usize,
    /// How many replies came from the cache (the tests check the fast path ran).
    pub hits: u64,
}

impl UdpAnswerer {
    pub fn new(handler: Arc<PolicyHandler>) -> UdpAnswerer {
        let revision = handler.state.read().expect("DNS state lock").revision();
        UdpAnswerer {
            handler,
            revision,
            recent: Generation::default(),
            older: Generation::default(),
            key: Vec::with_capacity(64),
            looked_up: 0,
            unremembered: Vec::new(),
            peak: 0,
            hits: 0,
        }
    }

    /// The bytes the remembered replies are charged, at most [`REMEMBERED_BYTES`].
    pub fn cached_bytes(&self) -> usize {
        self.recent.bytes + self.older.bytes
    }

    /// The most [`Self::cached_bytes`] has been since this answerer started.
    #[cfg(test)]
    pub fn peak_cached_bytes(&self) -> usize {
        self.peak
    }

    /// How many replies are remembered.
    #[cfg(test)]
    pub fn cached_len(&self) -> usize {
        self.recent.replies.len() + self.older.replies.len()
    }

    /// The remembered reply to `packet` from `src` with the asker's ID, when there is one for
    /// the current configuration: the fast path, which never waits.
    pub fn remembered(&mut self, packet: &[u8], src: SocketAddr) -> Option<&[u8]> {
        if !self.hit(packet, src) {
            return None;
        }
        Some(self.current_reply())
    }

    /// The reply to `packet` from `src`, or `None` for silence.
    pub async fn answer(&mut self, packet: &[u8], src: SocketAddr) -> Option<&[u8]> {
        if packet.len() < 12 {
            // hickory-server cannot read a header either and does not answer.
            return None;
        }
        if self.hit(packet, src) {
            return Some(self.current_reply());
        }
        let revision = self.looked_up;
        let (reply, cacheable) = self.slow(packet, src).await;
        let Reply::Bytes(mut reply) = reply else {
            return None;
        };
        let malformed = reply.get(3).is_none_or(|b| b & 0x0F == FORMERR);
        if !cacheable || malformed || packet.len() > LONGEST_REMEMBERED {
            self.unremembered = reply;
            return Some(self.unremembered.as_slice());
        }
        reply.shrink_to_fit();
        let key: Box<[u8]> = self.key.as_slice().into();
        self.remember(key, Remembered { revision, reply });
        Some(self.current_reply())
    }

    /// Whether a reply to `packet` from `src` is remembered for the current configuration; if
    /// so it is the current key's, with the asker's ID patched in. Leaves the key and the
    /// revision looked up behind for the slow path.
    fn hit(&mut self, packet: &[u8], src: SocketAddr) -> bool {
        if packet.len() < 12 {
            return false;
        }
        // The answer is a function of the request after the ID and of the client's address
        // (see the module's comment); the question's spelling is kept because the reply echoes it.
        self.key.clear();
        match src.ip() {
            IpAddr::V4(ip) => self.key.extend_from_slice(&ip.octets()),
            IpAddr::V6(ip) => self.key.extend_from_slice(&ip.octets()),
        }
        self.key.extend_from_slice(&packet[2..]);
        self.looked_up = self.revision.load(Ordering::Acquire);
        if !self.find(self.looked_up) {
            return false;
        }
        self.hits += 1;
        let id = [packet[0], packet[1]];
        let reply = &mut self.recent.replies.get_mut(&self.key[..]).expect("just found").reply;
        reply[..2].copy_from_slice(&id);
        true
    }

    /// The remembered reply of the current key, which is in the recent generation.
    fn current_reply(&self) -> &[u8] {
        self.recent.replies.get(&self.key[..]).expect("just found or remembered").reply.as_slice()
    }

    /// Whether the current key has a reply for `revision`, moved to the recent generation if so.
    /// A reply for an older revision is dropped.
    fn find(&mut self, revision: u64) -> bool {
        if let Some(found) = self.recent.replies.get(&self.key[..]) {
            if found.revision == revision {
                return true;
            }
            self.recent.remove(&self.key);
            return false;
        }
        match self.older.remove(&self.key) {
            Some(found) if found.revision == revision => {
                let key: Box<[u8]> = self.key.as_slice().into();
                self.remember(key, found);
                true
            }
            _ => false,
        }
    }

    /// Keeps `remembered` in the recent generation, turning generations first if it would pass
    /// its half of [`REMEMBERED_BYTES`].
    fn remember(&mut self, key: Box<[u8]>, remembered: Remembered) {
        let cost = entry_cost(&key, &remembered);
        if self.recent.bytes + cost > REMEMBERED_BYTES / 2 {
            self.older = std::mem::take(&mut self.recent);
        }
        self.recent.bytes += cost;
        self.recent.replies.insert(key, remembered);
        self.peak = self.peak.max(self.cached_bytes());
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

#[cfg(test)]
#[path = "udp_tests.rs"]
mod tests;
