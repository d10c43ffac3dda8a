//! kill -9 never loses an acknowledged change: the real binary, killed and restarted on the
//! same data directory.

use bypass_lab::auth::Secrets;
use bypass_lab::tenant::remote::TenantRemote;
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
