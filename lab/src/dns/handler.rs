//! The DNS transport: hickory-server hands each decoded request here; the policy model decides
//! and this turns its decision into a response (or into silence, for IGNORE).

use super::forward::{ForwardPath, FORWARDED_OPTION};
use super::lookup::{Answer, Transport};
use super::policy::{AnswerRecord, Answered, DnsState, Query, RecordData, Resolution};
use hickory_proto::op::{Edns, Header, HeaderCounts, Metadata, OpCode, ResponseCode};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsCode, EdnsOption};
use hickory_proto::rr::rdata::{A, AAAA, CNAME, SOA};
use hickory_proto::rr::{DNSClass, Name, RData, Record, RecordType};
use hickory_server::net::runtime::Time;
use hickory_server::net::xfer::Protocol;
use hickory_server::server::{Request, RequestHandler, ResponseHandler, ResponseInfo};
use hickory_server::zone_handler::MessageResponseBuilder;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, RwLock};

/// TTL of A records (Windows' default of one hour).
pub const RECORD_TTL: u32 = 3600;
/// TTL and minimum of the SOA, which bounds how long a resolver caches NXDOMAIN; short so a
/// policy change shows quickly in a rehearsal.
pub const SOA_TTL: u32 = 60;

/// Answers from the policy model.
pub struct PolicyHandler {
    pub state: Arc<RwLock<DnsState>>,
    /// The address queries arrive on (the ServerInterfaceIP criterion). A socket bound to the
    /// unspecified address reports the unspecified address.
    pub interface: IpAddr,
    /// SOA records already built: per zone, at its latest serial.
    pub soa: SoaCache,
    /// How the server reaches its forwarders.
    pub forward: Arc<ForwardPath>,
}

/// Whether a forwarder sent the query (it is then never forwarded again).
fn forwarded_already(request: &Request) -> bool {
    request.edns.as_ref().is_some_and(|e| e.option(EdnsCode::Unknown(FORWARDED_OPTION)).is_some())
}

/// The EDNS of a response: the request's payload size, and its ECS option echoed with the
/// scope prefix the answer depended on (RFC 7871 §7.2.1).
fn response_edns(request: &Request, ecs: Option<ClientSubnet>, scope: Option<u8>) -> Option<Edns> {
    request.edns.as_ref().map(|req| {
        let mut edns = Edns::new();
        edns.set_max_payload(req.max_payload().max(512));
        if let Some(mut s) = ecs {
            s.set_scope_prefix(scope.unwrap_or(s.source_prefix()));
            edns.options_mut().insert(EdnsOption::Subnet(s));
        }
        edns
    })
}

/// Where the query "comes from": the ECS address when the query carries one, else the packet's
/// source. Returns the ECS option to echo, if any.
fn client_of(request: &Request) -> (IpAddr, Option<ClientSubnet>) {
    let ecs = request.edns.as_ref().and_then(|e| match e.option(EdnsCode::Subnet) {
        Some(EdnsOption::Subnet(s)) => Some(*s),
        _ => None,
    });
    match ecs {
        Some(s) => (s.addr(), Some(s)),
        None => (request.src().ip(), None),
    }
}

/// Each zone's SOA at its latest serial: one entry per zone, however many changes the zone has
/// seen (docs/design/bounds.md).
pub type SoaCache = RwLock<HashMap<String, (u32, Record)>>;

/// The zone's SOA, built once per zone and serial (an NXDOMAIN answer carries it, so it is on
/// the hot path).
fn soa_record(cache: &SoaCache, a: &Answered) -> Option<Record> {
    if let Some((serial, record)) = cache.read().expect("SOA cache lock").get(&a.zone) {
        if *serial == a.serial {
            return Some(record.clone());
        }
    }
    let record = build_soa_record(a)?;
    cache.write().expect("SOA cache lock").insert(a.zone.clone(), (a.serial, record.clone()));
    Some(record)
}

fn build_soa_record(a: &Answered) -> Option<Record> {
    let zone = Name::from_ascii(format!("{}.", a.zone)).ok()?;
    let mname = Name::from_ascii(format!("dns.{}.", a.zone)).ok()?;
    let rname = Name::from_ascii(format!("hostmaster.{}.", a.zone)).ok()?;
    let soa = SOA::new(mname, rname, a.serial, 900, 600, 86400, SOA_TTL);
    Some(Record::from_rdata(zone, SOA_TTL, RData::SOA(soa)))
}

#[async_trait::async_trait]
impl RequestHandler for PolicyHandler {
    async fn handle_request<R: ResponseHandler, T: Time>(&self, request: &Request, mut response: R) -> ResponseInfo {
        let builder = MessageResponseBuilder::from_message_request(request);
        if request.metadata.op_code != OpCode::Query {
            return send(&mut response, builder.error_msg(&request.metadata, ResponseCode::NotImp), request).await;
        }
        let Ok(info) = request.request_info() else {
            return send(&mut response, builder.error_msg(&request.metadata, ResponseCode::FormErr), request).await;
        };
        let original = info.query.original();
        if original.query_class() != DNSClass::IN {
            return send(&mut response, builder.error_msg(&request.metadata, ResponseCode::Refused), request).await;
        }
        let (client, ecs) = client_of(request);
        let transport = if request.protocol() == Protocol::Tcp { Transport::Tcp } else { Transport::Udp };
        let qname = original.name().to_ascii();
        let query = Query::new(client, self.interface, &qname, <&str>::from(original.query_type()), transport);
        let resolution = self.state.read().expect("DNS state lock").resolve(&query);
        let resolution = match resolution {
            Resolution::Forward(to) if !forwarded_already(request) => {
                return self
                    .forward(request, response, &to, original.name(), original.query_type(), transport, ecs)
                    .await;
            }
            Resolution::Forward(_) => Resolution::ServFail,
            other => other,
        };

        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.authoritative = true;
        metadata.recursion_available = false;
        let (code, answered) = match resolution {
            Resolution::Ignore => return silent(request),
            Resolution::Refused => (ResponseCode::Refused, None),
            Resolution::ServFail | Resolution::Forward(_) => (ResponseCode::ServFail, None),
            Resolution::NxDomain(a) => (ResponseCode::NXDomain, Some(a)),
            Resolution::Records(a) => (ResponseCode::NoError, Some(a)),
        };
        metadata.response_code = code;
        if answered.is_none() {
            metadata.authoritative = false;
        }

        // RFC 7871 §7.2.1: echo family, source prefix and address; the scope prefix says how
        // much of the address the answer depended on.
        let edns = response_edns(request, ecs, answered.as_ref().and_then(|a| a.deciding_prefix));
        let mut builder = builder;
        if let Some(e) = &edns {
            builder.edns(e);
        }

        let owner = original.name().clone();
        let mut answers = vec![];
        let mut authority = vec![];
        if let Some(a) = &answered {
            answers.extend(a.records.iter().filter_map(|r| answer_record(r, &query.qname, &owner)));
            match (a.soa_in_answer, soa_record(&self.soa, a)) {
                (true, Some(soa)) => answers.push(soa),
                (false, Some(soa)) if answers.is_empty() => authority.push(soa),
                _ => {}
            }
        }
        let message = builder.build(metadata, answers.iter(), authority.iter(), std::iter::empty(), std::iter::empty());
        match response.send_response(message).await {
            Ok(info) => info,
            Err(e) => {
                tracing::debug!(error = %e, "cannot send a DNS response");
                silent(request)
            }
        }
    }
}

impl PolicyHandler {
    /// Answers with what the forwarders `to` answer (A and AAAA questions; others SERVFAIL), or
    /// SERVFAIL when none does. The answer is not authoritative, and recursion was available.
    #[allow(clippy::too_many_arguments)]
    async fn forward<R: ResponseHandler>(
        &self,
        request: &Request,
        mut response: R,
        to: &[std::net::IpAddr],
        asked: &Name,
        qtype: RecordType,
        transport: Transport,
        ecs: Option<ClientSubnet>,
    ) -> ResponseInfo {
        let got = match qtype {
            RecordType::A | RecordType::AAAA => self.forward.ask(to, &asked.to_ascii(), qtype, transport).await,
            _ => None,
        };
        let mut metadata = Metadata::response_from_request(&request.metadata);
        metadata.recursion_available = true;
        let (code, addresses, ttl) = match got {
            Some((Answer::Addresses(ips), ttl)) => (ResponseCode::NoError, ips, ttl),
            Some((Answer::NoAnswer, _)) => (ResponseCode::NoError, vec![], None),
            Some((Answer::NxDomain, _)) => (ResponseCode::NXDomain, vec![], None),
            Some((Answer::Refused, _)) => (ResponseCode::Refused, vec![], None),
            Some((Answer::ServFail, _)) | None => (ResponseCode::ServFail, vec![], None),
        };
        metadata.response_code = code;
        let ttl = ttl.unwrap_or(RECORD_TTL);
        let answers: Vec<Record> = addresses
            .into_iter()
            .filter_map(|ip| match (ip, qtype) {
                (std::net::IpAddr::V4(v4), RecordType::A) => Some(RData::A(A(v4))),
                (std::net::IpAddr::V6(v6), RecordType::AAAA) => Some(RData::AAAA(AAAA(v6))),
                _ => None,
            })
            .map(|data| Record::from_rdata(asked.clone(), ttl, data))
            .collect();
        let mut builder = MessageResponseBuilder::from_message_request(request);
        let edns = response_edns(request, ecs, Some(0));
        if let Some(e) = &edns {
            builder.edns(e);
        }
        let message =
            builder.build(metadata, answers.iter(), std::iter::empty(), std::iter::empty(), std::iter::empty());
        response.send_response(message).await.unwrap_or_else(|_| silent(request))
    }
}

/// One answer record on the wire; records at the asked name keep the asker's spelling.
fn answer_record(r: &AnswerRecord, qname: &str, asked: &Name) -> Option<Record> {
    let owner = if r.owner == qname { asked.clone() } else { Name::from_ascii(format!("{}.", r.owner)).ok()? };
    let data = match &r.data {
        RecordData::A(ip) => RData::A(A(*ip)),
        RecordData::Aaaa(ip) => RData::AAAA(AAAA(*ip)),
        RecordData::Cname(target) => RData::CNAME(CNAME(Name::from_ascii(format!("{target}.")).ok()?)),
    };
    Some(Record::from_rdata(owner, RECORD_TTL, data))
}

async fn send<'a, R: ResponseHandler>(
    response: &mut R,
    message: hickory_server::zone_handler::MessageResponse<
        '_,
        'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
        impl Iterator<Item = &'a Record> + Send + 'a,
    >,
    request: &Request,
) -> ResponseInfo {
    response.send_response(message).await.unwrap_or_else(|_| silent(request))
}

/// What the server reports for a query it did not answer (IGNORE).
fn silent(request: &Request) -> ResponseInfo {
    let mut metadata = Metadata::response_from_request(&request.metadata);
    metadata.response_code = ResponseCode::NoError;
    ResponseInfo::from(Header { metadata, counts: HeaderCounts::default() })
}
