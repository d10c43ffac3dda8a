//! A role's work beside its listener (a committer, a sync schedule, a UDP loop, a blocking
//! store write, a request's handler), watched: the first panic in any of it stops the whole
//! role, which then ends with [`RolePanicked`] (lab choice, docs/design/tenant.md#a-panic-stops-the-role).
//!
//! Without this a panicking worker dies alone: its role keeps answering `/healthz` with 200
//! while every request that needs the worker fails, and nobody is told. Stopped, the role
//! closes its listener (its health check fails), its process (`serve`) exits non-zero, and the
//! embedded lab keeps the failure as the role's.

use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use futures::FutureExt as _;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// The first panic of a role's work, which stopped the role.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{role}: {work} panicked ({message}); the role stopped")]
pub struct RolePanicked {
    /// The role, as its failures name it (`tenant`, `appliance sea-cce1`).
    pub role: String,
    /// Which of its work panicked.
    pub work: String,
    /// The panic's message.
    pub message: String,
}

/// One role's watched work. Cheap to clone: every clone watches for the same role.
#[derive(Clone)]
pub struct RoleTasks {
    inner: Arc<Inner>,
}

struct Inner {
    role: String,
    /// Cancelled by the role's own shutdown and by the first panic: the role serves until then.
    stop: CancellationToken,
    panicked: Mutex<Option<RolePanicked>>,
}

impl RoleTasks {
    /// Work for `role`, stopped when `shutdown` is cancelled or when any of it panics.
    pub fn new(role: impl Into<String>, shutdown: &CancellationToken) -> RoleTasks {
        RoleTasks {
            inner: Arc::new(Inner { role: role.into(), stop: shutdown.child_token(), panicked: Mutex::new(None) }),
        }
    }

    /// What the role serves until: its shutdown, or the first panic.
    pub fn stop(&self) -> &CancellationToken {
        &self.inner.stop
    }

    /// The panic that stopped the role, if one did.
    pub fn panicked(&self) -> Option<RolePanicked> {
        self.inner.panicked.lock().unwrap().clone()
    }

    /// `Err` with the panic when one stopped the role, else `Ok`: what a role's serve returns last.
    pub fn outcome(&self) -> Result<(), RolePanicked> {
        self.panicked().map_or(Ok(()), Err)
    }

    /// Keeps the first panic and stops the role.
    fn record(&self, work: &str, payload: &(dyn std::any::Any + Send)) -> RolePanicked {
        let panic =
            RolePanicked { role: self.inner.role.clone(), work: work.to_string(), message: panic_message(payload) };
        tracing::error!("{panic}");
        let first = self.inner.panicked.lock().unwrap().get_or_insert_with(|| panic.clone()).clone();
        self.inner.stop.cancel();
        first
    }

    /// Runs `work` where it is polled (for work that must stop when its caller drops it).
    pub async fn watch<T>(&self, what: &str, work: impl Future<Output = T>) -> Result<T, RolePanicked> {
        AssertUnwindSafe(work).catch_unwind().await.map_err(|payload| self.record(what, payload.as_ref()))
    }

    /// Spawns `work` as a task of the role.
    pub fn spawn<T: Send + 'static>(
        &self,
        what: &str,
        work: impl Future<Output = T> + Send + 'static,
    ) -> JoinHandle<Result<T, RolePanicked>> {
        let tasks = self.clone();
        let what = what.to_string();
        tokio::spawn(async move { tasks.watch(&what, work).await })
    }

    /// Runs blocking `work` (a disk commit) on the blocking pool.
    pub async fn blocking<T: Send + 'static>(
        &self,
        what: &str,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, RolePanicked> {
        match tokio::task::spawn_blocking(work).await {
            Ok(done) => Ok(done),
            Err(e) if e.is_panic() => Err(self.record(what, e.into_panic().as_ref())),
            // Cancelled only when the runtime shuts down: the role is ending anyway.
            Err(e) => {
                Err(RolePanicked { role: self.inner.role.clone(), work: what.to_string(), message: e.to_string() })
            }
        }
    }

    /// `router` with every handler watched: a handler that panics answers 500 and stops the role.
    pub fn router(&self, router: axum::Router) -> axum::Router {
        router.layer(axum::middleware::from_fn_with_state(self.clone(), watched_handler))
    }
}

async fn watched_handler(
    axum::extract::State(tasks): axum::extract::State<RoleTasks>,
    request: Request,
    next: Next,
) -> Response {
    let what = format!("the handler of {} {}", request.method(), request.uri().path());
    match tasks.watch(&what, next.run(request)).await {
        Ok(response) => response,
        Err(panic) => crate::http::refusal(axum::http::StatusCode::INTERNAL_SERVER_ERROR, panic.to_string()),
    }
}

/// The text a panic was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::time::Duration;

    const DEADLINE: Duration = Duration::from_secs(10);

    /// A role serving `/healthz` and a handler that panics, through the lab's HTTP server.
    async fn role(tasks: &RoleTasks) -> (String, JoinHandle<std::io::Result<()>>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let router = axum::Router::new().route("/healthz", get(|| async { "ok" })).route(
            "/boom",
            get(|| async {
                if true {
                    panic!("the record is damaged")
                } else {
                    "never"
                }
            }),
        );
        let served =
            crate::http::server::serve(listener, tasks.router(router), Default::default(), tasks.stop().clone());
        (url, tokio::spawn(served))
    }

    async fn healthy(url: &str) -> bool {
        let client = reqwest::Client::builder().timeout(Duration::from_secs(2)).build().unwrap();
        client.get(format!("{url}/healthz")).send().await.is_ok_and(|r| r.status().is_success())
    }

    #[tokio::test]
    async fn a_panicking_worker_stops_the_role_and_its_health_check_fails() {
        let shutdown = CancellationToken::new();
        let tasks = RoleTasks::new("tenant", &shutdown);
        let (url, served) = role(&tasks).await;
        assert!(healthy(&url).await, "healthy before the panic");

        let worker = tasks
            .spawn("the group committer", async { panic!("index out of bounds: the len is 3 but the index is 7") });
        let panic = worker.await.unwrap().unwrap_err();
        assert_eq!(panic.work, "the group committer");
        assert!(panic.to_string().contains("tenant: the group committer panicked (index out of bounds"), "{panic}");
        tokio::time::timeout(DEADLINE, served).await.expect("the role stopped").unwrap().unwrap();
        assert!(!healthy(&url).await, "a stopped role's /healthz must fail");
        assert_eq!(tasks.outcome(), Err(panic));
        assert!(!shutdown.is_cancelled(), "the panic stops this role, not whoever handed it its shutdown");
    }

    #[tokio::test]
    async fn a_panicking_handler_answers_500_and_stops_the_role() {
        let tasks = RoleTasks::new("appliance sea-cce1", &CancellationToken::new());
        let (url, served) = role(&tasks).await;
        let answer = reqwest::get(format!("{url}/boom")).await.unwrap();
        assert_eq!(answer.status(), 500);
        let body = answer.text().await.unwrap();
        assert!(body.contains("the handler of GET /boom panicked (the record is damaged)"), "{body}");
        tokio::time::timeout(DEADLINE, served).await.expect("the role stopped").unwrap().unwrap();
        assert!(!healthy(&url).await);
        assert!(tasks.panicked().is_some());
    }

    #[tokio::test]
    async fn a_panicking_blocking_write_stops_the_role_and_the_first_panic_is_kept() {
        let tasks = RoleTasks::new("tenant", &CancellationToken::new());
        let first = tasks.blocking("the store's commit", || -> u8 { panic!("first") }).await.unwrap_err();
        let _ = tasks.blocking("the store's commit", || -> u8 { panic!("second") }).await;
        assert!(tasks.stop().is_cancelled());
        assert_eq!(tasks.panicked(), Some(first.clone()));
        assert_eq!(first.message, "first");
        assert_eq!(tasks.blocking("a read", || 7).await, Ok(7), "work that does not panic still answers");
    }

    #[tokio::test]
    async fn a_role_without_a_panic_ends_well_on_its_shutdown() {
        let shutdown = CancellationToken::new();
        let tasks = RoleTasks::new("dns", &shutdown);
        let (_, served) = role(&tasks).await;
        shutdown.cancel();
        tokio::time::timeout(DEADLINE, served).await.unwrap().unwrap().unwrap();
        assert_eq!(tasks.outcome(), Ok(()));
    }
}
