//! How every role serves HTTP: its own accept loop around hyper, so that no caller can hold a
//! role (or, under `up`, the whole lab sharing one process) by opening connections and saying
//! nothing.
//!
//! - a connection must send a request's headers within `header_read`, also between requests
//!   on a kept-alive connection (so idle connections close too);
//! - a body must arrive within `body`, and a `Content-Length` over `max_body` is refused at once;
//! - at most `max_connections` per role: a new connection over the cap closes the oldest one
//!   (at once if it is idle, after its answer otherwise), so a flood of idle connections
//!   cannot lock out a health check;
//! - an accept that fails (descriptors exhausted) is retried after a pause, not in a spin.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::Response;
use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

/// The pause after a failed accept: long enough not to spin, short enough to recover at once.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The limits every HTTP role enforces (lab choice: values in docs/design/auth.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From connection (or the previous answer) to the end of a request's headers.
    pub header_read: Duration,
    /// From the headers to the end of the body.
    pub body: Duration,
    /// The largest body a role reads.
    pub max_body: usize,
    /// Open connections per role.
    pub max_connections: usize,
}

impl Limits {
    /// The lab's limits, with the connection cap fitted to this process's descriptor limit:
    /// under `up` every role shares the process, so each gets a slice of it.
    pub fn for_this_process() -> Limits {
        let descriptors = rustix::process::getrlimit(rustix::process::Resource::Nofile).current.unwrap_or(u64::MAX);
        let slice = (descriptors / 8).clamp(16, 1024) as usize;
        Limits {
            header_read: Duration::from_secs(10),
            body: Duration::from_secs(30),
            max_body: 2 << 20,
            max_connections: slice,
        }
    }
}

impl Default for Limits {
    fn default() -> Self {
        Limits::for_this_process()
    }
}

/// One open connection as the cap sees it.
struct Open {
    id: u64,
    /// Closes the connection: at once when idle, after its answer when busy.
    close: CancellationToken,
    /// A request is being answered.
    busy: Arc<AtomicBool>,
}

/// Open connections, oldest first.
#[derive(Default)]
struct Connections {
    open: Mutex<VecDeque<Open>>,
}

impl Connections {
    /// Registers a new connection; at the cap, closes the oldest idle one (the oldest of all
    /// when every one is busy).
    fn admit(&self, id: u64, cap: usize) -> (CancellationToken, Arc<AtomicBool>) {
        let close = CancellationToken::new();
        let busy = Arc::new(AtomicBool::new(false));
        let mut open = self.open.lock().unwrap();
        while open.len() >= cap.max(1) {
            let victim = open.iter().position(|c| !c.busy.load(Ordering::SeqCst)).unwrap_or(0);
            if let Some(evicted) = open.remove(victim) {
                evicted.close.cancel();
            }
        }
        open.push_back(Open { id, close: close.clone(), busy: busy.clone() });
        (close, busy)
    }

    fn leave(&self, id: u64) {
        self.open.lock().unwrap().retain(|c| c.id != id);
    }
}

/// Serves `router` on `listener` with `limits` until `shutdown` is cancelled; then lets each
/// connection finish its answer and returns once all are closed.
pub async fn serve(
    listener: TcpListener,
    router: Router,
    limits: Limits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let router = router.layer(axum::middleware::from_fn_with_state(limits, bounded_body));
    let connections = Arc::new(Connections::default());
    let mut tasks = tokio::task::JoinSet::new();
    let mut next_id = 0u64;
    loop {
        let accepted = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => accepted,
            Some(_) = tasks.join_next(), if !tasks.is_empty() => continue,
        };
        let stream = match accepted {
            Ok((stream, _)) => stream,
            Err(e) => {
                tracing::warn!("accepting a connection failed ({e}); retrying in {ACCEPT_BACKOFF:?}");
                tokio::time::sleep(ACCEPT_BACKOFF).await;
                continue;
            }
        };
        let id = next_id;
        next_id += 1;
        let (close, busy) = connections.admit(id, limits.max_connections);
        let router = hyper_util::service::TowerToHyperService::new(router.clone());
        let serving = busy.clone();
        let service = hyper::service::service_fn(move |request: hyper::Request<hyper::body::Incoming>| {
            let router = router.clone();
            let serving = serving.clone();
            async move {
                serving.store(true, Ordering::SeqCst);
                let response = hyper::service::Service::call(&router, request).await;
                serving.store(false, Ordering::SeqCst);
                response
            }
        });
        let connections = connections.clone();
        let stop = shutdown.clone();
        tasks.spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read)
                .serve_connection(TokioIo::new(stream), service);
            tokio::pin!(connection);
            tokio::select! {
                _ = connection.as_mut() => {}
                // An idle (or half-sent) connection pushed out by a newer one is dropped at once:
                // its descriptor is what the newcomer needs. A busy one finishes its answer.
                _ = close.cancelled() => {
                    if busy.load(Ordering::SeqCst) {
                        connection.as_mut().graceful_shutdown();
                        let _ = connection.await;
                    }
                }
                _ = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            connections.leave(id);
        });
    }
    drop(listener);
    while tasks.join_next().await.is_some() {}
    Ok(())
}

/// Reads the whole body within the limits before any handler runs, answering 413 for a body
/// too large (at once when its `Content-Length` says so) and 408 for one too slow.
async fn bounded_body(
    axum::extract::State(limits): axum::extract::State<Limits>,
    request: Request,
    next: Next,
) -> Response {
    let declared = request.headers().get(header::CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body as u64) {
        return too_large(limits);
    }
    let (parts, body) = request.into_parts();
    match tokio::time::timeout(limits.body, axum::body::to_bytes(body, limits.max_body)).await {
        Err(_) => {
            refuse(StatusCode::REQUEST_TIMEOUT, format!("the request body did not arrive within {:?}", limits.body))
        }
        Ok(Err(_)) => too_large(limits),
        Ok(Ok(bytes)) => {
            one_error_body(next.run(Request::from_parts(parts, axum::body::Body::from(bytes))).await).await
        }
    }
}

/// Errors answered in plain text (axum's refusals of a body it cannot read as JSON, of an
/// unknown method) get the body every role's errors have, `{"error": "<reason>"}`.
async fn one_error_body(response: Response) -> Response {
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_none_or(|v| v.starts_with("text/plain"));
    if !(response.status().is_client_error() || response.status().is_server_error()) || !plain {
        return response;
    }
    let (parts, body) = response.into_parts();
    let reason = match axum::body::to_bytes(body, 64 * 1024).await {
        Ok(bytes) if !bytes.is_empty() => String::from_utf8_lossy(&bytes).into_owned(),
        _ => parts.status.canonical_reason().unwrap_or("refused").to_string(),
    };
    let mut response = super::refusal(parts.status, reason);
    for (name, value) in
        parts.headers.iter().filter(|(n, _)| *n != header::CONTENT_TYPE && *n != header::CONTENT_LENGTH)
    {
        response.headers_mut().insert(name.clone(), value.clone());
    }
    response
}

fn too_large(limits: Limits) -> Response {
    refuse(StatusCode::PAYLOAD_TOO_LARGE, format!("the request body is larger than {} bytes", limits.max_body))
}

fn refuse(status: StatusCode, reason: String) -> Response {
    let mut response = super::refusal(status, reason);
    response.headers_mut().insert(header::CONNECTION, header::HeaderValue::from_static("close"));
    response
}
