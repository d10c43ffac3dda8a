//! The lab's appliances as an administrator checks them: status, LocalStore, web service.

use super::{Lab, LabError};
use crate::mediation::{ApplianceRemote, ApplianceStatus, WebServiceReply};
use serde::Serialize;
use std::net::IpAddr;

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

impl Lab {
    /// The control and web endpoints of one appliance (by name, FQDN or address).
    pub fn appliance(&self, key: &str) -> Result<ApplianceRemote, LabError> {
        let name = self.appliance_name(key)?;
        let url = self.endpoints().appliances.get(&name).cloned().ok_or_else(|| LabError::Appliance {
            appliance: name.clone(),
            reason: "the lab has no endpoint for it".into(),
        })?;
        Ok(ApplianceRemote::new(url, self.secrets.control.clone()))
    }

    /// `Get-CcApplianceStatus` on one appliance.
    pub async fn appliance_status(&self, key: &str) -> Result<ApplianceStatus, LabError> {
        let remote = self.appliance(key)?;
        remote.status().await.map_err(|e| LabError::Appliance { appliance: key.to_string(), reason: e.to_string() })
    }

    /// Every appliance's status, in topology order; an unreachable one is a row with its error.
    pub async fn status(&self) -> Result<Vec<StatusRow>, LabError> {
        // The endpoints once for all: each copy holds every appliance's URL.
        let endpoints = self.endpoints();
        let rows = self.topology.appliances().map(|(site, a)| {
            let url = endpoints.appliances.get(&a.name).cloned();
            async move {
                let status = match url {
                    Some(url) => ApplianceRemote::new(url, self.secrets.control.clone())
                        .status()
                        .await
                        .map_err(|e| LabError::Appliance { appliance: a.name.clone(), reason: e.to_string() }),
                    None => Err(LabError::Appliance {
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
        Ok(futures::future::join_all(rows).await)
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
        for name in &users {
            self.appliance(name)?
                .set_gateway(address, up)
                .await
                .map_err(|e| LabError::Appliance { appliance: name.clone(), reason: e.to_string() })?;
        }
        Ok(users)
    }

    /// What the appliance's web service answers for the service name, as a client asking it
    /// directly would get.
    pub async fn web_service(&self, key: &str) -> Result<WebServiceReply, LabError> {
        let remote = self.appliance(key)?;
        remote
            .fetch_web_service(&self.topology.tenant.service_name)
            .await
            .map_err(|e| LabError::Appliance { appliance: key.to_string(), reason: e.to_string() })
    }
}
