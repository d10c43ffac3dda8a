//! What can go wrong where roles run. Each variant carries the facts a caller needs to tell the
//! causes apart (a lab that is gone, a role that refused lab time, an engine that failed), and its
//! cause as `source`, so the message chain reads from the lab's words down to the system's.

use crate::clock::{format_duration, ClockError};
use crate::http::RemoteError;
use std::net::IpAddr;
use std::time::Duration;

#[derive(Debug, thiserror::Error)]
pub enum BackendError {
    /// `LAB_BACKEND` names no backend.
    #[error("LAB_BACKEND={value}: use 'embedded' or 'containers'")]
    UnknownBackend { value: String },
    /// The containers backend places each domain controller's online leg in a small range.
    #[error("the topology declares {declared} DNS servers; a containers lab runs at most {most}")]
    TooManyDnsServers { declared: usize, most: usize },
    #[error("DNS server {server} is at {address}, the lab host's own address on that subnet in a containers lab; pick another address")]
    DnsServerOnHostLeg { server: String, address: IpAddr },
    /// A lab that cannot reset in place (an attached one, or one not yet ready) is stopped and
    /// started afresh instead.
    #[error("this lab cannot be reset in place")]
    NoReset,
    #[error("cannot put {part} back as the lab started: {reason}")]
    Checkpoint { part: String, reason: String },
    #[error("{role} did not reset its role")]
    ResetRefused {
        role: String,
        #[source]
        source: RemoteError,
    },
    #[error("no DNS server named '{name}' in this lab (servers: {})", servers.join(", "))]
    UnknownDnsServer { name: String, servers: Vec<String> },
    #[error("the lab has no client host")]
    NoClientHost,
    #[error("this lab has no control API")]
    NoControlApi,
    /// An embedded lab lives in the `up` process: only that process stops it.
    #[error("stop an embedded lab with Ctrl-C in the terminal running `bypass-lab up`")]
    StopsWhereStarted,
    #[error("a client host needs an address in a site's subnet or the outside subnets, not {at}")]
    ClientOutsideSubnets { at: IpAddr },
    #[error("{at} is taken by another role of the lab; pick a client address")]
    ClientAddressTaken { at: IpAddr },
    #[error("cannot start the lab: the topology has no subnet for the DNS server")]
    NoDnsSubnet,
    #[error("cannot start the lab: no DNS server on the network of {at}")]
    NoDnsOnNetwork { at: IpAddr },
    #[error("cannot start the lab: no free /24 in 172.30.0.0/16 for the online network")]
    NoFreeSubnet,
    #[error("cannot start the lab: no address left for another client host")]
    NoClientAddressLeft,
    #[error("cannot start the lab: appliance {appliance} has no valid configuration")]
    ApplianceConfig {
        appliance: String,
        #[source]
        source: crate::mediation::MediationError,
    },
    #[error("cannot write the topology for the containers")]
    TopologyText(#[source] toml::ser::Error),
    /// The saved state of a containers lab names an online subnet that is none.
    #[error("lab state: online subnet '{value}'")]
    SavedSubnet {
        value: String,
        #[source]
        source: ipnet::AddrParseError,
    },
    #[error("container {container} was planned without an address to check its health at")]
    NoHealthAddress { container: String },
    #[error("container {container} was planned without any network")]
    NoNetwork { container: String },
    #[error("container {container} was expected to serve {url} but exited with code {code} ({cause})")]
    RoleExited { container: String, url: String, code: i64, cause: String },
    #[error("container {container} did not answer {url} within {}s; last: {last}", waited.as_secs())]
    RoleSilent { container: String, url: String, waited: Duration, last: String },
    /// This binary was built without the `containers` feature, which drives Docker.
    #[error(
        "{wanted} needs the containers backend, which this bypass-lab was built without: build it with \
         `cargo build --release --features containers` (or run `cargo run --release --features containers -- ...`)"
    )]
    ContainersNotBuilt { wanted: String },
    #[cfg(feature = "containers")]
    #[error("the containers backend needs a running Docker engine (DOCKER_HOST or /var/run/docker.sock)")]
    DockerUnavailable(#[source] bollard::errors::Error),
    /// The Docker engine refused or failed `action`.
    #[cfg(feature = "containers")]
    #[error("{action}")]
    Docker {
        action: String,
        #[source]
        source: bollard::errors::Error,
    },
    #[error("building image {image}: {message}")]
    ImageBuild { image: String, message: String },
    #[error("image {image} was built but the engine does not list it")]
    ImageNotListed { image: String },
    #[cfg(feature = "containers")]
    #[error(transparent)]
    StaticBinary(#[from] super::containers::image::StaticBinaryError),
    #[error("no appliance named '{0}' in this lab")]
    UnknownAppliance(String),
    /// An embedded appliance's control API did not take a link change.
    #[error("DNS server {server} cannot take its sockets back ({dns} and {admin})")]
    DnsSockets {
        server: String,
        dns: std::net::SocketAddr,
        admin: std::net::SocketAddr,
        #[source]
        source: std::io::Error,
    },
    /// A call on the lab's control plane (`/lab/...`) failed: the error names the peer.
    #[error(transparent)]
    Control(#[from] RemoteError),
    /// The lab a lab file describes no longer runs: nothing may be sent to its addresses.
    #[error("the containers lab {lab} is gone ({missing}); nothing was sent to its addresses. Remove what is left with `bypass-lab down`, start another with `bypass-lab up --backend containers`")]
    Gone { lab: String, missing: String },
    /// The process that served an embedded lab has ended.
    #[error("its process {pid} has ended")]
    ProcessEnded { pid: u32 },
    #[error("cannot signal the lab's process {pid}")]
    Signal {
        pid: u32,
        #[source]
        source: std::io::Error,
    },
    #[error("the lab's process {pid} is still running {}s after being asked to stop", waited.as_secs())]
    StillRunning { pid: u32, waited: Duration },
    /// Another lab, still held by its owner, runs on subnets this topology needs.
    #[error("{holder} already runs on {subnet}, which this topology needs; it was left untouched. Stop it with {how}")]
    Occupied { holder: String, subnet: String, how: String },
    /// A lab, or a run queued before this one, holds subnets this topology needs, and this run
    /// was not asked to wait for its turn.
    #[error("{holder} {holds}, which this topology needs; it was left untouched. Stop it with {how}, or wait for your turn with --wait [DURATION] (BYPASS_LAB_WAIT=DURATION for cargo test)")]
    TurnTaken { holder: String, holds: String, how: String },
    /// The run waited as long as it was allowed to and the subnets are still held.
    #[error("waited {} for this topology's subnets: {holder} still {holds}. Stop it with {how}, or wait longer (--wait DURATION)", format_duration(*waited))]
    TurnNotCome { waited: Duration, holder: String, holds: String, how: String },
    #[error("BYPASS_LAB_WAIT={value}: {source}")]
    BadWait {
        value: String,
        #[source]
        source: crate::clock::DurationError,
    },
    #[error("the lab keeps no clock")]
    NoClock,
    #[error(transparent)]
    Clock(#[from] ClockError),
    /// A role did not answer a move of the lab's clock: lab time is no longer the same everywhere.
    #[error("{role} did not move to lab time {at}")]
    ClockRefused {
        role: String,
        at: String,
        #[source]
        source: RemoteError,
    },
    /// A role answered a move of the lab's clock but stayed behind.
    #[error("{role} did not move to lab time {at}: it stayed at {stayed_ms} ms")]
    ClockStayed { role: String, at: String, stayed_ms: u64 },
    /// A move of the lab's clock failed part of the way: the lab stands at `reached`.
    #[error("lab time stopped at {} on its way to {}", format_duration(*reached), format_duration(*target))]
    ClockStopped {
        reached: Duration,
        target: Duration,
        #[source]
        source: Box<BackendError>,
    },
    /// A subnet of the plan is one the host already reaches some other way: the lab's bridge
    /// would take the host's traffic for it.
    /// `holder` is the host's route or address and its interface.
    #[error("cannot start the lab: {place} {subnet} overlaps the host's {holder}; a lab there would cut this host off that network. Nothing was created. {way_out}")]
    HostNetwork { place: String, subnet: String, holder: String, way_out: String },
    /// An address of the plan the host would still route elsewhere once the lab is up.
    #[error("cannot start the lab: the host would send {address} (network {network}) through {device} by its route {via}, not through the lab's bridge. Nothing was created. Remove that route, or change the plan")]
    HostRoute { address: IpAddr, network: String, device: String, via: String },
    #[error("the online network {subnet} is too small: a containers lab needs a /24 or larger")]
    OnlineTooSmall { subnet: String },
    /// A Compose lab's objects belong to its Compose project.
    #[error("the Compose lab is removed with `docker-compose down -v` in the folder of its docker-compose.yml, not by bypass-lab")]
    ComposeOwned,
    /// The host would send a role's traffic somewhere else than the lab's own bridge.
    #[error(
        "refusing to talk to lab {lab}: {strays}; a packet to those addresses would leave through the host's network"
    )]
    OffLab { lab: String, strays: String },
    #[error("{0}")]
    Io(#[from] std::io::Error),
    /// A role that could not even start (its configuration failed before it served).
    #[error(transparent)]
    RoleFailed(#[from] super::RoleFailure),
}

impl BackendError {
    /// Whether the run was refused because another lab or run holds the plan's subnets now: not
    /// a failure of the lab, and not to be retried at once (the CLI exits 2 on it).
    pub fn is_busy(&self) -> bool {
        matches!(
            self,
            BackendError::Occupied { .. } | BackendError::TurnTaken { .. } | BackendError::TurnNotCome { .. }
        )
    }

    /// A clock move that failed part of the way, with the time the lab stands at.
    pub fn clock_stopped(reached: Duration, target: Duration, cause: BackendError) -> BackendError {
        BackendError::ClockStopped { reached, target, source: Box::new(cause) }
    }
}
