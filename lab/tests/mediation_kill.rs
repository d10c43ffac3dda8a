//! The real `bypass-lab serve mediation` process killed with SIGKILL: its LocalStore survives and
//! the restarted Mediation Server serves from it at once, even with the tenant gone.

use bypass_lab::auth::Secrets;
use bypass_lab::mediation::ApplianceRemote;
use bypass_lab::tenant::TenantRemote;
use bypass_lab::topology::Topology;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

mod support;

const DEADLINE: Duration = Duration::from_secs(10);
const SERVICE: &str = "hybridvoice.adatum.biz";

/// The seed's plan cut down to its first appliance, so "every appliance" is this one.
fn one_appliance() -> Topology {
    let mut topology = Topology::seed();
    topology.sites.truncate(1);
    topology.sites[0].appliances.truncate(1);
    topology
}

#[tokio::test]
async fn a_killed_mediation_server_serves_its_localstore_after_restart() {
    let topology = one_appliance();
    let secrets = Secrets::well_known(&topology);
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, toml::to_string(&topology).unwrap()).unwrap();
    let tenant_stop = CancellationToken::new();
    let tenant = support::start_tenant(&topology, &secrets, &dir.path().join("tenant"), tenant_stop.clone()).await;
    let tenant_url = tenant.url();

    let admin = TenantRemote::new(&tenant_url, &secrets.admin);
    let settings = support::always_bypass();
    let version = admin.set_media_bypass(&settings).await.unwrap().version;
    let bypass_id = admin.network_configuration().await.unwrap().media_bypass_settings.bypass_id;

    // First life: the initial sync at start brings the enable into the LocalStore.
    let data = dir.path().join("ams-cce1");
    let args = [
        "mediation",
        "--appliance",
        "ams-cce1",
        "--listen",
        "127.0.0.1:0",
        "--tenant",
        &tenant_url,
        "--topology",
        plan.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ];
    let (mut child, address) = support::serve(&args).await;
    let remote = ApplianceRemote::new(format!("http://{address}"), &secrets.control);
    let synced = admin.appliances_at(version, DEADLINE).await.unwrap();
    assert_eq!(synced.iter().find(|a| a.name == "ams-cce1").and_then(|a| a.replicated_version), Some(version));
    assert_eq!(remote.fetch_web_service(SERVICE).await.unwrap().status, 200);

    child.start_kill().unwrap(); // SIGKILL
    let exit = child.wait().await.unwrap();
    assert!(!exit.success(), "a killed process does not exit cleanly: {exit}");

    // The tenant goes away too: whatever the second life serves comes from the LocalStore.
    tenant_stop.cancel();
    tenant.task.await.unwrap().unwrap();

    let (mut child, address) = support::serve(&args).await;
    let remote = ApplianceRemote::new(format!("http://{address}"), &secrets.control);
    let reply = remote.fetch_web_service(SERVICE).await.unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.answer);
    assert_eq!(reply.document().unwrap().bypass_id, bypass_id);
    let status = remote.status().await.unwrap();
    assert_eq!(status.replicated_version, Some(version));
    assert!(status.bypass_enabled && status.always_bypass);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn an_empty_localstore_is_refused_before_ready() {
    let topology = one_appliance();
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, toml::to_string(&topology).unwrap()).unwrap();
    let data = dir.path().join("ams-cce1");
    std::fs::create_dir_all(&data).unwrap();
    let file = bypass_lab::mediation::LocalStoreFile::in_dir(&data);
    std::fs::write(file.path(), b"").unwrap();
    let (stdout, stderr) = support::refused(&[
        "mediation",
        "--appliance",
        "ams-cce1",
        "--listen",
        "127.0.0.1:0",
        "--tenant",
        "http://127.0.0.1:9",
        "--data",
        data.to_str().unwrap(),
        "--topology",
        plan.to_str().unwrap(),
    ])
    .await;
    assert!(!stdout.contains("listening on"), "the Mediation Server said it was ready: {stdout}");
    assert!(stderr.contains(&file.path().display().to_string()), "the error names the file: {stderr}");
    assert!(stderr.contains("afresh"), "{stderr}");
    assert_eq!(std::fs::read(file.path()).unwrap(), b"");
}

/// A Mediation Server killed with SIGKILL again and again while it syncs (for a few seconds):
/// each time, the LocalStore on disk is readable and holds at least the version the tenant
/// was told it stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_kill_9_while_syncing_never_loses_or_corrupts_the_localstore() {
    use bypass_lab::mediation::LocalStoreFile;
    use rand::RngExt;
    use std::time::Instant;

    let topology = one_appliance();
    let secrets = Secrets::well_known(&topology);
    let dir = tempfile::tempdir().unwrap();
    let plan = dir.path().join("plan.toml");
    std::fs::write(&plan, toml::to_string(&topology).unwrap()).unwrap();
    let tenant_stop = CancellationToken::new();
    let tenant_url =
        support::start_tenant(&topology, &secrets, &dir.path().join("tenant"), tenant_stop.clone()).await.url();
    let _tenant = tenant_stop.drop_guard();
    let admin = TenantRemote::new(&tenant_url, &secrets.admin);

    let data = dir.path().join("ams-cce1");
    let file = LocalStoreFile::in_dir(&data);
    let args = [
        "mediation",
        "--appliance",
        "ams-cce1",
        "--listen",
        "127.0.0.1:0",
        "--tenant",
        &tenant_url,
        "--topology",
        plan.to_str().unwrap(),
        "--data",
        data.to_str().unwrap(),
    ];
    let mut acknowledged = 0;
    let mut kills = 0;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(3) {
        let (mut child, address) = support::serve(&args).await;
        let remote = ApplianceRemote::new(format!("http://{address}"), &secrets.control);
        let url = format!("http://hybridvoice.adatum.biz/hybridconfig/v{kills}");
        let version = admin.set_internal_url(Some(&url)).await.unwrap().version;
        // A sync a window later, left running; every other life waits for the tenant to hear of it.
        let window = topology.tenant.replication_window;
        let moving = tokio::spawn(async move { remote.advance_clock(window).await });
        if kills % 2 == 0 {
            let records = admin.appliances_at(version, DEADLINE).await.unwrap();
            let reported =
                records.iter().find(|a| a.name == "ams-cce1").and_then(|a| a.replicated_version).unwrap_or(0);
            assert_eq!(reported, version, "the sync a window later reports the latest version");
            acknowledged = version;
        } else {
            // Not a wait for anything: a random point in the sync to kill at.
            tokio::time::sleep(Duration::from_millis(rand::rng().random_range(0..20))).await;
        }
        child.start_kill().unwrap(); // SIGKILL, perhaps mid-sync
        child.wait().await.unwrap();
        moving.abort();
        kills += 1;
        let stored =
            file.load().unwrap_or_else(|e| panic!("after kill {kills} the LocalStore is unreadable: {}", e.reason));
        assert!(
            stored.version().unwrap_or(0) >= acknowledged,
            "after kill {kills}: the LocalStore holds {:?} but the tenant was told {acknowledged}",
            stored.version()
        );
    }
    assert!(kills >= 3, "only {kills} kills in the time given");
}
