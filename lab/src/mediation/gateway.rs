//! The media path of a PSTN call: the Mediation Server compares the client's bypass ID with the
//! site gateway's. The gateway holds the tenant's bypass ID only while bypass is enabled in the
//! LocalStore, so a disable that has replicated ends bypass for new calls even for clients still
//! holding the old ID.

use super::call::{CallRequest, CallResult, Direction, MediaPath, BYPASS_CODEC, TRANSCODED_CODEC};
use super::localstore::LocalStore;
use std::collections::BTreeSet;
use std::net::IpAddr;
use uuid::Uuid;

/// The bypass ID the site gateway holds, given this Mediation Server's LocalStore.
pub fn gateway_bypass_id(store: &LocalStore) -> Option<Uuid> {
    store
        .configuration
        .as_ref()
        .filter(|c| c.network.media_bypass_settings.enabled)
        .and_then(|c| c.network.media_bypass_settings.bypass_id)
}

/// The gateway for the `call_number`th call: calls are split round robin over `gateways`, and a
/// call whose turn falls on a gateway that is down fails over to the next one up. `Err` holds the
/// gateways tried when none is up. The `Ok` list is the gateways failed over.
pub fn pick_gateway(
    gateways: &[IpAddr],
    down: &BTreeSet<IpAddr>,
    call_number: u64,
) -> Result<(IpAddr, Vec<IpAddr>), Vec<IpAddr>> {
    let n = gateways.len();
    let start = if n == 0 { 0 } else { (call_number % n as u64) as usize };
    let mut skipped = Vec::new();
    for i in 0..n {
        let g = gateways[(start + i) % n];
        if down.contains(&g) {
            skipped.push(g);
        } else {
            return Ok((g, skipped));
        }
    }
    Err(skipped)
}

/// Which Mediation Server and gateway a call goes through.
#[derive(Debug, Clone, Copy)]
pub struct Leg<'a> {
    pub appliance: &'a str,
    pub site: &'a str,
    pub mediation_server: &'a str,
    pub gateway: &'a str,
}

/// Where the call's media goes, and why. For an outbound call the Mediation Server compares the
/// bypass IDs; for an inbound one the client does, with the same outcome.
pub fn decide(store: &LocalStore, leg: Leg<'_>, request: &CallRequest) -> CallResult {
    let who = match request.direction {
        Direction::Outbound => "",
        Direction::Inbound => "inbound, the client compared: ",
    };
    let (media_path, reason) = if request.external {
        (
            MediaPath::ThroughEdge,
            "the client is outside the internal network, so media goes through the Edge".to_string(),
        )
    } else {
        match (request.bypass_id, gateway_bypass_id(store)) {
            (_, None) => (
                MediaPath::ThroughMediationServer,
                "the gateway holds no bypass ID: media bypass is not enabled on this Mediation Server".to_string(),
            ),
            (None, Some(_)) => (MediaPath::ThroughMediationServer, format!("{who}the client holds no bypass ID")),
            (Some(client), Some(gw)) if client == gw => (MediaPath::Bypass, format!("{who}bypass IDs match ({gw})")),
            (Some(client), Some(gw)) => (
                MediaPath::ThroughMediationServer,
                format!("{who}the client's bypass ID {client} does not match the gateway's {gw}"),
            ),
        }
    };
    let crosses_wan =
        !request.external && request.client_site.as_deref().is_some_and(|s| !s.eq_ignore_ascii_case(leg.site));
    CallResult {
        mediation_server: leg.mediation_server.to_string(),
        gateway: leg.gateway.to_string(),
        media_path,
        reason,
        appliance: leg.appliance.to_string(),
        site: leg.site.to_string(),
        codec: if media_path == MediaPath::Bypass { BYPASS_CODEC } else { TRANSCODED_CODEC }.to_string(),
        direction: request.direction,
        crosses_wan,
        failed_over_from: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::TenantConfiguration;
    use std::time::Duration;

    fn store(enabled: bool, id: Uuid) -> LocalStore {
        let mut c = TenantConfiguration::default();
        c.network.media_bypass_settings.enabled = enabled;
        c.network.media_bypass_settings.bypass_id = Some(id);
        LocalStore::default().replicated(c, Duration::ZERO)
    }

    fn call(bypass_id: Option<Uuid>, external: bool) -> CallRequest {
        CallRequest {
            user: "alice@adatum.biz".into(),
            number: "+31201234567".into(),
            bypass_id,
            external,
            client_site: Some("Amsterdam".into()),
            ..Default::default()
        }
    }

    fn leg(gateway: &str) -> Leg<'_> {
        Leg { appliance: "ams-cce1", site: "Amsterdam", mediation_server: "m", gateway }
    }

    #[test]
    fn calls_are_split_over_gateways_and_fail_over_past_one_that_is_down() {
        let gws: Vec<IpAddr> =
            ["192.168.1.10", "192.168.1.11", "192.168.1.12"].iter().map(|g| g.parse().unwrap()).collect();
        let none = BTreeSet::new();
        let picked: Vec<IpAddr> = (0..6).map(|k| pick_gateway(&gws, &none, k).unwrap().0).collect();
        assert_eq!(picked, [&gws[..], &gws[..]].concat());
        let down: BTreeSet<IpAddr> = [gws[1]].into();
        assert_eq!(pick_gateway(&gws, &down, 1), Ok((gws[2], vec![gws[1]])));
        assert_eq!(pick_gateway(&gws, &down, 0), Ok((gws[0], vec![])));
        let all: BTreeSet<IpAddr> = gws.iter().copied().collect();
        assert_eq!(pick_gateway(&gws, &all, 2), Err(vec![gws[2], gws[0], gws[1]]));
    }

    #[test]
    fn a_bypassed_call_uses_g711_and_names_its_appliance_and_site() {
        let id = Uuid::new_v4();
        let r = decide(&store(true, id), leg("g"), &call(Some(id), false));
        assert_eq!((r.codec.as_str(), r.appliance.as_str(), r.site.as_str()), (BYPASS_CODEC, "ams-cce1", "Amsterdam"));
        assert!(!r.crosses_wan);
        let r = decide(&store(true, id), leg("g"), &call(None, false));
        assert_eq!(r.codec, TRANSCODED_CODEC);
    }

    #[test]
    fn a_travelling_users_media_crosses_the_wan() {
        let id = Uuid::new_v4();
        let seattle = CallRequest { client_site: Some("Seattle".into()), ..call(Some(id), false) };
        let r = decide(&store(true, id), leg("g"), &seattle);
        assert_eq!(r.media_path, MediaPath::Bypass);
        assert!(r.crosses_wan, "{r:?}");
        let outside = CallRequest { client_site: None, ..call(Some(id), true) };
        assert!(
            !decide(&store(true, id), leg("g"), &outside).crosses_wan,
            "outside media comes through the Edge, not the WAN"
        );
    }

    #[test]
    fn inbound_calls_bypass_on_matching_ids_and_say_the_client_compared() {
        let id = Uuid::new_v4();
        let inbound = CallRequest { direction: Direction::Inbound, ..call(Some(id), false) };
        let r = decide(&store(true, id), leg("g"), &inbound);
        assert_eq!((r.media_path, r.direction), (MediaPath::Bypass, Direction::Inbound));
        assert!(r.reason.starts_with("inbound, the client compared: bypass IDs match"), "{}", r.reason);
        let stale = CallRequest { direction: Direction::Inbound, ..call(Some(Uuid::new_v4()), false) };
        assert_eq!(decide(&store(true, id), leg("g"), &stale).media_path, MediaPath::ThroughMediationServer);
    }

    #[test]
    fn matching_ids_bypass_and_anything_else_goes_through_the_mediation_server() {
        let id = Uuid::new_v4();
        let on = store(true, id);
        let r =
            decide(&on, Leg { mediation_server: "ams-cce1.adatum.biz", ..leg("192.168.1.10") }, &call(Some(id), false));
        assert_eq!((r.media_path, r.reason.as_str()), (MediaPath::Bypass, format!("bypass IDs match ({id})").as_str()));
        assert_eq!(r.gateway, "192.168.1.10");

        let r = decide(&on, leg("g"), &call(Some(Uuid::new_v4()), false));
        assert_eq!(r.media_path, MediaPath::ThroughMediationServer);
        assert!(r.reason.contains("does not match"), "{}", r.reason);

        let r = decide(&on, leg("g"), &call(None, false));
        assert_eq!(
            (r.media_path, r.reason.as_str()),
            (MediaPath::ThroughMediationServer, "the client holds no bypass ID")
        );
    }

    #[test]
    fn a_disabled_localstore_ends_bypass_even_for_a_client_with_the_old_id() {
        let id = Uuid::new_v4();
        let r = decide(&store(false, id), leg("g"), &call(Some(id), false));
        assert_eq!(r.media_path, MediaPath::ThroughMediationServer);
        assert!(r.reason.contains("gateway holds no bypass ID"), "{}", r.reason);
        let r = decide(&LocalStore::default(), leg("g"), &call(Some(id), false));
        assert_eq!(r.media_path, MediaPath::ThroughMediationServer);
    }

    #[test]
    fn external_clients_always_go_through_the_edge() {
        let id = Uuid::new_v4();
        let r = decide(&store(true, id), leg("g"), &call(Some(id), true));
        assert_eq!(r.media_path, MediaPath::ThroughEdge);
    }
}
