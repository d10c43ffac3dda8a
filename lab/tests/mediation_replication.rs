//! Replication from the real tenant to the seed's seven appliances on one virtual clock: a
//! change reaches none of them at once and every reachable one after one window; a cut appliance
//! stays stale and says so; a restarted one serves from its LocalStore at once.

use bypass_lab::auth::Secrets;
use bypass_lab::backend::embedded::start_role;
use bypass_lab::backend::role_plan::RoleSpec;
use bypass_lab::backend::RoleFailure;
use bypass_lab::clock::Clock;
use bypass_lab::mediation::{
    ApplianceConfig, ApplianceRemote, MediationArgs, WebServiceState, LINK_CUT, REASON_DISABLED,
    REASON_NEVER_CONFIGURED,
};
use bypass_lab::tenant::{MediaBypassSettings, TenantRemote};
use bypass_lab::topology::Topology;
use std::net::SocketAddr;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

mod support;

const SERVICE: &str = "hybridvoice.adatum.biz";
const URL: &str = "http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc";
const DEADLINE: Duration = Duration::from_secs(5);

struct Appliance {
    config: ApplianceConfig,
    /// How it was started: a restart starts it again from these.
    args: MediationArgs,
    remote: ApplianceRemote,
    stop: CancellationToken,
    task: JoinHandle<Result<(), RoleFailure>>,
}

struct Rig {
    topology: Topology,
    secrets: Secrets,
    clock: Clock,
    tenant_url: String,
    window: Duration,
    appliances: Vec<Appliance>,
    stop: CancellationToken,
    _dir: tempfile::TempDir,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.stop.cancel();
    }
}

impl Rig {
    async fn start() -> Rig {
        let topology = Topology::seed();
        let secrets = Secrets::generate(&topology);
        let dir = tempfile::tempdir().unwrap();
        let stop = CancellationToken::new();
        let tenant_url =
            support::start_tenant(&topology, &secrets, &dir.path().join("tenant"), stop.clone()).await.url();
        let clock = Clock::new();
        let mut appliances = Vec::new();
        for (_, a) in topology.appliances() {
            let args = MediationArgs {
                appliance: a.name.clone(),
                listen: SocketAddr::from(([127, 0, 0, 1], 0)),
                tenant: tenant_url.clone(),
                data: Some(dir.path().join(&a.name)),
            };
            appliances.push(start_appliance(&topology, &secrets, args, &clock, stop.child_token()).await);
        }
        let rig = Rig {
            window: topology.tenant.replication_window,
            topology,
            secrets,
            clock,
            tenant_url,
            appliances,
            stop,
            _dir: dir,
        };
        rig.wait_for_versions(1).await;
        rig
    }

    fn admin(&self) -> TenantRemote {
        TenantRemote::new(&self.tenant_url, &self.secrets.admin)
    }

    fn appliance(&self, name: &str) -> &Appliance {
        self.appliances.iter().find(|a| a.config.name == name).unwrap()
    }

    /// Waits (tenant long poll, with a deadline) until all seven appliances registered and
    /// reported `version`.
    async fn wait_for_versions(&self, version: u64) {
        let admin = self.admin();
        let all = self.topology.appliances().count();
        let list = admin.appliances_at(version, DEADLINE).await.unwrap();
        assert!(
            list.len() == all && list.iter().all(|a| a.replicated_version >= Some(version)),
            "the appliances did not all report version {version} within {DEADLINE:?}: {list:?}"
        );
    }

    async fn enable(&self) -> Uuid {
        self.admin().set_internal_url(Some(URL)).await.unwrap();
        let settings = support::always_bypass();
        let stored = self.admin().set_media_bypass(&settings).await.unwrap();
        stored.network.media_bypass_settings.bypass_id.expect("an enabled configuration holds a bypass ID")
    }
}

/// Starts one appliance as the embedded backend does, keeping what a restart needs.
async fn start_appliance(
    topology: &Topology,
    secrets: &Secrets,
    args: MediationArgs,
    clock: &Clock,
    stop: CancellationToken,
) -> Appliance {
    let config = args.config(topology, secrets).unwrap();
    let started = start_role(RoleSpec::in_process(args.clone()), topology, secrets, clock, stop.clone()).await.unwrap();
    let remote = ApplianceRemote::new(started.url(), &secrets.control);
    Appliance { config, args, remote, stop, task: started.task }
}

#[tokio::test]
async fn a_change_reaches_every_appliance_within_one_window_and_not_before() {
    let rig = Rig::start().await;
    for a in &rig.appliances {
        let reply = a.remote.fetch_web_service(SERVICE).await.unwrap();
        assert_eq!(
            (reply.status, reply.rejection()),
            (403, Some(REASON_NEVER_CONFIGURED)),
            "{} before the enable",
            a.config.name
        );
    }

    let bypass_id = rig.enable().await;
    for a in &rig.appliances {
        let reply = a.remote.fetch_web_service(SERVICE).await.unwrap();
        assert_eq!(reply.status, 403, "{} must not have the enable before replication", a.config.name);
        assert!(!a.remote.status().await.unwrap().bypass_enabled);
    }

    rig.clock.advance(rig.window).await.unwrap();
    for a in &rig.appliances {
        let reply = a.remote.fetch_web_service(SERVICE).await.unwrap();
        assert_eq!(reply.status, 200, "{} after one window: {:?}", a.config.name, reply.answer);
        let doc = reply.document().unwrap();
        assert!(doc.bypass_enabled && doc.allows_bypass());
        assert_eq!(doc.bypass_id, Some(bypass_id), "{} holds another bypass ID", a.config.name);
        let status = a.remote.status().await.unwrap();
        assert_eq!(
            (status.replicated_version, status.bypass_id, status.always_bypass),
            (Some(3), Some(bypass_id), true)
        );
        assert_eq!(status.web_service_state, WebServiceState::Serving);
        assert!(status.tenant_reachable && status.tenant_error.is_none(), "{status:?}");
    }
    let records = rig.admin().appliances().await.unwrap();
    assert_eq!(records.len(), 7);
    assert!(records.iter().all(|r| r.replicated_version == Some(3)), "{records:?}");

    // Disable: half a window later exactly the appliances whose sync fell inside it have it.
    let next_syncs: Vec<Duration> = futures::future::join_all(rig.appliances.iter().map(|a| a.remote.status()))
        .await
        .into_iter()
        .map(|s| s.unwrap().next_sync)
        .collect();
    rig.admin().set_media_bypass(&MediaBypassSettings::default()).await.unwrap();
    for a in &rig.appliances {
        assert_eq!(
            a.remote.fetch_web_service(SERVICE).await.unwrap().status,
            200,
            "{} before the disable replicated",
            a.config.name
        );
    }
    let half = rig.clock.advance(rig.window / 2).await.unwrap();
    for (a, next) in rig.appliances.iter().zip(&next_syncs) {
        let reply = a.remote.fetch_web_service(SERVICE).await.unwrap();
        let expected = if *next <= half { 403 } else { 200 };
        assert_eq!(reply.status, expected, "{} syncs at {next:?}; the clock is at {half:?}", a.config.name);
    }
    rig.clock.advance(rig.window / 2).await.unwrap();
    for a in &rig.appliances {
        let reply = a.remote.fetch_web_service(SERVICE).await.unwrap();
        assert_eq!(
            (reply.status, reply.rejection()),
            (403, Some(REASON_DISABLED)),
            "{} after the disable",
            a.config.name
        );
        assert_eq!(a.remote.status().await.unwrap().web_service_state, WebServiceState::Rejecting);
    }
}

#[tokio::test]
async fn a_cut_appliance_stays_stale_says_why_and_converges_after_healing() {
    let rig = Rig::start().await;
    let cut = rig.appliance("sea-cce1");
    cut.remote.set_link(false).await.unwrap();
    let bypass_id = rig.enable().await;
    rig.clock.advance(rig.window).await.unwrap();

    let reply = cut.remote.fetch_web_service(SERVICE).await.unwrap();
    assert_eq!((reply.status, reply.rejection()), (403, Some(REASON_NEVER_CONFIGURED)));
    let status = cut.remote.status().await.unwrap();
    assert!(!status.tenant_reachable);
    assert_eq!(status.tenant_error.as_deref(), Some(LINK_CUT));
    assert_eq!(status.replicated_version, Some(1));
    for r in rig.admin().appliances().await.unwrap() {
        let expected = if r.name == "sea-cce1" { Some(1) } else { Some(3) };
        assert_eq!(r.replicated_version, expected, "{} on the tenant", r.name);
    }

    cut.remote.set_link(true).await.unwrap();
    rig.clock.advance(rig.window).await.unwrap();
    let reply = cut.remote.fetch_web_service(SERVICE).await.unwrap();
    assert_eq!(reply.status, 200);
    assert_eq!(reply.document().unwrap().bypass_id, Some(bypass_id));
    let status = cut.remote.status().await.unwrap();
    assert!(status.tenant_reachable && status.tenant_error.is_none(), "{status:?}");
    assert_eq!(status.replicated_version, Some(3));
}

#[tokio::test]
async fn a_restarted_appliance_serves_its_localstore_at_once_even_without_the_tenant() {
    let mut rig = Rig::start().await;
    let bypass_id = rig.enable().await;
    rig.clock.advance(rig.window).await.unwrap();

    let old = rig.appliances.remove(0);
    old.stop.cancel();
    old.task.await.unwrap().unwrap();
    // The restarted appliance points at a port nobody listens on: whatever it serves comes from
    // its LocalStore.
    let dead = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let dead_url = format!("http://{}", dead.local_addr().unwrap());
    drop(dead);
    let args = MediationArgs { tenant: dead_url, ..old.args.clone() };
    let restarted = start_appliance(&rig.topology, &rig.secrets, args, &rig.clock, rig.stop.child_token()).await;

    let reply = restarted.remote.fetch_web_service(SERVICE).await.unwrap();
    assert_eq!(reply.status, 200, "{:?}", reply.answer);
    assert_eq!(reply.document().unwrap().bypass_id, Some(bypass_id));
    assert_eq!(restarted.remote.status().await.unwrap().replicated_version, Some(3));

    // Its first sync failed; the status names the unreachable tenant.
    rig.clock.advance(rig.window).await.unwrap();
    let status = restarted.remote.status().await.unwrap();
    assert!(!status.tenant_reachable);
    assert!(status.tenant_error.as_deref().unwrap_or_default().contains("cannot reach the tenant"), "{status:?}");
    assert_eq!(restarted.remote.fetch_web_service(SERVICE).await.unwrap().status, 200);
}

#[tokio::test]
async fn calls_bypass_only_with_the_gateways_bypass_id_and_the_control_api_needs_its_credential() {
    let rig = Rig::start().await;
    let bypass_id = rig.enable().await;
    rig.clock.advance(rig.window).await.unwrap();
    let ams = rig.appliance("ams-cce1");
    let call = |bypass_id, external| bypass_lab::mediation::CallRequest {
        user: "alice@adatum.biz".into(),
        number: "+31201234567".into(),
        bypass_id,
        external,
        ..Default::default()
    };
    use bypass_lab::mediation::MediaPath;
    let r = ams.remote.call(&call(Some(bypass_id), false), &rig.secrets.users).await.unwrap();
    assert_eq!(
        (r.media_path, r.gateway.as_str(), r.mediation_server.as_str()),
        (MediaPath::Bypass, "192.168.1.10", "ams-cce1.adatum.biz")
    );
    assert_eq!(
        ams.remote.call(&call(None, false), &rig.secrets.users).await.unwrap().media_path,
        MediaPath::ThroughMediationServer
    );
    assert_eq!(
        ams.remote.call(&call(Some(bypass_id), true), &rig.secrets.users).await.unwrap().media_path,
        MediaPath::ThroughEdge
    );

    let anonymous = ams.remote.call(&call(None, false), "not-a-user").await.unwrap_err();
    assert_eq!(anonymous.status(), Some(401), "a call needs the users' credential: {anonymous}");

    let wrong_host = ams.remote.fetch_web_service("ams-cce1.adatum.biz").await.unwrap();
    assert_eq!(wrong_host.status, 404);
    assert!(
        wrong_host.rejection().unwrap().contains("answers only for hybridvoice.adatum.biz"),
        "{:?}",
        wrong_host.rejection()
    );

    let stranger = ApplianceRemote::new(ams.remote.base_url(), "not-the-control-credential");
    let err = stranger.status().await.unwrap_err();
    assert!(err.to_string().contains("(401)"), "{err}");
    assert!(stranger.set_link(false).await.is_err());

    let to = rig.clock.now() + Duration::from_secs(60);
    assert_eq!(ams.remote.advance_clock(to).await.unwrap(), to);
    assert_eq!(ams.remote.clock().await.unwrap(), to);
}

#[tokio::test]
async fn cmdlets_on_a_mediation_server_read_its_localstore() {
    use bypass_lab::runbook::{Executor, Invocation, Value};
    let rig = Rig::start().await;
    let bypass_id = rig.enable().await;
    rig.clock.advance(rig.window).await.unwrap();
    let remote = &rig.appliance("sea-cce3").remote;
    let invocation = |cmdlet: &str, local_store: bool| Invocation {
        cmdlet: cmdlet.into(),
        args: if local_store { [("LocalStore".to_string(), Value::Bool(true))].into() } else { Default::default() },
        line: 1,
        column: 1,
    };
    let out = remote.execute(&invocation("Get-CsNetworkConfiguration", true)).await.unwrap();
    let Value::Object(network) = &out.objects[0] else { panic!("{out:?}") };
    let Some(Value::Object(settings)) = network.get("MediaBypassSettings") else { panic!("{network:?}") };
    assert_eq!(settings.get("Enabled"), Some(&Value::Bool(true)));
    assert_eq!(settings.get("AlwaysBypass"), Some(&Value::Bool(true)));
    assert_eq!(settings.get("BypassID"), Some(&Value::String(bypass_id.to_string())));

    let out = remote.execute(&invocation("Get-CsTenantHybridConfiguration", true)).await.unwrap();
    let Value::Object(hybrid) = &out.objects[0] else { panic!("{out:?}") };
    assert_eq!(hybrid.get("HybridConfigServiceInternalUrl"), Some(&Value::String(URL.into())));

    let err = remote.execute(&invocation("Get-CsNetworkConfiguration", false)).await.unwrap_err();
    assert!(err.message.contains("-LocalStore"), "{}", err.message);

    let out = remote.execute(&invocation("Get-CcApplianceStatus", false)).await.unwrap();
    let Value::Object(status) = &out.objects[0] else { panic!("{out:?}") };
    assert_eq!(status.get("ApplianceName"), Some(&Value::String("sea-cce3".into())));
    assert_eq!(status.get("ReplicatedVersion"), Some(&Value::Int(3)));
}
