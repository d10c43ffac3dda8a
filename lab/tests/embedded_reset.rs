//! A reset embedded lab is a fresh lab (the check is shared with the containers backend's:
//! `support/fresh.rs`): put back in place, every part shows what it showed at the lab's start,
//! reset after reset, with one DNS server or several replicating through AD.

mod support;

use bypass_lab::lab::LabOptions;
use bypass_lab::topology::Topology;

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
