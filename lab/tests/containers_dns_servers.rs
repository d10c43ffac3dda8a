//! Several DNS servers in containers: each `[[dns_server]]` is its own container, its sites'
//! clients ask it, AD-integrated zones replicate between the containers after the AD
//! replication delay on the lab clock while policies stay where they were added, and `fault
//! stop|restart dns NAME` stops a server's container and brings it back with its configuration
//! and at the lab's time. Needs a Docker engine; fails (never skips) without one.

mod support;

use bypass_lab::backend::{BackendKind, DnsFault};
use bypass_lab::client::FetchOutcome;
use bypass_lab::dns::{Answer, Transport};
use bypass_lab::http::ControlClient;
use bypass_lab::lab::{Lab, LabOptions, RunOn};
use bypass_lab::topology::Topology;
use std::net::IpAddr;
use std::time::Duration;
use support::Shield;

const FIXTURE: &str = include_str!("fixtures/two-dns-servers.toml");
const AD_DELAY: Duration = Duration::from_secs(15 * 60);

/// Labs of the fixture share its subnets: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn ip(text: &str) -> IpAddr {
    text.parse().unwrap()
}

fn addresses(list: &[&str]) -> Answer {
    Answer::Addresses(list.iter().map(|a| ip(a)).collect())
}

async fn run(lab: &Lab, lines: &str) {
    let transcript = lab.run_runbook(lines, &RunOn::AdminSession).await.unwrap_or_else(|e| panic!("{lines}: {e}"));
    transcript.into_result().unwrap_or_else(|e| panic!("{lines}: {e}"));
}

async fn resolve(lab: &Lab, name: &str, from: IpAddr) -> Option<Answer> {
    lab.resolve(name, from, Transport::Udp).await.ok()
}

/// The lab time a DNS server's own clock shows.
async fn server_time(lab: &Lab, name: &str) -> Duration {
    let server = lab.endpoints().dns_servers.iter().find(|d| d.name == name).cloned().expect("a DNS server of the lab");
    let remote = ControlClient::new(name, &server.admin, &lab.secrets().control);
    Duration::from_millis(remote.clock().await.expect("the server tells its time").now_ms)
}

async fn fetched(lab: &Lab, user: &str) -> FetchOutcome {
    lab.client_flushdns(user).await.expect("flushdns");
    lab.fetch(user).await.expect("a fetch")
}

fn bypasses_through(outcome: &FetchOutcome, appliance: &str) -> bool {
    matches!(outcome, FetchOutcome::Bypass { mediation_server, .. } if mediation_server == appliance)
}

/// `bypass-lab compose` renders the same plan: a service per DNS server at its legs, each with
/// its journal's volume and its peers, and Compose accepts the file.
#[test]
fn the_compose_file_has_a_service_per_dns_server() {
    let topology = Topology::parse(FIXTURE, None).expect("the fixture is a valid topology");
    let compose = bypass_lab::backend::containers::compose_file(&topology);
    for expected in [
        "  dc-lisbon:\n",
        "  dc-oslo:\n",
        "      oslo:\n        ipv4_address: 10.62.1.5\n",
        "\"--computer-name\", \"dc-oslo\", \"--peer\", \"http://172.30.0.3:8053\"",
        "      - dc-oslo:/data\n",
    ] {
        assert!(compose.contains(expected), "missing {expected:?} in\n{compose}");
    }
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("topology.toml"), FIXTURE).unwrap();
    let file = dir.path().join("docker-compose.yml");
    std::fs::write(&file, compose).unwrap();
    let out = std::process::Command::new("docker-compose")
        .args(["-f", &file.display().to_string(), "config", "-q"])
        .output()
        .expect("docker-compose must be installed for this test");
    assert!(out.status.success(), "docker-compose refused the file: {}", String::from_utf8_lossy(&out.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_domain_controllers_in_containers() {
    let _one_at_a_time = SERIAL.lock().await;
    let topology = Topology::parse(FIXTURE, None).expect("the fixture is a valid topology");
    let _shield = Shield::up(&topology);
    let _turn = support::turn(&topology).await;
    let options = LabOptions { backend: BackendKind::Containers, ..LabOptions::default() };
    let lab = Lab::start(topology.clone(), options).await.expect("the two-server lab starts");
    let result = std::panic::AssertUnwindSafe(scenario(&lab, &topology));
    let outcome = futures::FutureExt::catch_unwind(result).await;
    lab.stop().await.expect("the lab stops");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn scenario(lab: &Lab, topology: &Topology) {
    let service = topology.tenant.service_name.clone();
    let (lisbon, oslo) = (ip("10.61.1.77"), ip("10.62.1.77"));

    // Each site's clients get their own site's Mediation Server, from their own server.
    assert_eq!(resolve(lab, &service, lisbon).await, Some(addresses(&["10.61.1.20"])));
    assert_eq!(resolve(lab, &service, oslo).await, Some(addresses(&["10.62.1.20"])));
    run(lab, &support::enable_lines(topology)).await;
    lab.pass_replication_window().await.expect("the tenant's settings reach the appliances");
    lab.sign_in("lis-user", lisbon).await.expect("sign in at Lisbon");
    lab.sign_in("osl-user", oslo).await.expect("sign in at Oslo");
    assert!(bypasses_through(&fetched(lab, "lis-user").await, "lis-cce1"));
    assert!(bypasses_through(&fetched(lab, "osl-user").await, "osl-cce1"));

    // A zone added on dc-lisbon: Lisbon's clients see it at once, Oslo's after the AD delay.
    run(
        lab,
        "Add-DnsServerPrimaryZone -Name late.test -ReplicationScope Forest -ComputerName dc-lisbon\n\
         Add-DnsServerResourceRecord -ZoneName late.test -A -Name www -IPv4Address 10.61.1.30 -ComputerName dc-lisbon\n\
         Add-DnsServerResourceRecord -ZoneName late.test -A -Name blocked -IPv4Address 10.61.1.32 -ComputerName dc-lisbon\n\
         Add-DnsServerQueryResolutionPolicy -Name BlockLate -Action DENY -FQDN 'EQ,blocked.late.test' -ComputerName dc-lisbon",
    )
    .await;
    assert_eq!(resolve(lab, "www.late.test", lisbon).await, Some(addresses(&["10.61.1.30"])));
    assert_ne!(resolve(lab, "www.late.test", oslo).await, Some(addresses(&["10.61.1.30"])), "not replicated yet");
    lab.advance(AD_DELAY).await.expect("lab time moves");
    assert_eq!(resolve(lab, "www.late.test", oslo).await, Some(addresses(&["10.61.1.30"])), "replicated");
    // The records replicate; dc-lisbon's policy does not.
    assert_eq!(resolve(lab, "blocked.late.test", lisbon).await, Some(Answer::Refused));
    assert_eq!(resolve(lab, "blocked.late.test", oslo).await, Some(addresses(&["10.61.1.32"])));

    // A policy of dc-oslo's own, then `fault stop dns dc-oslo`: Oslo resolves nothing and does
    // not bypass; Lisbon still does.
    run(
        lab,
        "Add-DnsServerQueryResolutionPolicy -Name OsloDeny -Action DENY -FQDN 'EQ,www.late.test' -ComputerName dc-oslo",
    )
    .await;
    assert_eq!(resolve(lab, "www.late.test", oslo).await, Some(Answer::Refused));
    let dir = tempfile::tempdir().unwrap();
    lab.save(dir.path()).expect("the lab file other processes attach to");
    lab.dns_fault(Some("dc-oslo"), DnsFault::Stop).await.expect("dc-oslo stops");
    assert!(
        !matches!(resolve(lab, &service, oslo).await, Some(Answer::Addresses(_))),
        "a stopped server answers nothing"
    );
    let osl = fetched(lab, "osl-user").await;
    assert!(
        matches!(osl, FetchOutcome::NameDoesNotResolve { .. } | FetchOutcome::DnsUnreachable { .. }),
        "Oslo's client without its DNS server: {osl:?}"
    );
    assert_eq!(resolve(lab, &service, lisbon).await, Some(addresses(&["10.61.1.20"])));
    assert!(bypasses_through(&fetched(lab, "lis-user").await, "lis-cce1"));
    // A zone dc-oslo misses while it is down.
    run(
        lab,
        "Add-DnsServerPrimaryZone -Name missed.test -ReplicationScope Forest -ComputerName dc-lisbon\n\
         Add-DnsServerResourceRecord -ZoneName missed.test -A -Name www -IPv4Address 10.61.1.40 -ComputerName dc-lisbon",
    )
    .await;

    // Another process (`bypass-lab fault ...`) attaches while dc-oslo is stopped: the lab is not
    // gone, and lab time moves on without the stopped server.
    let other = Lab::attach(dir.path()).await.expect("a lab with a stopped DNS server still runs");
    other.advance(AD_DELAY).await.expect("lab time moves while dc-oslo is stopped");

    // `fault restart dns DC-OSLO`: back with its policies, its replicated zone and the one it
    // missed, at the lab's time.
    other.dns_fault(Some("DC-OSLO"), DnsFault::Restart).await.expect("dc-oslo restarts");
    assert_eq!(server_time(&other, "dc-oslo").await, other.now().await.expect("the lab's time"));
    assert_eq!(resolve(&other, &service, oslo).await, Some(addresses(&["10.62.1.20"])));
    assert_eq!(resolve(&other, "www.late.test", oslo).await, Some(Answer::Refused), "its own policy survived");
    assert_eq!(
        resolve(&other, "blocked.late.test", oslo).await,
        Some(addresses(&["10.61.1.32"])),
        "the replicated zone too"
    );
    assert_eq!(resolve(&other, "www.missed.test", oslo).await, Some(addresses(&["10.61.1.40"])), "caught up");
    assert!(bypasses_through(&fetched(&other, "osl-user").await, "osl-cce1"));
    let moved = other.advance(Duration::from_secs(60)).await.expect("lab time moves with dc-oslo again");
    assert_eq!(server_time(&other, "dc-oslo").await, moved);

    let unknown = lab.dns_fault(Some("dc-paris"), DnsFault::Stop).await.expect_err("no such server");
    assert!(unknown.to_string().contains("dc-paris"), "{unknown}");
}

/// A reset empties every server at once: no server may take back, from a peer not yet reset,
/// the zones being reset away, and replication works again after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_leaves_no_replicated_zone_on_any_server() {
    let _one_at_a_time = SERIAL.lock().await;
    let topology = Topology::parse(FIXTURE, None).expect("the fixture is a valid topology");
    let _shield = Shield::up(&topology);
    let _turn = support::turn(&topology).await;
    let options = LabOptions { backend: BackendKind::Containers, ..LabOptions::default() };
    let lab = Lab::start(topology.clone(), options).await.expect("the two-server lab starts");
    let result = std::panic::AssertUnwindSafe(reset_scenario(&lab));
    let outcome = futures::FutureExt::catch_unwind(result).await;
    lab.stop().await.expect("the lab stops");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn reset_scenario(lab: &Lab) {
    let (lisbon, oslo) = (ip("10.61.1.77"), ip("10.62.1.77"));
    let zone = |name: &str, at: &str| {
        format!(
            "Add-DnsServerPrimaryZone -Name {name} -ReplicationScope Forest -ComputerName dc-lisbon\n\
             Add-DnsServerResourceRecord -ZoneName {name} -A -Name www -IPv4Address {at} -ComputerName dc-lisbon"
        )
    };
    run(lab, &zone("before.test", "10.61.1.30")).await;
    lab.advance(AD_DELAY).await.expect("lab time moves");
    assert_eq!(resolve(lab, "www.before.test", oslo).await, Some(addresses(&["10.61.1.30"])), "replicated");

    for round in 1..=3 {
        lab.reset().await.expect("the lab resets");
        lab.advance(AD_DELAY).await.expect("lab time moves");
        for (site, from) in [("Lisbon", lisbon), ("Oslo", oslo)] {
            assert_ne!(
                resolve(lab, "www.before.test", from).await,
                Some(addresses(&["10.61.1.30"])),
                "round {round}: {site}'s server still holds a zone from before the reset"
            );
        }
    }
    run(lab, &zone("after.test", "10.61.1.31")).await;
    assert_ne!(resolve(lab, "www.after.test", oslo).await, Some(addresses(&["10.61.1.31"])), "not replicated yet");
    lab.advance(AD_DELAY).await.expect("lab time moves");
    assert_eq!(resolve(lab, "www.after.test", oslo).await, Some(addresses(&["10.61.1.31"])), "replicated again");
}
