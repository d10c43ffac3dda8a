//! Placing a PSTN call through a Mediation Server of the user's PSTN site.
//!
//! Signalling always goes to a Mediation Server; the Mediation Server (outbound) or the client
//! (inbound) compares bypass IDs. The site is the one the online service routes the user to (an
//! assignment or the tenant default), else the site the client is in; a client in no site's
//! subnets is external and comes in through the Edge to the first site (lab choice). Calls are
//! spread over the site's appliances that take calls, in an order seeded per user, so a rehearsal
//! gives the same spread every run (docs/design/client.md).

use super::fetch::REQUEST_TIMEOUT;
use super::{stable_hash, ClientError, ClientHostConfig};
use crate::mediation::{ApplianceRemote, CallRequest, CallResult, Direction};
use crate::tenant::PstnRoute;
use crate::topology::{Appliance, Site, Topology};
use std::net::{IpAddr, SocketAddr};
use uuid::Uuid;

/// The appliance a call is signalled through, and where the client stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub appliance: String,
    pub address: IpAddr,
    /// The PSTN site the call goes through.
    pub site: String,
    /// The site the client is in; `None` outside.
    pub client_site: Option<String>,
    pub external: bool,
}

/// The site's appliances that take new calls, in this user's seeded order.
fn call_order<'a>(topology: &Topology, site: &'a Site, route: &PstnRoute, user: &str) -> Vec<&'a Appliance> {
    let unavailable = |a: &Appliance| route.unavailable.keys().any(|n| n.eq_ignore_ascii_case(&a.name));
    let mut order: Vec<&Appliance> = site.appliances.iter().filter(|a| !unavailable(a)).collect();
    let seed = topology.tenant.call_seed;
    order.sort_by_key(|a| (stable_hash(&format!("{seed}/{}/{}", user.to_ascii_lowercase(), a.name)), a.name.clone()));
    order
}

/// The `call_number`th call of `user` from `address`: the user's PSTN site, then the next
/// appliance of that site in the user's order ("distributed in random order between Cloud
/// Connectors in one pool", made reproducible).
pub fn route(
    topology: &Topology,
    address: IpAddr,
    pstn: &PstnRoute,
    user: &str,
    call_number: u64,
) -> Result<Route, ClientError> {
    let client_site = topology.site_of(address);
    let site = match pstn.site.as_deref().and_then(|name| topology.site(name)).or(client_site) {
        Some(site) => site,
        None => {
            topology.sites.first().ok_or_else(|| ClientError::NoMediationServer("the topology has no site".into()))?
        }
    };
    // A branch `served_by` another site's Cloud Connector calls through that site's appliances
    // (the Plan page's multi-site design); its media then crosses the WAN.
    let site = topology.site(topology.serving_site(&site.name)).unwrap_or(site);
    if site.appliances.is_empty() {
        return Err(ClientError::NoMediationServer(format!("site {} has no appliance", site.name)));
    }
    let order = call_order(topology, site, pstn, user);
    let appliance = order.get((call_number % order.len().max(1) as u64) as usize).ok_or_else(|| {
        let why: Vec<String> = pstn
            .unavailable
            .iter()
            .filter(|(n, _)| site.appliances.iter().any(|a| a.name.eq_ignore_ascii_case(n)))
            .map(|(n, why)| format!("{n} ({why})"))
            .collect();
        ClientError::NoMediationServer(format!(
            "no appliance of site {} takes new calls: {}",
            site.name,
            why.join(", ")
        ))
    })?;
    Ok(Route {
        appliance: appliance.name.clone(),
        address: appliance.address,
        site: site.name.clone(),
        client_site: client_site.map(|s| s.name.clone()),
        external: client_site.is_none(),
    })
}

/// What the client puts into a call besides the route.
#[derive(Debug, Clone)]
pub struct Placing<'a> {
    pub user: &'a str,
    pub number: &'a str,
    pub bypass_id: Option<Uuid>,
    pub direction: Direction,
    /// A full-tunnel VPN makes an internal address external for media.
    pub external: bool,
}

/// Signals the call to the route's Mediation Server at the address the lab dials for it, as a
/// client does: with the users' credential, waiting no longer than a client waits.
pub async fn place(config: &ClientHostConfig, route: &Route, placing: Placing<'_>) -> Result<CallResult, ClientError> {
    let ip = route.address;
    let target = config.dial.get(&ip).copied().unwrap_or(SocketAddr::new(ip, 80));
    let external = route.external || placing.external;
    let request = CallRequest {
        user: placing.user.to_string(),
        number: placing.number.to_string(),
        bypass_id: placing.bypass_id,
        external,
        direction: placing.direction,
        client_site: if external { None } else { route.client_site.clone() },
    };
    let mediation_server = ApplianceRemote::new(format!("http://{target}"), "").with_timeout(REQUEST_TIMEOUT);
    mediation_server.call(&request, &config.user_password).await.map_err(|e| ClientError::CallFailed {
        mediation_server: route.appliance.clone(),
        address: ip,
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn first_site_client(t: &Topology) -> IpAddr {
        t.client_address(&t.sites[0], 0).unwrap()
    }

    #[test]
    fn twenty_calls_use_every_appliance_of_the_site_and_repeat_the_same_way() {
        let t = Topology::seed();
        let at = first_site_client(&t);
        let names: Vec<String> =
            (0..20).map(|n| route(&t, at, &PstnRoute::default(), "alice", n).unwrap().appliance).collect();
        let used: BTreeSet<&String> = names.iter().collect();
        let planned: BTreeSet<&String> = t.sites[0].appliances.iter().map(|a| &a.name).collect();
        assert_eq!(used, planned, "{names:?}");
        let again: Vec<String> =
            (0..20).map(|n| route(&t, at, &PstnRoute::default(), "alice", n).unwrap().appliance).collect();
        assert_eq!(names, again, "the same seed gives the same spread");
    }

    #[test]
    fn an_appliance_in_maintenance_takes_no_calls() {
        let t = Topology::seed();
        let at = first_site_client(&t);
        let resting = t.sites[0].appliances[0].name.clone();
        let pstn =
            PstnRoute { unavailable: [(resting.clone(), "in maintenance mode".into())].into(), ..Default::default() };
        let used: BTreeSet<String> = (0..20).map(|n| route(&t, at, &pstn, "alice", n).unwrap().appliance).collect();
        assert!(!used.contains(&resting) && used.len() == t.sites[0].appliances.len() - 1, "{used:?}");

        let all = PstnRoute {
            unavailable: t.sites[0].appliances.iter().map(|a| (a.name.clone(), "in maintenance mode".into())).collect(),
            ..Default::default()
        };
        let err = route(&t, at, &all, "alice", 0).unwrap_err().to_string();
        assert!(err.contains("takes new calls") && err.contains("in maintenance mode"), "{err}");
    }

    #[test]
    fn a_user_assigned_to_another_site_calls_through_it_from_anywhere() {
        let t = Topology::seed();
        let at = first_site_client(&t);
        let other = &t.sites[1];
        let pstn = PstnRoute { site: Some(other.name.clone()), ..Default::default() };
        let r = route(&t, at, &pstn, "bob", 0).unwrap();
        assert_eq!(r.site, other.name);
        assert!(other.appliances.iter().any(|a| a.name == r.appliance));
        assert_eq!((r.client_site.as_deref(), r.external), (Some(t.sites[0].name.as_str()), false));
    }

    /// The Plan page's branch without a Cloud Connector calls through the site serving it.
    #[test]
    fn a_branch_served_by_another_site_calls_through_its_appliances() {
        let branch = "\n[[site]]\nname = \"Perth\"\nsubnets = [\"10.50.0.0/24\"]\ngateway = \"10.50.0.1\"\nserved_by = \"Seattle\"\n";
        let t =
            Topology::parse(&crate::topology::SEED_TOML.replace("[outside]", &format!("{branch}\n[outside]")), None)
                .unwrap();
        let r = route(&t, ip("10.50.0.77"), &PstnRoute::default(), "carol", 0).unwrap();
        assert_eq!((r.site.as_str(), r.client_site.as_deref(), r.external), ("Seattle", Some("Perth"), false));
        assert!(t.site("Seattle").unwrap().appliances.iter().any(|a| a.name == r.appliance), "{r:?}");
    }

    #[test]
    fn external_clients_come_in_through_the_edge_to_the_first_site() {
        let t = Topology::seed();
        let r = route(&t, ip("203.0.113.100"), &PstnRoute::default(), "alice", 0).unwrap();
        assert_eq!((r.site.as_str(), r.external, r.client_site), (t.sites[0].name.as_str(), true, None));
    }
}
