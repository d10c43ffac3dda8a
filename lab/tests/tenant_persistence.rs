//! kill -9 never loses an acknowledged change: the real binary, killed and restarted on the
//! same data directory.

use bypass_lab::auth::Secrets;
use bypass_lab::tenant::remote::TenantRemote;
use bypass_lab::topology::Topology;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const URL: &str = "http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc";

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn spawn(port: u16, data: &std::path::Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .args(["serve", "tenant", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .env_remove(bypass_lab::auth::SECRETS_ENV)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("the bypass-lab binary starts")
}

async fn wait_healthy(base: &str, child: &mut Child) {
    let deadline = Instant::now() + Duration::from_secs(30);
    let http = reqwest::Client::new();
    loop {
        if let Ok(r) = http.get(format!("{base}/healthz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the tenant exited before it was healthy: {status}");
        }
        assert!(Instant::now() < deadline, "the tenant at {base} was not healthy within 30s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn an_acknowledged_change_survives_kill_9() {
    let data = tempfile::tempdir().unwrap();
    let secrets = Secrets::well_known(&Topology::seed());
    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(port, data.path());
    wait_healthy(&base, &mut child).await;
    let admin = TenantRemote::new(&base, &secrets.admin);
    let acknowledged = admin.set_internal_url(Some(URL)).await.unwrap();
    assert_eq!(acknowledged.version, 2);

    child.kill().unwrap(); // SIGKILL: no chance to flush anything
    child.wait().unwrap();
    assert!(data.path().join("tenant.redb").exists());

    let port = free_port();
    let base = format!("http://127.0.0.1:{port}");
    let mut child = spawn(port, data.path());
    wait_healthy(&base, &mut child).await;
    let after = TenantRemote::new(&base, &secrets.admin).configuration().await;
    child.kill().unwrap();
    child.wait().unwrap();
    let after = after.unwrap();
    assert_eq!(after, acknowledged);
}
