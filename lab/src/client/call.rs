//! Placing an outbound PSTN call through a Mediation Server of the client's site.
//!
//! Signalling always goes to a Mediation Server; the Mediation Server picks the media path from
//! the bypass ID the client presents. A client in no site's subnets is external: its call goes
//! through the Edge to the first site's first appliance (lab choice).

use super::{ClientError, ClientHostConfig};
use crate::mediation::call::{CallRequest, CallResult};
use std::net::{IpAddr, SocketAddr};
use uuid::Uuid;

/// The appliance a call from `address` is signalled through, and whether the client is external.
pub fn route(config: &ClientHostConfig, address: IpAddr) -> Result<(String, IpAddr, bool), ClientError> {
    let topology = &config.topology;
    let (site, external) = match topology.site_of(address) {
        Some(site) => (site, false),
        None => (topology.sites.first().ok_or_else(|| ClientError::NoMediationServer("the topology has no site".into()))?, true),
    };
    let appliance = site
        .appliances
        .first()
        .ok_or_else(|| ClientError::NoMediationServer(format!("site {} has no appliance", site.name)))?;
    Ok((appliance.name.clone(), appliance.address, external))
}

pub async fn place(
    config: &ClientHostConfig,
    http: &reqwest::Client,
    user: &str,
    address: IpAddr,
    number: &str,
    bypass_id: Option<Uuid>,
) -> Result<CallResult, ClientError> {
    let (name, ip, external) = route(config, address)?;
    let target = config.dial.get(&ip).copied().unwrap_or(SocketAddr::new(ip, 80));
    let request = CallRequest { user: user.to_string(), number: number.to_string(), bypass_id, external };
    let failed = |reason: String| ClientError::CallFailed { mediation_server: name.clone(), address: ip, reason };
    let response = http
        .post(format!("http://{target}/call"))
        .json(&request)
        .send()
        .await
        .map_err(|e| failed(super::fetch::error_chain(&e)))?;
    let status = response.status();
    let body = response.text().await.map_err(|e| failed(super::fetch::error_chain(&e)))?;
    if !status.is_success() {
        return Err(failed(format!("it answered {status}: {}", body.trim())));
    }
    serde_json::from_str(&body).map_err(|e| failed(format!("its answer is not a call result ({e}): {}", body.trim())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Topology;

    fn config() -> ClientHostConfig {
        ClientHostConfig {
            tenant_url: "http://127.0.0.1:1".into(),
            dns: "127.0.0.1:1".parse().unwrap(),
            state_address_by_ecs: true,
            dial: Default::default(),
            topology: Topology::seed(),
            user_password: "p".into(),
            control_token: "t".into(),
            data_dir: std::env::temp_dir(),
        }
    }

    #[test]
    fn internal_clients_call_through_their_sites_first_appliance() {
        let c = config();
        assert_eq!(route(&c, "192.168.1.77".parse().unwrap()).unwrap(), ("ams-cce1".into(), "192.168.1.45".parse().unwrap(), false));
        assert_eq!(route(&c, "10.10.1.200".parse().unwrap()).unwrap(), ("sea-cce1".into(), "10.10.1.8".parse().unwrap(), false));
    }

    #[test]
    fn external_clients_come_in_through_the_edge_to_the_first_site() {
        let c = config();
        assert_eq!(route(&c, "203.0.113.100".parse().unwrap()).unwrap(), ("ams-cce1".into(), "192.168.1.45".parse().unwrap(), true));
    }
}
