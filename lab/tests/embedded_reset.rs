//! A reset embedded lab is a fresh lab (the check is shared with the containers backend's:
//! `support/fresh.rs`): put back in place, every part shows what it showed at the lab's start,
//! reset after reset, with one DNS server or several replicating through AD; and a state kept
//! on the way is put back whole.

mod support;

use bypass_lab::lab::{Lab, LabOptions, RunOn};
use bypass_lab::topology::Topology;
use std::collections::BTreeMap;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_seed_lab_shows_every_part_as_a_fresh_lab_does() {
    support::fresh::a_reset_lab_is_a_fresh_lab(Topology::seed(), LabOptions::default(), 3).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_lab_forgets_what_its_dns_servers_replicated() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/two-dns-servers.toml");
    let topology = Topology::load(std::path::Path::new(path)).expect("the fixture loads");
    support::fresh::a_reset_lab_is_a_fresh_lab(topology, LabOptions::default(), 2).await;
}

/// A state kept during a scenario (media bypass enabled and replicated, a window on) is put back
/// whole, in place of a reset, however far the lab went after it and whether lab time then goes
/// back or forward to the kept instant; and the appliances' schedules go on from it as they
/// would have: the next window brings each exactly one more sync, at its own offset.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_state_is_put_back_whole_and_the_lab_goes_on_from_it() {
    a_kept_state_is_put_back_whole(Topology::seed()).await;
}

/// Several DNS servers replicating through AD: a put-back starts them in a new forest, as at the
/// kept instant.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_state_is_put_back_whole_with_several_dns_servers() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/two-dns-servers.toml");
    a_kept_state_is_put_back_whole(Topology::load(std::path::Path::new(path)).expect("the fixture loads")).await;
}

/// A /23 site split between two client subnets, a site half covered.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_state_is_put_back_whole_on_a_split_23() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/globex/topology.toml");
    a_kept_state_is_put_back_whole(Topology::load(std::path::Path::new(path)).expect("the example loads")).await;
}

async fn a_kept_state_is_put_back_whole(topology: Topology) {
    let lab = Lab::start(topology.clone(), LabOptions::default()).await.expect("the lab starts");
    lab.run_runbook(&support::enable_lines(&topology), &RunOn::AdminSession).await.expect("enable");
    lab.pass_replication_window().await.expect("replication");
    let kept = support::fresh::observe(&lab, false).await;
    let kept_contacts = contacts(&lab).await;
    assert!(lab.keep("enabled", String::from("what the step recorded")).await.expect("kept"));

    assert_eq!(lab.put_back::<String>("another label").await.expect("nothing kept"), None);
    assert_eq!(lab.put_back::<u32>("enabled").await.expect("not this memo"), None);

    // Back: the lab went on past the kept instant and changed every part.
    support::fresh::change_everything(&lab).await;
    assert_ne!(support::fresh::observe(&lab, false).await, kept, "the scenario changed nothing");
    let memo = lab.put_back::<String>("enabled").await.expect("put back");
    assert_eq!(memo.as_deref(), Some("what the step recorded"));
    assert_eq!(support::fresh::observe(&lab, false).await, kept, "put back after the lab went on");

    // Forward: a reset puts lab time at zero, the kept instant is later; no sync between runs.
    lab.reset().await.expect("the lab resets");
    assert_ne!(lab.now().await.expect("lab time"), kept_time(&kept));
    lab.put_back::<String>("enabled").await.expect("put back").expect("kept");
    assert_eq!(support::fresh::observe(&lab, false).await, kept, "put back from an earlier instant");
    assert_eq!(contacts(&lab).await, kept_contacts, "no sync ran on the way to the kept instant");

    lab.pass_replication_window().await.expect("replication");
    let window = topology.tenant.replication_window;
    let next: BTreeMap<String, Option<Duration>> =
        kept_contacts.iter().map(|(name, at)| (name.clone(), at.map(|at| at + window))).collect();
    assert_eq!(contacts(&lab).await, next, "each appliance synced once more, a window after its last sync");
    lab.stop().await.expect("the lab stops");
}

/// Each appliance's last contact, as the tenant recorded it.
async fn contacts(lab: &Lab) -> BTreeMap<String, Option<Duration>> {
    lab.tenant_appliances().await.expect("appliance records").into_iter().map(|r| (r.name, r.last_contact)).collect()
}

fn kept_time(kept: &BTreeMap<&'static str, serde_json::Value>) -> Duration {
    Duration::from_millis(kept["lab time"].as_u64().expect("lab time in milliseconds"))
}
