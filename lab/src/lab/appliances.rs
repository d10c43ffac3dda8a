//! The lab's appliances as an administrator checks them: status, LocalStore, web service.

use super::{Lab, LabError};
use crate::backend::Endpoints;
use crate::mediation::{ApplianceRemote, ApplianceStatus, WebServiceReply};
use crate::topology::Topology;
use serde::Serialize;
use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::OnceLock;

/// How many appliances [`Lab::status`] asks at once. Each status read has the appliance probe
/// the tenant, and the appliances share a pool of that many kept-alive connections to it
/// ([`crate::http::pool::MAX_IDLE`]): asking all of them at once would open a connection per
/// probe, and thousands of sockets, for no answer sooner.
const STATUS_READS_AT_ONCE: usize = crate::http::pool::MAX_IDLE;

/// One row of `bypass-lab status`: an appliance's own status, or why it could not be read.
#[derive(Debug, Clone, Serialize)]
pub struct StatusRow {
    pub site: String,
    pub appliance: String,
    pub address: IpAddr,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<ApplianceStatus>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// The lab's endpoints read once, for a step that asks many appliances or users. Each read copies
/// every appliance's URL: at thousands of appliances the copy costs more than the request it was
/// read for. Appliances are found through an index rather than a scan of the plan per key.
pub struct Reach<'a> {
    pub(super) lab: &'a Lab,
    pub(super) endpoints: std::sync::Arc<Endpoints>,
    index: OnceLock<ApplianceIndex>,
}

/// Every key [`Topology::find_appliance`] takes (name, FQDN, address), each pointing at the
/// first appliance in plan order that answers to it, so a lookup finds what a scan would.
struct ApplianceIndex {
    /// Names and FQDNs, in ASCII lower case (they compare case-insensitively).
    by_text: HashMap<String, Place>,
    by_address: HashMap<IpAddr, Place>,
}

/// An appliance's place in the plan: its site's, then its own within the site. Places order as
/// the plan lists the appliances.
type Place = (usize, usize);

impl ApplianceIndex {
    fn new(topology: &Topology) -> ApplianceIndex {
        let mut index = ApplianceIndex { by_text: HashMap::new(), by_address: HashMap::new() };
        for (s, site) in topology.sites.iter().enumerate() {
            for (i, a) in site.appliances.iter().enumerate() {
                index.by_text.entry(a.name.to_ascii_lowercase()).or_insert((s, i));
                index.by_text.entry(topology.fqdn(a).to_ascii_lowercase()).or_insert((s, i));
                index.by_address.entry(a.address).or_insert((s, i));
            }
        }
        index
    }

    /// Where the appliance `key` names is in the plan.
    fn find(&self, key: &str) -> Option<Place> {
        let key = key.trim();
        let by_text = self.by_text.get(&key.to_ascii_lowercase()).copied();
        let by_address = key.parse::<IpAddr>().ok().and_then(|ip| self.by_address.get(&ip).copied());
        by_text.into_iter().chain(by_address).min()
    }
}

impl Lab {
    /// The lab as a step that asks many appliances or users reaches it ([`Reach`]).
    pub fn reach(&self) -> Reach<'_> {
        Reach { lab: self, endpoints: self.endpoints(), index: OnceLock::new() }
    }

    /// The control and web endpoints of one appliance (by name, FQDN or address).
    pub fn appliance(&self, key: &str) -> Result<ApplianceRemote, LabError> {
        let name = self.appliance_name(key)?;
        self.remote_of(&self.endpoints(), name)
    }

    fn remote_of(&self, endpoints: &Endpoints, name: String) -> Result<ApplianceRemote, LabError> {
        // A role that does not run is named as such, never waited on.
        if let Some(down) = self.backend.role_down(&name) {
            return Err(LabError::Appliance { appliance: name, reason: down.to_string() });
        }
        let url = endpoints.appliances.get(&name).cloned().ok_or_else(|| LabError::Appliance {
            appliance: name.clone(),
            reason: "the lab has no endpoint for it".into(),
        })?;
        Ok(ApplianceRemote::new(url, self.secrets.control.clone()))
    }

    /// `Get-CcApplianceStatus` on one appliance.
    pub async fn appliance_status(&self, key: &str) -> Result<ApplianceStatus, LabError> {
        let name = self.appliance_name(key)?;
        let remote = self.remote_of(&self.endpoints(), name.clone())?;
        self.status_of(&name, remote, key).await
    }

    /// An appliance's status: in this process where the backend hosts it, else over the network.
    async fn status_of(&self, name: &str, remote: ApplianceRemote, key: &str) -> Result<ApplianceStatus, LabError> {
        let status = match self.backend.appliance_status(name).await {
            Some(read) => read,
            None => remote.status().await,
        };
        status.map_err(|e| LabError::Appliance { appliance: key.to_string(), reason: e.to_string() })
    }

    /// Every appliance's status, in topology order; an unreachable one is a row with its error.
    pub async fn status(&self) -> Result<Vec<StatusRow>, LabError> {
        use futures::StreamExt as _;
        // The endpoints once for all: each copy holds every appliance's URL.
        let endpoints = self.endpoints();
        let down = self.backend.roles_down();
        let rows = self.topology.appliances().map(|(site, a)| {
            let url = endpoints.appliances.get(&a.name).cloned();
            let down = down.iter().find(|d| d.role == a.name);
            async move {
                let status = match (url, down) {
                    (_, Some(down)) => Err(LabError::Appliance { appliance: a.name.clone(), reason: down.to_string() }),
                    (Some(url), None) => {
                        let remote = ApplianceRemote::new(url, self.secrets.control.clone());
                        self.status_of(&a.name, remote, &a.name).await
                    }
                    (None, None) => Err(LabError::Appliance {
                        appliance: a.name.clone(),
                        reason: "the lab has no endpoint for it".into(),
                    }),
                };
                let (status, error) = match status {
                    Ok(s) => (Some(s), None),
                    Err(e) => (None, Some(e.to_string())),
                };
                StatusRow { site: site.name.clone(), appliance: a.name.clone(), address: a.address, status, error }
            }
        });
        Ok(futures::stream::iter(rows).buffered(STATUS_READS_AT_ONCE).collect().await)
    }

    /// Stops (`up = false`) or restarts a PSTN gateway: every Mediation Server that uses it
    /// fails over past it. The gateway is simulated inside each Mediation Server, so the same
    /// control call serves every backend.
    pub async fn set_gateway(&self, address: IpAddr, up: bool) -> Result<Vec<String>, LabError> {
        let users: Vec<String> = self
            .topology
            .appliances()
            .filter(|(site, a)| self.topology.gateways_of(site, a).contains(&address))
            .map(|(_, a)| a.name.clone())
            .collect();
        if users.is_empty() {
            return Err(LabError::NotAGateway { address });
        }
        let reach = self.reach();
        for name in &users {
            reach
                .appliance(name)?
                .set_gateway(address, up)
                .await
                .map_err(|e| LabError::Appliance { appliance: name.clone(), reason: e.to_string() })?;
        }
        Ok(users)
    }

    /// What the appliance's web service answers for the service name, as a client asking it
    /// directly would get.
    pub async fn web_service(&self, key: &str) -> Result<WebServiceReply, LabError> {
        web_service_of(self.appliance(key)?, key, &self.topology.tenant.service_name).await
    }
}

impl Reach<'_> {
    /// [`Lab::appliance`], through the index.
    pub fn appliance(&self, key: &str) -> Result<ApplianceRemote, LabError> {
        self.named(key).map(|(_, remote)| remote)
    }

    /// The appliance's name and endpoints.
    fn named(&self, key: &str) -> Result<(String, ApplianceRemote), LabError> {
        let topology = &self.lab.topology;
        let index = self.index.get_or_init(|| ApplianceIndex::new(topology));
        let name = match index.find(key) {
            Some((s, i)) => topology.sites[s].appliances[i].name.clone(),
            // The same refusal as the lab's own lookup.
            None => self.lab.appliance_name(key)?,
        };
        Ok((name.clone(), self.lab.remote_of(&self.endpoints, name)?))
    }

    /// [`Lab::appliance_status`].
    pub async fn appliance_status(&self, key: &str) -> Result<ApplianceStatus, LabError> {
        let (name, remote) = self.named(key)?;
        self.lab.status_of(&name, remote, key).await
    }

    /// [`Lab::web_service`].
    pub async fn web_service(&self, key: &str) -> Result<WebServiceReply, LabError> {
        web_service_of(self.appliance(key)?, key, &self.lab.topology.tenant.service_name).await
    }
}

async fn web_service_of(remote: ApplianceRemote, key: &str, service_name: &str) -> Result<WebServiceReply, LabError> {
    remote
        .fetch_web_service(service_name)
        .await
        .map_err(|e| LabError::Appliance { appliance: key.to_string(), reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every key the scan takes, and a few it refuses, for every appliance of `t`.
    fn keys(t: &Topology) -> Vec<String> {
        let mut keys = vec!["".into(), "nobody".into(), "192.0.2.254".into(), "not.an.appliance.example".into()];
        for (_, a) in t.appliances() {
            let fqdn = t.fqdn(a);
            keys.extend([
                a.name.clone(),
                a.name.to_ascii_uppercase(),
                format!("  {} ", a.name),
                fqdn.clone(),
                fqdn.to_ascii_uppercase(),
                format!("{fqdn}."),
                a.address.to_string(),
                format!(" {} ", a.address),
                format!("{}.{}", a.name, "example.org"),
            ]);
        }
        keys
    }

    fn same_as_the_scan(t: &Topology) {
        let index = ApplianceIndex::new(t);
        for key in keys(t) {
            let indexed = index.find(&key).map(|(s, i)| t.sites[s].appliances[i].name.as_str());
            let scanned = t.find_appliance(&key).map(|(_, a)| a.name.as_str());
            assert_eq!(indexed, scanned, "key {key:?}");
        }
    }

    #[test]
    fn the_index_finds_what_the_scan_of_the_plan_finds() {
        same_as_the_scan(&Topology::seed());
        same_as_the_scan(&Topology::parse(include_str!("../../topologies/fabrikam.toml"), None).unwrap());
    }

    #[test]
    fn a_key_two_appliances_answer_to_is_the_first_ones_in_plan_order() {
        // The second site's appliance is given the first one's name as its FQDN, and the first
        // one the second's: the scan takes whichever comes first in the plan.
        let seed = Topology::seed();
        let (first, second) = (seed.sites[0].appliances[0].name.clone(), seed.sites[1].appliances[0].name.clone());
        let mut t = seed.clone();
        t.sites[1].appliances[0].fqdn = Some(first.to_ascii_uppercase());
        t.sites[0].appliances[0].fqdn = Some(second.clone());
        same_as_the_scan(&t);
        let index = ApplianceIndex::new(&t);
        assert_eq!(index.find(&first), Some((0, 0)));
        assert_eq!(index.find(&second), Some((0, 0)), "the first appliance's FQDN comes first in the plan");
    }
}
