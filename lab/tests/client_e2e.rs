//! Skype for Business clients against the real tenant, the real DNS server (seed policies) and the
//! seven seed appliances, all on loopback with one shared lab clock. The seed's addresses are
//! virtual: every Mediation Server address is mapped to its loopback listener through `dial`.

use bypass_lab::auth::Secrets;
use bypass_lab::backend::embedded::start_role;
use bypass_lab::backend::role_plan::{RoleArgs, RoleSpec};
use bypass_lab::client::{self, ClientArgs, ClientRemote, DnsFailure, FetchOutcome};
use bypass_lab::clock::Clock;
use bypass_lab::dns::DnsArgs;
use bypass_lab::http::RemoteErrorKind;
use bypass_lab::mediation::{MediaPath, MediationArgs};
use bypass_lab::tenant::{MediaBypassParameters, MediaBypassSettings, TenantArgs, TenantRemote};
use bypass_lab::topology::Topology;
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const URL: &str = "http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc";
const NEW_URL: &str = "http://newname.adatum.biz/hybridconfig/hybridconfigservice.svc";
const EIGHT_HOURS: Duration = Duration::from_secs(8 * 3600);
const AMSTERDAM_CLIENT: &str = "192.168.1.77";
const SEATTLE_CLIENT: &str = "10.10.1.77";
const EXTERNAL_CLIENT: &str = "203.0.113.100";

struct Rig {
    topology: Topology,
    clock: Clock,
    tenant: TenantRemote,
    client: ClientRemote,
    client_url: String,
    /// Where each appliance's control API listens, by name.
    appliances: BTreeMap<String, SocketAddr>,
    control_token: String,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

/// Tenant, DNS and a client host; with `appliances`, the seven seed appliances too, and returns
/// once every one of them registered and holds the tenant's configuration.
async fn start(appliances: bool) -> Rig {
    start_with(Topology::seed(), appliances, true).await
}

/// As [`start`] for `topology`; `state_address_by_ecs` false makes the clients ask as the
/// containers backend's do, through the stub resolver, seen by their loopback source address.
async fn start_with(topology: Topology, appliances: bool, state_address_by_ecs: bool) -> Rig {
    let secrets = Secrets::generate(&topology);
    let dir = tempfile::tempdir().unwrap();
    let stop = CancellationToken::new();
    let clock = Clock::new();

    // Each role started as the embedded backend starts it, on any free loopback port.
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let role = |args: RoleArgs| start_role(RoleSpec::in_process(args), &topology, &secrets, &clock, stop.child_token());
    let tenant_url = role(TenantArgs { listen: any, data: dir.path().join("tenant") }.into()).await.unwrap().url();
    let dns = role(DnsArgs { listen: any, admin: any, script: None, empty: false, replica: Default::default() }.into())
        .await
        .unwrap();
    let dns = dns.spec.args.listen();

    let mut dial: BTreeMap<IpAddr, SocketAddr> = BTreeMap::new();
    let mut controls: BTreeMap<String, SocketAddr> = BTreeMap::new();
    if appliances {
        for (_, a) in topology.appliances() {
            let args = MediationArgs {
                appliance: a.name.clone(),
                listen: any,
                tenant: tenant_url.clone(),
                data: Some(dir.path().join("appliances").join(&a.name)),
            };
            let listen = role(args.into()).await.unwrap().spec.args.listen();
            dial.insert(a.address, listen);
            controls.insert(a.name.clone(), listen);
        }
    }

    let client_args = ClientArgs {
        listen: any,
        tenant: tenant_url.clone(),
        dns,
        ecs: state_address_by_ecs,
        dial: dial.into_iter().collect(),
        data: dir.path().join("clients"),
    };
    let client_url = role(client_args.into()).await.unwrap().url();

    let rig = Rig {
        topology,
        clock,
        tenant: TenantRemote::new(&tenant_url, &secrets.admin),
        client: ClientRemote::new(&client_url, &secrets.control),
        client_url,
        appliances: controls,
        control_token: secrets.control.clone(),
        stop,
        _dir: dir,
    };
    if appliances {
        rig.wait_appliances_ready().await;
    }
    rig.clock.settle().await.expect("every role reports in");
    rig
}

impl Rig {
    fn appliance_url(&self, name: &str) -> String {
        format!("http://{}", self.appliances[name])
    }

    async fn wait_appliances_ready(&self) {
        let expected = self.topology.appliances().count();
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let version = self.tenant.configuration().await.expect("tenant answers").version;
                let records = self.tenant.appliances_at(version, Duration::from_secs(5)).await.expect("tenant answers");
                if records.len() == expected && records.iter().all(|r| r.replicated_version >= Some(version)) {
                    return;
                }
                tokio::task::yield_now().await;
            }
        })
        .await
        .expect("all seven appliances register and replicate within 30 s");
    }

    /// The seed runbook's enable: URL, then a bypass object assigned.
    async fn enable(&self) {
        self.tenant.set_internal_url(Some(URL)).await.unwrap();
        let (settings, _) = MediaBypassSettings::new_configuration(&MediaBypassParameters {
            enabled: Some(true),
            always_bypass: Some(true),
            ..Default::default()
        });
        assert!(settings.bypass_id.is_some(), "enabled with AlwaysBypass generates a bypass ID");
        self.tenant.set_media_bypass(&settings).await.unwrap();
    }

    async fn temporarily_disable(&self) {
        let (settings, _) = MediaBypassSettings::new_configuration(&MediaBypassParameters {
            enabled: Some(false),
            ..Default::default()
        });
        self.tenant.set_media_bypass(&settings).await.unwrap();
    }

    async fn pass_replication_window(&self) {
        self.clock.advance(self.topology.tenant.replication_window).await.expect("every role catches up");
    }

    async fn sign_in(&self, user: &str, address: &str) -> client::ClientStatus {
        self.client.sign_in(user, address.parse().unwrap()).await.unwrap()
    }
}

fn in_range(address: IpAddr, list: &[&str]) -> bool {
    list.iter().any(|a| a.parse::<IpAddr>().unwrap() == address)
}

const AMSTERDAM: [&str; 4] = ["192.168.1.45", "192.168.1.46", "192.168.1.47", "192.168.1.48"];
const SEATTLE: [&str; 3] = ["10.10.1.8", "10.10.1.9", "10.10.1.10"];

fn answered_by(outcome: &FetchOutcome) -> IpAddr {
    match outcome {
        FetchOutcome::Bypass { address, .. }
        | FetchOutcome::Rejected { address, .. }
        | FetchOutcome::BypassDisabled { address, .. }
        | FetchOutcome::NoModeAny { address, .. }
        | FetchOutcome::NoBypassId { address, .. } => *address,
        other => panic!("expected an answer from a Mediation Server, got {other:?}"),
    }
}

// --- without appliances: the control API, provisioning, DNS for external clients ---

#[tokio::test]
async fn the_control_api_wants_the_control_token() {
    let rig = start(false).await;
    let http = reqwest::Client::builder().no_proxy().build().unwrap();
    let health = http.get(format!("{}/healthz", rig.client_url)).send().await.unwrap();
    assert_eq!(health.status(), 200, "/healthz needs no credential");
    let missing = http.get(format!("{}/users", rig.client_url)).send().await.unwrap();
    assert_eq!(missing.status(), 401);
    let body: serde_json::Value = missing.json().await.unwrap();
    assert!(body["error"].as_str().unwrap().contains("Bearer"), "{body}");
    let wrong = ClientRemote::new(&rig.client_url, "not-the-token");
    match wrong.list().await.map_err(|e| e.kind) {
        Err(RemoteErrorKind::Refused { status: 401, message }) => {
            assert!(message.contains("control credential"), "{message}")
        }
        other => panic!("expected 401, got {other:?}"),
    }
    assert_eq!(rig.client.list().await.unwrap(), vec![]);
}

#[tokio::test]
async fn users_that_never_signed_in_are_told_apart() {
    let rig = start(false).await;
    match rig.client.status("nobody").await.map_err(|e| e.kind) {
        Err(RemoteErrorKind::Refused { status: 404, message }) => assert!(message.contains("nobody"), "{message}"),
        other => panic!("expected 404, got {other:?}"),
    }
    match rig.client.call("nobody", "+14255550100").await.map_err(|e| e.kind) {
        Err(RemoteErrorKind::Refused { status: 409, message }) => {
            assert!(message.contains("not signed in"), "{message}")
        }
        other => panic!("expected 409, got {other:?}"),
    }
    assert_eq!(rig.client.fetch("nobody").await.unwrap(), FetchOutcome::NotSignedIn);
    match rig.client.sign_in("bad*name", EXTERNAL_CLIENT.parse().unwrap()).await.map_err(|e| e.kind) {
        Err(RemoteErrorKind::Refused { status: 400, message }) => assert!(message.contains("bad*name"), "{message}"),
        other => panic!("expected 400 for a user name that cannot be a folder, got {other:?}"),
    }
}

#[tokio::test]
async fn without_a_url_the_client_logs_that_none_was_provisioned() {
    let rig = start(false).await;
    let status = rig.sign_in("carol", EXTERNAL_CLIENT).await;
    assert!(status.signed_in);
    assert_eq!(status.voice_deployment_mode.as_deref(), Some("OnPremOnlineHybrid"));
    assert_eq!(status.hybrid_config_service_internal_url, None);
    assert_eq!(status.last_fetch.as_ref().map(|f| f.outcome.clone()), Some(FetchOutcome::NoUrlProvisioned));
    assert_eq!(status.next_fetch_ms, None, "without a URL nothing is scheduled");
    let log = rig.client.log("carol").await.unwrap();
    assert!(
        log.lines().any(|l| l.ends_with("voicedeploymentmode=OnPremOnlineHybrid hybridconfigserviceinternalurl=")),
        "the provisioning line holds an empty URL:\n{log}"
    );
    assert!(log.contains("no hybridconfigserviceinternalurl provisioned"), "{log}");
}

#[tokio::test]
async fn an_external_client_gets_the_url_but_never_resolves_the_name() {
    let rig = start(false).await;
    rig.tenant.set_internal_url(Some(URL)).await.unwrap();
    let status = rig.sign_in("dave", EXTERNAL_CLIENT).await;
    assert_eq!(status.site, "outside");
    assert_eq!(status.hybrid_config_service_internal_url.as_deref(), Some(URL));
    let outcome = status.last_fetch.expect("a client with a URL fetches at sign-in").outcome;
    assert_eq!(
        outcome,
        FetchOutcome::NameDoesNotResolve { host: "hybridvoice.adatum.biz".into(), answer: DnsFailure::NxDomain }
    );
    assert!(!status.bypass);
    assert_eq!(status.next_fetch_ms, Some(EIGHT_HOURS.as_millis() as u64));
    let log = rig.client.log("dave").await.unwrap();
    assert!(log.contains(&format!("hybridconfigserviceinternalurl={URL}")), "{log}");
    assert!(log.contains("does not resolve (NXDOMAIN)"), "{log}");
    // Every line has the client's timestamp shape, at lab time zero.
    assert!(log.lines().all(|l| l.starts_with("01/01/2017|00:00:00.000 ")), "{log}");

    // 8 hours of lab time later it tries again, by the clock moved through the client host.
    let now = rig.client.clock_to(EIGHT_HOURS).await.unwrap();
    assert_eq!(now, EIGHT_HOURS);
    let status = rig.client.status("dave").await.unwrap();
    assert_eq!(status.last_fetch.unwrap().at_ms, EIGHT_HOURS.as_millis() as u64);
    assert_eq!(status.next_fetch_ms, Some(2 * EIGHT_HOURS.as_millis() as u64));
    assert!(rig.client.log("dave").await.unwrap().contains("01/01/2017|08:00:00.000"));
}

/// Without ECS the DNS server sees the loopback source address, which is in no site's subnet:
/// the Amsterdam client's stated place no longer counts, and the name does not resolve.
#[tokio::test]
async fn without_ecs_the_dns_server_sees_the_source_address() {
    let rig = start_with(Topology::seed(), false, false).await;
    rig.tenant.set_internal_url(Some(URL)).await.unwrap();
    let status = rig.sign_in("judy", AMSTERDAM_CLIENT).await;
    assert_eq!(status.site, "Amsterdam");
    let outcome = status.last_fetch.expect("a client with a URL fetches at sign-in").outcome;
    assert_eq!(
        outcome,
        FetchOutcome::NameDoesNotResolve { host: "hybridvoice.adatum.biz".into(), answer: DnsFailure::NxDomain }
    );
    // With ECS the same client resolves the name: `an_amsterdam_client_bypasses_after_enable_and_one_window`.
}

// --- with the seven seed appliances ---

#[tokio::test]
async fn an_amsterdam_client_bypasses_after_enable_and_one_window() {
    let rig = start(true).await;
    rig.enable().await;
    rig.pass_replication_window().await;
    let status = rig.sign_in("alice", AMSTERDAM_CLIENT).await;
    assert_eq!(status.site, "Amsterdam");
    let fetched = status.last_fetch.clone().expect("fetched at sign-in");
    assert_eq!(fetched.outcome.name(), "bypass", "{fetched:?}");
    assert!(in_range(answered_by(&fetched.outcome), &AMSTERDAM), "{fetched:?}");
    assert!(status.bypass && status.bypass_id.is_some(), "{status:?}");
    let log = rig.client.log("alice").await.unwrap();
    assert!(log.contains(&format!("hybridconfigserviceinternalurl={URL}")), "the admin's search finds the URL:\n{log}");

    let call = rig.client.call("alice", "+31205550100").await.unwrap();
    assert_eq!(call.media_path, MediaPath::Bypass, "{call:?}");
    assert_eq!(call.mediation_server, "ams-cce1.adatum.biz", "the first appliance of the site");
}

#[tokio::test]
async fn a_seattle_client_bypasses_through_a_seattle_mediation_server() {
    let rig = start(true).await;
    rig.enable().await;
    rig.pass_replication_window().await;
    let status = rig.sign_in("bob", SEATTLE_CLIENT).await;
    assert_eq!(status.site, "Seattle");
    let outcome = status.last_fetch.expect("fetched at sign-in").outcome;
    assert!(outcome.is_bypass(), "{outcome:?}");
    assert!(in_range(answered_by(&outcome), &SEATTLE), "{outcome:?}");
    let call = rig.client.call("bob", "+12065550100").await.unwrap();
    assert_eq!(call.media_path, MediaPath::Bypass, "{call:?}");
    assert_eq!(call.site, "Seattle");
    assert!(call.appliance.starts_with("sea-"), "{call:?}");
    assert_eq!((call.codec.as_str(), call.crosses_wan), ("G.711", false));
}

#[tokio::test]
async fn twenty_calls_spread_over_the_sites_appliances_and_skip_one_in_maintenance() {
    let rig = start(true).await;
    rig.enable().await;
    rig.pass_replication_window().await;
    rig.sign_in("alice", AMSTERDAM_CLIENT).await;
    let mut used = std::collections::BTreeSet::new();
    for _ in 0..20 {
        used.insert(rig.client.call("alice", "+31201234567").await.unwrap().appliance);
    }
    assert!(used.len() >= 2 && used.iter().all(|a| a.starts_with("ams-")), "{used:?}");

    rig.tenant.set_maintenance("ams-cce2", true).await.unwrap();
    for _ in 0..20 {
        let call = rig.client.call("alice", "+31201234567").await.unwrap();
        assert_ne!(call.appliance, "ams-cce2", "an appliance in maintenance takes no new calls");
        assert_eq!(call.media_path, MediaPath::Bypass);
    }
    rig.tenant.set_maintenance("ams-cce2", false).await.unwrap();
}

#[tokio::test]
async fn a_user_homed_on_seattle_calls_through_seattle_from_amsterdam_and_media_crosses_the_wan() {
    let rig = start(true).await;
    rig.enable().await;
    rig.tenant.set_user_pstn_site("carol@adatum.biz", Some("Seattle")).await.unwrap();
    rig.pass_replication_window().await;
    rig.sign_in("carol", AMSTERDAM_CLIENT).await;
    let call = rig.client.call("carol", "+12065550100").await.unwrap();
    assert_eq!(call.site, "Seattle", "{call:?}");
    assert!(call.appliance.starts_with("sea-") && call.crosses_wan, "{call:?}");
    assert_eq!(call.media_path, MediaPath::Bypass, "the bypass ID is the tenant's, the same on every site");
    let settings = rig.tenant.user_pstn_settings("carol").await.unwrap();
    assert_eq!(settings.hybrid_pstn_site.as_deref(), Some("Seattle"));
    let refused = rig.tenant.set_user_pstn_site("carol", Some("Zurich")).await.unwrap_err();
    assert!(refused.to_string().contains("not a hybrid PSTN site"), "{refused}");
}

#[tokio::test]
async fn an_inbound_call_bypasses_when_the_client_holds_the_gateways_id() {
    let rig = start(true).await;
    rig.enable().await;
    rig.pass_replication_window().await;
    rig.sign_in("alice", AMSTERDAM_CLIENT).await;
    let call =
        rig.client.place("alice", &client::CallOrder { number: "+31201234567".into(), inbound: true }).await.unwrap();
    assert_eq!(
        (call.media_path, call.direction),
        (MediaPath::Bypass, bypass_lab::mediation::Direction::Inbound),
        "{call:?}"
    );
    rig.sign_in("erin", EXTERNAL_CLIENT).await;
    let call =
        rig.client.place("erin", &client::CallOrder { number: "+31201234567".into(), inbound: true }).await.unwrap();
    assert_eq!(call.media_path, MediaPath::ThroughEdge);
}

#[tokio::test]
async fn an_external_clients_call_goes_through_the_edge() {
    let rig = start(true).await;
    rig.enable().await;
    rig.pass_replication_window().await;
    let status = rig.sign_in("erin", EXTERNAL_CLIENT).await;
    assert_eq!(status.last_fetch.unwrap().outcome.name(), "name_does_not_resolve");
    assert!(!status.bypass);
    let call = rig.client.call("erin", "+14255550100").await.unwrap();
    assert_eq!(call.media_path, MediaPath::ThroughEdge, "{call:?}");
    assert_eq!(call.site, "Amsterdam", "external clients come in to the first site");
}

#[tokio::test]
async fn a_changed_url_reaches_a_client_only_after_sign_out_and_in() {
    let rig = start(true).await;
    rig.enable().await;
    rig.pass_replication_window().await;
    rig.sign_in("frank", AMSTERDAM_CLIENT).await;
    rig.tenant.set_internal_url(Some(NEW_URL)).await.unwrap();
    rig.pass_replication_window().await;
    rig.client.fetch("frank").await.unwrap();
    let status = rig.client.status("frank").await.unwrap();
    assert_eq!(status.hybrid_config_service_internal_url.as_deref(), Some(URL), "still the URL of the last sign-in");
    assert!(status.bypass, "the old name still resolves and serves: {status:?}");

    let out = rig.client.sign_out("frank").await.unwrap();
    assert!(!out.signed_in && out.hybrid_config_service_internal_url.is_none() && !out.bypass, "{out:?}");
    let status = rig.sign_in("frank", AMSTERDAM_CLIENT).await;
    assert_eq!(status.hybrid_config_service_internal_url.as_deref(), Some(NEW_URL));
    let log = rig.client.log("frank").await.unwrap();
    let urls: Vec<&str> = log.lines().filter_map(|l| l.split("hybridconfigserviceinternalurl=").nth(1)).collect();
    assert_eq!(urls, vec![URL, NEW_URL], "one provisioning line per sign-in:\n{log}");
    // The seed's DNS holds no record for the new name yet.
    assert_eq!(
        status.last_fetch.unwrap().outcome,
        FetchOutcome::NameDoesNotResolve { host: "newname.adatum.biz".into(), answer: DnsFailure::NxDomain }
    );
}

#[tokio::test]
async fn after_a_temporary_disable_has_replicated_fetches_are_rejected_and_calls_stop_bypassing() {
    let rig = start(true).await;
    rig.enable().await;
    rig.pass_replication_window().await;
    rig.sign_in("grace", AMSTERDAM_CLIENT).await;
    rig.sign_in("heidi", SEATTLE_CLIENT).await;
    assert_eq!(rig.client.call("grace", "+31205550100").await.unwrap().media_path, MediaPath::Bypass);

    rig.temporarily_disable().await;
    rig.pass_replication_window().await;
    // The 8-hourly re-fetch after replication finished, without anyone asking.
    rig.clock.advance(EIGHT_HOURS).await.unwrap();
    for user in ["grace", "heidi"] {
        let status = rig.client.status(user).await.unwrap();
        let fetched = status.last_fetch.clone().unwrap();
        match &fetched.outcome {
            FetchOutcome::Rejected { status: 403, reason, .. } => assert!(!reason.is_empty(), "{fetched:?}"),
            other => panic!("{user}: expected a 403 rejection, got {other:?}"),
        }
        assert_eq!(
            fetched.at_ms,
            rig.clock.now().as_millis() as u64,
            "{user}'s scheduled re-fetch happened at the due instant"
        );
        assert!(!status.bypass && status.bypass_id.is_none(), "{status:?}");
    }
    // An explicit fetch is rejected too.
    assert_eq!(rig.client.fetch("grace").await.unwrap().name(), "rejected");
    let call = rig.client.call("grace", "+31205550100").await.unwrap();
    assert_eq!(call.media_path, MediaPath::ThroughMediationServer, "{call:?}");
    let log = rig.client.log("grace").await.unwrap();
    assert!(log.contains("rejected the request (403)"), "{log}");
}

#[tokio::test]
async fn after_a_permanent_disable_a_re_signed_in_client_receives_no_url() {
    let rig = start(true).await;
    rig.enable().await;
    rig.pass_replication_window().await;
    rig.sign_in("ivan", AMSTERDAM_CLIENT).await;
    rig.tenant.set_internal_url(None).await.unwrap();
    rig.temporarily_disable().await;
    rig.pass_replication_window().await;
    rig.client.sign_out("ivan").await.unwrap();
    let status = rig.sign_in("ivan", AMSTERDAM_CLIENT).await;
    assert_eq!(status.hybrid_config_service_internal_url, None);
    assert_eq!(status.last_fetch.unwrap().outcome, FetchOutcome::NoUrlProvisioned);
    assert_eq!(rig.client.fetch("ivan").await.unwrap(), FetchOutcome::NoUrlProvisioned);
    let call = rig.client.call("ivan", "+31205550100").await.unwrap();
    assert_eq!(call.media_path, MediaPath::ThroughMediationServer, "{call:?}");
    let log = rig.client.log("ivan").await.unwrap();
    assert!(log.lines().last().is_some_and(|l| l.contains("Call to +31205550100")), "{log}");
    assert!(log.lines().any(|l| l.ends_with("hybridconfigserviceinternalurl=")), "{log}");
}

#[tokio::test]
async fn an_old_client_a_mac_or_a_full_tunnel_vpn_never_bypasses_and_says_why() {
    use bypass_lab::client::SignInRequest;
    let rig = start(true).await;
    rig.enable().await;
    rig.pass_replication_window().await;
    let at = AMSTERDAM_CLIENT.parse().unwrap();
    let old = SignInRequest { address: at, version: Some("16.0.7571.2109".into()), vpn: None, platform: None };
    let status = rig.client.sign_in_as("olga", &old).await.unwrap();
    let outcome = status.last_fetch.unwrap().outcome;
    assert_eq!(outcome.name(), "unsupported_client");
    assert!(outcome.describe().contains("16.0.7571.2109 is below 16.0.7870.2020"), "{}", outcome.describe());
    assert_eq!(rig.client.call("olga", "+31201234567").await.unwrap().media_path, MediaPath::ThroughMediationServer);

    let full = SignInRequest { address: at, version: None, vpn: Some("full".into()), platform: None };
    let status = rig.client.sign_in_as("victor", &full).await.unwrap();
    assert_eq!(status.last_fetch.unwrap().outcome.name(), "full_tunnel_vpn");
    assert_eq!(rig.client.call("victor", "+31201234567").await.unwrap().media_path, MediaPath::ThroughEdge);

    let split = SignInRequest {
        address: at,
        version: Some("16.0.8201.2102".into()),
        vpn: Some("split".into()),
        platform: None,
    };
    let status = rig.client.sign_in_as("sven", &split).await.unwrap();
    assert!(status.bypass, "{status:?}");
    assert_eq!(status.client_version, "16.0.8201.2102");

    let mac =
        SignInRequest { address: at, version: Some("16.0.8201.2102".into()), vpn: None, platform: Some("mac".into()) };
    let status = rig.client.sign_in_as("maria", &mac).await.unwrap();
    let outcome = status.last_fetch.unwrap().outcome;
    assert_eq!(outcome.name(), "unsupported_platform");
    assert!(outcome.describe().contains("Skype for Business on Mac does not support it"), "{}", outcome.describe());
    assert_eq!(rig.client.call("maria", "+31201234567").await.unwrap().media_path, MediaPath::ThroughMediationServer);

    let bad = SignInRequest { address: at, version: Some("sixteen".into()), vpn: None, platform: None };
    match rig.client.sign_in_as("bad", &bad).await.map_err(|e| e.kind) {
        Err(RemoteErrorKind::Refused { status: 400, message }) => {
            assert!(message.contains("'sixteen' is not a client version"), "{message}")
        }
        other => panic!("expected 400, got {other:?}"),
    }
}

#[tokio::test]
async fn calls_split_over_a_sites_gateways_and_fail_over_when_one_stops() {
    let text = bypass_lab::topology::SEED_TOML.replacen(
        "gateway = \"192.168.1.10\"",
        "gateway = \"192.168.1.10\"\ngateways = [\"192.168.1.11\"]",
        1,
    );
    let topology = Topology::parse(&text, None).unwrap();
    let rig = start_with(topology, true, true).await;
    rig.enable().await;
    rig.pass_replication_window().await;
    rig.sign_in("alice", AMSTERDAM_CLIENT).await;
    let mut gateways = std::collections::BTreeSet::new();
    for _ in 0..16 {
        gateways.insert(rig.client.call("alice", "+31201234567").await.unwrap().gateway);
    }
    assert_eq!(gateways, ["192.168.1.10".to_string(), "192.168.1.11".to_string()].into(), "split over both gateways");

    let secrets_url = |name: &str| rig.appliance_url(name);
    for name in ["ams-cce1", "ams-cce2", "ams-cce3", "ams-cce4"] {
        let remote = bypass_lab::mediation::ApplianceRemote::new(secrets_url(name), &rig.control_token);
        remote.set_gateway("192.168.1.11".parse().unwrap(), false).await.unwrap();
    }
    let mut failed_over = 0;
    for _ in 0..16 {
        let call = rig.client.call("alice", "+31201234567").await.unwrap();
        assert_eq!(call.gateway, "192.168.1.10", "{call:?}");
        assert_eq!(call.media_path, MediaPath::Bypass);
        failed_over += usize::from(call.failed_over_from == ["192.168.1.11"]);
    }
    assert!(failed_over > 0, "some calls' turn fell on the stopped gateway and failed over");
}
