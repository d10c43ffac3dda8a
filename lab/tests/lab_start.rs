//! Starting a lab: no backend reports ready while a role is dead.

use bypass_lab::lab::{Lab, LabError, LabOptions};
use bypass_lab::topology::Topology;

#[tokio::test]
async fn a_role_that_fails_at_start_fails_the_start_naming_it() {
    // A plan that skipped validation: two sites whose names give the DNS role the same client
    // subnet name, so its start-up configuration fails.
    let mut topology = Topology::seed();
    topology.sites[1].name = format!("{} ", topology.sites[0].name);
    let error = match Lab::start(topology, LabOptions::default()).await {
        Ok(lab) => {
            lab.stop().await.unwrap();
            panic!("the lab reported ready with a dead DNS role");
        }
        Err(e) => e,
    };
    let LabError::RoleFailed(failure) = &error else { panic!("expected a role failure, got: {error}") };
    assert_eq!(failure.role, "dns", "{error}");
    assert!(error.to_string().starts_with("the lab did not start: the dns role failed: "), "{error}");
}

/// The same plan gives the same appliance identities on every start, so a runbook that holds
/// one (`Set-CsHybridPSTNAppliance -Identity 7af7dc1c-...`) can be rehearsed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn appliance_identities_are_the_same_on_every_start() {
    let mut seen = vec![];
    for _ in 0..2 {
        let lab = Lab::start(Topology::seed(), LabOptions::default()).await.expect("the seed lab starts");
        lab.pass_replication_window().await.unwrap();
        let mut identities: Vec<(String, String)> =
            lab.tenant_appliances().await.unwrap().into_iter().map(|a| (a.name, a.identity.to_string())).collect();
        identities.sort();
        lab.stop().await.unwrap();
        seen.push(identities);
    }
    assert_eq!(seen[0].len(), Topology::seed().appliances().count(), "{:?}", seen[0]);
    assert_eq!(seen[0], seen[1]);
}
