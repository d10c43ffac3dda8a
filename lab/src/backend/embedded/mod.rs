//! The embedded backend: every role as tasks of this process, on loopback ports.
//!
//! Topology addresses are virtual here: each Mediation Server's address maps to its loopback
//! listener, and clients state their address to DNS with EDNS Client Subnet. One shared
//! [`Clock`] keeps every role on the same lab time.

mod appliances;
pub mod attached;
mod checkpoint;
pub mod control;
mod dns_roles;
mod kept;
mod launch;
mod restartable;
mod scratch;

pub use launch::{start_role, Started};

use launch::{Serving, Sockets};
use restartable::{RestartableRole, RoleContext};

use super::role_plan::{self, RoleArgs};
use super::{Backend, BackendError, DnsEndpoint, DnsStart, Endpoints, RoleFailure, SavedBackend};
use crate::auth::Secrets;
use crate::clock::{Clock, MOVE_BUDGET};
use crate::topology::Topology;
use appliances::Appliances;
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub struct Embedded {
    clock: Clock,
    tenant: RestartableRole,
    /// The DNS servers, stoppable and restartable one by one.
    dns_roles: Arc<Vec<dns_roles::DnsRole>>,
    /// How long the forest's AD takes to replicate a zone write between DNS servers.
    ad_replication_delay: Duration,
    client_host: RestartableRole,
    /// Shared, not copied, with every caller: thousands of appliance URLs at scale.
    endpoints: Arc<Endpoints>,
    /// Topology address (port 80) → loopback listener, for clients and the Lab.
    dial: BTreeMap<IpAddr, SocketAddr>,
    appliances: Arc<Appliances>,
    secrets: Secrets,
    shutdown: CancellationToken,
    tasks: tokio::sync::Mutex<JoinSet<()>>,
    /// The first role task that ended in error.
    failure: tokio::sync::watch::Receiver<Option<RoleFailure>>,
    /// What a reset puts back (the lab as it stood when it became ready, [`checkpoint::START`]),
    /// and the states kept since, by label.
    checkpoints: tokio::sync::Mutex<BTreeMap<String, checkpoint::Checkpoint>>,
    /// Removed on stop unless the lab was started in a kept directory.
    _scratch: Option<tempfile::TempDir>,
    /// Kept-alive connections to the roles that answer on one port each (tenant, client host,
    /// DNS servers' management) and to the Mediation Servers, lent to every caller of this
    /// process for the lab's life.
    _kept_connections: Vec<crate::http::pool::PooledClient>,
}

impl Embedded {
    /// Starts tenant, DNS, every appliance and a client host; `data_dir` None = a scratch directory.
    pub async fn start(
        topology: &Topology,
        secrets: &Secrets,
        data_dir: Option<&Path>,
        with_control: bool,
        dns_start: DnsStart,
    ) -> Result<Embedded, BackendError> {
        let (scratch, root): (Option<tempfile::TempDir>, PathBuf) = match data_dir {
            Some(dir) => (None, dir.to_path_buf()),
            None => {
                let t = tempfile::Builder::new().prefix("bypass-lab-").tempdir_in(scratch::root())?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        let clock = Clock::new();
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let (failed, failure) = tokio::sync::watch::channel(None);

        let (at, sockets) = launch::bind_loopback(topology).await?;
        let roles = role_plan::on_loopback(topology, &root, dns_start, &at);
        let context = RoleContext {
            topology: Arc::new(topology.clone()),
            secrets: secrets.clone(),
            clock: clock.clone(),
            lab: shutdown.clone(),
            failed,
        };
        // One DNS role per DNS server of the topology, domain controllers of one forest.
        let directory = crate::dns::Directory::new(topology.tenant.ad_replication_delay);
        let dns_plans = topology.dns_server_plans();
        // A server that forwards reaches the others' plan addresses on their loopback sockets,
        // and states its own plan address as the embedded lab's clients state theirs.
        let dns_dial: BTreeMap<IpAddr, SocketAddr> =
            dns_plans.iter().zip(&at.dns).map(|(plan, (dns, _))| (plan.address, *dns)).collect();
        let mut dns_roles = vec![];
        let mut appliances = Appliances::new(&clock, &shutdown);
        let (mut tenant, mut client_host) = (None, None);
        for (spec, sockets) in roles.into_iter().zip(sockets) {
            match (&spec.args, sockets) {
                (RoleArgs::Dns { args, .. }, Sockets::Dns(sockets)) => {
                    let config = args
                        .config(topology, secrets)
                        .map_err(|e| RoleFailure { role: spec.role().into(), cause: e.to_string() })?;
                    let own = dns_plans.iter().find(|p| p.name == spec.name).map(|p| p.address);
                    let forward = crate::dns::ForwardPath {
                        dial: dns_dial.clone(),
                        state_as: own.filter(|ip| !ip.is_unspecified()),
                    };
                    let role =
                        dns_roles::DnsRole::start(&spec.name, config, &clock, &directory, &shutdown, sockets, forward)
                            .await?;
                    dns_roles.push(role);
                }
                (RoleArgs::Mediation { args, .. }, Sockets::Http(listener)) => {
                    let config = args.config(topology, secrets).map_err(|source| BackendError::ApplianceConfig {
                        appliance: args.appliance.clone(),
                        source,
                    })?;
                    appliances.add(config, listener)?;
                }
                (RoleArgs::Tenant { .. }, Sockets::Http(listener)) => {
                    tenant = Some(RestartableRole::start(spec, listener, &context).await?);
                }
                (RoleArgs::Client { .. }, Sockets::Http(listener)) => {
                    client_host = Some(RestartableRole::start(spec, listener, &context).await?);
                }
                (_, _) => {
                    return Err(RoleFailure {
                        role: launch::label(&spec),
                        cause: format!("the {} role was given the wrong sockets", spec.role()),
                    }
                    .into())
                }
            }
        }
        let planned = |role: &str| RoleFailure { role: role.into(), cause: "the lab's plan has no such role".into() };
        let tenant = tenant.ok_or_else(|| planned("tenant"))?;
        let client_host = client_host.ok_or_else(|| planned("client host"))?;
        let dns_servers: Vec<DnsEndpoint> =
            dns_roles.iter().zip(&dns_plans).map(|(role, plan)| role.endpoint(plan.address)).collect();
        let dns_roles = Arc::new(dns_roles);
        let (dns, dns_admin) = (dns_servers[0].dns, dns_servers[0].admin.clone());
        let appliances = Arc::new(appliances);
        let dial = appliances.dial();
        let (tenant_url, client_url) = (format!("http://{}", at.tenant), format!("http://{}", at.client));

        let control = if with_control {
            let listener = crate::ports::listen(([127, 0, 0, 1], 0).into()).await?;
            let url = format!("http://{}", listener.local_addr()?);
            let state = control::ControlState {
                clock: clock.clone(),
                appliances: appliances.clone(),
                dns: dns_roles.clone(),
                token: secrets.control.clone(),
            };
            let stop = shutdown.child_token();
            tasks.spawn(async move {
                if let Err(e) = control::serve(listener, state, stop).await {
                    tracing::error!("lab control API: {e}");
                }
            });
            Some(url)
        } else {
            None
        };

        let endpoints = Endpoints {
            tenant: tenant_url,
            dns,
            dns_admin,
            appliances: appliances.urls(),
            clocks: vec![control.clone().unwrap_or_else(|| appliances.any_url())],
            clients: BTreeMap::from([("*".to_string(), client_url)]),
            control,
            dns_servers: if topology.dns_servers.is_empty() { vec![] } else { dns_servers },
        };
        // A scenario's steps, the client host and the runbooks call these roles thousands of
        // times at scale; a connection each filled the kernel's connection tracking. The
        // Mediation Servers share one pool, an idle connection each, for as many of them as the
        // process's descriptors allow (`http::pool`).
        let single_port_roles = [&endpoints.dns_admin]
            .into_iter()
            .chain(endpoints.clients.values())
            .chain(endpoints.dns_servers.iter().map(|d| &d.admin));
        let mut kept_connections: Vec<_> =
            single_port_roles.filter_map(|url| crate::http::pool::for_peer(url)).collect();
        kept_connections.extend(crate::http::pool::for_peer_keeping(&endpoints.tenant, crate::http::pool::TO_TENANT));
        kept_connections.extend(crate::http::pool::for_peers(endpoints.appliances.values().map(String::as_str)));
        let embedded = Embedded {
            clock,
            tenant,
            dns_roles,
            ad_replication_delay: topology.tenant.ad_replication_delay,
            client_host,
            endpoints: Arc::new(endpoints),
            dial,
            appliances,
            secrets: secrets.clone(),
            shutdown,
            tasks: tokio::sync::Mutex::new(tasks),
            failure,
            checkpoints: Default::default(),
            _scratch: scratch,
            _kept_connections: kept_connections,
        };
        Ok(embedded)
    }
}

#[async_trait]
impl Backend for Embedded {
    fn endpoints(&self) -> Arc<Endpoints> {
        self.endpoints.clone()
    }

    fn saved(&self) -> SavedBackend {
        SavedBackend::Embedded { dial: self.dial.clone(), pid: std::process::id() }
    }

    async fn now(&self) -> Result<Duration, BackendError> {
        Ok(self.clock.now())
    }

    /// The one shared clock moves in budgeted stretches, so a long move reports its way.
    async fn advance(&self, by: Duration, progress: &(dyn Fn(Duration) + Sync)) -> Result<Duration, BackendError> {
        let target = self.clock.now() + by;
        loop {
            let reached = self
                .clock
                .advance_toward(target, Some(MOVE_BUDGET))
                .await
                .map_err(|e| BackendError::clock_stopped(self.clock.now(), target, e.into()))?;
            if reached >= target {
                return Ok(reached);
            }
            progress(reached);
        }
    }

    fn run_clock(&self, speed: f64) -> Option<tokio::task::JoinHandle<()>> {
        (speed > 0.0).then(|| self.clock.run_at_speed(speed))
    }

    async fn settle(&self) -> Result<(), BackendError> {
        Ok(self.clock.settle().await?)
    }

    async fn client_host(&self, _at: IpAddr) -> Result<String, BackendError> {
        Ok(self.endpoints.clients["*"].clone())
    }

    async fn cut(&self, appliance: &str) -> Result<(), BackendError> {
        self.appliances.set_link(appliance, false, &self.secrets.control).await
    }

    async fn heal(&self, appliance: &str) -> Result<(), BackendError> {
        self.appliances.set_link(appliance, true, &self.secrets.control).await
    }

    async fn restart(&self, appliance: &str, kill: bool) -> Result<(), BackendError> {
        self.appliances.restart(appliance, kill).await
    }

    async fn checkpoint(&self) -> Result<(), BackendError> {
        self.take_checkpoint(checkpoint::START).await
    }

    fn resets(&self) -> bool {
        true
    }

    async fn reset(&self) -> Result<(), BackendError> {
        match self.restore_checkpoint(checkpoint::START).await? {
            true => Ok(()),
            false => Err(BackendError::NoReset),
        }
    }

    async fn keep(&self, label: &str) -> Result<bool, BackendError> {
        self.clock.settle().await?;
        self.take_checkpoint(label).await?;
        Ok(true)
    }

    async fn put_back(&self, label: &str) -> Result<bool, BackendError> {
        self.restore_checkpoint(label).await
    }

    async fn role_failed(&self) -> RoleFailure {
        let mut failure = self.failure.clone();
        let first = failure.wait_for(Option::is_some).await.map(|f| f.clone());
        match first {
            Ok(Some(f)) => f,
            _ => std::future::pending().await,
        }
    }

    async fn appliance_status(
        &self,
        appliance: &str,
    ) -> Option<Result<crate::mediation::ApplianceStatus, crate::http::RemoteError>> {
        self.appliances.status(appliance).await
    }

    async fn dns_fault(&self, server: &str, fault: super::DnsFault) -> Result<(), BackendError> {
        let role = self.dns_roles.iter().find(|r| r.name.eq_ignore_ascii_case(server)).ok_or_else(|| {
            BackendError::UnknownDnsServer {
                name: server.to_string(),
                servers: self.dns_roles.iter().map(|r| r.name.clone()).collect(),
            }
        })?;
        role.fault(fault).await
    }

    async fn stop(&self) -> Result<(), BackendError> {
        self.shutdown.cancel();
        self.client_host.close().await;
        for role in self.dns_roles.iter() {
            role.close().await;
        }
        self.appliances.stop_all().await;
        self.tenant.close().await;
        let mut tasks = self.tasks.lock().await;
        while tasks.join_next().await.is_some() {}
        Ok(())
    }
}

impl Drop for Embedded {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

/// Runs a role; an error, or a panic, ends it and is kept as the lab's first role failure.
fn spawn_watched(
    failed: &tokio::sync::watch::Sender<Option<RoleFailure>>,
    role: String,
    serving: Serving,
) -> tokio::task::JoinHandle<()> {
    use futures::FutureExt as _;
    let failed = failed.clone();
    tokio::spawn(async move {
        let served = std::panic::AssertUnwindSafe(serving).catch_unwind().await.unwrap_or_else(|panic| {
            let message = crate::role_tasks::panic_message(panic.as_ref());
            Err(RoleFailure { role: role.clone(), cause: format!("it panicked ({message}); the role stopped") })
        });
        if let Err(e) = served {
            tracing::error!("{role}: {}", e.cause);
            failed.send_if_modified(|first| {
                let unset = first.is_none();
                if unset {
                    *first = Some(e);
                }
                unset
            });
        }
    })
}
