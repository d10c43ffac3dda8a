//! The client's stub resolver against the DNS role on loopback: it answers as the hand-made
//! query does for a client seen by its source address (no ECS), and a silent or closed
//! preferred server falls over to the next in the list.

use bypass_lab::auth::Secrets;
use bypass_lab::dns::resolve_with_ttl;
use bypass_lab::dns::RECORD_TTL;
use bypass_lab::dns::{lookup_with_ttl, Answer, LookupError, Transport};
use bypass_lab::dns::{start as start_role, DnsConfig, DnsError, DnsSockets};
use bypass_lab::topology::Topology;
use hickory_proto::rr::RecordType;
use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Loopback clients become a client subnet of their own, with a zone scope of two addresses
/// (served with the server's record TTL), and a DENY policy for one name: every answer below depends on the source
/// address 127.0.0.1 being what the server sees.
const LOOPBACK_SCRIPT: &str = r#"
Add-DnsServerClientSubnet -Name "LoopbackSubnet" -IPv4Subnet "127.0.0.0/8"
Add-DnsServerZoneScope -ZoneName "adatum.biz" -Name "LoopbackScope"
Add-DnsServerResourceRecord -ZoneName "adatum.biz" -A -Name "hybridvoice" -IPv4Address "127.0.0.46" -ZoneScope "LoopbackScope"
Add-DnsServerResourceRecord -ZoneName "adatum.biz" -A -Name "hybridvoice" -IPv4Address "127.0.0.45" -ZoneScope "LoopbackScope"
Add-DnsServerQueryResolutionPolicy -Name "NoLegacy" -Action DENY -ClientSubnet "eq,LoopbackSubnet" -Fqdn "EQ,legacy.adatum.biz" -ZoneName "adatum.biz"
Add-DnsServerQueryResolutionPolicy -Name "LoopbackPolicy" -Action ALLOW -ClientSubnet "eq,LoopbackSubnet" -ZoneScope "LoopbackScope,1" -ZoneName "adatum.biz"
"#;

struct DnsRole {
    dns: SocketAddr,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), DnsError>>,
}

async fn start() -> DnsRole {
    let sockets = DnsSockets::bind("127.0.0.1:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dns = sockets.udp.local_addr().unwrap();
    let admin = sockets.admin.local_addr().unwrap();
    let topology = Topology::seed();
    let secrets = Secrets::generate(&topology);
    let stop = CancellationToken::new();
    let config = DnsConfig { topology: Some(topology), script: Some(LOOPBACK_SCRIPT.into()), secrets };
    let serving = start_role(sockets, config, stop.clone()).await.expect("the start-up script applies");
    let task = tokio::spawn(serving);
    let health = format!("http://{admin}/healthz");
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if reqwest::get(&health).await.is_ok_and(|r| r.status().is_success()) {
                break;
            }
            tokio::task::yield_now().await;
        }
    })
    .await
    .expect("the DNS role starts within 10 s");
    DnsRole { dns, stop, task }
}

impl DnsRole {
    async fn stop(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task).await.expect("stops").unwrap().unwrap();
    }
}

fn ips(list: &[&str]) -> Answer {
    Answer::Addresses(list.iter().map(|s| s.parse::<IpAddr>().unwrap()).collect())
}

#[tokio::test]
async fn the_stub_resolver_answers_as_the_hand_made_query_without_ecs() {
    let role = start().await;
    let cases = [
        ("hybridvoice.adatum.biz", (ips(&["127.0.0.45", "127.0.0.46"]), Some(RECORD_TTL))),
        ("nosuchhost.adatum.biz", (Answer::NxDomain, None)),
        ("legacy.adatum.biz", (Answer::Refused, None)),
        ("www.contoso.com", (Answer::Refused, None)),
    ];
    for (name, expected) in cases {
        let stub = resolve_with_ttl(&[role.dns], name, RecordType::A).await.unwrap();
        let hand_made = lookup_with_ttl(role.dns, name, RecordType::A, None, Transport::Udp).await.unwrap();
        assert_eq!(stub, expected, "{name}: the stub resolver");
        assert_eq!(hand_made, expected, "{name}: the hand-made query");
    }
    let bad = resolve_with_ttl(&[role.dns], "bad..name", RecordType::A).await.unwrap_err();
    assert!(matches!(bad, LookupError::BadName(ref n) if n == "bad..name"), "{bad:?}");
    role.stop().await;
}

/// How long falling over may take: one silence on the preferred server, then an answer.
const FALL_OVER_BOUND: Duration = Duration::from_secs(5);

#[tokio::test]
async fn a_silent_preferred_server_falls_over_to_the_next() {
    let role = start().await;
    // Bound and never read: every query to it goes unanswered.
    let silent = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let servers = [silent.local_addr().unwrap(), role.dns];
    let started = Instant::now();
    let answer =
        tokio::time::timeout(FALL_OVER_BOUND, resolve_with_ttl(&servers, "hybridvoice.adatum.biz", RecordType::A))
            .await
            .expect("falls over within the bound")
            .unwrap();
    assert_eq!(answer, (ips(&["127.0.0.45", "127.0.0.46"]), Some(RECORD_TTL)));
    assert!(started.elapsed() >= bypass_lab::dns::SILENCE, "the preferred server was asked first and waited for");
    let only_silent = resolve_with_ttl(&servers[..1], "hybridvoice.adatum.biz", RecordType::A).await.unwrap();
    assert_eq!(only_silent, (Answer::NoAnswer, None), "a list of only a silent server: no answer");
    drop(silent);
    role.stop().await;
}

#[tokio::test]
async fn a_closed_preferred_server_falls_over_to_the_next() {
    let role = start().await;
    let closed = {
        let socket = std::net::UdpSocket::bind("127.0.0.1:0").unwrap();
        socket.local_addr().unwrap()
    };
    let answer = tokio::time::timeout(
        FALL_OVER_BOUND,
        resolve_with_ttl(&[closed, role.dns], "nosuchhost.adatum.biz", RecordType::A),
    )
    .await
    .expect("falls over within the bound")
    .unwrap();
    assert_eq!(answer, (Answer::NxDomain, None));
    let alone = resolve_with_ttl(&[closed], "nosuchhost.adatum.biz", RecordType::A).await.unwrap();
    assert_eq!(alone, (Answer::NoAnswer, None), "a list of only a closed server reads as silence");
    role.stop().await;
}

/// An answer is final, even a refusal: the next server is asked only for silence.
#[tokio::test]
async fn a_refusal_is_not_retried_on_the_next_server() {
    let role = start().await;
    let started = Instant::now();
    let answer = resolve_with_ttl(&[role.dns, "127.0.0.1:9".parse().unwrap()], "legacy.adatum.biz", RecordType::A)
        .await
        .unwrap();
    assert_eq!(answer, (Answer::Refused, None));
    assert!(started.elapsed() < bypass_lab::dns::SILENCE, "answered without waiting on the second server");
    role.stop().await;
}
