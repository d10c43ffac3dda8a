//! No caller holds an HTTP role by opening connections and saying nothing: idle, slow-header
//! and slow-body connections are closed, a body is read only for a request its route accepted,
//! an oversized body is refused at once, and every role answers its health check while
//! hundreds of idle connections press on it under a low descriptor limit.

mod support;

use bypass_lab::http::budget::Budget;
use bypass_lab::http::server::{serve, serve_within, Limits};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

const SHORT: Limits = Limits {
    header_read: Duration::from_millis(300),
    kept_idle: Duration::from_millis(300),
    body: Duration::from_millis(600),
    body_grace: Duration::from_millis(300),
    body_min_rate: 1024,
    max_body: 1024,
};

/// The credential `/echo` wants.
const TOKEN: &str = "the-control-credential";

fn router() -> axum::Router {
    let open = axum::Router::new().route("/healthz", axum::routing::get(|| async { "ok" }));
    let guarded =
        axum::Router::new().route("/echo", axum::routing::post(|body: axum::body::Bytes| async move { body }));
    axum::Router::new()
        .merge(bypass_lab::http::server::open_to_anyone(open))
        .merge(bypass_lab::auth::control_routes(guarded, TOKEN))
}

async fn start(limits: Limits) -> (SocketAddr, tokio_util::sync::DropGuard) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(serve(listener, router(), limits, stop.clone()));
    (address, stop.drop_guard())
}

async fn start_within(budget: Arc<Budget>) -> (SocketAddr, tokio_util::sync::DropGuard) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let stop = CancellationToken::new();
    tokio::spawn(serve_within(listener, router(), SHORT, budget, stop.clone()));
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
    let headers =
        format!("POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 100\r\n\r\n");
    slow_body.write_all(headers.as_bytes()).await.unwrap();
    slow_body.write_all(b"abc").await.unwrap();
    let answer = closed_within(&mut slow_body, Duration::from_secs(3)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

/// Drips one byte of a body every `every` until the server closes the connection; returns what
/// it answered and how long the drip lasted.
async fn drip(stream: &mut TcpStream, every: Duration) -> (String, Duration) {
    let started = Instant::now();
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    loop {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => break,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            },
            _ = tokio::time::sleep(every) => {
                if stream.write_all(b"x").await.is_err() {
                    break;
                }
            }
        }
    }
    (String::from_utf8_lossy(&answer).into_owned(), started.elapsed())
}

#[tokio::test]
async fn an_accepted_body_must_keep_up_with_the_minimum_rate() {
    let (address, _stop) = start(Limits { body: Duration::from_secs(30), ..SHORT }).await;
    let mut stream = TcpStream::connect(address).await.unwrap();
    let headers =
        format!("POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {TOKEN}\r\nContent-Length: 1000\r\n\r\n");
    stream.write_all(headers.as_bytes()).await.unwrap();
    // 10 bytes/s against a minimum of 1 KiB/s after 300 ms: cut long before the 30 s deadline.
    let (answer, lasted) = drip(&mut stream, Duration::from_millis(100)).await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
    assert!(lasted < Duration::from_secs(3), "the drip lasted {lasted:?}");
}

#[tokio::test]
async fn a_body_without_the_credential_is_refused_unread_and_its_connection_closed() {
    let (address, _stop) =
        start(Limits { body: Duration::from_secs(30), body_grace: Duration::from_secs(30), ..SHORT }).await;
    for (request, status) in [
        ("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", "401"),
        ("POST /echo HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer nope\r\nContent-Length: 1000\r\n\r\n", "401"),
        ("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", "405"),
        ("POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n", "404"),
    ] {
        let mut stream = TcpStream::connect(address).await.unwrap();
        stream.write_all(request.as_bytes()).await.unwrap();
        // The body never comes: only a refusal from the headers answers before the 30 s limits.
        let (answer, lasted) = drip(&mut stream, Duration::from_millis(100)).await;
        assert!(answer.starts_with(&format!("HTTP/1.1 {status}")), "{request:?}: {answer}");
        assert!(answer.contains("\"error\""), "{request:?}: {answer}");
        assert!(lasted < Duration::from_secs(2), "{request:?}: the connection stayed open {lasted:?}");
    }
    // A connection a route already accepted a request on is closed too, on its first refusal.
    let mut stream = TcpStream::connect(address).await.unwrap();
    stream.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    stream.write_all(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n").await.unwrap();
    let answer = closed_within(&mut stream, Duration::from_secs(2)).await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(answer.contains("HTTP/1.1 401"), "{answer}");
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
async fn silent_connections_over_the_pending_budget_give_way_to_newcomers() {
    use bypass_lab::http::budget::{BASE_RESERVE, ROLE_RESERVE};
    let budget = Budget::for_descriptors(BASE_RESERVE + ROLE_RESERVE + 24);
    let (address, _stop) = start_within(budget.clone()).await;
    let mut idle = Vec::new();
    for _ in 0..50 {
        idle.push(TcpStream::connect(address).await.unwrap());
    }
    healthy(address, Duration::from_secs(3)).await;
    let (pending, _) = budget.open();
    assert!(pending <= budget.pending_cap(), "{pending} pending over a budget of {}", budget.pending_cap());
}

#[tokio::test]
async fn every_http_role_answers_its_health_check_under_a_flood_of_idle_connections() {
    let dir = tempfile::tempdir().unwrap();
    for (role, args) in support::every_http_role(dir.path()) {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let (mut child, address) = support::serve_limited(&args, 64).await;
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
