//! Many writers for one appliance at once, through the real binary over loopback: every
//! acknowledgement is what the tenant stores, and an appliance's identity is created once.

use bypass_lab::auth::Secrets;
use bypass_lab::tenant::{ApplianceContact, ApplianceRecord, ApplianceRegistration, Store, TenantRemote};
use bypass_lab::topology::Topology;
use std::time::Duration;

mod support;

const WRITERS: usize = 16;
const ROUNDS: u64 = 40;

fn registration() -> ApplianceRegistration {
    ApplianceRegistration {
        name: "ams-cce1".into(),
        site_name: "Amsterdam".into(),
        fqdn: "ams-cce1.adatum.biz".into(),
        address: "192.168.1.45".parse().unwrap(),
        explicit: false,
    }
}

fn stored(records: &[ApplianceRecord]) -> ApplianceRecord {
    let found: Vec<&ApplianceRecord> = records.iter().filter(|r| r.name == "ams-cce1").collect();
    assert_eq!(found.len(), 1, "exactly one record for ams-cce1, got {found:?}");
    found[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_writers_for_one_appliance_lose_no_acknowledgement() {
    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();
    let secrets = Secrets::well_known(&Topology::seed());
    let (mut child, address) = support::serve(&["tenant", "--listen", "127.0.0.1:0", "--data", data_dir]).await;
    let base = format!("http://{address}");
    let appliance = TenantRemote::new(&base, secrets.appliance("ams-cce1").unwrap());
    let admin = TenantRemote::new(&base, &secrets.admin);

    // Sixteen first registrations at once: one identity, acknowledged to all of them.
    let first = futures::future::join_all((0..WRITERS).map(|_| {
        let appliance = appliance.clone();
        async move { appliance.register(&registration()).await.unwrap() }
    }))
    .await;
    let identity = stored(&admin.appliances().await.unwrap()).identity;
    for ack in &first {
        assert_eq!(ack.identity, identity, "a registration was acknowledged with an identity the tenant did not keep");
    }

    // Registrations racing a contact report: the acknowledged contact is what stays.
    for round in 1..=ROUNDS {
        let contact =
            ApplianceContact { name: "ams-cce1".into(), at: Duration::from_secs(round), replicated_version: round };
        let registers = futures::future::join_all((0..WRITERS / 2).map(|_| {
            let appliance = appliance.clone();
            async move { appliance.register(&registration()).await.unwrap() }
        }));
        let (acks, contacted) = tokio::join!(registers, appliance.report_contact(&contact));
        contacted.unwrap();
        for ack in acks {
            assert_eq!(ack.identity, identity, "round {round}: a re-registration changed the identity");
        }
        let now = stored(&admin.appliances().await.unwrap());
        assert_eq!(
            (now.replicated_version, now.last_contact),
            (Some(round), Some(contact.at)),
            "round {round}: the acknowledged contact was overwritten by a registration built from an older record"
        );
    }

    // And what the tenant answered is what is on disk.
    child.kill().await.unwrap();
    let _ = child.wait().await;
    let on_disk = Store::open(data.path()).unwrap().load().unwrap();
    let record = on_disk.appliances.get("ams-cce1").expect("ams-cce1 is stored");
    assert_eq!((record.identity, record.replicated_version), (identity, Some(ROUNDS)));
}
