use super::*;
use crate::dns::policy::{CriterionKind, DnsState, NewPolicy};
use hickory_proto::op::{Edns, Message, Query as HQuery};
use hickory_proto::rr::rdata::opt::{ClientSubnet, EdnsOption};
use hickory_proto::rr::{Name, RecordType};
use std::sync::RwLock;

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

fn policy(name: &str, action: &str, subnet: &str, scope: Option<&str>, order: i64) -> NewPolicy {
    NewPolicy {
        name: name.into(),
        zone: Some("adatum.biz".into()),
        action: Some(action.into()),
        criteria: vec![(CriterionKind::ClientSubnet, format!("EQ,{subnet}"))],
        zone_scope: scope.map(str::to_string),
        processing_order: Some(order),
        ..NewPolicy::default()
    }
}

/// Two sites by client subnet, a denied and an ignored subnet, and a weighted 1:1 subnet.
fn state() -> Arc<RwLock<DnsState>> {
    let mut s = DnsState::default();
    s.add_zone("adatum.biz", None, None).unwrap();
    for (name, net) in [
        ("Amsterdam", "192.168.1.0/24"),
        ("Seattle", "10.10.1.0/24"),
        ("Denied", "198.51.100.0/24"),
        ("Ignored", "203.0.113.0/24"),
        ("Weighted", "172.16.0.0/16"),
    ] {
        s.add_client_subnet(name, &strings(&[net]), &[]).unwrap();
    }
    for scope in ["AmsterdamZoneScope", "SeattleZoneScope"] {
        s.add_zone_scope("adatum.biz", scope).unwrap();
    }
    s.add_a("adatum.biz", Some("AmsterdamZoneScope"), "hybridvoice", "192.168.1.45").unwrap();
    s.add_a("adatum.biz", Some("AmsterdamZoneScope"), "hybridvoice", "192.168.1.46").unwrap();
    s.add_a("adatum.biz", Some("SeattleZoneScope"), "hybridvoice", "10.10.1.8").unwrap();
    s.add_a("adatum.biz", None, "www", "203.0.113.80").unwrap();
    s.add_policy(policy("A", "ALLOW", "Amsterdam", Some("AmsterdamZoneScope,1"), 1)).unwrap();
    s.add_policy(policy("S", "ALLOW", "Seattle", Some("SeattleZoneScope,1"), 2)).unwrap();
    s.add_policy(policy("D", "DENY", "Denied", None, 3)).unwrap();
    s.add_policy(policy("I", "IGNORE", "Ignored", None, 4)).unwrap();
    Arc::new(RwLock::new(s))
}

fn query(id: u16, name: &str, rtype: RecordType, ecs: Option<&str>) -> Vec<u8> {
    let mut message = Message::query();
    message.metadata.id = id;
    message.add_query(HQuery::query(Name::from_ascii(name).unwrap(), rtype));
    if let Some(ip) = ecs {
        let ip: IpAddr = ip.parse().unwrap();
        let mut edns = Edns::new();
        edns.set_max_payload(1232);
        edns.options_mut().insert(EdnsOption::Subnet(ClientSubnet::new(ip, 24, 0)));
        message.set_edns(edns);
    }
    message.to_vec().unwrap()
}

fn from(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), 40000)
}

fn handler(state: Arc<RwLock<DnsState>>) -> Arc<PolicyHandler> {
    Arc::new(PolicyHandler {
        state,
        interface: "127.0.0.1".parse().unwrap(),
        soa: Default::default(),
        forward: Default::default(),
    })
}

/// The reply a second asking gets (from the fast path when it may remember) must be the bytes
/// the slow path gives that request.
async fn same_as_slow(
    answerer: &mut UdpAnswerer,
    packet_with: impl Fn(u16) -> Vec<u8>,
    src: SocketAddr,
) -> Option<Vec<u8>> {
    let first = answerer.answer(&packet_with(0x1111), src).await.map(<[u8]>::to_vec);
    assert_eq!(first, reply_bytes(slow_reply(&answerer.handler, &packet_with(0x1111), src).await));
    let second = answerer.answer(&packet_with(0x2222), src).await.map(<[u8]>::to_vec);
    let slow = reply_bytes(slow_reply(&answerer.handler, &packet_with(0x2222), src).await);
    assert_eq!(second, slow, "second asking differs from the slow path");
    second
}

fn reply_bytes(r: Reply) -> Option<Vec<u8>> {
    match r {
        Reply::Bytes(b) => Some(b),
        Reply::Silence => None,
    }
}

#[tokio::test]
async fn remembered_answers_are_the_slow_paths_bytes() {
    let mut answerer = UdpAnswerer::new(handler(state()));
    let cases: Vec<(&str, RecordType, Option<&str>, &str, &str)> = vec![
        ("hybridvoice.adatum.biz.", RecordType::A, None, "192.168.1.7", "Amsterdam by source"),
        ("HybridVoice.Adatum.biz.", RecordType::A, None, "10.10.1.7", "Seattle by source, asker's spelling"),
        ("hybridvoice.adatum.biz.", RecordType::A, Some("10.10.1.0"), "192.168.1.7", "Seattle by ECS"),
        ("hybridvoice.adatum.biz.", RecordType::A, Some("192.168.1.0"), "10.10.1.7", "Amsterdam by ECS"),
        ("hybridvoice.adatum.biz.", RecordType::A, None, "8.8.8.8", "NXDOMAIN from the default scope"),
        ("missing.adatum.biz.", RecordType::A, Some("192.168.1.0"), "8.8.8.8", "NXDOMAIN with ECS"),
        ("www.adatum.biz.", RecordType::AAAA, None, "8.8.8.8", "NODATA"),
        ("adatum.biz.", RecordType::SOA, None, "8.8.8.8", "SOA at the apex"),
        ("www.contoso.com.", RecordType::A, None, "8.8.8.8", "REFUSED outside our zones"),
        ("hybridvoice.adatum.biz.", RecordType::A, None, "198.51.100.9", "REFUSED for DENY"),
        ("hybridvoice.adatum.biz.", RecordType::A, Some("198.51.100.0"), "8.8.8.8", "REFUSED for DENY by ECS"),
    ];
    for (name, rtype, ecs, src, what) in &cases {
        let reply = same_as_slow(&mut answerer, |id| query(id, name, *rtype, *ecs), from(src)).await;
        let reply = Message::from_vec(&reply.unwrap_or_else(|| panic!("{what}: no reply"))).unwrap();
        assert_eq!(reply.metadata.id, 0x2222, "{what}: the ID is the asker's");
    }
    assert_eq!(answerer.hits, cases.len() as u64, "every second asking came from the fast path");

    // IGNORE: silence, first and second time.
    let ignored = same_as_slow(
        &mut answerer,
        |id| query(id, "hybridvoice.adatum.biz.", RecordType::A, None),
        from("203.0.113.9"),
    )
    .await;
    assert_eq!(ignored, None);
    // Garbage: FORMERR or silence, as hickory-server gives.
    let short = same_as_slow(&mut answerer, |id| id.to_be_bytes().to_vec(), from("8.8.8.8")).await;
    assert_eq!(short, None, "no header, no answer");
    let formerr = same_as_slow(
        &mut answerer,
        |id| [&id.to_be_bytes()[..], &[1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, b'a', 0]].concat(),
        from("8.8.8.8"),
    )
    .await;
    let formerr = Message::from_vec(&formerr.expect("FORMERR")).unwrap();
    assert_eq!(formerr.metadata.response_code, ResponseCode::FormErr);
}

#[tokio::test]
async fn weighted_scopes_keep_rotating() {
    let state = state();
    state
        .write()
        .unwrap()
        .add_policy(policy("W", "ALLOW", "Weighted", Some("AmsterdamZoneScope,1;SeattleZoneScope,1"), 5))
        .unwrap();
    let mut answerer = UdpAnswerer::new(handler(state));
    let mut seen = std::collections::BTreeSet::new();
    for id in 0..4u16 {
        let reply = answerer
            .answer(&query(id, "hybridvoice.adatum.biz.", RecordType::A, None), from("172.16.3.3"))
            .await
            .unwrap();
        let reply = Message::from_vec(reply).unwrap();
        seen.insert(reply.answers.len());
    }
    assert_eq!(answerer.hits, 0, "a weighted answer is never remembered");
    assert_eq!(seen, [1, 2].into_iter().collect(), "both scopes answered (Seattle has one record, Amsterdam two)");
}

#[tokio::test]
async fn a_change_forgets_remembered_answers() {
    let state = state();
    let executor = crate::dns::cmdlets::DnsExecutor::new(state.clone());
    let mut answerer = UdpAnswerer::new(handler(state));
    let ask = |id| query(id, "hybridvoice.adatum.biz.", RecordType::A, None);
    let before = same_as_slow(&mut answerer, ask, from("10.10.1.7")).await.unwrap();
    // The cmdlet an admin would run: Seattle's policy goes.
    let call = crate::runbook::Invocation {
        cmdlet: "Remove-DnsServerQueryResolutionPolicy".into(),
        args: [("Name", "S"), ("ZoneName", "adatum.biz")]
            .into_iter()
            .map(|(k, v)| (k.to_string(), crate::runbook::Value::String(v.into())))
            .collect(),
        line: 1,
        column: 1,
    };
    executor.apply(&call).unwrap();
    let after = same_as_slow(&mut answerer, ask, from("10.10.1.7")).await.unwrap();
    assert_ne!(before[2..], after[2..], "the answer changed with the policy");
    assert_eq!(Message::from_vec(&after).unwrap().metadata.response_code, ResponseCode::NXDomain);
}

#[tokio::test]
async fn silence_malformed_and_long_requests_are_not_remembered() {
    let mut answerer = UdpAnswerer::new(handler(state()));
    let ignored = query(1, "hybridvoice.adatum.biz.", RecordType::A, None);
    assert_eq!(answerer.answer(&ignored, from("203.0.113.9")).await, None, "IGNORE is silence");
    let garbage = [&[0, 1][..], &[1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 63, b'a', 0]].concat();
    assert!(answerer.answer(&garbage, from("8.8.8.8")).await.is_some(), "FORMERR is sent");
    let response = [&[0, 1][..], &[0x81, 0x80, 0, 0, 0, 0, 0, 0, 0, 0]].concat();
    assert_eq!(answerer.answer(&response, from("8.8.8.8")).await, None, "a response gets no answer");
    // A query padded past the longest remembered request (RFC 7830 padding).
    let mut padded = Message::query();
    padded.add_query(HQuery::query(Name::from_ascii("www.adatum.biz.").unwrap(), RecordType::A));
    let mut edns = Edns::new();
    edns.set_max_payload(1232);
    edns.options_mut().insert(EdnsOption::Unknown(12, vec![0; 600]));
    padded.set_edns(edns);
    let padded = padded.to_vec().unwrap();
    assert!(padded.len() > LONGEST_REMEMBERED);
    assert!(answerer.answer(&padded, from("8.8.8.8")).await.is_some(), "a padded query is answered");
    assert_eq!((answerer.cached_len(), answerer.cached_bytes()), (0, 0), "nothing was remembered");
    // The same padded query again: answered from the slow path, the same bytes.
    let again = answerer.answer(&padded, from("8.8.8.8")).await.map(<[u8]>::to_vec);
    assert_eq!(again, reply_bytes(slow_reply(&answerer.handler, &padded, from("8.8.8.8")).await));
    assert_eq!(answerer.hits, 0);
}

#[tokio::test]
async fn many_unique_questions_stay_within_the_byte_bound() {
    let mut answerer = UdpAnswerer::new(handler(state()));
    let asked = 50_000u32;
    for n in 0..asked {
        // Random-looking names under the zone (NXDOMAIN with the SOA), some with ECS.
        let name = format!("{:08x}-{n}.adatum.biz.", n.wrapping_mul(2_654_435_761));
        let ecs = n.is_multiple_of(3).then_some("10.10.1.0");
        assert!(answerer.answer(&query(n as u16, &name, RecordType::A, ecs), from("8.8.8.8")).await.is_some());
    }
    assert!(answerer.peak_cached_bytes() <= REMEMBERED_BYTES, "peak {} bytes", answerer.peak_cached_bytes());
    assert!(answerer.peak_cached_bytes() > REMEMBERED_BYTES / 2, "the cache filled, so the bound was tested");
    assert!(answerer.cached_len() < asked as usize, "older replies were forgotten");
    // The charged bytes match the entries (the accounting does not drift).
    let charged: usize =
        [&answerer.recent, &answerer.older].iter().flat_map(|g| g.replies.iter()).map(|(k, r)| entry_cost(k, r)).sum();
    assert_eq!(charged, answerer.cached_bytes());
    // A question asked lately is still answered from the cache, and correctly.
    let last = format!("{:08x}-{n}.adatum.biz.", (asked - 1).wrapping_mul(2_654_435_761), n = asked - 1);
    let hits = answerer.hits;
    same_as_slow(&mut answerer, |id| query(id, &last, RecordType::A, None), from("8.8.8.8")).await;
    assert!(answerer.hits > hits, "a recent question is a hit");
}
