//! The real `bypass-lab serve mediation` process killed with SIGKILL: its LocalStore survives and
//! the restarted Mediation Server serves from it at once, even with the tenant gone.

use bypass_lab::auth::{Secrets, SECRETS_ENV};
use bypass_lab::mediation::remote::ApplianceRemote;
use bypass_lab::tenant::model::{BypassMode, MediaBypassSettings};
use bypass_lab::tenant::remote::TenantRemote;
use bypass_lab::tenant::TenantConfig;
use bypass_lab::topology::Topology;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;
use tokio::process::{Child, Command};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

const DEADLINE: Duration = Duration::from_secs(10);
const SERVICE: &str = "hybridvoice.adatum.biz";

/// A loopback port nobody listens on right now.
async fn free_port() -> u16 {
    tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap().local_addr().unwrap().port()
}

fn spawn_mediation(port: u16, tenant_url: &str, data: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .args(["serve", "mediation", "--appliance", "ams-cce1", "--listen", &format!("127.0.0.1:{port}")])
        .args(["--tenant", tenant_url, "--data"])
        .arg(data)
        .env_remove(SECRETS_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the bypass-lab binary starts")
}

/// Waits, with a deadline, until `/healthz` answers (the process has bound its port).
async fn wait_healthy(remote: &ApplianceRemote, child: &mut Child) {
    let url = format!("{}/healthz", remote.base_url);
    tokio::time::timeout(DEADLINE, async {
        loop {
            if let Ok(r) = remote.http.get(&url).send().await {
                if r.status().is_success() {
                    return;
                }
            }
            if let Ok(Some(exit)) = child.try_wait() {
                panic!("the Mediation Server exited before it answered /healthz: {exit}");
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await
    .expect("the Mediation Server did not answer /healthz in time");
}

#[tokio::test]
async fn a_killed_mediation_server_serves_its_localstore_after_restart() {
    let topology = Topology::seed();
    let secrets = Secrets::well_known(&topology);
    let dir = tempfile::tempdir().unwrap();
    let tenant_stop = CancellationToken::new();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let tenant_url = format!("http://{}", listener.local_addr().unwrap());
    let config = TenantConfig { data_dir: dir.path().join("tenant"), topology: topology.clone(), secrets: secrets.clone() };
    let tenant = tokio::spawn(bypass_lab::tenant::serve(listener, config, tenant_stop.clone()));

    let admin = TenantRemote::new(&tenant_url, &secrets.admin);
    let settings = MediaBypassSettings {
        enabled: true,
        always_bypass: true,
        internal_bypass_mode: BypassMode::Any,
        bypass_id: Some(Uuid::new_v4()),
        ..Default::default()
    };
    let version = admin.set_media_bypass(&settings).await.unwrap().version;
    let bypass_id = admin.network_configuration().await.unwrap().media_bypass_settings.bypass_id;

    // First life: the initial sync at start brings the enable into the LocalStore.
    let data = dir.path().join("ams-cce1");
    let port = free_port().await;
    let remote = ApplianceRemote::new(format!("http://127.0.0.1:{port}"), &secrets.control);
    let mut child = spawn_mediation(port, &tenant_url, &data);
    wait_healthy(&remote, &mut child).await;
    let synced = admin.appliances_at(version, DEADLINE).await.unwrap();
    assert_eq!(synced.iter().find(|a| a.name == "ams-cce1").and_then(|a| a.replicated_version), Some(version));
    assert_eq!(remote.fetch_web_service(SERVICE).await.unwrap().status, 200);

    child.start_kill().unwrap(); // SIGKILL
    let exit = child.wait().await.unwrap();
    assert!(!exit.success(), "a killed process does not exit cleanly: {exit}");

    // The tenant goes away too: whatever the second life serves comes from the LocalStore.
    tenant_stop.cancel();
    tenant.await.unwrap().unwrap();

    let port = free_port().await;
    let remote = ApplianceRemote::new(format!("http://127.0.0.1:{port}"), &secrets.control);
    let mut child = spawn_mediation(port, &tenant_url, &data);
    wait_healthy(&remote, &mut child).await;
    let reply = remote.fetch_web_service(SERVICE).await.unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.answer);
    assert_eq!(reply.document().unwrap().bypass_id, bypass_id);
    let status = remote.status().await.unwrap();
    assert_eq!(status.replicated_version, Some(version));
    assert!(status.bypass_enabled && status.always_bypass);
    child.start_kill().unwrap();
    child.wait().await.unwrap();
}
