//! The DNS role on loopback with the seed topology: answers by place, over UDP and TCP,
//! through `lookup`, the management API and `Resolve-DnsName`; survives malformed packets.

use bypass_lab::auth::Secrets;
use bypass_lab::dns::DnsRemote;
use bypass_lab::dns::{lookup, Answer, Transport};
use bypass_lab::dns::{serve, DnsConfig, DnsSockets};
use bypass_lab::runbook::{Executor, Invocation, Value};
use bypass_lab::topology::Topology;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::sync::CancellationToken;

const NAME: &str = "hybridvoice.adatum.biz";

struct Rig {
    dns: SocketAddr,
    admin: SocketAddr,
    token: String,
    stop: CancellationToken,
    task: tokio::task::JoinHandle<Result<(), bypass_lab::dns::DnsError>>,
}

async fn start() -> Rig {
    let sockets = DnsSockets::bind("127.0.0.1:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dns = sockets.udp.local_addr().unwrap();
    let admin_addr = sockets.admin.local_addr().unwrap();
    let topology = Topology::seed();
    let secrets = Secrets::generate(&topology);
    let token = secrets.control.clone();
    let stop = CancellationToken::new();
    let config = DnsConfig { topology: Some(topology), script: None, secrets };
    let task = tokio::spawn(serve(sockets, config, stop.clone()));
    let rig = Rig { dns, admin: admin_addr, token, stop, task };
    // Ready when the management API answers.
    let health = format!("http://{}/healthz", rig.admin);
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
    rig
}

impl Rig {
    fn remote(&self) -> DnsRemote {
        DnsRemote { admin_url: format!("http://{}", self.admin), dns: self.dns, token: self.token.clone() }
    }
    async fn stop(self) {
        self.stop.cancel();
        tokio::time::timeout(Duration::from_secs(10), self.task).await.expect("stops").unwrap().unwrap();
    }
}

fn ips(list: &[&str]) -> Answer {
    let mut v: Vec<IpAddr> = list.iter().map(|s| s.parse().unwrap()).collect();
    v.sort();
    Answer::Addresses(v)
}

fn amsterdam() -> Answer {
    ips(&["192.168.1.45", "192.168.1.46", "192.168.1.47", "192.168.1.48"])
}

fn seattle() -> Answer {
    ips(&["10.10.1.8", "10.10.1.9", "10.10.1.10"])
}

fn call(cmdlet: &str, args: &[(&str, Value)]) -> Invocation {
    Invocation {
        cmdlet: cmdlet.into(),
        args: args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<BTreeMap<_, _>>(),
        line: 1,
        column: 1,
    }
}

fn s(v: &str) -> Value {
    Value::String(v.into())
}

#[tokio::test]
async fn answers_by_place_over_udp_and_tcp() {
    let rig = start().await;
    for transport in [Transport::Udp, Transport::Tcp] {
        let ask = |from: Option<&str>| lookup(rig.dns, NAME, from.map(|f| f.parse().unwrap()), transport);
        assert_eq!(ask(Some("192.168.1.77")).await.unwrap(), amsterdam(), "{transport:?}");
        assert_eq!(ask(Some("10.10.1.77")).await.unwrap(), seattle(), "{transport:?}");
        assert_eq!(ask(Some("203.0.113.5")).await.unwrap(), Answer::NxDomain, "{transport:?}");
        assert_eq!(ask(None).await.unwrap(), Answer::NxDomain, "{transport:?}");
        assert_eq!(lookup(rig.dns, "www.contoso.com", None, transport).await.unwrap(), Answer::Refused);
    }
    rig.stop().await;
}

#[tokio::test]
async fn the_management_api_and_resolve_dns_name() {
    let rig = start().await;
    let remote = rig.remote();

    let out = remote
        .clone()
        .as_from("192.168.1.77".parse().unwrap())
        .execute(&call("Resolve-DnsName", &[("Name", s(NAME))]))
        .await
        .unwrap();
    let got: Vec<String> = out
        .objects
        .iter()
        .map(|o| match o {
            Value::Object(o) => o.get("IPAddress").unwrap().display(),
            other => panic!("expected a DnsRecord_A, got {other:?}"),
        })
        .collect();
    assert_eq!(got, ["192.168.1.45", "192.168.1.46", "192.168.1.47", "192.168.1.48"]);

    let err = remote.execute(&call("Resolve-DnsName", &[("Name", s(NAME))])).await.unwrap_err();
    assert_eq!(err.message, "Resolve-DnsName: hybridvoice.adatum.biz : DNS name does not exist");

    let err =
        remote.execute(&call("Resolve-DnsName", &[("Name", s(NAME)), ("Server", s("8.8.8.8"))])).await.unwrap_err();
    assert!(err.message.contains("-Server 8.8.8.8 is not the lab's DNS server"), "{}", err.message);

    let records = remote
        .execute(&call(
            "Get-DnsServerResourceRecord",
            &[("ZoneName", s("adatum.biz")), ("ZoneScope", s("SeattleZoneScope"))],
        ))
        .await
        .unwrap();
    assert_eq!(records.objects.len(), 3);

    let err = remote
        .execute(&call("Add-DnsServerZoneScope", &[("ZoneName", s("adatum.biz")), ("Name", s("adatum.biz"))]))
        .await
        .unwrap_err();
    assert!(
        err.message.starts_with("Add-DnsServerZoneScope: The zone scope adatum.biz cannot be added"),
        "{}",
        err.message
    );

    // A zone not found names the server the line wrote, also from the admin's workstation.
    let missing = [("Name", s("nowhere.test")), ("ComputerName", s("dc1"))];
    for executor in [
        Box::new(remote.clone()) as Box<dyn Executor>,
        Box::new(remote.clone().as_from("192.168.1.77".parse().unwrap())),
    ] {
        let err = executor.execute(&call("Get-DnsServerZone", &missing)).await.unwrap_err();
        assert_eq!(err.message, "Get-DnsServerZone: The zone nowhere.test was not found on DNS server dc1.");
    }

    // Without the control credential: 401.
    let url = format!("http://{}/lab/cmdlet", rig.admin);
    let r = reqwest::Client::new().post(&url).json(&call("Get-DnsServerClientSubnet", &[])).send().await.unwrap();
    assert_eq!(r.status(), 401);
    let r = reqwest::Client::new()
        .post(&url)
        .bearer_auth("wrong")
        .json(&call("Get-DnsServerClientSubnet", &[]))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    rig.stop().await;
}

#[tokio::test]
async fn policies_change_at_run_time() {
    let rig = start().await;
    let remote = rig.remote();
    let from = Some("192.168.1.77".parse().unwrap());
    assert_eq!(lookup(rig.dns, NAME, from, Transport::Udp).await.unwrap(), amsterdam());
    remote
        .execute(&call(
            "Remove-DnsServerResourceRecord",
            &[
                ("ZoneName", s("adatum.biz")),
                ("RRType", s("A")),
                ("Name", s("hybridvoice")),
                ("ZoneScope", s("AmsterdamZoneScope")),
                ("Force", Value::Bool(true)),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(lookup(rig.dns, NAME, from, Transport::Udp).await.unwrap(), Answer::NxDomain);
    assert_eq!(lookup(rig.dns, NAME, Some("10.10.1.77".parse().unwrap()), Transport::Udp).await.unwrap(), seattle());

    // An IGNORE policy ahead of the site policies: the server stays silent.
    remote
        .execute(&call(
            "Add-DnsServerQueryResolutionPolicy",
            &[
                ("Name", s("Quiet")),
                ("Action", s("IGNORE")),
                ("ClientSubnet", s("EQ,SeattleSubnet")),
                ("ProcessingOrder", Value::Int(10)),
                ("ZoneName", s("adatum.biz")),
            ],
        ))
        .await
        .unwrap();
    // Order 10 comes after the Seattle policy (2): nothing changes yet.
    assert_eq!(lookup(rig.dns, NAME, Some("10.10.1.77".parse().unwrap()), Transport::Udp).await.unwrap(), seattle());
    remote
        .execute(&call(
            "Remove-DnsServerQueryResolutionPolicy",
            &[("Name", s("SeattlePolicy")), ("ZoneName", s("adatum.biz"))],
        ))
        .await
        .unwrap();
    assert_eq!(
        lookup(rig.dns, NAME, Some("10.10.1.77".parse().unwrap()), Transport::Udp).await.unwrap(),
        Answer::NoAnswer
    );
    assert_eq!(
        lookup(rig.dns, NAME, Some("10.10.1.77".parse().unwrap()), Transport::Tcp).await.unwrap(),
        Answer::NoAnswer
    );
    rig.stop().await;
}

/// AAAA and CNAME records over the wire: the alias is followed within the answering scope.
#[tokio::test]
async fn aaaa_and_cname_records_answer_over_the_wire() {
    let rig = start().await;
    let remote = rig.remote();
    let amsterdam_client: IpAddr = "192.168.1.77".parse().unwrap();
    remote
        .execute(&call(
            "Add-DnsServerResourceRecord",
            &[
                ("ZoneName", s("adatum.biz")),
                ("AAAA", Value::Bool(true)),
                ("Name", s("hybridvoice")),
                ("IPv6Address", s("2001:db8:1::45")),
                ("ZoneScope", s("AmsterdamZoneScope")),
            ],
        ))
        .await
        .unwrap();
    remote
        .execute(&call(
            "Add-DnsServerResourceRecord",
            &[
                ("ZoneName", s("adatum.biz")),
                ("CName", Value::Bool(true)),
                ("Name", s("voice")),
                ("HostNameAlias", s("hybridvoice.adatum.biz")),
                ("ZoneScope", s("AmsterdamZoneScope")),
            ],
        ))
        .await
        .unwrap();
    let out = remote
        .clone()
        .as_from(amsterdam_client)
        .execute(&call("Resolve-DnsName", &[("Name", s(NAME)), ("Type", s("AAAA"))]))
        .await
        .unwrap();
    match &out.objects[..] {
        [Value::Object(o)] => assert_eq!(
            (o.type_name.as_str(), o.get("IPAddress").unwrap().display()),
            ("Microsoft.DnsClient.Commands.DnsRecord_AAAA", "2001:db8:1::45".to_string())
        ),
        other => panic!("{other:?}"),
    }
    for transport in [Transport::Udp, Transport::Tcp] {
        assert_eq!(
            lookup(rig.dns, "voice.adatum.biz", Some(amsterdam_client), transport).await.unwrap(),
            amsterdam(),
            "{transport:?}"
        );
    }
    assert_eq!(
        lookup(rig.dns, "voice.adatum.biz", Some("10.10.1.77".parse().unwrap()), Transport::Udp).await.unwrap(),
        Answer::NxDomain,
        "the alias is only in the Amsterdam scope"
    );
    rig.stop().await;
}

/// A role in its own process keeps its own lab clock: `-TimeOfDay` policies follow the moves
/// `POST /lab/clock` makes, as the lab's other roles do in containers.
#[tokio::test]
async fn time_of_day_policies_follow_the_role_clock() {
    let rig = start().await;
    let remote = rig.remote();
    let from = Some("192.168.1.77".parse().unwrap());
    remote
        .execute(&call(
            "Set-DnsServerQueryResolutionPolicy",
            &[("Name", s("AmsterdamPolicy")), ("ProcessingOrder", Value::Int(5)), ("ZoneName", s("adatum.biz"))],
        ))
        .await
        .unwrap();
    remote
        .execute(&call(
            "Add-DnsServerQueryResolutionPolicy",
            &[
                ("Name", s("Evening")),
                ("Action", s("DENY")),
                ("TimeOfDay", s("EQ,18:00-23:00")),
                ("ProcessingOrder", Value::Int(1)),
                ("ZoneName", s("adatum.biz")),
            ],
        ))
        .await
        .unwrap();
    assert_eq!(lookup(rig.dns, NAME, from, Transport::Udp).await.unwrap(), amsterdam(), "00:00: outside the window");
    let http = reqwest::Client::new();
    let clock = format!("http://{}/lab/clock", rig.admin);
    let moved: serde_json::Value = http
        .post(&clock)
        .bearer_auth(&rig.token)
        .json(&serde_json::json!({ "to_ms": 18u64 * 3_600_000 }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(moved["now_ms"], 18u64 * 3_600_000);
    assert_eq!(lookup(rig.dns, NAME, from, Transport::Udp).await.unwrap(), Answer::Refused, "18:00: inside the window");
    let r = http.post(&clock).json(&serde_json::json!({ "to_ms": 1 })).send().await.unwrap();
    assert_eq!(r.status(), 401);
    rig.stop().await;
}

/// Hand-made broken packets (ID 0xbeef) over UDP and TCP.
fn malformed() -> Vec<Vec<u8>> {
    let header = |qd: u16, an: u16| {
        let mut h = vec![0xbe, 0xef, 0x01, 0x00];
        for c in [qd, an, 0, 0] {
            h.extend_from_slice(&c.to_be_bytes());
        }
        h
    };
    let mut bad_label = header(1, 0);
    bad_label.extend_from_slice(&[63, b'a', b'b', 0, 0, 1, 0, 1]);
    let mut loop_ = header(1, 0);
    loop_.extend_from_slice(&[0xc0, 12, 0, 1, 0, 1]);
    let mut huge = header(0xffff, 0xffff);
    huge.extend_from_slice(&[0, 0, 1, 0, 1]);
    let mut long_name = header(1, 0);
    for _ in 0..200 {
        long_name.extend_from_slice(&[3, b'a', b'b', b'c']);
    }
    long_name.extend_from_slice(&[0, 0, 1, 0, 1]);
    vec![vec![], vec![0x12], vec![0xbe, 0xef, 0x01], bad_label, loop_, huge, long_name, vec![0xff; 600]]
}

#[tokio::test]
async fn survives_malformed_packets() {
    let rig = start().await;
    let udp = tokio::net::UdpSocket::bind("127.0.0.1:0").await.unwrap();
    for packet in malformed() {
        udp.send_to(&packet, rig.dns).await.unwrap();
        let mut tcp = tokio::net::TcpStream::connect(rig.dns).await.unwrap();
        let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
        framed.extend_from_slice(&packet);
        tcp.write_all(&framed).await.unwrap();
        tcp.shutdown().await.unwrap();
        let mut rest = vec![];
        let _ = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut rest)).await;
    }
    // A length prefix promising more than is sent, then a close.
    let mut tcp = tokio::net::TcpStream::connect(rig.dns).await.unwrap();
    tcp.write_all(&[0xff, 0xff, 1, 2, 3]).await.unwrap();
    drop(tcp);
    for transport in [Transport::Udp, Transport::Tcp] {
        assert_eq!(lookup(rig.dns, NAME, Some("10.10.1.77".parse().unwrap()), transport).await.unwrap(), seattle());
    }
    rig.stop().await;
}

/// Two domain controllers, each serving one site: zones, zone scopes and records replicate
/// after the AD replication delay; a policy removed on one server is only gone there, and the
/// documented pipeline copies it back from the other.
#[tokio::test]
async fn several_dns_servers_in_one_forest() {
    use bypass_lab::lab::{Lab, LabOptions, RunOn};
    let mut text = bypass_lab::topology::SEED_TOML.to_string();
    text.push_str("\n[[dns_server]]\nname = \"dc-ams\"\naddress = \"192.168.1.5\"\nsites = [\"Amsterdam\"]\n\n[[dns_server]]\nname = \"dc-sea\"\naddress = \"10.10.1.5\"\nsites = [\"Seattle\"]\n");
    let topology = Topology::parse(&text, None).unwrap();
    let lab = Lab::start(topology, LabOptions::default()).await.unwrap();
    let (ams, sea): (IpAddr, IpAddr) = ("192.168.1.77".parse().unwrap(), "10.10.1.77".parse().unwrap());
    assert_eq!(lab.resolve(NAME, sea, Transport::Udp).await.unwrap(), seattle());

    assert!(
        lab.dns_server_findings("DNS").await.unwrap().is_empty(),
        "both servers hold the topology's subnets and policies"
    );
    lab.run_runbook(
        "Remove-DnsServerQueryResolutionPolicy SeattlePolicy adatum.biz -ComputerName dc-sea",
        &RunOn::AdminSession,
    )
    .await
    .unwrap()
    .into_result()
    .unwrap();
    assert_eq!(lab.resolve(NAME, sea, Transport::Udp).await.unwrap(), Answer::NxDomain, "dc-sea lost its policy");
    let findings = lab.dns_server_findings("DNS").await.unwrap();
    assert_eq!(findings.iter().map(|f| f.site.as_str()).collect::<Vec<_>>(), ["Seattle"], "{findings:?}");
    assert!(
        findings[0]
            .message
            .starts_with("DNS server dc-sea (serving Seattle) lacks query resolution policy SeattlePolicy"),
        "{}",
        findings[0].message
    );
    assert_eq!(lab.resolve(NAME, ams, Transport::Udp).await.unwrap(), amsterdam(), "dc-ams kept its own");
    let ran = lab.run_runbook("Get-DnsServerClientSubnet -ComputerName dc-paris", &RunOn::AdminSession).await.unwrap();
    let err = ran.failures().next().expect("the line fails");
    assert!(
        err.message.contains("-ComputerName dc-paris is not a DNS server of this lab (servers: dc-ams, dc-sea)"),
        "{}",
        err.message
    );

    let copied = lab.run_runbook(
        "Get-DnsServerQueryResolutionPolicy -Name SeattlePolicy -ZoneName adatum.biz -ComputerName dc-ams | Add-DnsServerQueryResolutionPolicy -ComputerName dc-sea",
        &RunOn::AdminSession,
    )
    .await
    .unwrap()
    .into_result()
    .unwrap();
    assert!(copied.succeeded(), "{}", copied.render());
    assert_eq!(lab.resolve(NAME, sea, Transport::Udp).await.unwrap(), seattle(), "the copied policy answers");
    assert!(lab.dns_server_findings("DNS").await.unwrap().is_empty(), "the documented copy makes it pass");

    lab.run_runbook("Add-DnsServerZoneScope adatum.biz LateZoneScope -ComputerName dc-ams", &RunOn::AdminSession)
        .await
        .unwrap()
        .into_result()
        .unwrap();
    let missing = lab
        .run_runbook("Get-DnsServerZone -Name nowhere.test -ComputerName dc-sea", &RunOn::AdminSession)
        .await
        .unwrap();
    assert_eq!(
        missing.failures().next().map(|e| e.message.as_str()),
        Some("Get-DnsServerZone : The zone nowhere.test was not found on DNS server dc-sea."),
        "a zone not found names the server"
    );
    let on_sea = "Get-DnsServerZoneScope adatum.biz LateZoneScope -ComputerName dc-sea";
    assert!(!lab.run_runbook(on_sea, &RunOn::AdminSession).await.unwrap().succeeded(), "not replicated yet");
    lab.advance(Duration::from_secs(15 * 60)).await.unwrap();
    assert!(lab.run_runbook(on_sea, &RunOn::AdminSession).await.unwrap().succeeded());

    // A zone added on dc-ams is not on dc-sea until AD replication: the refusal says when.
    let added = lab
        .run_runbook(
            "Add-DnsServerPrimaryZone -Name late.test -ReplicationScope Forest -ComputerName dc-ams",
            &RunOn::AdminSession,
        )
        .await
        .unwrap();
    assert!(added.succeeded(), "{}", added.render());
    let now = lab.now().await.unwrap();
    let early =
        lab.run_runbook("Get-DnsServerZone -Name late.test -ComputerName dc-sea", &RunOn::AdminSession).await.unwrap();
    let expected = format!(
        "Get-DnsServerZone : The zone late.test was not found on DNS server dc-sea: it was added on dc-ams and reaches this server by Active Directory replication at {} (lab time).",
        bypass_lab::clock::clock_time(now + Duration::from_secs(15 * 60))
    );
    assert_eq!(early.failures().next().map(|e| e.message.clone()), Some(expected));

    // `fault stop dns dc-sea`: Seattle's clients resolve nothing; `fault restart dns dc-sea`:
    // the server comes back with everything it had, the copied policy included.
    use bypass_lab::backend::DnsFault;
    lab.dns_fault(Some("dc-sea"), DnsFault::Stop).await.unwrap();
    assert!(
        !matches!(lab.resolve(NAME, sea, Transport::Udp).await, Ok(Answer::Addresses(_))),
        "a stopped server answers nothing"
    );
    assert_eq!(lab.resolve(NAME, ams, Transport::Udp).await.unwrap(), amsterdam());
    lab.dns_fault(Some("DC-SEA"), DnsFault::Restart).await.unwrap();
    assert_eq!(lab.resolve(NAME, sea, Transport::Udp).await.unwrap(), seattle(), "restarted with its policies");
    assert!(lab.dns_fault(Some("dc-paris"), DnsFault::Stop).await.is_err());
    lab.stop().await.unwrap();
}

/// `bypass-lab fault stop|restart dns` from another process reaches an embedded `up` lab
/// through its control API, and the saved topology (with its DNS settings) reads back.
#[tokio::test]
async fn dns_faults_reach_an_up_lab_through_its_control_api() {
    use bypass_lab::backend::DnsFault;
    use bypass_lab::lab::{Lab, LabOptions};
    let mut text = bypass_lab::topology::SEED_TOML.replace(
        "replication_window = \"24h\"",
        "replication_window = \"24h\"\nstart_time_of_day = \"07:30\"\nad_replication_delay = \"20m\"",
    );
    text.push_str("\n[[dns_server]]\nname = \"dc-ams\"\naddress = \"192.168.1.5\"\n");
    let topology = Topology::parse(&text, None).unwrap();
    let up = Lab::start(topology, LabOptions { control: true, ..LabOptions::default() }).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    up.save(dir.path()).unwrap();
    let attached = Lab::attach(dir.path()).await.unwrap();
    assert_eq!(attached.topology().tenant.start_time_of_day.to_string(), "07:30");
    assert_eq!(attached.topology().tenant.ad_replication_delay, Duration::from_secs(20 * 60));
    let sea: IpAddr = "10.10.1.77".parse().unwrap();
    attached.dns_fault(None, DnsFault::Stop).await.unwrap();
    assert!(
        !matches!(up.resolve(NAME, sea, Transport::Udp).await, Ok(Answer::Addresses(_))),
        "the only server is stopped"
    );
    attached.dns_fault(Some("dc-ams"), DnsFault::Restart).await.unwrap();
    assert_eq!(up.resolve(NAME, sea, Transport::Udp).await.unwrap(), seattle());
    up.stop().await.unwrap();
}
