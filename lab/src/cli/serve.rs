//! `bypass-lab serve <role>`: one role in the foreground until Ctrl-C or SIGTERM.

use crate::auth::Secrets;
use crate::backend::containers::{ResetDone, RESET_DEADLINE, SUPERVISOR_ENV};
use crate::backend::role_plan::{RoleArgs, Sources};
use crate::clock::Clock;
use crate::topology::Topology;
use anyhow::Context;
use std::net::SocketAddr;
use std::path::Path;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// `serve <role>`: the roles and their arguments as a lab's plan renders them.
pub type Role = RoleArgs;

pub async fn run(role: Role) -> anyhow::Result<ExitCode> {
    crate::allocator::return_freed_pages_at_once();
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        stop_signal().await;
        on_signal.cancel();
    });
    let (topology, secrets) = load(role.sources())?;
    match std::env::var(SUPERVISOR_ENV).ok().filter(|v| !v.trim().is_empty()) {
        None => start(&role, &topology, &secrets, shutdown).await?.await?,
        Some(at) => {
            let at: SocketAddr =
                at.trim().parse().with_context(|| format!("{SUPERVISOR_ENV}={at} is not a socket address"))?;
            supervise(&role, &topology, &secrets, at, shutdown).await?
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The role serving until its shutdown token is cancelled.
type Serving = std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<()>> + Send>>;

/// Binds the role's sockets, says it is ready, and returns the future that serves it.
async fn start(
    role: &Role,
    topology: &Topology,
    secrets: &Secrets,
    shutdown: CancellationToken,
) -> anyhow::Result<Serving> {
    Ok(match role {
        RoleArgs::Tenant { args, .. } => {
            let listener = bind(args.listen).await?;
            let address = listener.local_addr()?;
            let tenant = crate::tenant::start(listener, args.config(topology, secrets), shutdown)?;
            ready_at("tenant", address)?;
            Box::pin(async move { Ok(tenant.await?) })
        }
        RoleArgs::Dns { args, .. } => {
            let config = args.config(topology, secrets)?;
            let sockets = crate::dns::DnsSockets::bind(args.listen, args.admin)
                .await
                .with_context(|| format!("cannot listen on {} (DNS) and {} (management)", args.listen, args.admin))?;
            let admin = sockets.admin.local_addr()?;
            let server = crate::dns::start_replica(sockets, config, &args.replica, shutdown).await?;
            ready_at("dns", admin)?;
            Box::pin(async move { Ok(server.await?) })
        }
        RoleArgs::Mediation { args, .. } => {
            let config = args.config(topology, secrets)?;
            // Read before saying ready: a LocalStore that cannot be read is refused, never replaced.
            let file = crate::mediation::LocalStoreFile::in_dir(&config.data_dir);
            file.load().map_err(|e| {
                anyhow::anyhow!(
                    "appliance {}: LocalStore at {}: {}; to start this Mediation Server afresh, move the file away (it copies the tenant's configuration again at its next sync)",
                    config.name,
                    e.path,
                    e.reason
                )
            })?;
            let listener = bind(args.listen).await?;
            ready("mediation", &listener)?;
            Box::pin(async move { Ok(crate::mediation::serve(listener, config, Clock::new(), shutdown).await?) })
        }
        RoleArgs::Client { args, .. } => {
            let config = args.config(topology, secrets);
            let listener = bind(args.listen).await?;
            ready("client", &listener)?;
            Box::pin(async move { Ok(crate::client::serve(listener, config, Clock::new(), shutdown).await?) })
        }
    })
}

/// Where the role keeps what outlives its process: emptied on a reset.
fn data_dir(role: &Role) -> Option<&Path> {
    match role {
        RoleArgs::Tenant { args, .. } => Some(&args.data),
        RoleArgs::Mediation { args, .. } => args.data.as_deref(),
        RoleArgs::Client { args, .. } => Some(&args.data),
        // Its journal: the configuration it replays at a start.
        RoleArgs::Dns { args, .. } => args.replica.data.as_deref(),
    }
}

/// A reset asked for, and where to say it is done.
type ResetAsked = tokio::sync::oneshot::Sender<Result<ResetDone, String>>;

/// Runs the role, and on each `POST /lab/reset` (with the lab's control credential) stops it,
/// empties its data directory and starts it again from the same arguments on the same sockets,
/// answering once the new instance listens: a reused lab's role is, to every peer, a role that
/// just started. A fresh start is the only way back to a role's first instant that needs no
/// per-role knowledge of what it holds (stores, clocks, caches, scheduled work).
async fn supervise(
    role: &Role,
    topology: &Topology,
    secrets: &Secrets,
    at: SocketAddr,
    shutdown: CancellationToken,
) -> anyhow::Result<()> {
    let (asks, mut asked) = tokio::sync::mpsc::channel::<ResetAsked>(1);
    let routes = axum::Router::new().route("/lab/reset", axum::routing::post(reset_route)).with_state(asks);
    let routes = crate::auth::control_routes(routes, &secrets.control);
    let listener = bind(at).await?;
    let supervisor = tokio::spawn(crate::http::server::serve(listener, routes, Default::default(), shutdown.clone()));
    let mut generation = 0u64;
    let mut waiting: Option<ResetAsked> = None;
    let ended = loop {
        let instance = shutdown.child_token();
        let mut serving = match start(role, topology, secrets, instance.clone()).await {
            Ok(serving) => serving,
            Err(e) => {
                if let Some(reply) = waiting.take() {
                    let _ = reply.send(Err(format!("the {} role did not start again: {e:#}", role.role())));
                }
                break Err(e);
            }
        };
        generation += 1;
        if let Some(reply) = waiting.take() {
            let _ = reply.send(Ok(ResetDone { generation }));
        }
        tokio::select! {
            ended = &mut serving => break ended,
            Some(reply) = asked.recv() => {
                instance.cancel();
                let stopped = match tokio::time::timeout(RESET_DEADLINE, serving).await {
                    Ok(stopped) => stopped,
                    Err(_) => Err(anyhow::anyhow!("it did not stop within {RESET_DEADLINE:?}")),
                };
                let wiped = stopped.and_then(|()| data_dir(role).map_or(Ok(()), empty_dir));
                if let Err(e) = wiped {
                    let _ = reply.send(Err(format!("the {} role did not reset: {e:#}", role.role())));
                    break Err(e);
                }
                waiting = Some(reply);
            }
        }
    };
    shutdown.cancel();
    let _ = supervisor.await;
    ended
}

async fn reset_route(
    axum::extract::State(asks): axum::extract::State<tokio::sync::mpsc::Sender<ResetAsked>>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (reply, done) = tokio::sync::oneshot::channel();
    let unavailable = |why: &str| crate::http::refusal(axum::http::StatusCode::SERVICE_UNAVAILABLE, why.to_string());
    if asks.send(reply).await.is_err() {
        return unavailable("the role is shutting down");
    }
    match done.await {
        Ok(Ok(done)) => axum::Json(done).into_response(),
        Ok(Err(why)) => crate::http::refusal(axum::http::StatusCode::INTERNAL_SERVER_ERROR, why),
        Err(_) => unavailable("the role ended during the reset"),
    }
}

/// Removes everything inside `dir`, keeping `dir` itself (a container's volume is mounted there).
fn empty_dir(dir: &Path) -> anyhow::Result<()> {
    let entries = match std::fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", dir.display())),
    };
    for entry in entries {
        let path = entry?.path();
        let removed = if path.is_dir() { std::fs::remove_dir_all(&path) } else { std::fs::remove_file(&path) };
        removed.with_context(|| format!("cannot remove {}", path.display()))?;
    }
    Ok(())
}

fn load(sources: &Sources) -> anyhow::Result<(Topology, Secrets)> {
    let topology = Topology::load_or_seed(sources.topology.as_deref())?;
    let secrets = Secrets::resolve(sources.secrets.as_deref(), &topology)?;
    Ok((topology, secrets))
}

/// The line a supervisor (a test, a container runtime) waits for: from here on the role's port
/// accepts connections, so nobody needs to poll it.
pub const READY_LINE: &str = "listening on";

fn ready(role: &str, listener: &tokio::net::TcpListener) -> anyhow::Result<()> {
    ready_at(role, listener.local_addr()?)
}

fn ready_at(role: &str, address: SocketAddr) -> anyhow::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{role} {READY_LINE} {address}")?;
    out.flush()?;
    Ok(())
}

async fn bind(addr: SocketAddr) -> anyhow::Result<tokio::net::TcpListener> {
    crate::ports::listen(addr).await.with_context(|| format!("cannot listen on {addr}"))
}

/// Ctrl-C or SIGTERM (what `docker stop` sends).
pub async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
