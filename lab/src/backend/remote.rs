//! An embedded lab running in another process (`bypass-lab up`), driven from this one through
//! the roles' endpoints and the `up` process's control API.

use super::embedded::control::Restart;
use super::{Backend, BackendError, BackendKind, Endpoints};
use async_trait::async_trait;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};

pub struct Remote {
    endpoints: Endpoints,
    /// Topology address → loopback listener, as the `up` process mapped them.
    dial: BTreeMap<IpAddr, SocketAddr>,
    control_token: String,
    http: reqwest::Client,
}

impl Remote {
    pub fn new(endpoints: Endpoints, dial: BTreeMap<IpAddr, SocketAddr>, control_token: String) -> Remote {
        Remote { endpoints, dial, control_token, http: crate::http::client(crate::http::LAB_TIMEOUT) }
    }

    async fn post(&self, url: String, body: serde_json::Value) -> Result<(), BackendError> {
        let reply = self.http.post(&url).bearer_auth(&self.control_token).json(&body).send().await.map_err(|e| {
            BackendError::Fault(format!("cannot reach the lab at {url}: {e} (is `bypass-lab up` still running?)"))
        })?;
        if reply.status().is_success() {
            return Ok(());
        }
        let status = reply.status();
        let text = reply.text().await.unwrap_or_default();
        Err(BackendError::Fault(format!("{url} answered {status}: {text}")))
    }

    fn appliance_url(&self, name: &str) -> Result<&String, BackendError> {
        self.endpoints
            .appliances
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, u)| u)
            .ok_or_else(|| BackendError::UnknownAppliance(name.to_string()))
    }
}

#[async_trait]
impl Backend for Remote {
    fn kind(&self) -> BackendKind {
        BackendKind::Embedded
    }

    fn endpoints(&self) -> Endpoints {
        self.endpoints.clone()
    }

    fn address_map(&self) -> BTreeMap<IpAddr, SocketAddr> {
        self.dial.clone()
    }

    async fn client_host(&self, _at: IpAddr) -> Result<String, BackendError> {
        self.endpoints
            .clients
            .get("*")
            .cloned()
            .ok_or_else(|| BackendError::Unsupported("the lab has no client host".into()))
    }

    async fn cut(&self, appliance: &str) -> Result<(), BackendError> {
        let url = format!("{}/lab/link", self.appliance_url(appliance)?);
        self.post(url, serde_json::json!({ "tenant": false })).await
    }

    async fn heal(&self, appliance: &str) -> Result<(), BackendError> {
        let url = format!("{}/lab/link", self.appliance_url(appliance)?);
        self.post(url, serde_json::json!({ "tenant": true })).await
    }

    async fn restart(&self, appliance: &str, kill: bool) -> Result<(), BackendError> {
        self.appliance_url(appliance)?;
        let control = self
            .endpoints
            .control
            .clone()
            .ok_or_else(|| BackendError::Unsupported("this lab has no control API".into()))?;
        let body = serde_json::to_value(Restart { appliance: appliance.to_string(), kill }).expect("serializable");
        self.post(format!("{control}/lab/restart"), body).await
    }

    async fn dns_fault(&self, server: &str, fault: super::DnsFault) -> Result<(), BackendError> {
        let control = self
            .endpoints
            .control
            .clone()
            .ok_or_else(|| BackendError::Unsupported("this lab has no control API".into()))?;
        let body = serde_json::json!({ "server": server, "fault": fault });
        self.post(format!("{control}/lab/dns"), body).await
    }

    async fn stop(&self) -> Result<(), BackendError> {
        Err(BackendError::Unsupported(
            "stop an embedded lab with Ctrl-C in the terminal running `bypass-lab up`".into(),
        ))
    }
}
