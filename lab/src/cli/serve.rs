//! `bypass-lab serve <role>`: one role in the foreground until Ctrl-C or SIGTERM.

use anyhow::Context;
use bypass_lab::auth::Secrets;
use bypass_lab::backend::role_plan::{RoleArgs, Sources};
use bypass_lab::clock::Clock;
use bypass_lab::topology::Topology;
use std::net::SocketAddr;
use std::process::ExitCode;
use tokio_util::sync::CancellationToken;

/// `serve <role>`: the roles and their arguments as a lab's plan renders them.
pub type Role = RoleArgs;

pub async fn run(role: Role) -> anyhow::Result<ExitCode> {
    let shutdown = CancellationToken::new();
    let on_signal = shutdown.clone();
    tokio::spawn(async move {
        stop_signal().await;
        on_signal.cancel();
    });
    let (topology, secrets) = load(role.sources())?;
    match role {
        RoleArgs::Tenant { args, .. } => {
            let listener = bind(args.listen).await?;
            let address = listener.local_addr()?;
            let tenant = bypass_lab::tenant::start(listener, args.config(&topology, &secrets), shutdown)?;
            ready_at("tenant", address)?;
            tenant.await?;
        }
        RoleArgs::Dns { args, .. } => {
            let config = args.config(&topology, &secrets)?;
            let sockets = bypass_lab::dns::DnsSockets::bind(args.listen, args.admin)
                .await
                .with_context(|| format!("cannot listen on {} (DNS) and {} (management)", args.listen, args.admin))?;
            let admin = sockets.admin.local_addr()?;
            let server = bypass_lab::dns::start_replica(sockets, config, &args.replica, shutdown).await?;
            ready_at("dns", admin)?;
            server.await?;
        }
        RoleArgs::Mediation { args, .. } => {
            let config = args.config(&topology, &secrets)?;
            // Read before saying ready: a LocalStore that cannot be read is refused, never replaced.
            let file = bypass_lab::mediation::LocalStoreFile::in_dir(&config.data_dir);
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
            let clock = Clock::new();
            bypass_lab::mediation::serve(listener, config, clock, shutdown).await?;
        }
        RoleArgs::Client { args, .. } => {
            let config = args.config(&topology, &secrets);
            let listener = bind(args.listen).await?;
            ready("client", &listener)?;
            bypass_lab::client::serve(listener, config, Clock::new(), shutdown).await?;
        }
    }
    Ok(ExitCode::SUCCESS)
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
    tokio::net::TcpListener::bind(addr).await.with_context(|| format!("cannot listen on {addr}"))
}

/// Ctrl-C or SIGTERM (what `docker stop` sends).
pub async fn stop_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()).expect("SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
}
