//! The seed lab in containers: the seed's addresses, DNS answers by source address, faults,
//! and nothing left behind. Needs a Docker engine; fails (never skips) without one.

mod support;

use bypass_lab::auth::Secrets;
use bypass_lab::backend::containers::{Containers, LAB_LABEL};
use bypass_lab::backend::Backend;
use bypass_lab::dns::{lookup, Answer, Transport};
use bypass_lab::topology::Topology;
use std::net::{IpAddr, SocketAddr};
use std::process::Command;
use std::time::Duration;
use tokio::time::timeout;

/// A cold static build of the image takes minutes on a small machine; a warm one, seconds.
const IMAGE_DEADLINE: Duration = Duration::from_secs(30 * 60);
const LAB_DEADLINE: Duration = Duration::from_secs(180);

/// Labs share the seed's subnets: one at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn progress(line: &str) {
    eprintln!("  {line}");
}

async fn image() -> String {
    timeout(IMAGE_DEADLINE, bypass_lab::backend::containers::image::build_image(&progress))
        .await
        .expect("the image was expected to build within the deadline")
        .expect("the lab image needs a running Docker engine and a static build")
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("the docker CLI must be installed for this test");
    assert!(out.status.success(), "docker {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Everything any lab left: containers, networks, volumes labelled `bypass-lab.lab`.
fn labelled() -> Vec<String> {
    let filter = format!("label={LAB_LABEL}");
    let mut all = Vec::new();
    for (kind, args) in [
        ("container", vec!["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"]),
        ("network", vec!["network", "ls", "--filter", &filter, "--format", "{{.Name}}"]),
        ("volume", vec!["volume", "ls", "--filter", &filter, "--format", "{{.Name}}"]),
    ] {
        all.extend(docker(&args).lines().filter(|l| !l.trim().is_empty()).map(|l| format!("{kind} {l}")));
    }
    all
}

/// The container's addresses by network name.
fn addresses(container: &str) -> Vec<(String, IpAddr)> {
    docker(&[
        "inspect",
        "-f",
        "{{range $n, $e := .NetworkSettings.Networks}}{{$n}}={{$e.IPAddress}} {{end}}",
        container,
    ])
    .split_whitespace()
    .filter_map(|pair| {
        let (net, ip) = pair.split_once('=')?;
        Some((net.to_string(), ip.parse().ok()?))
    })
    .collect()
}

fn ips(list: &[&str]) -> Vec<IpAddr> {
    list.iter().map(|s| s.parse().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn seed_lab_runs_at_the_seeds_addresses_and_is_removed_by_stop() {
    let _serial = SERIAL.lock().await;
    let image = image().await;
    let _turn = support::turn(&Topology::seed()).await;
    let topology = Topology::seed();
    let secrets = Secrets::generate(&topology);
    timeout(LAB_DEADLINE, async {
        let lab =
            Containers::start_with_image(&topology, &secrets, &image, &progress).await.expect("the seed lab starts");
        let id = lab.lab_id();
        for (appliance, site, address) in [
            ("ams-cce1", "amsterdam", "192.168.1.45"),
            ("ams-cce4", "amsterdam", "192.168.1.48"),
            ("sea-cce1", "seattle", "10.10.1.8"),
            ("sea-cce3", "seattle", "10.10.1.10"),
        ] {
            let container = lab.container_of(appliance).unwrap();
            let legs = addresses(&container);
            let expected = (format!("bypass-lab-{id}-{site}"), address.parse().unwrap());
            assert!(legs.contains(&expected), "{appliance} was expected at {expected:?}, docker shows {legs:?}");
            assert!(
                legs.iter().any(|(n, _)| n.ends_with("-online")),
                "{appliance} was expected on the online network: {legs:?}"
            );
        }

        // The host asks from its own leg in each site; ECS stands in for another place.
        let service = &topology.tenant.service_name;
        let seattle_dns = SocketAddr::new(lab.plan().sites[1].dns.unwrap(), 53);
        let seattle = Answer::Addresses(ips(&["10.10.1.8", "10.10.1.9", "10.10.1.10"]));
        let amsterdam = Answer::Addresses(ips(&["192.168.1.45", "192.168.1.46", "192.168.1.47", "192.168.1.48"]));
        assert_eq!(lookup(seattle_dns, service, None, Transport::Udp).await.unwrap(), seattle);
        assert_eq!(lookup(seattle_dns, service, None, Transport::Tcp).await.unwrap(), seattle);
        let dns = lab.endpoints().dns;
        assert_eq!(
            lookup(dns, service, None, Transport::Udp).await.unwrap(),
            amsterdam,
            "from the host's Amsterdam leg"
        );
        assert_eq!(lookup(dns, service, Some("10.10.1.200".parse().unwrap()), Transport::Udp).await.unwrap(), seattle);

        // Cut and heal the link to the tenant.
        let sea1 = lab.container_of("sea-cce1").unwrap();
        lab.cut("sea-cce1").await.expect("cut");
        assert!(
            !addresses(&sea1).iter().any(|(n, _)| n.ends_with("-online")),
            "cut leaves sea-cce1 off the online network"
        );
        lab.heal("sea-cce1").await.expect("heal");
        let online = lab.plan().appliances.iter().find(|a| a.name == "sea-cce1").unwrap().online;
        assert!(addresses(&sea1).contains(&(format!("bypass-lab-{id}-online"), online)), "heal restores {online}");

        // A client host at its real address in Seattle.
        let at: IpAddr = topology.client_address(topology.site("Seattle").unwrap(), 0).unwrap();
        let url = lab.client_host(at).await.expect("a client host in Seattle");
        assert_eq!(url, format!("http://{at}:8090"));
        assert!(lab.endpoints().clocks.contains(&url) && lab.endpoints().clients.contains_key(&at.to_string()));
        let client = lab.state().clients[&at.to_string()].clone();
        assert!(addresses(&client).contains(&(format!("bypass-lab-{id}-seattle"), at)));

        lab.restart("ams-cce1", true).await.expect("kill and start ams-cce1");
        lab.restart("ams-cce2", false).await.expect("restart ams-cce2");

        lab.stop().await.expect("stop");
        assert_eq!(labelled(), Vec::<String>::new(), "stop was expected to remove everything the lab created");
    })
    .await
    .expect("the seed lab scenario was expected to finish within the deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_test_leaves_nothing_behind() {
    let _serial = SERIAL.lock().await;
    let image = image().await;
    let _turn = support::turn(&Topology::seed()).await;
    timeout(LAB_DEADLINE, async {
        let failing = tokio::spawn(async move {
            let topology = Topology::seed();
            let lab = Containers::start_with_image(&topology, &Secrets::generate(&topology), &image, &progress)
                .await
                .expect("the seed lab starts");
            assert!(!labelled().is_empty(), "the lab {} was expected to have containers", lab.lab_id());
            panic!("a test fails while its lab runs");
        });
        let outcome = failing.await;
        assert!(outcome.is_err_and(|e| e.is_panic()), "the test body was expected to panic");
        assert_eq!(labelled(), Vec::<String>::new(), "a panicking test was expected to leave nothing labelled");
    })
    .await
    .expect("the failing-test scenario was expected to finish within the deadline");
}
