//! One role's container: created with its fixed addresses, started, and waited on.
//!
//! Containers are created through the Docker API rather than testcontainers' runner: a role
//! must have its topology address from its first instant (the DNS server decides by source
//! address), and only a create request can carry the first network's IPAM address.

use super::docker::{failed, APPLIANCE_LABEL, LAB_LABEL, ROLE_LABEL};
use super::plan::{DATA_DIR, TOPOLOGY_PATH};
use super::reset::{SUPERVISOR_ENV, SUPERVISOR_PORT};
use crate::auth::{Secrets, SECRETS_ENV};
use crate::backend::role_plan::RoleSpec;
use crate::backend::BackendError;
use bollard::models::{
    ContainerCreateBody, EndpointIpamConfig, EndpointSettings, HostConfig, Mount, MountType, NetworkConnectRequest,
    NetworkingConfig, VolumeCreateRequest,
};
use bollard::query_parameters::{CreateContainerOptions, UploadToContainerOptions};
use bollard::Docker;
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;

/// How long a role may take to answer `/healthz` after its container starts.
pub const READY_DEADLINE: Duration = Duration::from_secs(30);

/// One role's container, as its [`RoleSpec`] places it in one lab.
#[derive(Debug, Clone)]
pub struct Container {
    /// The container's name (also its volume's).
    pub name: String,
    /// tenant, dns, mediation or client.
    pub role: &'static str,
    pub appliance: Option<String>,
    /// `serve <role> ...`.
    pub cmd: Vec<String>,
    /// (Docker network name, fixed address), the first one given at creation.
    pub legs: Vec<(String, IpAddr)>,
    /// Mount a named volume at the data directory.
    pub volume: bool,
    /// Where `/healthz` answers once the role is ready.
    pub health: String,
    /// Labels beyond the lab's and the role's: the owner's, a client host's address.
    pub labels: HashMap<String, String>,
}

impl Container {
    /// The container of `spec` in lab `lab`: it and its networks are named `bypass-lab-<lab>-<name>`.
    pub fn of(spec: &RoleSpec, lab: &str, labels: HashMap<String, String>) -> Result<Container, BackendError> {
        let object = |name: &str| format!("bypass-lab-{lab}-{name}");
        let health = spec.health.ok_or_else(|| BackendError::NoHealthAddress { container: object(&spec.name) })?;
        Ok(Container {
            name: object(&spec.name),
            role: spec.role(),
            appliance: spec.appliance().map(str::to_string),
            cmd: spec.args.argv(),
            legs: spec.legs.iter().map(|leg| (object(&leg.network), leg.address)).collect(),
            volume: spec.keeps_data,
            health: format!("http://{health}"),
            labels,
        })
    }
}

/// An endpoint with a fixed address.
pub fn leg(address: IpAddr) -> EndpointSettings {
    EndpointSettings {
        ipam_config: Some(match address {
            IpAddr::V4(_) => EndpointIpamConfig { ipv4_address: Some(address.to_string()), ..Default::default() },
            IpAddr::V6(_) => EndpointIpamConfig { ipv6_address: Some(address.to_string()), ..Default::default() },
        }),
        ..Default::default()
    }
}

/// Creates and starts the container; does not wait for readiness.
pub async fn launch(
    docker: &Docker,
    lab: &str,
    image: &str,
    secrets: &Secrets,
    topology_toml: &str,
    spec: &Container,
) -> Result<(), BackendError> {
    let mut labels = spec.labels.clone();
    labels.extend([(LAB_LABEL.to_string(), lab.to_string()), (ROLE_LABEL.into(), spec.role.into())]);
    if let Some(appliance) = &spec.appliance {
        labels.insert(APPLIANCE_LABEL.into(), appliance.clone());
    }
    let mut mounts = Vec::new();
    if spec.volume {
        docker
            .create_volume(VolumeCreateRequest {
                name: Some(spec.name.clone()),
                labels: Some(labels.clone()),
                ..Default::default()
            })
            .await
            .map_err(failed(format!("cannot create volume {}", spec.name)))?;
        mounts.push(Mount {
            target: Some(DATA_DIR.into()),
            source: Some(spec.name.clone()),
            typ: Some(MountType::VOLUME),
            ..Default::default()
        });
    }
    let (first_network, first_address) =
        spec.legs.first().cloned().ok_or_else(|| BackendError::NoNetwork { container: spec.name.clone() })?;
    let secrets_json = serde_json::to_string(secrets).expect("secrets serialize");
    let body = ContainerCreateBody {
        image: Some(image.into()),
        cmd: Some(spec.cmd.clone()),
        env: Some(vec![
            format!("{SECRETS_ENV}={secrets_json}"),
            "BYPASS_LAB_LOG=info".into(),
            format!("{SUPERVISOR_ENV}=0.0.0.0:{SUPERVISOR_PORT}"),
        ]),
        labels: Some(labels),
        host_config: Some(HostConfig {
            network_mode: Some(first_network.clone()),
            mounts: Some(mounts),
            init: Some(false),
            ..Default::default()
        }),
        networking_config: Some(NetworkingConfig {
            endpoints_config: Some(HashMap::from([(first_network.clone(), leg(first_address))])),
        }),
        ..Default::default()
    };
    let options = CreateContainerOptions { name: Some(spec.name.clone()), ..Default::default() };
    docker
        .create_container(Some(options), body)
        .await
        .map_err(failed(format!("cannot create container {} at {first_address} on {first_network}", spec.name)))?;
    docker
        .upload_to_container(
            &spec.name,
            Some(UploadToContainerOptions { path: "/".into(), ..Default::default() }),
            bollard::body_full(topology_archive(topology_toml)?.into()),
        )
        .await
        .map_err(failed(format!("cannot place the topology in {}", spec.name)))?;
    for (network, address) in spec.legs.iter().skip(1) {
        docker
            .connect_network(
                network,
                NetworkConnectRequest { container: spec.name.clone(), endpoint_config: Some(leg(*address)) },
            )
            .await
            .map_err(failed(format!("cannot connect {} to {network} at {address}", spec.name)))?;
    }
    docker.start_container(&spec.name, None).await.map_err(failed(format!("cannot start container {}", spec.name)))?;
    Ok(())
}

/// A tar holding the topology file at [`TOPOLOGY_PATH`].
fn topology_archive(text: &str) -> Result<Vec<u8>, BackendError> {
    let mut archive = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_size(text.len() as u64);
    header.set_mode(0o644);
    header.set_cksum();
    archive.append_data(&mut header, TOPOLOGY_PATH.trim_start_matches('/'), text.as_bytes())?;
    Ok(archive.into_inner()?)
}

/// The last line a stopped role wrote (its error, as the role's `main` prints it), so a failed
/// start names the cause rather than only pointing at `docker logs`.
async fn last_log_line(docker: &Docker, name: &str) -> Option<String> {
    use futures::StreamExt;
    let options = bollard::query_parameters::LogsOptionsBuilder::new().stdout(true).stderr(true).tail("5").build();
    let chunks: Vec<_> = docker.logs(name, Some(options)).collect().await;
    let text: String = chunks.into_iter().filter_map(Result::ok).map(|c| c.to_string()).collect();
    text.lines().map(str::trim).rfind(|l| !l.is_empty()).map(str::to_string)
}

/// Waits until the role answers `GET /healthz` with 200, or says why it did not.
pub async fn wait_ready(docker: &Docker, http: &reqwest::Client, name: &str, health: &str) -> Result<(), BackendError> {
    let url = format!("{health}/healthz");
    let deadline = tokio::time::Instant::now() + READY_DEADLINE;
    loop {
        let last = match http.get(&url).timeout(Duration::from_secs(2)).send().await {
            Ok(r) if r.status().is_success() => return Ok(()),
            Ok(r) => format!("HTTP {}", r.status()),
            Err(e) => e.to_string(),
        };
        let state = docker.inspect_container(name, None).await.map_err(failed(format!("cannot inspect {name}")))?;
        if let Some(s) = state.state.filter(|s| s.running == Some(false)) {
            let cause = match s.error.filter(|e| !e.is_empty()) {
                Some(e) => e,
                None => last_log_line(docker, name).await.unwrap_or_else(|| format!("see `docker logs {name}`")),
            };
            let (container, code) = (name.to_string(), s.exit_code.unwrap_or(-1));
            return Err(BackendError::RoleExited { container, url, code, cause });
        }
        if tokio::time::Instant::now() >= deadline {
            return Err(BackendError::RoleSilent { container: name.to_string(), url, waited: READY_DEADLINE, last });
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
