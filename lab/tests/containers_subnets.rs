//! A site with several subnets in containers (`lab/topologies/fabrikam.toml`: Paris has two):
//! one network per subnet, the site's DNS server and Mediation Server with a leg on each, so a
//! client on Paris' second subnet asks its own subnet's DNS leg, is answered as a Paris client,
//! fetches from Paris' Mediation Server and bypasses to Paris' gateway, as on the embedded
//! backend; an outside client still resolves nothing. Needs a Docker engine; fails (never
//! skips) without one.

mod support;

use bypass_lab::backend::containers::LAB_LABEL;
use bypass_lab::backend::BackendKind;
use bypass_lab::client::FetchOutcome;
use bypass_lab::lab::{Lab, LabOptions, RunOn};
use bypass_lab::topology::Topology;
use std::net::IpAddr;
use std::process::Command;
use support::Shield;

const FABRIKAM: &str = include_str!("../topologies/fabrikam.toml");

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("the docker CLI must be installed for this test");
    assert!(out.status.success(), "docker {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The container's addresses, `network=address`, sorted.
fn legs(container: &str) -> Vec<String> {
    let format = "{{range $n, $e := .NetworkSettings.Networks}}{{$n}}={{$e.IPAddress}} {{end}}";
    let mut legs: Vec<String> =
        docker(&["inspect", "-f", format, container]).split_whitespace().map(String::from).collect();
    legs.sort();
    legs
}

/// The id of the running fabrikam lab: no other lab can hold Paris' second subnet at once.
fn lab_id() -> String {
    let names = docker(&["network", "ls", "--filter", &format!("label={LAB_LABEL}"), "--format", "{{.Name}}"]);
    let name = names.lines().find(|n| n.ends_with("-paris_2")).expect("a network for Paris' second subnet");
    name.trim_start_matches("bypass-lab-").trim_end_matches("-paris_2").to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_on_a_sites_second_subnet_bypasses_to_its_own_site() {
    let topology = Topology::parse(FABRIKAM, None).expect("fabrikam is a valid topology");
    let _shield = Shield::up(&topology);
    let _turn = support::turn(&topology).await;
    let options = LabOptions { backend: BackendKind::Containers, ..LabOptions::default() };
    let lab = Lab::start(topology.clone(), options).await.expect("the fabrikam lab starts");
    let id = lab_id();
    let result = std::panic::AssertUnwindSafe(scenario(&lab, &topology, &id));
    let outcome = futures::FutureExt::catch_unwind(result).await;
    lab.stop().await.expect("the lab stops");
    let left = docker(&["network", "ls", "-q", "--filter", &format!("label={LAB_LABEL}={id}")]);
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
    assert_eq!(left.trim(), "", "stop was expected to remove every network of the lab");
}

async fn scenario(lab: &Lab, topology: &Topology, id: &str) {
    let net = |key: &str| format!("bypass-lab-{id}-{key}");
    let networks = docker(&["network", "ls", "--filter", &format!("label={LAB_LABEL}={id}"), "--format", "{{.Name}}"]);
    let mut networks: Vec<&str> = networks.lines().collect();
    networks.sort();
    let mut expected = ["london", "paris", "paris_2", "berlin", "outside", "online"].map(net).to_vec();
    expected.sort();
    assert_eq!(networks, expected, "one network per subnet");
    let par = format!("bypass-lab-{id}-par-cce1");
    let par_legs = legs(&par);
    for leg in [format!("{}=172.20.20.21", net("paris")), format!("{}=172.20.21.2", net("paris_2"))] {
        assert!(par_legs.contains(&leg), "par-cce1 was expected at {leg}: {par_legs:?}");
    }

    let lines = support::enable_lines(topology);
    lab.run_runbook(&lines, &RunOn::AdminSession).await.expect("the enable lines run");
    lab.pass_replication_window().await.expect("the settings reach every appliance");

    let paris = topology.site("Paris").unwrap();
    let second: IpAddr = topology.subnet_client_addresses(paris)[1];
    assert!("172.20.21.0/24".parse::<ipnet::IpNet>().unwrap().contains(&second));
    lab.sign_in("paris-2", second).await.expect("a user signs in on Paris' second subnet");
    let client = format!("bypass-lab-{id}-client-{}", second.to_string().replace('.', "-"));
    assert!(legs(&client).contains(&format!("{}={second}", net("paris_2"))), "{:?}", legs(&client));
    let fetched = lab.fetch("paris-2").await.expect("a fetch");
    assert!(
        matches!(&fetched, FetchOutcome::Bypass { mediation_server, address, .. }
            if mediation_server == "par-cce1" && address.to_string() == "172.20.20.21"),
        "a client on Paris' second subnet was expected to fetch from par-cce1, got {fetched:?}"
    );
    let call = lab.call("paris-2", "+33123456789").await.expect("a call");
    assert_eq!(call.media_path, bypass_lab::mediation::MediaPath::Bypass, "{call:?}");
    assert_eq!(call.site, "Paris", "{call:?}");

    let outside = topology.outside_address(0).unwrap();
    lab.sign_in("away", outside).await.expect("a user signs in outside");
    let fetched = lab.fetch("away").await.expect("a fetch");
    assert!(
        matches!(fetched, FetchOutcome::NameDoesNotResolve { .. }),
        "an outside client was expected to resolve nothing, got {fetched:?}"
    );
}
