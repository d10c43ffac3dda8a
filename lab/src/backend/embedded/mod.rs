//! The embedded backend: every role as tasks of this process, on loopback ports.
//!
//! Topology addresses are virtual here: each Mediation Server's address maps to its loopback
//! listener, and clients state their address to DNS with EDNS Client Subnet. One shared
//! [`Clock`] keeps every role on the same lab time.

mod appliances;
pub mod attached;
pub mod control;
mod dns_roles;

use super::{Backend, BackendError, DnsStart, Endpoints, RoleFailure, SavedBackend};
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
use tokio::net::TcpListener;
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

pub struct Embedded {
    clock: Clock,
    /// The DNS servers, stoppable and restartable one by one.
    dns_roles: Arc<Vec<dns_roles::DnsRole>>,
    endpoints: Endpoints,
    /// Topology address (port 80) → loopback listener, for clients and the Lab.
    dial: BTreeMap<IpAddr, SocketAddr>,
    appliances: Arc<Appliances>,
    secrets: Secrets,
    shutdown: CancellationToken,
    tasks: tokio::sync::Mutex<JoinSet<()>>,
    /// The first role task that ended in error.
    failure: tokio::sync::watch::Receiver<Option<RoleFailure>>,
    /// Removed on stop unless the lab was started in a kept directory.
    _scratch: Option<tempfile::TempDir>,
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
                let t = tempfile::Builder::new().prefix("bypass-lab-").tempdir()?;
                let p = t.path().to_path_buf();
                (Some(t), p)
            }
        };
        let clock = Clock::new();
        let shutdown = CancellationToken::new();
        let mut tasks = JoinSet::new();
        let (failed, failure) = tokio::sync::watch::channel(None);

        let tenant_listener = loopback().await?;
        let tenant_url = format!("http://{}", tenant_listener.local_addr()?);
        let tenant_config = crate::tenant::TenantConfig {
            data_dir: root.join("tenant"),
            topology: topology.clone(),
            secrets: secrets.clone(),
        };
        let tenant_role = crate::tenant::start(tenant_listener, tenant_config, shutdown.child_token())
            .map_err(|e| RoleFailure { role: "tenant".into(), cause: e.to_string() })?;
        spawn_role(&mut tasks, &failed, "tenant", tenant_role);

        // One DNS role per DNS server of the topology, domain controllers of one forest.
        let directory = crate::dns::Directory::new(topology.tenant.ad_replication_delay);
        let mut dns_servers = vec![];
        let mut dns_roles = vec![];
        for plan in topology.dns_server_plans() {
            let dns_config = crate::dns::DnsConfig {
                topology: (dns_start == DnsStart::Planned).then(|| topology.clone()),
                script: None,
                secrets: secrets.clone(),
            };
            let (role, _, _) =
                dns_roles::DnsRole::start(&plan.name, dns_config, &clock, &directory, &shutdown, loopback_any())
                    .await?;
            dns_servers.push(role.endpoint(plan.address));
            dns_roles.push(role);
        }
        let dns_roles = Arc::new(dns_roles);
        let (dns, dns_admin) = (dns_servers[0].dns, dns_servers[0].admin.clone());

        let appliances = Arc::new(
            Appliances::start(topology, secrets, &tenant_url, &root.join("appliances"), &clock, &shutdown).await?,
        );
        let dial = appliances.dial();

        let client_listener = loopback().await?;
        let client_url = format!("http://{}", client_listener.local_addr()?);
        let client_config = crate::client::ClientHostConfig {
            tenant_url: tenant_url.clone(),
            dns,
            state_address_by_ecs: true,
            // Clients reach their site's DNS server at its topology address, like every address.
            dial: dial.iter().map(|(k, v)| (*k, *v)).chain(dns_servers.iter().map(|d| (d.address, d.dns))).collect(),
            topology: topology.clone(),
            user_password: secrets.users.clone(),
            control_token: secrets.control.clone(),
            data_dir: root.join("clients"),
        };
        spawn_role(
            &mut tasks,
            &failed,
            "client host",
            crate::client::serve(client_listener, client_config, clock.clone(), shutdown.child_token()),
        );

        let control = if with_control {
            let listener = loopback().await?;
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
        let embedded = Embedded {
            clock,
            dns_roles,
            endpoints,
            dial,
            appliances,
            secrets: secrets.clone(),
            shutdown,
            tasks: tokio::sync::Mutex::new(tasks),
            failure,
            _scratch: scratch,
        };
        Ok(embedded)
    }
}

#[async_trait]
impl Backend for Embedded {
    fn endpoints(&self) -> Endpoints {
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

    async fn role_failed(&self) -> RoleFailure {
        let mut failure = self.failure.clone();
        let first = failure.wait_for(Option::is_some).await.map(|f| f.clone());
        match first {
            Ok(Some(f)) => f,
            _ => std::future::pending().await,
        }
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
        for role in self.dns_roles.iter() {
            role.stop().await;
        }
        self.appliances.stop_all().await;
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

fn loopback_any() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn loopback() -> Result<TcpListener, BackendError> {
    Ok(TcpListener::bind("127.0.0.1:0").await?)
}

/// Runs a role; an error ends it and is kept as the lab's first role failure.
fn spawn_role<E: std::fmt::Display>(
    tasks: &mut JoinSet<()>,
    failed: &tokio::sync::watch::Sender<Option<RoleFailure>>,
    role: &'static str,
    serve: impl std::future::Future<Output = Result<(), E>> + Send + 'static,
) {
    let failed = failed.clone();
    tasks.spawn(async move {
        if let Err(e) = serve.await {
            tracing::error!("{role}: {e}");
            failed.send_if_modified(|first| {
                let unset = first.is_none();
                if unset {
                    *first = Some(RoleFailure { role: role.to_string(), cause: e.to_string() });
                }
                unset
            });
        }
    });
}
