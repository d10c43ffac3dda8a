//! `fault stop dns [NAME]` and `fault restart dns [NAME]` in a containers lab: each DNS server
//! is its own container. A stopped server's container stays, stopped, so its clients' queries
//! go unanswered; a restarted one replays the journal in its volume (its zones, scopes,
//! records, client subnets and policies come back) and resumes at the lab's time, as a
//! restarted appliance does.

use super::docker::failed;
use super::plan::{DnsServerPlace, DNS_ADMIN_PORT, MAX_DNS_SERVERS};
use super::{role, Containers};
use crate::backend::{BackendError, DnsFault};
use crate::topology::Topology;
use std::net::SocketAddr;

/// How long a stopped DNS server may take to shut down before it is killed.
const STOP_GRACE_SECS: i32 = 5;

/// A containers lab places at most [`MAX_DNS_SERVERS`] domain controllers, none at the lab
/// host's leg (the last host of each subnet), before anything is created.
pub fn check_places(topology: &Topology) -> Result<(), BackendError> {
    let declared = topology.dns_servers.len();
    if declared > MAX_DNS_SERVERS {
        return Err(BackendError::TooManyDnsServers { declared, most: MAX_DNS_SERVERS });
    }
    let subnets: Vec<_> =
        topology.sites.iter().flat_map(|s| s.subnets.iter()).chain(&topology.outside.subnets).collect();
    for server in &topology.dns_servers {
        if subnets.iter().any(|n| n.hosts().last() == Some(server.address)) {
            return Err(BackendError::DnsServerOnHostLeg { server: server.name.clone(), address: server.address });
        }
    }
    Ok(())
}

fn admin_url(place: &DnsServerPlace) -> Option<String> {
    Some(format!("http://{}", SocketAddr::new(place.reach?, DNS_ADMIN_PORT)))
}

impl Containers {
    fn keep_clock(&self, place: &DnsServerPlace) {
        if let Some(url) = admin_url(place) {
            let clocks = &mut self.state.lock().unwrap().endpoints.clocks;
            if !clocks.contains(&url) {
                clocks.push(url);
            }
        }
    }

    /// Stops or restarts the DNS server `server` (its computer name, any case).
    pub(super) async fn fault_dns_server(&self, server: &str, fault: DnsFault) -> Result<(), BackendError> {
        let unknown = || BackendError::UnknownDnsServer {
            name: server.to_string(),
            servers: self.plan.dns_servers.iter().map(|d| d.name.clone()).collect(),
        };
        let place = self.plan.dns_server(server).ok_or_else(unknown)?;
        let container = self.container_of(&place.name).ok_or_else(unknown)?;
        let action = |what: &str| format!("cannot {what} DNS server {}", place.name);
        match fault {
            DnsFault::Stop => {
                let options =
                    bollard::query_parameters::StopContainerOptions { t: Some(STOP_GRACE_SECS), signal: None };
                match self.docker.stop_container(&container, Some(options)).await {
                    // Stopping a stopped server leaves it stopped.
                    Ok(()) | Err(bollard::errors::Error::DockerResponseServerError { status_code: 304, .. }) => {}
                    Err(e) => return Err(failed(action("stop"))(e)),
                }
                // Its clock leaves the lab's clocks with it.
                self.mark_down(self.role_down_as(&place.name, &container, false));
                Ok(())
            }
            DnsFault::Restart if self.down_role(&place.name).is_some() => self.bring_back(&place.name).await,
            DnsFault::Restart => {
                // Read first: the server itself may be one of the clocks asked.
                let lab_time = self.lab_time().await?;
                let options =
                    bollard::query_parameters::RestartContainerOptions { t: Some(STOP_GRACE_SECS), signal: None };
                self.docker.restart_container(&container, Some(options)).await.map_err(failed(action("restart")))?;
                let url =
                    admin_url(place).ok_or_else(|| BackendError::NoHealthAddress { container: container.clone() })?;
                role::wait_ready(&self.docker, &self.http, &container, &url).await?;
                // A restarted server starts at time zero; it resumes at the lab's time.
                self.set_time(&url, lab_time).await?;
                self.keep_clock(place);
                Ok(())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with_servers(servers: &str) -> Topology {
        let mut text = crate::topology::SEED_TOML.to_string();
        text.push_str(servers);
        Topology::parse(&text, None).unwrap()
    }

    #[test]
    fn a_server_at_the_lab_hosts_leg_or_an_eighth_server_is_refused_before_anything_starts() {
        let at_leg = with_servers("\n[[dns_server]]\nname = \"dc-sea\"\naddress = \"10.10.1.254\"\n");
        let refused = check_places(&at_leg).unwrap_err().to_string();
        assert!(refused.contains("dc-sea") && refused.contains("10.10.1.254"), "{refused}");
        let servers = |count: u8| -> String {
            (1..=count)
                .map(|n| format!("\n[[dns_server]]\nname = \"dc{n}\"\naddress = \"10.10.1.{}\"\n", 100 + n))
                .collect()
        };
        assert!(matches!(
            check_places(&with_servers(&servers(8))),
            Err(BackendError::TooManyDnsServers { declared: 8, most: 7 })
        ));
        assert!(check_places(&with_servers(&servers(7))).is_ok());
        assert!(check_places(&Topology::seed()).is_ok());
    }
}
