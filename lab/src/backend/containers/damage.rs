//! A lab with a stopped or removed container is damaged, not gone: every command that does not
//! need the role still works, one that does says which role is down and what brings it back,
//! and `fault restart ROLE` or `bypass-lab repair` brings it back at the lab's time with the
//! state its volume kept. See "A damaged lab" in `docs/design/containers.md`.

use super::docker::{failed, is_not_found};
use super::role::{self, Container};
use super::{Containers, DNS_ADMIN_PORT};
use crate::backend::role_plan::{self, RoleSpec, Sources};
use crate::backend::{BackendError, RoleDown};
use std::collections::HashMap;
use std::net::SocketAddr;

/// How a container of the lab stands.
enum Standing {
    Running,
    Stopped,
    Missing,
}

impl Containers {
    async fn standing(&self, container: &str) -> Result<Standing, BackendError> {
        match self.docker.inspect_container(container, None).await {
            Ok(c) if c.state.as_ref().and_then(|s| s.running) == Some(true) => Ok(Standing::Running),
            Ok(_) => Ok(Standing::Stopped),
            Err(e) if is_not_found(&e) => Ok(Standing::Missing),
            Err(e) => Err(failed(format!("cannot inspect container {container}"))(e)),
        }
    }

    /// Reads how every network and container of the lab stands. A missing network, or no
    /// container running at all, is a lab gone (`BackendError::Gone`); a container stopped or
    /// removed is a role down: its clock leaves the lab's clocks (lab time moves on without it)
    /// and a client host's address is forgotten, so the next sign-in there starts it again.
    pub(super) async fn survey(&self) -> Result<(), BackendError> {
        let (lab, roles) = {
            let s = self.state.lock().unwrap();
            let roles: Vec<(String, String)> = s
                .containers
                .iter()
                .map(|(role, c)| (role.clone(), c.clone()))
                .chain(s.clients.iter().map(|(at, c)| (format!("client-{at}"), c.clone())))
                .collect();
            (s.lab.clone(), roles)
        };
        let mut gone = Vec::new();
        let networks: Vec<String> = self.plan.networks().map(|n| self.network(&n.key)).collect();
        for name in &networks {
            match self.docker.inspect_network(name, None).await {
                Ok(_) => {}
                Err(e) if is_not_found(&e) => gone.push(name.clone()),
                Err(e) => return Err(failed(format!("cannot inspect network {name}"))(e)),
            }
        }
        let mut down = Vec::new();
        for (role, container) in &roles {
            match self.standing(container).await? {
                Standing::Running => {}
                Standing::Stopped => down.push(self.role_down_as(role, container, false)),
                Standing::Missing => down.push(self.role_down_as(role, container, true)),
            }
        }
        if !gone.is_empty() || (!roles.is_empty() && down.len() == roles.len()) {
            let missing = format!(
                "{} of {} networks missing, {} of {} containers down",
                gone.len(),
                networks.len(),
                down.len(),
                roles.len()
            );
            return Err(BackendError::Gone { lab, missing });
        }
        for role in down {
            self.mark_down(role);
        }
        Ok(())
    }

    /// A lab to reset must be whole: every role runs.
    pub(super) async fn check_present(&self) -> Result<(), BackendError> {
        self.survey().await?;
        let down = self.down.lock().unwrap().values().map(ToString::to_string).collect::<Vec<_>>();
        if down.is_empty() {
            return Ok(());
        }
        Err(BackendError::Gone { lab: self.lab_id(), missing: down.join("; ") })
    }

    pub(super) fn role_down_as(&self, role: &str, container: &str, missing: bool) -> RoleDown {
        let remedy = if role.starts_with("client-") || role == "tenant" {
            "bypass-lab repair".to_string()
        } else if self.plan.dns_server(role).is_some() {
            format!("bypass-lab fault restart dns {role}` or `bypass-lab repair")
        } else {
            format!("bypass-lab fault restart {role}` or `bypass-lab repair")
        };
        RoleDown { role: role.to_string(), container: container.to_string(), missing, remedy }
    }

    /// Takes a role that does not run out of the lab's clocks and client hosts.
    pub(super) fn mark_down(&self, role: RoleDown) {
        let clock = self.clock_of(&role.role);
        let mut s = self.state.lock().unwrap();
        if let Some(url) = clock {
            s.endpoints.clocks.retain(|c| *c != url);
        }
        if let Some(at) = role.role.strip_prefix("client-") {
            if let Some(url) = s.endpoints.clients.remove(at) {
                s.endpoints.clocks.retain(|c| *c != url);
            }
            s.clients.remove(at);
        }
        drop(s);
        self.down.lock().unwrap().insert(role.role.clone(), role);
    }

    /// Where a role's clock answers: an appliance's web port, a DNS server's management port.
    pub(super) fn clock_of(&self, role: &str) -> Option<String> {
        if let Some(a) = self.plan.appliances.iter().find(|a| a.name == role) {
            return Some(format!("http://{}", SocketAddr::new(a.address, super::MEDIATION_PORT)));
        }
        let reach = self.plan.dns_server(role)?.reach?;
        Some(format!("http://{}", SocketAddr::new(reach, DNS_ADMIN_PORT)))
    }

    /// The role `role` when it is down.
    pub(super) fn down_role(&self, role: &str) -> Option<RoleDown> {
        self.down.lock().unwrap().get(role).cloned()
    }

    /// Every role down, in plan order (client hosts last).
    pub(super) fn down_roles(&self) -> Vec<RoleDown> {
        let down = self.down.lock().unwrap();
        let order: Vec<String> = self.specs().into_iter().map(|s| s.name).collect();
        let mut roles: Vec<RoleDown> = down.values().cloned().collect();
        roles.sort_by_key(|r| order.iter().position(|o| *o == r.role).unwrap_or(usize::MAX));
        roles
    }

    /// Every role the plan starts, as this lab started them.
    fn specs(&self) -> Vec<RoleSpec> {
        let dns_start = self.state.lock().unwrap().dns_start;
        role_plan::on_networks(&self.plan, dns_start, &Sources::in_container())
    }

    /// Brings one role back: starts its stopped container, or creates it again from the plan
    /// on the volume that kept its state; waits for its health, then moves its clock to the
    /// lab's time and lets it rejoin the lab's clocks.
    pub(super) async fn bring_back(&self, role: &str) -> Result<(), BackendError> {
        let Some(down) = self.down_role(role) else { return Ok(()) };
        let spec = self
            .specs()
            .into_iter()
            .find(|s| s.name == role)
            .ok_or_else(|| BackendError::UnknownAppliance(role.to_string()))?;
        // Read first: the role itself is not among the clocks asked.
        let clock = self.clock_of(role);
        let lab_time = match clock {
            Some(_) => Some(self.lab_time().await?),
            None => None,
        };
        let owner: HashMap<String, String> = self.state.lock().unwrap().owner.clone().into_iter().collect();
        let container = Container::of(&spec, &self.lab_id(), owner)?;
        match self.standing(&down.container).await? {
            Standing::Running => role::wait_ready(&self.docker, &self.http, &container.name, &container.health).await?,
            Standing::Stopped => {
                self.docker
                    .start_container(&container.name, None)
                    .await
                    .map_err(failed(format!("cannot start {}", container.name)))?;
                role::wait_ready(&self.docker, &self.http, &container.name, &container.health).await?;
            }
            Standing::Missing => self.launch(&container).await?,
        }
        if let (Some(url), Some(at)) = (clock, lab_time) {
            self.set_time(&url, at).await?;
            let clocks = &mut self.state.lock().unwrap().endpoints.clocks;
            if !clocks.contains(&url) {
                clocks.push(url);
            }
        }
        self.down.lock().unwrap().remove(role);
        Ok(())
    }

    /// Every role down back: the tenant first (appliances sync with it), then the others at
    /// once, then the client hosts (started as a sign-in at their address starts them).
    pub(super) async fn repair_roles(&self) -> Result<Vec<RoleDown>, BackendError> {
        let down = self.down_roles();
        if let Some(tenant) = down.iter().find(|r| r.role == "tenant") {
            self.bring_back(&tenant.role).await?;
        }
        let (clients, others): (Vec<&RoleDown>, Vec<&RoleDown>) =
            down.iter().filter(|r| r.role != "tenant").partition(|r| r.role.starts_with("client-"));
        futures::future::try_join_all(others.iter().map(|r| self.bring_back(&r.role))).await?;
        for client in clients {
            let at = client.role.trim_start_matches("client-");
            let at = at.parse().map_err(|_| BackendError::UnknownAppliance(client.role.clone()))?;
            crate::backend::Backend::client_host(self, at).await?;
        }
        Ok(down)
    }
}
