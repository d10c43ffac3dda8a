//! No caller holds an HTTP role by opening connections and saying nothing: idle, slow-header
//! and slow-body connections are closed, an oversized body is refused at once, and every role
//! answers its health check while hundreds of idle connections press on it under a low
//! descriptor limit.

use bypass_lab::http::server::{serve, Limits};
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

const SHORT: Limits = Limits {
    header_read: Duration::from_millis(300),
    body: Duration::from_millis(300),
    max_body: 1024,
    max_connections: 8,
};

async fn start(limits: Limits) -> (SocketAddr, tokio_util::sync::DropGuard) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let router = axum::Router::new()
        .route("/healthz", axum::routing::get(|| async { "ok" }))
        .route("/echo", axum::routing::post(|body: axum::body::Bytes| async move { body }));
    let stop = CancellationToken::new();
    tokio::spawn(serve(listener, router, limits, stop.clone()));
    (address, stop.drop_guard())
}

/// Reads until the server closes the connection; panics if it is still open after `within`.
async fn closed_within(stream: &mut TcpStream, within: Duration) -> String {
    let mut seen = Vec::new();
    let read = tokio::time::timeout(within, stream.read_to_end(&mut seen)).await;
    assert!(read.is_ok(), "the connection was still open after {within:?}");
    String::from_utf8_lossy(&seen).into_owned()
}

async fn healthy(address: SocketAddr, within: Duration) {
    let http = bypass_lab::http::client(within);
    let started = Instant::now();
    let reply = http.get(format!("http://{address}/healthz")).send().await;
    let reply = reply.unwrap_or_else(|e| panic!("/healthz at {address} did not answer within {within:?}: {e}"));
    assert_eq!(reply.status(), 200);
    assert!(started.elapsed() < within);
}

#[tokio::test]
async fn idle_slow_header_and_slow_body_connections_are_closed() {
    let (address, _stop) = start(SHORT).await;
    let mut idle = TcpStream::connect(address).await.unwrap();
    closed_within(&mut idle, Duration::from_secs(3)).await;

    let mut slow_header = TcpStream::connect(address).await.unwrap();
    slow_header.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    closed_within(&mut slow_header, Duration::from_secs(3)).await;

    let mut kept_alive = TcpStream::connect(address).await.unwrap();
    kept_alive.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let answer = closed_within(&mut kept_alive, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let mut slow_body = TcpStream::connect(address).await.unwrap();
    slow_body.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nabc").await.unwrap();
    let answer = closed_within(&mut slow_body, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn an_oversized_body_is_refused_before_it_is_sent() {
    let (address, _stop) = start(SHORT).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000\r\n\r\n").await.unwrap();
    let answer = closed_within(&mut stream, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    assert!(answer.contains("larger than 1024 bytes"), "{answer}");
}

#[tokio::test]
async fn connections_over_the_cap_push_out_the_oldest() {
    let limits = Limits { header_read: Duration::from_secs(60), ..SHORT };
    let (address, _stop) = start(limits).await;
    let mut idle = Vec::new();
    for _ in 0..50 {
        idle.push(TcpStream::connect(address).await.unwrap());
    }
    healthy(address, Duration::from_secs(3)).await;
}

/// `bypass-lab serve <args>` with at most `descriptors` open files; returns the address of its
/// ready line.
async fn serve_limited(args: &[&str], descriptors: u64) -> (tokio::process::Child, SocketAddr) {
    let mut command = tokio::process::Command::new(env!("CARGO_BIN_EXE_bypass-lab"));
    command
        .arg("serve")
        .args(args)
        .env_remove(bypass_lab::auth::SECRETS_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let limit = rustix::process::Rlimit { current: Some(descriptors), maximum: Some(descriptors) };
    // SAFETY: setrlimit is async-signal-safe and touches nothing of the parent's state.
    unsafe {
        command
            .pre_exec(move || rustix::process::setrlimit(rustix::process::Resource::Nofile, limit).map_err(Into::into));
    }
    let mut child = command.spawn().expect("the bypass-lab binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(address) = line.split(" listening on ").nth(1) {
                return address.trim().parse::<SocketAddr>().unwrap();
            }
        }
        panic!("`bypass-lab serve {}` ended before it listened", args.join(" "));
    })
    .await
    .expect("the role listens");
    (child, address)
}

#[tokio::test]
async fn every_http_role_answers_its_health_check_under_a_flood_of_idle_connections() {
    let dir = tempfile::tempdir().unwrap();
    let data = |name: &str| dir.path().join(name).to_str().unwrap().to_string();
    let (tenant_data, mediation_data, client_data) = (data("tenant"), data("ams-cce1"), data("clients"));
    let roles: Vec<(&str, Vec<&str>)> = vec![
        ("tenant", vec!["tenant", "--listen", "127.0.0.1:0", "--data", &tenant_data]),
        (
            "mediation",
            vec![
                "mediation",
                "--appliance",
                "ams-cce1",
                "--listen",
                "127.0.0.1:0",
                "--tenant",
                "http://127.0.0.1:9",
                "--data",
                &mediation_data,
            ],
        ),
        (
            "client",
            vec![
                "client",
                "--listen",
                "127.0.0.1:0",
                "--tenant",
                "http://127.0.0.1:9",
                "--dns",
                "127.0.0.1:9",
                "--data",
                &client_data,
            ],
        ),
        ("dns", vec!["dns", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"]),
    ];
    for (role, args) in roles {
        let (mut child, address) = serve_limited(&args, 64).await;
        let mut flood = Vec::new();
        for n in 0..300 {
            match TcpStream::connect(address).await {
                Ok(mut stream) => {
                    if n % 2 == 0 {
                        let _ = stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n").await;
                    }
                    flood.push(stream);
                }
                Err(e) => panic!("{role}: connection {n} failed: {e}"),
            }
        }
        let started = Instant::now();
        healthy(address, Duration::from_secs(5)).await;
        eprintln!("{role}: healthy after {:?} with {} connections pressing", started.elapsed(), flood.len());
        child.kill().await.unwrap();
    }
}
