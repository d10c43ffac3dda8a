//! A role that cannot start is never reported ready: the DNS server's start-up script failing
//! fails its start, naming the DNS server, before anything answers.

use bypass_lab::auth::Secrets;
use bypass_lab::dns::{DnsConfig, DnsSockets};
use bypass_lab::topology::Topology;
use tokio_util::sync::CancellationToken;

mod support;

const FAILING_SCRIPT: &str = "Add-DnsServerClientSubnet -Name 'AmsterdamSubnet' -IPv4Subnet '172.16.0.0/24'\n";

#[tokio::test]
async fn a_failing_start_up_script_fails_the_dns_start() {
    let sockets = DnsSockets::bind("127.0.0.1:0".parse().unwrap(), "127.0.0.1:0".parse().unwrap()).await.unwrap();
    let admin = sockets.admin.local_addr().unwrap();
    let topology = Topology::seed();
    let config = DnsConfig {
        topology: Some(topology.clone()),
        script: Some(FAILING_SCRIPT.into()),
        secrets: Secrets::generate(&topology),
    };
    let error = match bypass_lab::dns::start(sockets, config, CancellationToken::new()).await {
        Ok(_) => panic!("the DNS server started although its start-up script failed"),
        Err(e) => e.to_string(),
    };
    assert!(error.starts_with("DNS start-up script:"), "{error}");
    assert!(error.contains("AmsterdamSubnet"), "the error names what failed: {error}");
    // A connection alone proves nothing: the kernel may hand the freed port to a loopback
    // connection as its own source port (a TCP self-connect), or to another program. What must
    // not happen is the DNS server's management API answering there.
    let health = format!("http://{admin}/healthz");
    let answer = reqwest::Client::new().get(&health).timeout(std::time::Duration::from_secs(5)).send().await;
    let served = match answer {
        Ok(reply) => reply.status().is_success() && reply.text().await.is_ok_and(|body| body == "ok"),
        Err(_) => false,
    };
    assert!(!served, "the management API must not answer for a server that did not start ({health})");
}

#[tokio::test]
async fn serve_dns_with_a_failing_script_never_says_ready() {
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("start.ps1");
    std::fs::write(&script, FAILING_SCRIPT).unwrap();
    let (stdout, stderr) = support::refused(&[
        "dns",
        "--listen",
        "127.0.0.1:0",
        "--admin",
        "127.0.0.1:0",
        "--script",
        script.to_str().unwrap(),
    ])
    .await;
    assert!(!stdout.contains("listening on"), "{stdout}");
    assert!(stderr.contains("DNS start-up script"), "{stderr}");
}
