//! A role's HTTP service that outlives the role state it serves: the listener and every
//! connection stay while the state behind them is replaced, as when an embedded lab is reset in
//! place (docs/design/backends.md, "Reset in place").
//!
//! Stopping a role's whole HTTP server on every reset closed every kept-alive connection to it
//! (the lab's, and its appliances' to the tenant): each reset cost one new connection per caller
//! and role, and each stays in the kernel's connection tracking for two minutes. Behind a slot,
//! a reset withdraws the state (waiting for the requests already on it to be answered), puts
//! the role's data back, and installs a new state; a request arriving in between waits for it,
//! as it waited in the listen backlog when the server itself was restarted.

use super::server::Limits;
use axum::Router;
use std::sync::Arc;
use tokio::sync::{mpsc, watch};

/// Where a role's server finds the router of the state it serves now.
pub struct RouterSlot {
    current: watch::Sender<Slot>,
    /// What its server enforces; every router installed is wrapped in the body gate with them.
    limits: Limits,
}

#[derive(Clone)]
enum Slot {
    /// Between two states: requests wait.
    Withdrawn,
    Serving(Generation),
    /// The role stopped (its shutdown, or a panic): requests are refused at once and their
    /// connections closed, as a stopped role's would be.
    Closed,
}

/// One state's router, and what tells its withdrawal when the last request on it has ended.
#[derive(Clone)]
pub(super) struct Generation {
    pub(super) router: Router,
    /// Each request holds a clone while it is answered: the receiver sees the channel close once
    /// the slot and every request have let go.
    _in_flight: mpsc::Sender<()>,
    /// Which install it is, so a withdrawal never takes out a later install's router.
    id: u64,
}

/// The role stopped: no state serves its requests any more.
#[derive(Debug, thiserror::Error)]
#[error("the role has stopped")]
pub struct Stopped;

/// A router installed in a slot; [`Installed::withdraw`] takes it out.
pub struct Installed {
    slot: Arc<RouterSlot>,
    id: u64,
    in_flight: mpsc::Receiver<()>,
}

impl RouterSlot {
    /// An empty slot, served within `limits`: requests wait until a router is installed.
    pub fn new(limits: Limits) -> Arc<RouterSlot> {
        Arc::new(RouterSlot { current: watch::Sender::new(Slot::Withdrawn), limits })
    }

    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// Serves `router` from now on.
    pub fn install(self: &Arc<RouterSlot>, router: Router) -> Installed {
        let router = router.layer(axum::middleware::from_fn_with_state(self.limits, super::body::gate));
        use std::sync::atomic::{AtomicU64, Ordering};
        static INSTALLS: AtomicU64 = AtomicU64::new(0);
        let (sender, in_flight) = mpsc::channel(1);
        let id = INSTALLS.fetch_add(1, Ordering::Relaxed);
        self.current.send_replace(Slot::Serving(Generation { router, _in_flight: sender, id }));
        Installed { slot: self.clone(), id, in_flight }
    }

    /// Refuses every request from now on, until a router is installed again.
    pub fn close(&self) {
        self.current.send_replace(Slot::Closed);
    }

    /// The router to answer a request with, held until the answer is given; waits while the
    /// slot is between two states.
    pub(super) async fn current(&self) -> Result<Generation, Stopped> {
        let mut watching = self.current.subscribe();
        let slot = watching.wait_for(|slot| !matches!(slot, Slot::Withdrawn)).await.map_err(|_| Stopped)?;
        match &*slot {
            Slot::Serving(generation) => Ok(generation.clone()),
            _ => Err(Stopped),
        }
    }
}

impl Installed {
    /// Takes the router out at once (new requests wait for the next one); the future returned
    /// ends once every request it was answering has been answered: nothing of its state is in
    /// use any more.
    pub fn withdraw(mut self) -> impl std::future::Future<Output = ()> + Send {
        self.slot.current.send_if_modified(|slot| match slot {
            Slot::Serving(g) if g.id == self.id => {
                *slot = Slot::Withdrawn;
                true
            }
            _ => false,
        });
        async move { while self.in_flight.recv().await.is_some() {} }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::routing::get;
    use std::time::Duration;
    use tokio_util::sync::CancellationToken;

    const DEADLINE: Duration = Duration::from_secs(10);

    /// A router answering `GET /` with `answer`, and `GET /slow` once `release` is notified
    /// (telling `entered` when it starts).
    fn router(answer: &'static str, entered: Arc<tokio::sync::Notify>, release: Arc<tokio::sync::Notify>) -> Router {
        Router::new().route("/", get(move || async move { answer })).route(
            "/slow",
            get(move || async move {
                entered.notify_one();
                release.notified().await;
                answer
            }),
        )
    }

    /// A server on `slot`, and a client keeping its connections.
    async fn served(slot: &Arc<RouterSlot>, stop: &CancellationToken) -> (String, reqwest::Client) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(crate::http::server::serve_slot(listener, slot.clone(), stop.clone()));
        let client = reqwest::Client::builder().timeout(DEADLINE).build().unwrap();
        (url, client)
    }

    async fn text(client: reqwest::Client, url: String) -> String {
        client.get(url).send().await.unwrap().text().await.unwrap()
    }

    #[tokio::test]
    async fn a_new_state_answers_once_the_old_one_has_answered_what_it_had() {
        let (slot, stop) = (RouterSlot::new(Limits::LAB), CancellationToken::new());
        let (entered, release) = (Arc::new(tokio::sync::Notify::new()), Arc::new(tokio::sync::Notify::new()));
        let (url, client) = served(&slot, &stop).await;
        let first = slot.install(router("first", entered.clone(), release.clone()));
        assert_eq!(text(client.clone(), format!("{url}/")).await, "first");

        let slow = tokio::spawn(text(client.clone(), format!("{url}/slow")));
        entered.notified().await;
        let mut withdrawn = Box::pin(first.withdraw());
        // Sent once the first state is out: it waits for the second.
        let between = tokio::spawn(text(client.clone(), format!("{url}/")));
        let early = tokio::time::timeout(Duration::from_millis(200), &mut withdrawn).await;
        assert!(early.is_err(), "the slow request is still being answered by the first state");
        release.notify_one();
        assert_eq!(tokio::time::timeout(DEADLINE, slow).await.unwrap().unwrap(), "first");
        tokio::time::timeout(DEADLINE, withdrawn).await.expect("withdrawn once its request is answered");

        let _second = slot.install(router("second", Arc::default(), Arc::default()));
        assert_eq!(tokio::time::timeout(DEADLINE, between).await.unwrap().unwrap(), "second");
        stop.cancel();
    }

    #[tokio::test]
    async fn a_closed_slot_refuses_at_once_and_its_server_ends_on_shutdown() {
        let (slot, stop) = (RouterSlot::new(Limits::LAB), CancellationToken::new());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let server = tokio::spawn(crate::http::server::serve_slot(listener, slot.clone(), stop.clone()));
        slot.close();
        let refused = tokio::time::timeout(DEADLINE, reqwest::get(format!("{url}/"))).await.expect("refused at once");
        assert!(refused.is_err(), "a stopped role answers nothing: {refused:?}");
        stop.cancel();
        tokio::time::timeout(DEADLINE, server).await.expect("the server ends").unwrap().unwrap();
    }
}
