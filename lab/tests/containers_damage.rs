//! A damaged containers lab is still driven: with one Mediation Server's container stopped,
//! another process attaches, `status` marks that appliance DOWN (and `ls` counts it down),
//! DNS and the other site's clients still work, lab time still moves, a command that needs the
//! stopped appliance names it and the way back, and `fault restart` brings it back at the lab's
//! time; a removed container comes back with `repair`, on the volume that kept its
//! LocalStore. Needs a Docker engine; fails (never skips) without one.

mod support;

use bypass_lab::backend::containers::{labs, remove_lab};
use bypass_lab::backend::BackendKind;
use bypass_lab::client::FetchOutcome;
use bypass_lab::dns::{Answer, Transport};
use bypass_lab::lab::{Lab, LabFile, LabOptions, RunOn};
use bypass_lab::topology::Topology;
use std::net::IpAddr;
use std::time::Duration;
use support::Shield;

const PLAN: &str = r#"
[tenant]
domain = "contoso.test"
sip_domains = ["contoso.test"]
service_name = "hybridvoice.contoso.test"
replication_window = "12h"

[[site]]
name = "Lisbon"
subnets = ["10.71.1.0/24"]
gateway = "10.71.1.1"

[[site.appliance]]
name = "lis-cce1"
address = "10.71.1.20"

[[site.appliance]]
name = "lis-cce2"
address = "10.71.1.21"

[[site]]
name = "Oslo"
subnets = ["10.72.1.0/24"]
gateway = "10.72.1.1"

[[site.appliance]]
name = "osl-cce1"
address = "10.72.1.20"

[outside]
subnets = ["198.18.71.0/24"]
"#;

fn docker(args: &[&str]) {
    support::succeed("docker", args);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_with_a_stopped_mediation_server_is_still_driven_and_brought_back() {
    let topology = Topology::parse(PLAN, None).expect("a valid plan");
    let _shield = Shield::up(&topology);
    let _turn = support::turn(&topology).await;
    let dir = tempfile::tempdir().unwrap();
    let options = LabOptions { backend: BackendKind::Containers, ..LabOptions::default() };
    let lab = Lab::start(topology.clone(), options).await.expect("the lab starts");
    // Saved, it belongs to its lab file: every later handle attaches as another command would.
    lab.save(dir.path()).expect("the lab file is written");
    let id = LabFile::read(dir.path()).unwrap().containers_lab().expect("a containers lab").to_string();
    let outcome =
        futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(scenario(dir.path(), &topology, &id))).await;
    remove_lab(&id).await.expect("the lab is removed");
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

async fn scenario(dir: &std::path::Path, topology: &Topology, id: &str) {
    let container = |role: &str| format!("bypass-lab-{id}-{role}");
    docker(&["stop", "-t", "1", &container("lis-cce2")]);

    let lab = Lab::attach(dir).await.expect("a lab with one container stopped is still attached");
    let down: Vec<String> = lab.roles_down().iter().map(|d| d.role.clone()).collect();
    assert_eq!(down, ["lis-cce2"]);
    let rows = lab.status().await.expect("status");
    let row = rows.iter().find(|r| r.appliance == "lis-cce2").unwrap();
    let error = row.error.clone().unwrap_or_default();
    assert!(row.status.is_none() && error.contains("lis-cce2 is down"), "{row:?}");
    assert!(error.contains("fault restart lis-cce2") && error.contains("repair"), "{error}");
    assert!(rows.iter().filter(|r| r.appliance != "lis-cce2").all(|r| r.status.is_some()), "{rows:?}");
    let entry = labs(&bypass_lab::backend::containers::connect().await.unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|l| l.id == id)
        .expect("ls lists the lab");
    let stopped: Vec<&str> = entry.containers.iter().filter(|(_, up)| !up).map(|(n, _)| n.as_str()).collect();
    assert_eq!(stopped, [container("lis-cce2").as_str()], "ls agrees with status");

    // What does not need it still works.
    let oslo: IpAddr = "10.72.1.77".parse().unwrap();
    let answer = lab.resolve(&topology.tenant.service_name, oslo, Transport::Udp).await.expect("DNS answers");
    assert_eq!(answer, Answer::Addresses(vec!["10.72.1.20".parse().unwrap()]));
    let lines = support::enable_lines(topology);
    lab.run_runbook(&lines, &RunOn::AdminSession).await.expect("the tenant takes the enable lines");
    let before = lab.now().await.expect("lab time");
    lab.advance(Duration::from_secs(12 * 3600)).await.expect("lab time moves without the stopped appliance");
    let now = lab.now().await.unwrap();
    assert_eq!(now, before + Duration::from_secs(12 * 3600));
    lab.sign_in("olga", oslo).await.expect("a user signs in at Oslo");
    let fetched = lab.fetch("olga").await.expect("a fetch");
    assert!(
        matches!(&fetched, FetchOutcome::Bypass { mediation_server, .. } if mediation_server == "osl-cce1"),
        "{fetched:?}"
    );

    // What needs it says so, and how to bring it back.
    let refused = lab.appliance_status("lis-cce2").await.expect_err("the stopped appliance cannot answer");
    assert!(refused.to_string().contains("lis-cce2 is down"), "{refused}");

    lab.restart("lis-cce2", false).await.expect("fault restart brings it back");
    let lab = Lab::attach(dir).await.expect("attached again");
    assert!(lab.roles_down().is_empty());
    let back = lab.appliance("lis-cce2").unwrap().clock().await.expect("it tells its time");
    assert_eq!(back, now, "it came back at the lab's time");

    // A removed container comes back with `repair`, with the LocalStore its volume kept.
    docker(&["rm", "-f", &container("lis-cce1")]);
    let lab = Lab::attach(dir).await.expect("a lab with one container removed is still attached");
    let repaired: Vec<String> = lab.repair().await.expect("repair").iter().map(|d| d.role.clone()).collect();
    assert_eq!(repaired, ["lis-cce1"]);
    let lab = Lab::attach(dir).await.expect("attached again");
    assert!(lab.roles_down().is_empty());
    let status = lab.appliance_status("lis-cce1").await.expect("it answers again");
    assert!(status.replicated_version.is_some(), "its LocalStore came back: {status:?}");
    assert_eq!(lab.appliance("lis-cce1").unwrap().clock().await.unwrap(), now);
}
