//! The tenant role through real HTTP on loopback: credentials, versions, overwrite semantics,
//! URL validation, the appliance long poll.

use bypass_lab::http::RemoteErrorKind;
use bypass_lab::tenant::{
    ApplianceContact, ApplianceRegistration, BypassMode, HybridConfigurationChange, MediaBypassParameters,
    MediaBypassSettings, TenantRemote,
};
use bypass_lab::topology::Topology;
use std::time::Duration;

mod support;

async fn start() -> support::TestTenant {
    support::tenant(Topology::seed()).await
}

fn registration(name: &str, site: &str, address: &str) -> ApplianceRegistration {
    ApplianceRegistration {
        name: name.into(),
        site_name: site.into(),
        fqdn: format!("{name}.adatum.biz"),
        address: address.parse().unwrap(),
        explicit: false,
    }
}

const URL: &str = "http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc";

#[tokio::test]
async fn credentials_are_checked_with_reasons() {
    let t = start().await;
    let http = reqwest::Client::new();
    let health = http.get(format!("{}/healthz", t.url)).send().await.unwrap();
    assert_eq!(health.status(), 200);

    let missing = http.get(format!("{}/admin/configuration", t.url)).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert_eq!(
        body["error"],
        "missing Authorization header: expected 'Bearer <the tenant administrator's credential>'"
    );

    let malformed =
        http.get(format!("{}/admin/configuration", t.url)).header("Authorization", "Basic abc").send().await.unwrap();
    assert_eq!(malformed.status(), 401);

    let unknown = TenantRemote::new(&t.url, "nobody").configuration().await.unwrap_err();
    assert!(
        matches!(&unknown.kind, RemoteErrorKind::Refused { status: 401, message } if message.contains("not a credential of this tenant")),
        "{unknown:?}"
    );

    let user = TenantRemote::new(&t.url, &t.secrets.users).configuration().await.unwrap_err();
    assert_eq!(
        user.kind,
        RemoteErrorKind::Refused {
            status: 403,
            message:
                "this route needs the tenant administrator's credential, but the request carries a user's credential"
                    .into(),
        }
    );

    let admin_on_user_route = t.as_admin().provisioning("alice@adatum.biz").await.unwrap_err();
    assert!(matches!(admin_on_user_route.kind, RemoteErrorKind::Refused { status: 403, .. }));
}

#[tokio::test]
async fn appliances_register_under_their_own_name_only() {
    let t = start().await;
    let ams1 = t.as_appliance("ams-cce1");
    let first = ams1.register(&registration("ams-cce1", "Amsterdam", "192.168.1.45")).await.unwrap();
    let again = ams1.register(&registration("ams-cce1", "Amsterdam", "192.168.1.45")).await.unwrap();
    assert_eq!(first.identity, again.identity, "the identity is stable across re-registration");
    assert_eq!(again.mediation_server_fqdn, "ams-cce1.adatum.biz");

    let other = ams1.register(&registration("sea-cce1", "Seattle", "10.10.1.8")).await.unwrap_err();
    assert!(
        matches!(&other.kind, RemoteErrorKind::Refused { status: 403, message } if message.contains("ams-cce1") && message.contains("sea-cce1")),
        "{other:?}"
    );
    let stranger = TenantRemote::new(&t.url, "lab-appliance-ams-cce1")
        .register(&registration("ams-cce1", "Amsterdam", "192.168.1.45"))
        .await
        .unwrap_err();
    assert!(matches!(stranger.kind, RemoteErrorKind::Refused { status: 401, .. }));
    let pulled = ams1.pull("ams-cce1").await.unwrap();
    assert_eq!(pulled.version, 1);
    assert!(matches!(ams1.pull("ams-cce2").await.unwrap_err().kind, RemoteErrorKind::Refused { status: 403, .. }));
    let listed = t.as_admin().appliances().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].identity, first.identity);
}

/// An appliance's credential binds its plan's site, FQDN and address: a claim to be at
/// another site, under another name or address is refused, naming the field, and changes
/// nothing.
#[tokio::test]
async fn an_appliance_registers_only_as_itself() {
    let t = start().await;
    let ams1 = t.as_appliance("ams-cce1");
    let claims = [
        ("site", registration("ams-cce1", "Seattle", "192.168.1.45")),
        (
            "FQDN",
            ApplianceRegistration {
                fqdn: "sea-cce1.adatum.biz".into(),
                ..registration("ams-cce1", "Amsterdam", "192.168.1.45")
            },
        ),
        ("address", registration("ams-cce1", "Amsterdam", "10.10.1.8")),
    ];
    for (field, claim) in claims {
        let refused = ams1.register(&claim).await.unwrap_err();
        assert!(
            matches!(&refused.kind, RemoteErrorKind::Refused { status: 403, message }
                if message.contains(&format!("its {field} is")) && message.contains("ams-cce1")),
            "{field}: {refused:?}"
        );
    }
    assert!(t.as_admin().appliances().await.unwrap().is_empty(), "no refused claim registered anything");
    let own = ams1.register(&registration("AMS-CCE1", "amsterdam", "192.168.1.45")).await.unwrap();
    assert_eq!((own.site_name.as_str(), own.mediation_server_fqdn.as_str()), ("Amsterdam", "ams-cce1.adatum.biz"));
}

#[tokio::test]
async fn every_accepted_change_adds_one_to_the_version() {
    let t = start().await;
    let admin = t.as_admin();
    assert_eq!(admin.configuration().await.unwrap().version, 1);
    let after_url = admin.set_internal_url(Some(URL)).await.unwrap();
    assert_eq!(after_url.version, 2);
    assert_eq!(after_url.hybrid.hybrid_config_service_internal_url.as_deref(), Some(URL));

    let refused = admin.set_internal_url(Some("ftp://x")).await.unwrap_err();
    assert_eq!(
        refused.kind,
        RemoteErrorKind::Refused {
            status: 400,
            message: "HybridConfigServiceInternalUrl 'ftp://x' is not an http or https URL.".into()
        }
    );
    assert_eq!(admin.configuration().await.unwrap().version, 2, "refused changes leave the version alone");
    admin.set_internal_url(Some(URL)).await.unwrap();

    let provisioning = TenantRemote::new(&t.url, &t.secrets.users).provisioning("alice@adatum.biz").await.unwrap();
    assert_eq!(provisioning.voice_deployment_mode, "OnPremOnlineHybrid");
    assert_eq!(provisioning.hybrid_config_service_internal_url.as_deref(), Some(URL));

    let cleared = admin.set_internal_url(None).await.unwrap();
    assert_eq!((cleared.version, cleared.hybrid.hybrid_config_service_internal_url), (4, None));
    let provisioning = TenantRemote::new(&t.url, &t.secrets.users).provisioning("alice@adatum.biz").await.unwrap();
    assert_eq!(provisioning.hybrid_config_service_internal_url, None);
}

#[tokio::test]
async fn media_bypass_settings_are_overwritten_whole() {
    let t = start().await;
    let admin = t.as_admin();
    let (enable, _) = MediaBypassSettings::new_configuration(&MediaBypassParameters {
        enabled: Some(true),
        always_bypass: Some(true),
        external_bypass_mode: Some(BypassMode::Any),
        ..Default::default()
    });
    assert_eq!(admin.set_media_bypass(&enable).await.unwrap().version, 2);
    assert_eq!(admin.network_configuration().await.unwrap().media_bypass_settings, enable);

    let (disable, _) =
        MediaBypassSettings::new_configuration(&MediaBypassParameters { enabled: Some(false), ..Default::default() });
    let after = admin.set_media_bypass(&disable).await.unwrap();
    assert_eq!(after.version, 3);
    let stored = admin.network_configuration().await.unwrap().media_bypass_settings;
    assert_eq!(stored, disable);
    assert!(
        !stored.always_bypass && stored.bypass_id.is_none() && stored.external_bypass_mode == BypassMode::Off,
        "nothing of the old settings survives: {stored:?}"
    );
}

#[tokio::test]
async fn the_appliance_long_poll_wakes_on_contact() {
    let t = start().await;
    let admin = t.as_admin();
    let seed = Topology::seed();
    let appliances: Vec<_> =
        seed.appliances().map(|(site, a)| (a.name.clone(), site.name.clone(), a.address.to_string())).collect();
    for (name, site, address) in &appliances[1..] {
        t.as_appliance(name).register(&registration(name, site, address)).await.unwrap();
    }
    let version = admin.set_internal_url(Some(URL)).await.unwrap().version;

    // Times out with the list as it stands: one appliance has not even registered.
    let stale = admin.appliances_at(version, Duration::from_millis(50)).await.unwrap();
    assert_eq!(stale.len(), appliances.len() - 1);
    assert!(stale.iter().all(|r| r.replicated_version.is_none()), "{stale:?}");

    let (first, first_site, first_address) = &appliances[0];
    let ams1 = t.as_appliance(first);
    ams1.register(&registration(first, first_site, first_address)).await.unwrap();
    for (name, _, _) in &appliances[1..] {
        let contact =
            ApplianceContact { name: name.clone(), at: Duration::from_secs(1800), replicated_version: version };
        t.as_appliance(name).report_contact(&contact).await.unwrap();
    }
    let waiting = tokio::spawn({
        let admin = admin.clone();
        async move { admin.appliances_at(version, Duration::from_secs(60)).await }
    });
    ams1.report_contact(&ApplianceContact {
        name: first.clone(),
        at: Duration::from_secs(3600),
        replicated_version: version,
    })
    .await
    .unwrap();
    let woken = tokio::time::timeout(Duration::from_secs(10), waiting)
        .await
        .expect("the long poll returns on contact")
        .unwrap()
        .unwrap();
    assert!(woken.iter().all(|r| r.replicated_version == Some(version)), "every appliance at {version}: {woken:?}");
    let record = woken.iter().find(|r| &r.name == first).unwrap();
    assert_eq!(record.last_contact, Some(Duration::from_secs(3600)));

    let t = start().await;
    let unregistered = t
        .as_appliance("sea-cce1")
        .report_contact(&ApplianceContact { name: "sea-cce1".into(), at: Duration::ZERO, replicated_version: 1 })
        .await
        .unwrap_err();
    assert!(matches!(unregistered.kind, RemoteErrorKind::Refused { status: 409, .. }));
}

#[tokio::test]
async fn an_unreachable_tenant_is_told_apart_from_a_refusal() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let err = TenantRemote::new(&url, "x").configuration().await.unwrap_err();
    assert!(err.is_unreachable(), "{err:?}");
}

#[tokio::test]
async fn registration_as_documented_and_appliances_that_start_unregistered() {
    let text =
        bypass_lab::topology::SEED_TOML.replacen("name = \"ams-cce1\"", "name = \"ams-cce1\"\nregistered = false", 1);
    let topology = Topology::parse(&text, None).unwrap();
    assert!(!topology.find_appliance("ams-cce1").unwrap().1.registered);
    let t = support::tenant(topology).await;
    let ams1 = t.as_appliance("ams-cce1");
    let users = TenantRemote::new(&t.url, &t.secrets.users);
    let route = users.pstn_route("alice").await.unwrap();
    assert_eq!(route.unavailable.get("ams-cce1").map(String::as_str), Some("not registered"));

    let sync = ams1.register(&registration("ams-cce1", "Amsterdam", "192.168.1.45")).await.unwrap_err();
    assert!(
        matches!(&sync.kind, RemoteErrorKind::Refused { status: 409, message } if message.contains("run Register-CcAppliance")),
        "{sync:?}"
    );
    let explicit = ApplianceRegistration { explicit: true, ..registration("ams-cce1", "Amsterdam", "192.168.1.45") };
    let record = ams1.register(&explicit).await.unwrap();
    assert!(record.registered);
    let again = ams1.register(&explicit).await.unwrap_err();
    assert_eq!(
        again.kind,
        RemoteErrorKind::Refused { status: 409, message: "appliance ams-cce1 is already registered".into() }
    );
    ams1.register(&registration("ams-cce1", "Amsterdam", "192.168.1.45"))
        .await
        .expect("a registered appliance re-registers at its syncs");
    assert!(users.pstn_route("alice").await.unwrap().unavailable.is_empty());

    let gone = ams1.unregister("ams-cce1").await.unwrap();
    assert!(!gone.registered && gone.identity == record.identity, "the record and its identity stay");
    assert_eq!(
        users.pstn_route("alice").await.unwrap().unavailable.get("ams-cce1").map(String::as_str),
        Some("not registered")
    );
    assert!(ams1.unregister("ams-cce1").await.is_err(), "unregistering twice is refused");
    assert!(
        ams1.register(&registration("ams-cce1", "Amsterdam", "192.168.1.45")).await.is_err(),
        "a sync does not undo Unregister-CcAppliance"
    );
    let admin = t.as_admin();
    let record = admin.set_maintenance(&record.identity.to_string(), true).await.unwrap();
    assert!(record.maintenance_mode);
}

#[tokio::test]
async fn calls_route_to_the_assigned_site_else_the_tenant_default() {
    let t = start().await;
    let admin = t.as_admin();
    let users = TenantRemote::new(&t.url, &t.secrets.users);
    let route = users.pstn_route("alice").await.unwrap();
    assert_eq!(route.site, None, "no assignment and no default: the client's location decides");

    let change = HybridConfigurationChange { peer_destination: Some(Some("seattle".into())), ..Default::default() };
    let answer = admin.set_hybrid_configuration(&change).await.unwrap();
    assert!(answer.warnings.is_empty());
    let route = users.pstn_route("alice").await.unwrap();
    assert_eq!(
        (route.site.as_deref(), route.reason.as_str()),
        (Some("Seattle"), "the tenant default (PeerDestination)")
    );

    admin.set_user_pstn_site("Alice@adatum.biz", Some("Amsterdam")).await.unwrap();
    let route = users.pstn_route("alice").await.unwrap();
    assert_eq!(
        (route.site.as_deref(), route.reason.as_str()),
        (Some("Amsterdam"), "assigned by Set-CsUserPstnSettings")
    );
    assert_eq!(users.pstn_route("bob@adatum.biz").await.unwrap().site.as_deref(), Some("Seattle"));
    assert!(admin.pstn_route("alice").await.unwrap_err().status() == Some(403), "routing is the user's");
}
