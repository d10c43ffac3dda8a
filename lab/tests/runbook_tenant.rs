//! The seed's runbook lines against a real tenant on loopback.

use bypass_lab::auth::Secrets;
use bypass_lab::runbook::{run, Targets, Value};
use bypass_lab::tenant::cmdlets::TenantExecutor;
use bypass_lab::tenant::remote::TenantRemote;
use bypass_lab::tenant::{serve, TenantConfig};
use bypass_lab::topology::Topology;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

async fn start() -> (TenantRemote, Targets, tempfile::TempDir, tokio_util::sync::DropGuard) {
    let topology = Topology::seed();
    let secrets = Secrets::generate(&topology);
    let dir = tempfile::tempdir().unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let stop = CancellationToken::new();
    let config = TenantConfig { data_dir: dir.path().to_path_buf(), topology, secrets: secrets.clone() };
    tokio::spawn(serve(listener, config, stop.clone()));
    let admin = TenantRemote::new(&url, &secrets.admin);
    let targets = Targets { tenant: Some(Arc::new(TenantExecutor::new(admin.clone()))), ..Default::default() };
    (admin, targets, dir, stop.drop_guard())
}

const ENABLE: &str = "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc
$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass
";

#[tokio::test]
async fn the_seed_enable_lines_turn_media_bypass_on() {
    let (admin, targets, _dir, _stop) = start().await;
    run(ENABLE, &targets).await.unwrap();
    let transcript = run("Get-CsNetworkConfiguration -LocalStore", &targets).await.unwrap();
    let Value::Object(network) = &transcript.steps[0].output.objects[0] else { panic!("{transcript:?}") };
    let Some(Value::Object(settings)) = network.get("MediaBypassSettings") else { panic!("{network:?}") };
    assert_eq!(settings.get("Enabled"), Some(&Value::Bool(true)));
    assert_eq!(settings.get("AlwaysBypass"), Some(&Value::Bool(true)));
    let Some(Value::String(id)) = settings.get("BypassID") else { panic!("{settings:?}") };
    id.parse::<uuid::Uuid>().expect("BypassID is a GUID");
    let text = transcript.render();
    assert!(text.contains("    Enabled                         : True"), "{text}");
    assert!(text.contains("    AlwaysBypass                    : True"), "{text}");
    assert!(text.contains(&format!("    BypassID                        : {id}")), "{text}");
    assert_eq!(admin.configuration().await.unwrap().version, 3);

    let hybrid = run("Get-CsTenantHybridConfiguration -LocalStore", &targets).await.unwrap().render();
    assert!(hybrid.contains("HybridConfigServiceInternalUrl : http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc"), "{hybrid}");
}

#[tokio::test]
async fn building_the_object_alone_changes_nothing() {
    let (admin, targets, _dir, _stop) = start().await;
    let before = admin.configuration().await.unwrap();
    run("$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true", &targets).await.unwrap();
    assert_eq!(admin.configuration().await.unwrap(), before);
}

#[tokio::test]
async fn the_tenants_url_refusal_stops_the_run() {
    let (admin, targets, _dir, _stop) = start().await;
    let err = run(
        "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://hybridvoice.contoso.com/hybridconfig/hybridconfigservice.svc\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null",
        &targets,
    )
    .await
    .unwrap_err();
    assert_eq!((err.line, err.column), (1, 1));
    assert_eq!(err.message, "Set-CsTenantHybridConfiguration : The host 'hybridvoice.contoso.com' of HybridConfigServiceInternalUrl is not in a SIP domain registered for hybrid voice (adatum.biz).");
    assert_eq!(admin.configuration().await.unwrap().version, 1, "the line after the error did not run");
}
