//! A plan whose subnet is one of the host's own networks is refused before anything is created:
//! the lab's bridge would take the host's traffic for that range and cut the host off it. The
//! test gives the host such a network itself, on a dummy interface (or, where the kernel has no
//! dummy driver, a bridge without ports: both drop whatever is sent to them), and removes it
//! after. Needs root and a Docker engine; fails (never skips)
//! without them.

mod support;

use bypass_lab::auth::Secrets;
use bypass_lab::backend::containers::{Containers, Owner};
use bypass_lab::backend::{BackendError, DnsStart};
use bypass_lab::topology::Topology;
use std::process::Command;

const INTERFACE: &str = "bl-host27";
const HOST_SUBNET: &str = "10.231.7.0/24";

const PLAN: &str = r#"
[tenant]
domain = "contoso.test"
sip_domains = ["contoso.test"]
service_name = "hybridvoice.contoso.test"
replication_window = "12h"

[[site]]
name = "Lisbon"
subnets = ["10.61.7.0/24", "10.231.7.0/24"]
gateway = "10.61.7.1"

[[site.appliance]]
name = "lis-cce1"
address = "10.61.7.20"

[outside]
subnets = ["198.18.27.0/24"]
"#;

fn ip(args: &[&str]) {
    support::succeed("ip", args);
}

/// A network of the host's own, on a dummy interface, for as long as it lives.
struct HostNetwork;

impl HostNetwork {
    fn up() -> HostNetwork {
        // A leftover of an interrupted run first.
        let _ = Command::new("ip").args(["link", "del", INTERFACE]).output();
        let dummy = Command::new("ip").args(["link", "add", INTERFACE, "type", "dummy"]).output();
        if !dummy.is_ok_and(|o| o.status.success()) {
            ip(&["link", "add", INTERFACE, "type", "bridge"]);
        }
        let network = HostNetwork;
        ip(&["addr", "add", "10.231.7.1/24", "dev", INTERFACE]);
        ip(&["link", "set", INTERFACE, "up"]);
        network
    }
}

impl Drop for HostNetwork {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["link", "del", INTERFACE]).output();
    }
}

fn docker_networks() -> String {
    let out = Command::new("docker").args(["network", "ls", "-q"]).output().expect("the docker CLI");
    assert!(out.status.success());
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_on_the_hosts_own_network_is_refused_before_anything_is_created() {
    let image = bypass_lab::backend::containers::image::build_image(&|_| {}).await.expect("the lab image");
    let topology = Topology::parse(PLAN, None).expect("a valid plan");
    let _host = HostNetwork::up();
    let before = docker_networks();
    let started = Containers::start_with_image(&topology, &Secrets::generate(&topology), &image, &|_| {}).await;
    let after = docker_networks();
    let refused = match started {
        Ok(lab) => {
            let _ = bypass_lab::backend::Backend::stop(&lab).await;
            panic!("a plan on the host's own {HOST_SUBNET} was started");
        }
        Err(e) => e,
    };
    assert!(matches!(refused, BackendError::HostNetwork { .. }), "{refused:?}");
    let message = refused.to_string();
    for named in [HOST_SUBNET, INTERFACE, "site Lisbon", "Nothing was created"] {
        assert!(message.contains(named), "the refusal was expected to name {named}: {message}");
    }
    assert_eq!(after, before, "nothing was expected to be created");

    // The lab's own online network is held against the host alike, and the refusal names the
    // way out.
    let elsewhere = Topology::parse(&PLAN.replace(", \"10.231.7.0/24\"", ""), None).expect("a valid plan");
    let online = Some(HOST_SUBNET.parse().unwrap());
    let secrets = Secrets::generate(&elsewhere);
    let started = Containers::start_owned(
        &elsewhere,
        &secrets,
        &image,
        Owner::this_process(),
        DnsStart::Planned,
        online,
        &|_| {},
    )
    .await;
    let refused = match started {
        Ok(lab) => {
            let _ = bypass_lab::backend::Backend::stop(&lab).await;
            panic!("an online network on the host's own {HOST_SUBNET} was used");
        }
        Err(e) => e.to_string(),
    };
    assert!(refused.contains("online network") && refused.contains("--online-subnet"), "{refused}");
    assert_eq!(docker_networks(), before, "nothing was expected to be created");
}
