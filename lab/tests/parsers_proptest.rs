//! Every parser of outside input, fed generated input (bounded case counts, so the suite runs
//! in seconds): DNS wire messages through the policy handler, the runbook lexer and parser, the
//! topology loader, HTTP request heads through a role's server. Generated input is built from
//! pieces, and from the seeds of `fuzz/corpus/<target>/` mutated; failing cases proptest finds
//! are kept under `fuzz/regressions/` and replayed first on every run (fuzz/README.md).

use bypass_lab::auth::Secrets;
use bypass_lab::dns::{lookup, Answer, Transport};
use bypass_lab::dns::{serve, DnsConfig, DnsSockets};
use bypass_lab::runbook::Value;
use bypass_lab::topology::{Topology, SEED_TOML};
use proptest::prelude::*;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

mod support;
use support::fuzz_corpus;

const NAME: &str = "hybridvoice.adatum.biz";

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap()
}

/// A valid A query for the service name, optionally with an ECS option.
fn query(id: u16, ecs: Option<[u8; 4]>) -> Vec<u8> {
    let mut m = id.to_be_bytes().to_vec();
    m.extend_from_slice(&[0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, u8::from(ecs.is_some())]);
    for label in NAME.split('.') {
        m.push(label.len() as u8);
        m.extend_from_slice(label.as_bytes());
    }
    m.extend_from_slice(&[0, 0, 1, 0, 1]);
    if let Some(address) = ecs {
        // OPT RR: root name, type 41, payload 1232, no flags, one ECS option (family 1, /32).
        m.extend_from_slice(&[0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 12, 0, 8, 0, 8, 0, 1, 32, 0]);
        m.extend_from_slice(&address);
    }
    m
}

/// Wire input: valid queries with bytes changed, cut or appended, and plain noise.
fn wire() -> impl Strategy<Value = Vec<u8>> {
    let mutated = (
        any::<u16>(),
        proptest::option::of(any::<[u8; 4]>()),
        proptest::collection::vec((any::<usize>(), any::<u8>()), 0..6),
        any::<usize>(),
        proptest::collection::vec(any::<u8>(), 0..8),
    )
        .prop_map(|(id, ecs, flips, cut, tail)| {
            let mut m = query(id, ecs);
            for (at, byte) in flips {
                let i = at % m.len();
                m[i] = byte;
            }
            m.truncate(cut % (m.len() + 1));
            m.extend(tail);
            m
        });
    let seeded = fuzz_corpus::mutated("dns_wire", 6).prop_map(|(_, packet)| packet);
    prop_oneof![mutated, seeded, proptest::collection::vec(any::<u8>(), 0..600)]
}

async fn dns_server() -> (SocketAddr, tokio_util::sync::DropGuard) {
    let sockets = DnsSockets::bind("127.0.0.1:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let dns = sockets.udp.local_addr().unwrap();
    let topology = Topology::seed();
    let config = DnsConfig { topology: Some(topology.clone()), script: None, secrets: Secrets::generate(&topology) };
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(serve(sockets, config, stop.clone()));
    (dns, stop.drop_guard())
}

#[test]
fn dns_wire_input_never_stops_the_server() {
    let rt = runtime();
    let (dns, _stop) = rt.block_on(dns_server());
    let udp = rt.block_on(tokio::net::UdpSocket::bind("127.0.0.1:0")).unwrap();
    let config = fuzz_corpus::config("dns_wire", 300);
    proptest!(config, |(packet in wire(), over_tcp in any::<bool>())| {
        rt.block_on(async {
            if over_tcp {
                let mut tcp = tokio::net::TcpStream::connect(dns).await.unwrap();
                let mut framed = (packet.len() as u16).to_be_bytes().to_vec();
                framed.extend_from_slice(&packet);
                let _ = tcp.write_all(&framed).await;
                let _ = tcp.shutdown().await;
                let mut rest = vec![];
                let _ = tokio::time::timeout(Duration::from_secs(2), tcp.read_to_end(&mut rest)).await;
            } else {
                udp.send_to(&packet, dns).await.unwrap();
            }
        });
    });
    for transport in [Transport::Udp, Transport::Tcp] {
        let answer = rt.block_on(lookup(dns, NAME, Some("10.10.1.77".parse().unwrap()), transport)).unwrap();
        assert!(matches!(answer, Answer::Addresses(ref a) if a.len() == 3), "{transport:?}: {answer:?}");
    }
}

#[test]
fn the_runbook_reader_answers_any_text_with_a_result_or_a_located_error() {
    let rt = runtime();
    let config = fuzz_corpus::config("runbook", 400);
    let pieces = prop_oneof![
        Just("$x = ".to_string()),
        Just("'".to_string()),
        Just("\"".to_string()),
        Just("`".to_string()),
        Just("\n".to_string()),
        Just(" -Name ".to_string()),
        Just("Get-CsTenantHybridConfiguration".to_string()),
        Just("$true".to_string()),
        Just("@(".to_string()),
        Just(")".to_string()),
        Just(",".to_string()),
        Just(";".to_string()),
        Just("#".to_string()),
        "\\PC{0,12}",
    ];
    let assembled = proptest::collection::vec(pieces, 0..24).prop_map(|parts| parts.concat());
    let seeded = fuzz_corpus::mutated("runbook", 8).prop_map(|(_, text)| String::from_utf8_lossy(&text).into_owned());
    proptest!(config, |(source in prop_oneof![assembled, seeded])| {
        let outcome = rt.block_on(bypass_lab::runbook::run(&source, &bypass_lab::lab::modelled_cmdlets()));
        let lines = source.split('\n').count().max(1);
        let failures: Vec<(usize, String)> = match &outcome {
            Err(e) => vec![(e.line, e.message.clone())],
            Ok(t) => t.failures().map(|e| (e.line, e.message.clone())).collect(),
        };
        for (line, message) in failures {
            prop_assert!(line >= 1 && line <= lines, "line {line} of {lines} in {source:?}: {message}");
            prop_assert!(!message.is_empty());
        }
    });
}

#[test]
fn a_single_quoted_string_reads_back_as_written() {
    let rt = runtime();
    let config = fuzz_corpus::config("runbook_quoting", 300);
    proptest!(config, |(text in "[^\\p{Cc}]{0,40}")| {
        let source = format!("$x = {}\n$x\n", bypass_lab::dns::quote(&text));
        let transcript = rt.block_on(bypass_lab::runbook::run(&source, &bypass_lab::lab::modelled_cmdlets()))
            .map_err(|e| TestCaseError::fail(format!("{source:?}: {}", e.message)))?;
        let printed = &transcript.steps.last().unwrap().output.objects;
        prop_assert_eq!(printed, &vec![Value::String(text.clone())], "{:?}", source);
    });
}

/// Seed text with the names an admin types replaced by generated ones.
fn plan() -> impl Strategy<Value = String> {
    // Mostly names a plan could hold, sometimes anything an admin could type.
    let name = |good: &'static str| prop_oneof![3 => good, 1 => "[A-Za-z0-9 .$()'\"`;\\-]{0,16}"];
    let label = "[a-z][a-z0-9-]{0,8}[a-z0-9]";
    (name(label), name("[A-Z][A-Za-z ]{0,10}"), name("[A-Z][A-Za-z ]{0,10}"), name(label), name(label)).prop_map(
        |(domain, site_a, site_b, appliance, fqdn_label)| {
            SEED_TOML
                .replacen(
                    "domain = \"adatum.biz\"",
                    &format!("domain = {}", toml_string(&format!("{domain}.adatum.biz"))),
                    1,
                )
                .replacen("name = \"Amsterdam\"", &format!("name = {}", toml_string(&site_a)), 1)
                .replacen("name = \"Seattle\"", &format!("name = {}", toml_string(&site_b)), 1)
                .replacen("name = \"ams-cce1\"", &format!("name = {}", toml_string(&appliance)), 1)
                .replacen(
                    "name = \"sea-cce1\"",
                    &format!(
                        "name = {}\nfqdn = {}",
                        toml_string("sea-cce1"),
                        toml_string(&format!("{fqdn_label}.adatum.biz"))
                    ),
                    1,
                )
        },
    )
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

#[test]
fn any_plan_the_loader_accepts_configures_the_dns_server() {
    let rt = runtime();
    let config = fuzz_corpus::config("topology_plans", 300);
    let accepted = std::sync::atomic::AtomicUsize::new(0);
    proptest!(config, |(text in plan())| {
        match Topology::parse(&text, None) {
            Err(e) => prop_assert!(!e.to_string().is_empty()),
            Ok(topology) => {
                accepted.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                let executor = bypass_lab::dns::DnsExecutor { state: Default::default(), answers_on: None };
                let dns = DnsConfig { topology: Some(topology.clone()), script: None, secrets: Secrets::generate(&topology) };
                let configured = rt.block_on(bypass_lab::dns::configure(&executor, &dns));
                prop_assert!(configured.is_ok(), "{text}\n{configured:?}");
                let script = bypass_lab::dns::topology_script(&topology);
                prop_assert!(!script.contains("$("), "{script}");
            }
        }
    });
    assert!(accepted.into_inner() > 0, "no generated plan was valid: the generator tests nothing past validation");
}

#[test]
fn the_topology_loader_answers_any_text_without_panicking() {
    let config = fuzz_corpus::config("topology", 300);
    let cut = (0usize..SEED_TOML.len(), "\\PC{0,20}").prop_map(|(cut, noise)| {
        let mut text = SEED_TOML[..SEED_TOML.floor_char_boundary(cut)].to_string();
        text.push_str(&noise);
        text
    });
    let seeded = fuzz_corpus::mutated("topology", 8).prop_map(|(_, text)| String::from_utf8_lossy(&text).into_owned());
    proptest!(config, |(text in prop_oneof![cut, seeded])| {
        if let Err(e) = Topology::parse(&text, None) {
            prop_assert!(!e.to_string().is_empty());
        }
    });
}

/// Request heads (and the bodies after them) sent to a tenant, the role with the most routes,
/// as bytes on a connection: every one is answered or the connection closed within a deadline,
/// never with a server error, and the tenant still answers its health check after all of them.
#[test]
fn http_request_heads_never_stop_a_role() {
    let rt = runtime();
    let topology = Topology::seed();
    let secrets = Secrets::well_known(&topology);
    let data = tempfile::tempdir().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let tenant = rt.block_on(support::start_tenant(&topology, &secrets, data.path(), stop.clone()));
    let at: SocketAddr = tenant.url().trim_start_matches("http://").parse().unwrap();
    let config = fuzz_corpus::config("http_head", 300);
    let served = std::sync::atomic::AtomicUsize::new(0);
    proptest!(config, |((seed, head) in fuzz_corpus::mutated("http_head", 6))| {
        let answer = rt.block_on(async {
            let mut tcp = tokio::net::TcpStream::connect(at).await.unwrap();
            let _ = tcp.write_all(&head).await;
            let _ = tcp.shutdown().await;
            let mut answer = vec![];
            tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await.map(|_| answer)
        });
        let answer = answer.map_err(|_| TestCaseError::fail(format!("{seed}: no answer and no close within 5 s")))?;
        let text = String::from_utf8_lossy(&answer);
        if text.starts_with("HTTP/1.1 2") {
            served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        for status in text.match_indices("HTTP/1.").filter_map(|(i, _)| text.get(i + 9..i + 12)) {
            prop_assert!(!status.starts_with('5'), "{seed}: {status} for {:?}:\n{text}", String::from_utf8_lossy(&head));
        }
    });
    let healthy = rt.block_on(
        bypass_lab::tenant::TenantRemote::new(tenant.url(), &secrets.admin).reachable(Duration::from_secs(5)),
    );
    assert!(healthy.is_ok(), "the tenant stopped answering: {healthy:?}");
    assert!(served.into_inner() > 0, "no head was served: the harness tests refusals only");
    stop.cancel();
    rt.block_on(tenant.task).unwrap().unwrap();
}
