//! The media path of a PSTN call: the Mediation Server compares the client's bypass ID with the
//! site gateway's. The gateway holds the tenant's bypass ID only while bypass is enabled in the
//! LocalStore, so a disable that has replicated ends bypass for new calls even for clients still
//! holding the old ID.

use super::call::{CallRequest, CallResult, MediaPath};
use super::localstore::LocalStore;
use uuid::Uuid;

/// The bypass ID the site gateway holds, given this Mediation Server's LocalStore.
pub fn gateway_bypass_id(store: &LocalStore) -> Option<Uuid> {
    store
        .configuration
        .as_ref()
        .filter(|c| c.network.media_bypass_settings.enabled)
        .and_then(|c| c.network.media_bypass_settings.bypass_id)
}

/// Where the call's media goes, and why.
pub fn decide(store: &LocalStore, mediation_server: &str, gateway: &str, request: &CallRequest) -> CallResult {
    let (media_path, reason) = if request.external {
        (MediaPath::ThroughEdge, "the client is outside the internal network, so media goes through the Edge".to_string())
    } else {
        match (request.bypass_id, gateway_bypass_id(store)) {
            (_, None) => (
                MediaPath::ThroughMediationServer,
                "the gateway holds no bypass ID: media bypass is not enabled on this Mediation Server".to_string(),
            ),
            (None, Some(_)) => (MediaPath::ThroughMediationServer, "the client holds no bypass ID".to_string()),
            (Some(client), Some(gw)) if client == gw => (MediaPath::Bypass, format!("bypass IDs match ({gw})")),
            (Some(client), Some(gw)) => (
                MediaPath::ThroughMediationServer,
                format!("the client's bypass ID {client} does not match the gateway's {gw}"),
            ),
        }
    };
    CallResult { mediation_server: mediation_server.to_string(), gateway: gateway.to_string(), media_path, reason }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::model::TenantConfiguration;
    use std::time::Duration;

    fn store(enabled: bool, id: Uuid) -> LocalStore {
        let mut c = TenantConfiguration::default();
        c.network.media_bypass_settings.enabled = enabled;
        c.network.media_bypass_settings.bypass_id = Some(id);
        LocalStore::default().replicated(c, Duration::ZERO)
    }

    fn call(bypass_id: Option<Uuid>, external: bool) -> CallRequest {
        CallRequest { user: "alice@adatum.biz".into(), number: "+31201234567".into(), bypass_id, external }
    }

    #[test]
    fn matching_ids_bypass_and_anything_else_goes_through_the_mediation_server() {
        let id = Uuid::new_v4();
        let on = store(true, id);
        let r = decide(&on, "ams-cce1.adatum.biz", "192.168.1.10", &call(Some(id), false));
        assert_eq!((r.media_path, r.reason.as_str()), (MediaPath::Bypass, format!("bypass IDs match ({id})").as_str()));
        assert_eq!(r.gateway, "192.168.1.10");

        let r = decide(&on, "m", "g", &call(Some(Uuid::new_v4()), false));
        assert_eq!(r.media_path, MediaPath::ThroughMediationServer);
        assert!(r.reason.contains("does not match"), "{}", r.reason);

        let r = decide(&on, "m", "g", &call(None, false));
        assert_eq!((r.media_path, r.reason.as_str()), (MediaPath::ThroughMediationServer, "the client holds no bypass ID"));
    }

    #[test]
    fn a_disabled_localstore_ends_bypass_even_for_a_client_with_the_old_id() {
        let id = Uuid::new_v4();
        let r = decide(&store(false, id), "m", "g", &call(Some(id), false));
        assert_eq!(r.media_path, MediaPath::ThroughMediationServer);
        assert!(r.reason.contains("gateway holds no bypass ID"), "{}", r.reason);
        let r = decide(&LocalStore::default(), "m", "g", &call(Some(id), false));
        assert_eq!(r.media_path, MediaPath::ThroughMediationServer);
    }

    #[test]
    fn external_clients_always_go_through_the_edge() {
        let id = Uuid::new_v4();
        let r = decide(&store(true, id), "m", "g", &call(Some(id), true));
        assert_eq!(r.media_path, MediaPath::ThroughEdge);
    }
}
