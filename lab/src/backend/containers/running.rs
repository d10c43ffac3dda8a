//! A running containers lab: its networks, its containers and the Docker engine they run on,
//! behind [`Backend`].

use super::docker::{self, failed};
use super::labels::{CLIENT_LABEL, LAB_LABEL, ORDER_LABEL, ROLE_LABEL};
use super::plan::{NetworkPlan, CLIENT_PORT, MEDIATION_PORT};
use super::role::{self, Container};
use super::route;
use super::{census, dns_servers, host_networks, image, plan, time};
use super::{ContainersState, LabPlan, Owner};
use crate::auth::Secrets;
use crate::backend::role_plan::{self, ClientPlace, Sources};
use crate::backend::{Backend, BackendError, DnsStart, Endpoints, RoleDown, SavedBackend};
use crate::http::ControlClient;
use crate::topology::Topology;
use async_trait::async_trait;
use bollard::models::{Ipam, IpamConfig, NetworkConnectRequest, NetworkCreateRequest, NetworkDisconnectRequest};
use bollard::Docker;
use ipnet::{IpNet, Ipv4Net};
use std::collections::{BTreeMap, HashMap};
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

/// A running containers lab.
pub struct Containers {
    pub(super) docker: Docker,
    pub(super) http: reqwest::Client,
    pub(super) state: Mutex<ContainersState>,
    pub(super) plan: LabPlan,
    topology_toml: String,
    /// Sweeps the lab when dropped without `stop()` (a failing test, an error during start).
    guard: Mutex<Option<SweepGuard>>,
    /// Held while a client host is looked for and started: users signing in at once must not
    /// start one host twice, nor two hosts on the same free online address.
    starting_client_host: tokio::sync::Mutex<()>,
    /// Roles whose container is stopped or missing, by their name in the plan (client hosts as
    /// `client-<address>`): the lab is damaged, not gone.
    pub(super) down: Mutex<BTreeMap<String, RoleDown>>,
}

struct SweepGuard(String);

impl Drop for SweepGuard {
    fn drop(&mut self) {
        docker::sweep_blocking(self.0.clone());
    }
}

pub(super) type Progress<'a> = &'a (dyn Fn(&str) + Send + Sync);

/// How long a role may take to tell its time.
const READ_DEADLINE: std::time::Duration = std::time::Duration::from_secs(10);
/// How long a role that just started may take to do the work due on its way to the lab's time.
const JOIN_DEADLINE: std::time::Duration = std::time::Duration::from_secs(40);

impl Containers {
    /// Builds the image if missing or stale, removes abandoned labs, then starts every role, the
    /// DNS server as `dns_start` says.
    pub async fn start(
        topology: &Topology,
        secrets: &Secrets,
        owner: Owner,
        dns_start: DnsStart,
        online: Option<Ipv4Net>,
        progress: Progress<'_>,
    ) -> Result<Containers, BackendError> {
        let image = image::build_image(progress).await?;
        Containers::start_owned(topology, secrets, &image, owner, dns_start, online, progress).await
    }

    /// [`Containers::start`] with an image already built, held by this process.
    pub async fn start_with_image(
        topology: &Topology,
        secrets: &Secrets,
        image: &str,
        progress: Progress<'_>,
    ) -> Result<Containers, BackendError> {
        let owner = Owner::this_process();
        Containers::start_owned(topology, secrets, image, owner, DnsStart::Planned, None, progress).await
    }

    /// Starts the lab with `owner` written on every object, its online network on `online`
    /// (None: the first free 172.30.x.0/24). Only labs whose owner is provably gone are removed
    /// first; a lab still held on the topology's subnets is a refusal.
    pub async fn start_owned(
        topology: &Topology,
        secrets: &Secrets,
        image: &str,
        owner: Owner,
        dns_start: DnsStart,
        online: Option<Ipv4Net>,
        progress: Progress<'_>,
    ) -> Result<Containers, BackendError> {
        dns_servers::check_places(topology)?;
        let docker = docker::connect().await?;
        for (lab, swept) in census::sweep_abandoned(&docker).await? {
            if let Some(line) = census::swept_line(&lab, &swept) {
                progress(&line);
            }
        }
        let lab = uuid::Uuid::new_v4().simple().to_string()[..8].to_string();
        let needed = plan::fixed_subnets(topology);
        let held = census::labs(&docker).await?;
        if let Some((holder, subnet)) = census::holder_of(&held, &needed, &lab) {
            return Err(BackendError::Occupied {
                holder: holder.describe(),
                subnet: subnet.to_string(),
                how: holder.how_to_stop(),
            });
        }
        let owner_labels = owner.labels();
        let guard = SweepGuard(lab.clone());
        let host = host_networks::HostNetworks::read();
        let picked = online.is_none();
        let online = match online {
            // The roles' online legs run from .2 to the client hosts' .100 and up.
            Some(net) if net.prefix_len() > 24 => return Err(BackendError::OnlineTooSmall { subnet: net.to_string() }),
            Some(net) => net.trunc(),
            None => free_online_subnet(&docker, &host).await?,
        };
        let mut plan = LabPlan::new(topology, online);
        refuse_host_networks(&host, &plan, topology)?;
        let prefix = format!("bypass-lab-{lab}");
        let net = |key: &str| format!("{prefix}-{key}");
        let networks: Vec<NetworkPlan> = plan.networks().cloned().collect();
        for (order, network) in networks.iter().enumerate() {
            let mut labels = owner_labels.clone();
            labels.insert(ORDER_LABEL.into(), order.to_string());
            let name = net(&network.key);
            if *network == plan.online {
                let place =
                    OnlinePlace { docker: &docker, lab: &lab, labels: &labels, name: &name, host: &host, picked };
                plan = place.create(topology, plan).await?;
                progress(&format!("network {name} {}", plan.online.subnet));
            } else {
                create_network(&docker, &lab, &labels, &name, network).await?;
                progress(&format!("network {name} {}", network.subnet));
            }
        }
        let online = match plan.online.subnet {
            IpNet::V4(net) => net,
            IpNet::V6(_) => unreachable!("the online network is IPv4"),
        };
        let endpoints = plan.endpoints().ok_or(BackendError::NoDnsSubnet)?;
        let specs = role_plan::on_networks(&plan, dns_start, &Sources::in_container());
        let containers =
            specs.iter().map(|spec| Container::of(spec, &lab, owner_labels.clone())).collect::<Result<Vec<_>, _>>()?;
        let state = ContainersState {
            lab: lab.clone(),
            image: image.to_string(),
            online: online.to_string(),
            topology: topology.clone(),
            secrets: secrets.clone(),
            endpoints,
            // By the role's name in the plan: `tenant`, each DNS server's, each appliance's.
            containers: specs.iter().zip(&containers).map(|(spec, c)| (spec.name.clone(), c.name.clone())).collect(),
            clients: BTreeMap::new(),
            owner: owner_labels.into_iter().collect(),
            dns_start,
        };
        let lab_handle = Containers::from_parts(docker, state, plan)?;
        *lab_handle.guard.lock().unwrap() = Some(guard);
        lab_handle.check_routes().await?;
        // The tenant first: appliances register with it as soon as they start.
        let (tenant, others) = containers.split_first().expect("a plan starts with the tenant");
        lab_handle.launch(tenant).await?;
        futures::future::try_join_all(others.iter().map(|c| lab_handle.launch(c))).await?;
        progress(&format!("lab {lab} started: {} containers ready", containers.len()));
        Ok(lab_handle)
    }

    /// Drives a lab started by another process; dropping this handle leaves the lab running.
    /// Nothing is sent to the lab before it is proven to run here: its networks and containers
    /// exist and run, and the host routes every role's address through the lab's own bridges.
    pub async fn attach(state: ContainersState) -> Result<Containers, BackendError> {
        let docker = docker::connect().await?;
        let online: Ipv4Net =
            state.online.parse().map_err(|source| BackendError::SavedSubnet { value: state.online.clone(), source })?;
        let plan = LabPlan::new(&state.topology, online);
        let lab = Containers::from_parts(docker, state, plan)?;
        lab.discover_clients().await?;
        lab.survey().await?;
        lab.check_routes().await?;
        Ok(lab)
    }

    fn from_parts(docker: Docker, state: ContainersState, plan: LabPlan) -> Result<Containers, BackendError> {
        let topology_toml = toml::to_string(&state.topology).map_err(BackendError::TopologyText)?;
        let http = crate::http::control::shared();
        Ok(Containers {
            docker,
            http,
            state: Mutex::new(state),
            plan,
            topology_toml,
            guard: Mutex::new(None),
            starting_client_host: Default::default(),
            down: Default::default(),
        })
    }

    /// What another process needs to drive this lab.
    pub fn state(&self) -> ContainersState {
        self.state.lock().unwrap().clone()
    }

    /// The lab's id (the value of the `bypass-lab.lab` label).
    pub fn lab_id(&self) -> String {
        self.state.lock().unwrap().lab.clone()
    }

    /// The addressing plan the lab runs on.
    pub fn plan(&self) -> &LabPlan {
        &self.plan
    }

    /// The container running an appliance (or `tenant`, `dns`).
    pub fn container_of(&self, role: &str) -> Option<String> {
        self.state.lock().unwrap().containers.get(role).cloned()
    }

    pub(super) async fn launch(&self, spec: &Container) -> Result<(), BackendError> {
        let (lab, image, secrets) = {
            let s = self.state.lock().unwrap();
            (s.lab.clone(), s.image.clone(), s.secrets.clone())
        };
        role::launch(&self.docker, &lab, &image, &secrets, &self.topology_toml, spec).await?;
        role::wait_ready(&self.docker, &self.http, &spec.name, &spec.health).await
    }

    pub(super) fn network(&self, key: &str) -> String {
        format!("bypass-lab-{}-{key}", self.lab_id())
    }

    /// Every role address this process talks to is routed through the bridge of the lab
    /// network that holds it, never through another interface.
    async fn check_routes(&self) -> Result<(), BackendError> {
        let mut bridges: Vec<(IpNet, String)> = Vec::new();
        for network in self.plan.networks() {
            let name = self.network(&network.key);
            let inspected = self.docker.inspect_network(&name, None).await.map_err(|e| {
                if docker::is_not_found(&e) {
                    BackendError::Gone { lab: self.lab_id(), missing: format!("missing: network {name}") }
                } else {
                    failed(format!("cannot inspect network {name}"))(e)
                }
            })?;
            let id = inspected.id.unwrap_or_default();
            let bridge = inspected
                .options
                .and_then(|o| o.get("com.docker.network.bridge.name").cloned())
                .unwrap_or_else(|| format!("br-{}", &id[..id.len().min(12)]));
            bridges.push((network.subnet, bridge));
        }
        // Every address a role sits at (each leg of each DNS server and appliance, the outside
        // network's included), and every client host started.
        let clients = self.endpoints().clients.values().filter_map(|u| url_host(u)).collect::<Vec<_>>();
        let addresses = self.plan.addresses().into_iter().map(|(a, _)| a).chain(clients);
        let expected: Vec<(IpAddr, String)> = addresses
            .map(|a| {
                let bridge = bridges.iter().find(|(net, _)| net.contains(&a)).map(|(_, b)| b.clone());
                (a, bridge.unwrap_or_else(|| "a bridge of the lab".into()))
            })
            .collect();
        let strays = route::strays(&route::host_routes(), &expected);
        if strays.is_empty() {
            return Ok(());
        }
        let strays = strays
            .iter()
            .map(|(a, want, got)| format!("{a} goes through {got}, not {want}"))
            .collect::<Vec<_>>()
            .join("; ");
        Err(BackendError::OffLab { lab: self.lab_id(), strays })
    }

    /// Client hosts any process started for this lab, found by their labels.
    async fn discover_clients(&self) -> Result<(), BackendError> {
        let lab = self.lab_id();
        let filters =
            HashMap::from([("label".to_string(), vec![format!("{LAB_LABEL}={lab}"), format!("{ROLE_LABEL}=client")])]);
        let options = bollard::query_parameters::ListContainersOptions {
            all: true,
            filters: Some(filters),
            ..Default::default()
        };
        let found =
            self.docker.list_containers(Some(options)).await.map_err(failed("cannot list the lab's client hosts"))?;
        let mut s = self.state.lock().unwrap();
        for container in found {
            let at = container.labels.as_ref().and_then(|l| l.get(CLIENT_LABEL)).and_then(|a| a.parse::<IpAddr>().ok());
            let name = container.names.unwrap_or_default().first().map(|n| n.trim_start_matches('/').to_string());
            let (Some(at), Some(name)) = (at, name) else { continue };
            if s.clients.contains_key(&at.to_string()) {
                continue;
            }
            let url = format!("http://{}", SocketAddr::new(at, CLIENT_PORT));
            s.clients.insert(at.to_string(), name);
            s.endpoints.clients.insert(at.to_string(), url.clone());
            s.endpoints.clocks.push(url);
        }
        Ok(())
    }

    /// The lab's time, as the first role that answers tells it.
    pub(super) async fn lab_time(&self) -> Result<u64, BackendError> {
        let mut last = BackendError::NoClock;
        for role in self.clocks().roles() {
            let read = crate::http::control::shared().get(role.url("/lab/clock")).timeout(READ_DEADLINE);
            match role.json::<crate::clock::ClockReading>(read).await {
                Ok(reading) => return Ok(reading.now_ms),
                Err(e) => last = e.into(),
            }
        }
        Err(last)
    }

    /// Every clock-keeping role, with the lab's control credential.
    fn clocks(&self) -> time::RoleClocks {
        let control = self.state.lock().unwrap().secrets.control.clone();
        let endpoints = self.endpoints();
        let readers: Vec<String> = endpoints.clients.values().cloned().collect();
        time::RoleClocks::new(&endpoints.clocks, &readers, &control)
    }

    /// Moves one role's clock to `to_ms`: a role that starts (a new client host, a restarted
    /// appliance) joins the lab at the lab's time instead of time zero.
    pub(super) async fn set_time(&self, url: &str, to_ms: u64) -> Result<(), BackendError> {
        let control = self.state.lock().unwrap().secrets.control.clone();
        let role = ControlClient::new(format!("the role at {url}"), url, control);
        let to = std::time::Duration::from_millis(to_ms);
        let request = crate::http::control::shared()
            .post(role.url("/lab/clock"))
            .json(&crate::clock::ClockMove { to_ms })
            .timeout(JOIN_DEADLINE);
        role.json::<crate::clock::ClockReading>(request).await.map(drop).map_err(|source| BackendError::ClockRefused {
            role: url.to_string(),
            at: crate::clock::format_duration(to),
            source,
        })
    }

    /// The first online address for a client host that no container of the lab holds.
    async fn free_client_online(&self) -> Result<IpAddr, BackendError> {
        let name = self.network("online");
        let network =
            self.docker.inspect_network(&name, None).await.map_err(failed(format!("cannot inspect network {name}")))?;
        let used: Vec<IpAddr> = network
            .containers
            .unwrap_or_default()
            .values()
            .filter_map(|c| c.ipv4_address.as_deref()?.split('/').next()?.parse().ok())
            .collect();
        (0..)
            .map_while(|n| self.plan.client_online(n))
            .find(|a| !used.contains(a))
            .ok_or(BackendError::NoClientAddressLeft)
    }

    fn appliance(&self, name: &str) -> Result<(String, &plan::AppliancePlan), BackendError> {
        let plan = self
            .plan
            .appliances
            .iter()
            .find(|a| a.name.eq_ignore_ascii_case(name.trim()))
            .ok_or_else(|| BackendError::UnknownAppliance(name.to_string()))?;
        let container =
            self.container_of(&plan.name).ok_or_else(|| BackendError::UnknownAppliance(name.to_string()))?;
        Ok((container, plan))
    }
}

#[async_trait]
impl Backend for Containers {
    fn endpoints(&self) -> std::sync::Arc<Endpoints> {
        std::sync::Arc::new(self.state.lock().unwrap().endpoints.clone())
    }

    fn saved(&self) -> SavedBackend {
        SavedBackend::Containers(Box::new(self.state()))
    }

    /// Saved in a lab file, a containers lab runs until `down`.
    fn outlives_process(&self) -> bool {
        true
    }

    async fn now(&self) -> Result<std::time::Duration, BackendError> {
        Ok(std::time::Duration::from_millis(self.lab_time().await?))
    }

    async fn advance(
        &self,
        by: std::time::Duration,
        progress: &(dyn Fn(std::time::Duration) + Sync),
    ) -> Result<std::time::Duration, BackendError> {
        self.clocks().advance(by, progress).await
    }

    async fn client_host(&self, at: IpAddr) -> Result<String, BackendError> {
        if let Some(url) = self.state.lock().unwrap().endpoints.clients.get(&at.to_string()) {
            return Ok(url.clone());
        }
        let _starting = self.starting_client_host.lock().await;
        // Another sign-in may have started it while this one waited.
        if let Some(url) = self.state.lock().unwrap().endpoints.clients.get(&at.to_string()) {
            return Ok(url.clone());
        }
        let topology = self.state.lock().unwrap().topology.clone();
        let network = self.plan.network_of(at).ok_or(BackendError::ClientOutsideSubnets { at })?;
        let taken = self.plan.holds(at) || topology.sites.iter().any(|s| s.gateway == at);
        if taken {
            return Err(BackendError::ClientAddressTaken { at });
        }
        let dns = network.dns.ok_or(BackendError::NoDnsOnNetwork { at })?;
        let name = format!("bypass-lab-{}-{}", self.lab_id(), role_plan::client_name(at));
        let url = format!("http://{}", SocketAddr::new(at, CLIENT_PORT));
        // Another process driving the same lab may have started this host already.
        let running = self.docker.inspect_container(&name, None).await.ok().and_then(|c| c.state?.running);
        let lab_time = self.lab_time().await?;
        match running {
            Some(true) => {}
            Some(false) => {
                self.docker.start_container(&name, None).await.map_err(failed(format!("cannot start {name}")))?;
                role::wait_ready(&self.docker, &self.http, &name, &url).await?;
                self.set_time(&url, lab_time).await?;
            }
            None => {
                let mut labels: HashMap<String, String> =
                    self.state.lock().unwrap().owner.clone().into_iter().collect();
                labels.insert(CLIENT_LABEL.into(), at.to_string());
                let place =
                    ClientPlace { at, network: network.key.clone(), dns, online: self.free_client_online().await? };
                let spec = role_plan::client_on_networks(&self.plan, &topology, &place, &Sources::in_container());
                let spec = Container::of(&spec, &self.lab_id(), labels)?;
                self.launch(&spec).await?;
                // Before any user signs in, so the host has no work to replay on the way.
                self.set_time(&url, lab_time).await?;
            }
        }
        let mut s = self.state.lock().unwrap();
        s.clients.insert(at.to_string(), name);
        s.endpoints.clients.insert(at.to_string(), url.clone());
        s.endpoints.clocks.push(url.clone());
        self.down.lock().unwrap().remove(&format!("client-{at}"));
        Ok(url)
    }

    async fn cut(&self, appliance: &str) -> Result<(), BackendError> {
        let (container, _) = self.appliance(appliance)?;
        let request = NetworkDisconnectRequest { container: container.clone(), force: Some(true) };
        match self.docker.disconnect_network(&self.network("online"), request).await {
            Ok(()) => Ok(()),
            // Cutting a link already cut leaves it cut.
            Err(bollard::errors::Error::DockerResponseServerError { message, .. })
                if message.contains("is not connected") =>
            {
                Ok(())
            }
            Err(source) => {
                Err(BackendError::Docker { action: format!("cannot cut {appliance} from the tenant"), source })
            }
        }
    }

    async fn heal(&self, appliance: &str) -> Result<(), BackendError> {
        let (container, plan) = self.appliance(appliance)?;
        let request = NetworkConnectRequest { container, endpoint_config: Some(role::leg(plan.online)) };
        match self.docker.connect_network(&self.network("online"), request).await {
            Ok(()) => Ok(()),
            // Healing a link that is not cut leaves it as it is.
            Err(bollard::errors::Error::DockerResponseServerError { status_code: 403, message })
                if message.contains("already exists") =>
            {
                Ok(())
            }
            Err(source) => Err(BackendError::Docker {
                action: format!("cannot reconnect {appliance} to the tenant at {}", plan.online),
                source,
            }),
        }
    }

    async fn restart(&self, appliance: &str, kill: bool) -> Result<(), BackendError> {
        let (container, plan) = self.appliance(appliance)?;
        if self.down_role(&plan.name).is_some() {
            return self.bring_back(&plan.name).await;
        }
        let health = format!("http://{}", SocketAddr::new(plan.address, MEDIATION_PORT));
        // Read before the restart: the appliance itself may be the lab's only clock.
        let lab_time = self.lab_time().await?;
        let fault = |source| BackendError::Docker { action: format!("cannot restart {appliance}"), source };
        if kill {
            let options = bollard::query_parameters::KillContainerOptions { signal: "SIGKILL".into() };
            self.docker.kill_container(&container, Some(options)).await.map_err(fault)?;
            self.docker.start_container(&container, None).await.map_err(fault)?;
        } else {
            let options = bollard::query_parameters::RestartContainerOptions { t: Some(10), signal: None };
            self.docker.restart_container(&container, Some(options)).await.map_err(fault)?;
        }
        role::wait_ready(&self.docker, &self.http, &container, &health).await?;
        // A restarted role starts at time zero; it resumes at the lab's time.
        self.set_time(&health, lab_time).await
    }

    async fn dns_fault(&self, server: &str, fault: crate::backend::DnsFault) -> Result<(), BackendError> {
        self.fault_dns_server(server, fault).await
    }

    fn resets(&self) -> bool {
        true
    }

    async fn reset(&self) -> Result<(), BackendError> {
        self.reset_roles().await
    }

    async fn stop(&self) -> Result<(), BackendError> {
        let lab = self.lab_id();
        docker::sweep(&self.docker, &lab).await?;
        self.detach();
        Ok(())
    }

    fn detach(&self) {
        if let Some(guard) = self.guard.lock().unwrap().take() {
            std::mem::forget(guard);
        }
    }

    fn role_down(&self, role: &str) -> Option<RoleDown> {
        self.down_role(role)
    }

    fn roles_down(&self) -> Vec<RoleDown> {
        self.down_roles()
    }

    async fn repair(&self) -> Result<Vec<RoleDown>, BackendError> {
        self.repair_roles().await
    }
}

/// The address in a role's URL.
fn url_host(url: &str) -> Option<IpAddr> {
    reqwest::Url::parse(url).ok()?.host_str()?.trim_matches(['[', ']']).parse().ok()
}

/// Creates the network of one subnet. The bridge driver takes one IPv4 subnet per network,
/// which is why a site has a network per subnet.
async fn create_network(
    docker: &Docker,
    lab: &str,
    owner: &HashMap<String, String>,
    name: &str,
    plan: &NetworkPlan,
) -> Result<(), BackendError> {
    let config = IpamConfig {
        subnet: Some(plan.subnet.to_string()),
        gateway: Some(plan.gateway.to_string()),
        ..Default::default()
    };
    let request = NetworkCreateRequest {
        name: name.into(),
        driver: Some("bridge".into()),
        ipam: Some(Ipam { driver: Some("default".into()), config: Some(vec![config]), options: None }),
        labels: Some(owner.clone().into_iter().chain([(LAB_LABEL.to_string(), lab.to_string())]).collect()),
        enable_ipv6: matches!(plan.subnet, IpNet::V6(_)).then_some(true),
        ..Default::default()
    };
    docker.create_network(request).await.map(|_| ()).map_err(|source| {
        // Only the engine's own words say whether another network holds the subnet.
        let overlap = source.to_string().contains("overlaps");
        let hint =
            if overlap { " (another Docker network holds an overlapping subnet: `docker network ls`)" } else { "" };
        BackendError::Docker { action: format!("cannot create network {name} for {}{hint}", plan.subnet), source }
    })
}

/// How many free subnets a start tries for its online network when labs of other plans, starting
/// at the same moment, take the one it picked.
const ONLINE_ATTEMPTS: usize = 8;

/// Where the online network of a lab being started is created.
struct OnlinePlace<'a> {
    docker: &'a Docker,
    lab: &'a str,
    labels: &'a HashMap<String, String>,
    name: &'a str,
    host: &'a host_networks::HostNetworks,
    /// Picked free by this start (no `--online-subnet`): another may be picked.
    picked: bool,
}

impl OnlinePlace<'_> {
    /// Creates the online network on `plan`'s subnet. When that subnet was picked free and a lab
    /// of another plan took it since (the engine refuses the overlap), the plan moves to the next
    /// free subnet: labs of different plans take turns on nothing, so only the engine arbitrates.
    async fn create(&self, topology: &Topology, mut plan: LabPlan) -> Result<LabPlan, BackendError> {
        for _ in 1..ONLINE_ATTEMPTS {
            match create_network(self.docker, self.lab, self.labels, self.name, &plan.online).await {
                Err(BackendError::Docker { source, .. }) if self.picked && source.to_string().contains("overlaps") => {
                    let online = free_online_subnet(self.docker, self.host).await?;
                    plan = LabPlan::new(topology, online);
                    refuse_host_networks(self.host, &plan, topology)?;
                }
                done => return done.map(|()| plan),
            }
        }
        create_network(self.docker, self.lab, self.labels, self.name, &plan.online).await.map(|()| plan)
    }
}

/// Before anything is created: no subnet of the plan is one of the host's own networks, and
/// every address the lab uses will be routed through the lab's bridges.
fn refuse_host_networks(
    host: &host_networks::HostNetworks,
    plan: &LabPlan,
    topology: &Topology,
) -> Result<(), BackendError> {
    let places = host_networks::places(plan, topology);
    match host.clash(&places, &plan.addresses()) {
        None => Ok(()),
        Some(host_networks::Clash::Overlap { place, subnet, holder, device }) => {
            let way_out = if subnet == plan.online.subnet {
                "Pick another online network with `bypass-lab up --online-subnet` (a /24 this host does not use)"
                    .to_string()
            } else {
                format!("Change {subnet} in the plan (--topology) to a range this host does not use")
            };
            let holder = format!("{holder} on {device}");
            Err(BackendError::HostNetwork { place, subnet: subnet.to_string(), holder, way_out })
        }
        Some(host_networks::Clash::Elsewhere { address, network, device, via }) => {
            Err(BackendError::HostRoute { address, network, device, via: via.to_string() })
        }
    }
}

/// The first 172.30.x.0/24 that no existing network overlaps, nor any route or address of the
/// host other than a default route or a low-priority blackhole.
async fn free_online_subnet(docker: &Docker, host: &host_networks::HostNetworks) -> Result<Ipv4Net, BackendError> {
    let networks = docker.list_networks(None).await.map_err(failed("cannot list networks"))?;
    let used: Vec<IpNet> = networks
        .iter()
        .filter_map(|n| n.ipam.as_ref()?.config.as_ref())
        .flatten()
        .filter_map(|c| c.subnet.as_deref()?.parse().ok())
        .chain(host.taken())
        .collect();
    (0..=255u8)
        .map(|x| Ipv4Net::new(std::net::Ipv4Addr::new(172, 30, x, 0), 24).expect("a /24"))
        .find(|candidate| !used.iter().any(|u| overlaps(u, &IpNet::V4(*candidate))))
        .ok_or(BackendError::NoFreeSubnet)
}

fn overlaps(a: &IpNet, b: &IpNet) -> bool {
    a.contains(&b.network()) || b.contains(&a.network())
}
