//! How every role serves HTTP: its own accept loop around hyper, so that no caller can hold a
//! role (or, under `up`, the whole lab sharing one process) by opening connections and saying
//! nothing, or by sending a body slowly.
//!
//! - a connection must send its first request's headers within `header_read` (so idle
//!   connections close too); once a route has accepted a request on it, the next request's
//!   headers may take `kept_idle` (the budget closes an idle one sooner when a newcomer needs
//!   its place);
//! - a body is read only once the route has accepted the request from its headers
//!   ([`super::body`]): a request without the credential is refused and its connection closed
//!   without reading its body;
//! - an accepted body must end within `body` of the headers and keep up with `body_min_rate`
//!   after `body_grace`; a `Content-Length` over `max_body` is refused at once;
//! - connections take places in the process's descriptor budget ([`super::budget`]): those
//!   no route has accepted a request on yet have a small budget of their own, and at capacity
//!   a listener stops accepting rather than close connections in use;
//! - an accept that fails (descriptors exhausted) is retried after a pause, not in a spin.

use super::budget::Budget;
use super::slot::{RouterSlot, Stopped};
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

pub use super::body::{accepted, open_to_anyone};

/// The pause after a failed accept: long enough not to spin, short enough to recover at once.
const ACCEPT_BACKOFF: Duration = Duration::from_millis(100);

/// The limits every HTTP role enforces (lab choice: values in docs/design/auth.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// From connection to the end of the first request's headers.
    pub header_read: Duration,
    /// From an answer to the end of the next request's headers, on a connection a route has
    /// accepted a request on: the lab's own callers keep such connections between steps that
    /// come seconds apart. At least `header_read`.
    pub kept_idle: Duration,
    /// From the headers to the end of an accepted body, however fast it comes.
    pub body: Duration,
    /// How long a body may take before it must keep up with `body_min_rate`.
    pub body_grace: Duration,
    /// Bytes per second a body must average once `body_grace` has passed: the first `n` bytes
    /// must have arrived `body_grace + n / body_min_rate` after the headers.
    pub body_min_rate: u64,
    /// The largest body a role reads.
    pub max_body: usize,
}

impl Limits {
    /// The lab's limits: its bodies are small (settings, cmdlets, a call) and travel on
    /// loopback or the lab's own networks.
    pub const LAB: Limits = Limits {
        header_read: Duration::from_secs(10),
        kept_idle: Duration::from_secs(60),
        body: Duration::from_secs(5),
        body_grace: Duration::from_secs(1),
        body_min_rate: 64 * 1024,
        max_body: 2 << 20,
    };
}

impl Default for Limits {
    fn default() -> Self {
        Limits::LAB
    }
}

/// Serves `router` on `listener` with `limits`, within this process's descriptor budget, until
/// `shutdown` is cancelled; then lets each connection finish its answer and returns once all
/// are closed.
pub async fn serve(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    serve_within(listener, router, limits, Budget::process(), shutdown).await
}

/// [`serve`] within `budget` rather than the process's.
pub async fn serve_within(
    listener: TcpListener,
    router: axum::Router,
    limits: Limits,
    budget: Arc<Budget>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let router = router.layer(axum::middleware::from_fn_with_state(limits, super::body::gate));
    accept_loop(listener, Source::Fixed(router), limits, budget, shutdown).await
}

/// Serves whatever router `slot` holds (its state may be replaced while its listener and
/// connections stay, [`super::slot`]) until `shutdown` is cancelled, then closes the slot and
/// returns once every connection is closed.
pub async fn serve_slot(
    listener: TcpListener,
    slot: Arc<RouterSlot>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let limits = slot.limits();
    accept_loop(listener, Source::Slot(slot), limits, Budget::process(), shutdown).await
}

/// Where a server finds the router for each request.
#[derive(Clone)]
enum Source {
    /// One router for the server's life, already behind the body gate.
    Fixed(axum::Router),
    /// The router installed in the slot when the request comes.
    Slot(Arc<RouterSlot>),
}

async fn accept_loop(
    listener: TcpListener,
    source: Source,
    limits: Limits,
    budget: Arc<Budget>,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let _reserve = budget.serve_role();
    let mut tasks = tokio::task::JoinSet::new();
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
        // Until there is room, this listener accepts nothing more: newcomers wait in the backlog.
        let ticket = tokio::select! {
            _ = shutdown.cancelled() => break,
            ticket = budget.place() => ticket,
        };
        let admission = ticket.handle();
        let source = source.clone();
        let began = Arc::new(tokio::sync::Notify::new());
        let first_began = began.clone();
        let service = hyper::service::service_fn(move |mut request: hyper::Request<hyper::body::Incoming>| {
            let source = source.clone();
            let admission = admission.clone();
            began.notify_one();
            async move {
                // Held until the answer is given: a withdrawn state waits for it.
                let (router, _generation) = match &source {
                    Source::Fixed(router) => (router.clone(), None),
                    Source::Slot(slot) => {
                        let generation = slot.current().await?;
                        (generation.router.clone(), Some(generation))
                    }
                };
                admission.set_busy(true);
                request.extensions_mut().insert(admission.clone());
                let router = hyper_util::service::TowerToHyperService::new(router);
                let response = match hyper::service::Service::call(&router, request).await {
                    Ok(response) => response,
                    Err(never) => match never {},
                };
                admission.set_busy(false);
                Ok::<_, Stopped>(response)
            }
        });
        let stop = shutdown.clone();
        let closed = ticket.closed();
        tasks.spawn(async move {
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(limits.kept_idle.max(limits.header_read))
                .serve_connection(TokioIo::new(ticket.watch(stream)), service);
            tokio::pin!(connection);
            // Until its first request's headers are read, a connection has `header_read`.
            let first_request = async {
                if tokio::time::timeout(limits.header_read, first_began.notified()).await.is_ok() {
                    std::future::pending::<()>().await;
                }
            };
            tokio::select! {
                _ = connection.as_mut() => {}
                _ = first_request => {}
                // Chosen to make room: its peer was the slow one, or it was idle. Its descriptor
                // is what the newcomer needs.
                _ = closed.cancelled() => {}
                _ = stop.cancelled() => {
                    connection.as_mut().graceful_shutdown();
                    let _ = connection.await;
                }
            }
            drop(ticket);
        });
    }
    drop(listener);
    // Requests waiting for a state are refused rather than waited on.
    if let Source::Slot(slot) = &source {
        slot.close();
    }
    while tasks.join_next().await.is_some() {}
    Ok(())
}
