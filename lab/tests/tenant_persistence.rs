//! kill -9 never loses an acknowledged change: the real binary, killed and restarted on the
//! same data directory.

use bypass_lab::auth::Secrets;
use bypass_lab::tenant::TenantRemote;
use bypass_lab::topology::Topology;

mod support;

const URL: &str = "http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc";

#[tokio::test]
async fn an_acknowledged_change_survives_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let secrets = Secrets::well_known(&Topology::seed());
    let data_dir = data.path().to_str().unwrap();
    let (mut child, address) = support::serve(&["tenant", "--listen", "127.0.0.1:0", "--data", data_dir]).await;
    let base = format!("http://{address}");
    let admin = TenantRemote::new(&base, &secrets.admin);
    let acknowledged = admin.set_internal_url(Some(URL)).await.unwrap();
    assert_eq!(acknowledged.version, 2);

    child.kill().await.unwrap(); // SIGKILL: no chance to flush anything
    assert!(data.path().join("tenant.redb").exists());

    let (mut child, address) = support::serve(&["tenant", "--listen", "127.0.0.1:0", "--data", data_dir]).await;
    let after = TenantRemote::new(format!("http://{address}"), &secrets.admin).configuration().await;
    child.kill().await.unwrap();
    let after = after.unwrap();
    assert_eq!(after, acknowledged);
}

#[tokio::test]
async fn an_empty_or_corrupt_store_is_refused_before_ready_and_never_reset() {
    for (what, content) in [("empty", &b""[..]), ("corrupt", &b"not a redb file at all, just text"[..])] {
        let data = tempfile::tempdir().unwrap();
        let file = data.path().join("tenant.redb");
        std::fs::write(&file, content).unwrap();
        let (stdout, stderr) =
            support::refused(&["tenant", "--listen", "127.0.0.1:0", "--data", data.path().to_str().unwrap()]).await;
        assert!(!stdout.contains("listening on"), "{what}: the tenant said it was ready: {stdout}");
        assert!(stderr.contains(&file.display().to_string()), "{what}: the error names the file: {stderr}");
        assert!(stderr.contains("afresh"), "{what}: the error says how to start afresh: {stderr}");
        assert_eq!(std::fs::read(&file).unwrap(), content, "{what}: the store was left as it was");
    }
}

/// Writers run against the real binary while it is killed with SIGKILL again and again (for a
/// few seconds): after every restart the store holds every write that was acknowledged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_kill_9_under_load_loses_no_acknowledged_write() {
    use bypass_lab::tenant::{ApplianceContact, ApplianceRegistration};
    use rand::RngExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    use std::sync::Arc;
    use std::time::{Duration, Instant};

    let data = tempfile::tempdir().unwrap();
    let data_dir = data.path().to_str().unwrap();
    let secrets = Secrets::well_known(&Topology::seed());
    let args = ["tenant", "--listen", "127.0.0.1:0", "--data", data_dir];
    let acked_version = Arc::new(AtomicU64::new(0));
    let acked_contact = Arc::new(AtomicU64::new(0));
    let next_contact = Arc::new(AtomicU64::new(1));
    let started = Instant::now();
    let mut kills = 0;
    while started.elapsed() < Duration::from_secs(3) {
        let (mut child, address) = support::serve(&args).await;
        let base = format!("http://{address}");
        let admin = TenantRemote::new(&base, &secrets.admin);
        let appliance = TenantRemote::new(&base, secrets.appliance("ams-cce1").unwrap());

        // What the last life acknowledged is what this one starts from.
        let configuration = admin.configuration().await.unwrap();
        assert!(
            configuration.version >= acked_version.load(Ordering::SeqCst),
            "after kill {kills}: version {} but {} was acknowledged",
            configuration.version,
            acked_version.load(Ordering::SeqCst)
        );
        let stored_contact = admin
            .appliances()
            .await
            .unwrap()
            .into_iter()
            .find(|a| a.name == "ams-cce1")
            .and_then(|a| a.replicated_version)
            .unwrap_or(0);
        assert!(
            stored_contact >= acked_contact.load(Ordering::SeqCst),
            "after kill {kills}: contact {stored_contact} stored but {} was acknowledged",
            acked_contact.load(Ordering::SeqCst)
        );
        let registration = ApplianceRegistration {
            name: "ams-cce1".into(),
            site_name: "Amsterdam".into(),
            fqdn: "ams-cce1.adatum.biz".into(),
            address: "192.168.1.45".parse().unwrap(),
            explicit: false,
        };
        appliance.register(&registration).await.unwrap();

        let (acked, done) = (Arc::new(AtomicU64::new(0)), tokio::sync::Notify::new());
        let done = Arc::new(done);
        let kill_after = rand::rng().random_range(1..40u64);
        let mut writers = tokio::task::JoinSet::new();
        for writer in 0..4 {
            let (admin, appliance) = (admin.clone(), appliance.clone());
            let (acked_version, acked_contact, next_contact) =
                (acked_version.clone(), acked_contact.clone(), next_contact.clone());
            let (acked, done) = (acked.clone(), done.clone());
            writers.spawn(async move {
                for n in 0u64.. {
                    // One appliance reports its contacts one after another, as a real one does.
                    if writer != 3 {
                        let url = format!("http://hybridvoice.adatum.biz/hybridconfig/v{n}");
                        let Ok(c) = admin.set_internal_url(Some(&url)).await else { return };
                        acked_version.fetch_max(c.version, Ordering::SeqCst);
                    } else {
                        let version = next_contact.fetch_add(1, Ordering::SeqCst);
                        let contact = ApplianceContact {
                            name: "ams-cce1".into(),
                            at: Duration::from_secs(version),
                            replicated_version: version,
                        };
                        if appliance.report_contact(&contact).await.is_err() {
                            return;
                        }
                        acked_contact.fetch_max(version, Ordering::SeqCst);
                    }
                    if acked.fetch_add(1, Ordering::SeqCst) + 1 == kill_after {
                        done.notify_one();
                    }
                }
            });
        }
        done.notified().await;
        child.start_kill().unwrap(); // SIGKILL, writes in flight
        child.wait().await.unwrap();
        while writers.join_next().await.is_some() {}
        kills += 1;
    }
    assert!(kills >= 3, "only {kills} kills in the time given");
}
