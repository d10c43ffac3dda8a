//! A reset containers lab is a fresh lab (the check is shared with the embedded backend's:
//! `support/fresh.rs`). Needs a Docker engine and root (blackhole routes keep topology addresses
//! off the host's default route).

mod support;

use support::Shield;

use bypass_lab::backend::BackendKind;
use bypass_lab::lab::LabOptions;
use bypass_lab::topology::Topology;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reset_lab_shows_every_part_as_a_fresh_lab_does() {
    let topology = Topology::seed();
    let _shield = Shield::up(&topology);
    let _turn = support::turn(&topology).await;
    let options = LabOptions { backend: BackendKind::Containers, ..LabOptions::default() };
    support::fresh::a_reset_lab_is_a_fresh_lab(topology, options, 1).await;
}
