//! One role of a plan run in this process: the embedded backend starts every role this way, and
//! tests that need one role alone start it the same way with [`start_role`].

use crate::auth::Secrets;
use crate::backend::role_plan::{Loopback, RoleArgs, RoleSpec};
use crate::backend::{BackendError, RoleFailure};
use crate::clock::Clock;
use crate::dns::DnsSockets;
use crate::topology::Topology;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// A role's sockets, bound before it is configured so that a start on port 0 knows its ports.
pub enum Sockets {
    Http(TcpListener),
    Dns(DnsSockets),
}

impl Sockets {
    /// Binds where `args` say the role listens (port 0: any free port).
    pub async fn bind(args: &RoleArgs) -> std::io::Result<Sockets> {
        Ok(match args {
            RoleArgs::Dns { args, .. } => Sockets::Dns(DnsSockets::bind(args.listen, args.admin).await?),
            other => Sockets::Http(crate::ports::listen(other.listen()).await?),
        })
    }

    /// Where the role answers, and its DNS management API.
    fn addresses(&self) -> std::io::Result<(SocketAddr, Option<SocketAddr>)> {
        Ok(match self {
            Sockets::Http(listener) => (listener.local_addr()?, None),
            Sockets::Dns(sockets) => (sockets.udp.local_addr()?, Some(sockets.admin.local_addr()?)),
        })
    }
}

/// Binds an embedded lab's loopback sockets, in the order [`crate::backend::role_plan::on_loopback`]
/// lists its roles: the tenant, each DNS server, each appliance, the client host.
pub(super) async fn bind_loopback(topology: &Topology) -> Result<(Loopback, Vec<Sockets>), BackendError> {
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let http = || async move { crate::ports::listen(any).await };
    let tenant = http().await?;
    let mut dns = Vec::new();
    for _ in topology.dns_server_plans() {
        dns.push(DnsSockets::bind(any, any).await?);
    }
    let mut appliances = Vec::new();
    for _ in topology.appliances() {
        appliances.push(http().await?);
    }
    let client = http().await?;
    let at = Loopback {
        tenant: tenant.local_addr()?,
        dns: dns.iter().map(|d| Ok((d.udp.local_addr()?, d.admin.local_addr()?))).collect::<std::io::Result<_>>()?,
        appliances: appliances.iter().map(TcpListener::local_addr).collect::<std::io::Result<_>>()?,
        client: client.local_addr()?,
    };
    let sockets = std::iter::once(Sockets::Http(tenant))
        .chain(dns.into_iter().map(Sockets::Dns))
        .chain(appliances.into_iter().map(Sockets::Http))
        .chain([Sockets::Http(client)])
        .collect();
    Ok((at, sockets))
}

/// A configured role's service: it runs until its shutdown token is cancelled.
pub type Serving = Pin<Box<dyn Future<Output = Result<(), RoleFailure>> + Send>>;

/// How a role's failure names it.
pub(super) fn label(spec: &RoleSpec) -> String {
    match &spec.args {
        RoleArgs::Mediation { args, .. } => format!("appliance {}", args.appliance),
        RoleArgs::Client { .. } => "client host".into(),
        other => other.role().into(),
    }
}

/// How the role of `spec` reports why it could not start, or why it stopped serving.
fn failure_of(spec: &RoleSpec) -> impl Fn(&dyn std::fmt::Display) -> RoleFailure + Clone + Send + 'static {
    let role = label(spec);
    move |cause| RoleFailure { role: role.clone(), cause: cause.to_string() }
}

/// Configures the role of `spec` on `sockets` (a tenant reads its store, a DNS server applies its
/// configuration) and returns what serves it, so a role that cannot start fails here, before
/// anyone is told it is ready. Every clock-keeping role keeps lab time on `clock`.
pub async fn serve_role(
    spec: &RoleSpec,
    sockets: Sockets,
    topology: &Topology,
    secrets: &Secrets,
    clock: &Clock,
    shutdown: CancellationToken,
) -> Result<Serving, RoleFailure> {
    let failed = failure_of(spec);
    let mismatch = || failed(&format!("the {} role was given the wrong sockets", spec.role()));
    let clock = clock.clone();
    let serving: Serving = match (&spec.args, sockets) {
        (RoleArgs::Tenant { args, .. }, Sockets::Http(listener)) => {
            let tenant =
                crate::tenant::start(listener, args.config(topology, secrets), shutdown).map_err(|e| failed(&e))?;
            Box::pin(async move { tenant.await.map_err(|e| failed(&e)) })
        }
        (RoleArgs::Dns { args, .. }, Sockets::Dns(sockets)) => {
            let config = args.config(topology, secrets).map_err(|e| failed(&e))?;
            let server = crate::dns::start_on_clock(sockets, config, clock, shutdown).await.map_err(|e| failed(&e))?;
            Box::pin(async move { server.await.map_err(|e| failed(&e)) })
        }
        (RoleArgs::Mediation { args, .. }, Sockets::Http(listener)) => {
            let config = args.config(topology, secrets).map_err(|e| failed(&e))?;
            let served = crate::mediation::serve(listener, config, clock, shutdown);
            Box::pin(async move { served.await.map_err(|e| failed(&e)) })
        }
        (RoleArgs::Client { args, .. }, Sockets::Http(listener)) => {
            let served = crate::client::serve(listener, args.config(topology, secrets), clock, shutdown);
            Box::pin(async move { served.await.map_err(|e| failed(&e)) })
        }
        _ => return Err(mismatch()),
    };
    tracing::debug!(role = label(spec), "configured");
    Ok(serving)
}

/// The state of the tenant or the client host of `spec`, served through `slot` by a server that
/// outlives it (`restartable.rs`): configured here (a tenant reads its store), then served
/// until `shutdown` is cancelled, as [`serve_role`] does.
pub(super) fn serve_in_slot(
    spec: &RoleSpec,
    slot: &std::sync::Arc<crate::http::slot::RouterSlot>,
    listen: SocketAddr,
    topology: &Topology,
    secrets: &Secrets,
    clock: &Clock,
    shutdown: CancellationToken,
) -> Result<Serving, RoleFailure> {
    let failed = failure_of(spec);
    let serving: Serving = match &spec.args {
        RoleArgs::Tenant { args, .. } => {
            let tenant =
                crate::tenant::start_in(slot, args.config(topology, secrets), shutdown).map_err(|e| failed(&e))?;
            Box::pin(async move { tenant.await.map_err(|e| failed(&e)) })
        }
        RoleArgs::Client { args, .. } => {
            let name = format!("client host {listen}");
            let config = args.config(topology, secrets);
            let served = crate::client::serve_in(slot.clone(), name, config, clock.clone(), shutdown);
            Box::pin(async move { served.await.map_err(|e| failed(&e)) })
        }
        _ => return Err(failed(&format!("the {} role is not served behind a slot", spec.role()))),
    };
    tracing::debug!(role = label(spec), "configured");
    Ok(serving)
}

/// A role started alone by [`start_role`].
pub struct Started {
    /// The spec it was started from, naming the ports it was given.
    pub spec: RoleSpec,
    /// Serves until the shutdown token given to [`start_role`] is cancelled.
    pub task: JoinHandle<Result<(), RoleFailure>>,
}

impl Started {
    /// The base URL of its HTTP API (a DNS server's management API).
    pub fn url(&self) -> String {
        match &self.spec.args {
            RoleArgs::Dns { args, .. } => format!("http://{}", args.admin),
            other => format!("http://{}", other.listen()),
        }
    }
}

/// Starts the one role of `spec` in this process as the embedded backend does, on the sockets
/// its arguments name, with lab time on `clock`; returns once it is configured and listening.
pub async fn start_role(
    spec: RoleSpec,
    topology: &Topology,
    secrets: &Secrets,
    clock: &Clock,
    shutdown: CancellationToken,
) -> Result<Started, BackendError> {
    let sockets = Sockets::bind(&spec.args).await?;
    let (listen, admin) = sockets.addresses()?;
    let spec = RoleSpec { args: spec.args.listening_on(listen, admin), health: Some(admin.unwrap_or(listen)), ..spec };
    let serving = serve_role(&spec, sockets, topology, secrets, clock, shutdown).await?;
    let role = label(&spec);
    let task = tokio::spawn(async move {
        let served = serving.await;
        if let Err(e) = &served {
            tracing::error!("{role}: {}", e.cause);
        }
        served
    });
    Ok(Started { spec, task })
}
