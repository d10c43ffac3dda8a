//! The tenant: enabling, changing and disabling media bypass, and what it then holds.

use super::runbook::run_and_record;
use super::world::{within, LabWorld};
use crate::lab::RunOn;
use cucumber::gherkin::Step;
use cucumber::{given, then, when};

/// The deployment guide's enable lines, with this plan's service URL.
pub fn enable_lines(url: &str) -> String {
    format!(
        "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl {url}\n\
         $mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true\n\
         Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass\n"
    )
}

pub const DISABLE_LINES: &str = "$mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false\n\
Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass\n";

pub async fn enable(world: &mut LabWorld) -> anyhow::Result<()> {
    let lines = enable_lines(&world.topology().service_url());
    run_and_record(world, &lines, RunOn::AdminSession).await?;
    world.transcript().map(|_| ())
}

#[when("the tenant administrator enables media bypass with the planned service URL")]
async fn admin_enables(world: &mut LabWorld) -> anyhow::Result<()> {
    enable(world).await
}

#[when("the tenant administrator disables media bypass temporarily")]
async fn admin_disables(world: &mut LabWorld) -> anyhow::Result<()> {
    run_and_record(world, DISABLE_LINES, RunOn::AdminSession).await?;
    world.transcript().map(|_| ())
}

/// Opening a scenario, it is done once per lab: later scenarios opening with it find the lab put
/// back as it left it (docs/design/backends.md, "Kept states").
#[given("media bypass has been enabled and has replicated")]
async fn enabled_and_replicated(world: &mut LabWorld, step: &Step) -> anyhow::Result<()> {
    let opening = world.opens_with(step);
    if opening && world.opened_after(step) {
        return Ok(());
    }
    enable(world).await?;
    within("a replication window to pass", world.lab().pass_replication_window()).await??;
    if opening {
        world.keep_after(step).await?;
    }
    Ok(())
}

/// The name `label` would take beside the plan's service name (`media` beside
/// `hybridvoice.adatum.biz` is `media.adatum.biz`): in the same zone and the same SIP domain for
/// any plan whose service name sits below its zone.
pub fn new_service_name(t: &crate::topology::Topology, label: &str) -> String {
    let service = t.tenant.service_name.trim_end_matches('.').to_ascii_lowercase();
    let zone = crate::dns::service_zone(t);
    match service.split_once('.') {
        Some((_, parent)) if service != zone && (parent == zone || parent.ends_with(&format!(".{zone}"))) => {
            format!("{label}.{parent}")
        }
        _ => format!("{label}.{zone}"),
    }
}

#[when(expr = "the tenant administrator changes the service URL to one on {string} in a registered SIP domain")]
async fn admin_changes_url(world: &mut LabWorld, host: String) -> anyhow::Result<()> {
    let url = format!("http://{}/hybridconfig/hybridconfigservice.svc", new_service_name(world.topology(), &host));
    world.new_url = Some(url.clone());
    let line = format!("Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl {url}\n");
    run_and_record(world, &line, RunOn::AdminSession).await
}

#[when("the tenant administrator sets the service URL to one outside every registered SIP domain")]
async fn admin_sets_foreign_url(world: &mut LabWorld) -> anyhow::Result<()> {
    let domains = world.topology().tenant.sip_domains.clone();
    // A name under a label no SIP domain can end in: outside every domain of any plan.
    let host = format!("hybridvoice.{}.invalid", domains.join("-").replace('.', "-"));
    let url = format!("http://{host}/hybridconfig/hybridconfigservice.svc");
    world.new_url = Some(url.clone());
    run_and_record(
        world,
        &format!("Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl {url}\n"),
        RunOn::AdminSession,
    )
    .await
}

#[then(expr = "a warning mentions {string}")]
async fn a_warning_mentions(world: &mut LabWorld, text: String) -> anyhow::Result<()> {
    let t = world.transcript()?;
    let warnings: Vec<&String> = t.steps.iter().flat_map(|s| s.output.warnings.iter()).collect();
    anyhow::ensure!(
        warnings.iter().any(|w| w.contains(&text)),
        "expected a warning mentioning {text:?}, but saw {warnings:?}"
    );
    Ok(())
}

#[then("the tenant holds that service URL")]
async fn tenant_holds_url(world: &mut LabWorld) -> anyhow::Result<()> {
    let url = world.new_url.clone().ok_or_else(|| anyhow::anyhow!("no service URL was set in this scenario"))?;
    let held = world.lab().tenant_configuration().await?.hybrid.hybrid_config_service_internal_url;
    anyhow::ensure!(held.as_deref() == Some(url.as_str()), "expected the tenant to hold {url}, it holds {held:?}");
    Ok(())
}

#[then("the tenant's configuration is unchanged")]
async fn tenant_unchanged(world: &mut LabWorld) -> anyhow::Result<()> {
    let before = world.baseline.clone().ok_or_else(|| anyhow::anyhow!("no configuration was recorded before"))?;
    let now = world.lab().tenant_configuration().await?;
    anyhow::ensure!(now == before, "expected the tenant's configuration to stay\n{before:#?}\nbut it is now\n{now:#?}");
    Ok(())
}

#[then(expr = "the tenant's media bypass settings show Enabled {word}")]
async fn tenant_bypass_enabled(world: &mut LabWorld, enabled: String) -> anyhow::Result<()> {
    let s = world.lab().tenant_configuration().await?.network.media_bypass_settings;
    let expected = match enabled.as_str() {
        "True" => true,
        "False" => false,
        other => anyhow::bail!("Enabled is True or False, not {other}"),
    };
    anyhow::ensure!(s.enabled == expected, "expected Enabled {enabled} on the tenant, saw {s:?}");
    Ok(())
}

#[then("the tenant shows every appliance at the current configuration version")]
async fn tenant_all_current(world: &mut LabWorld) -> anyhow::Result<()> {
    let version = world.lab().tenant_configuration().await?.version;
    let records = world.lab().tenant_appliances().await?;
    let behind: Vec<String> = records
        .iter()
        .filter(|r| r.replicated_version != Some(version))
        .map(|r| format!("{} at {:?}", r.name, r.replicated_version))
        .collect();
    anyhow::ensure!(
        behind.is_empty() && records.len() == world.topology().appliances().count(),
        "expected every appliance at version {version} on the tenant; behind: {behind:?}"
    );
    Ok(())
}

#[then("the tenant shows the cut-off appliance behind the current configuration version")]
async fn tenant_shows_cut_behind(world: &mut LabWorld) -> anyhow::Result<()> {
    let name = world.subject.clone().ok_or_else(|| anyhow::anyhow!("no appliance was cut off in this scenario"))?;
    let version = world.lab().tenant_configuration().await?.version;
    let records = world.lab().tenant_appliances().await?;
    let record =
        records.iter().find(|r| r.name == name).ok_or_else(|| anyhow::anyhow!("the tenant does not list {name}"))?;
    anyhow::ensure!(
        record.replicated_version.is_some_and(|v| v < version),
        "expected {name} behind version {version} on the tenant, saw {:?}",
        record.replicated_version
    );
    Ok(())
}

#[when("the tenant administrator puts the first site's first appliance in maintenance mode")]
async fn maintenance_first(world: &mut LabWorld) -> anyhow::Result<()> {
    let name = world.topology().sites[0].appliances[0].name.clone();
    world.subject = Some(name.clone());
    run_and_record(
        world,
        &format!("Set-CsHybridPSTNAppliance -Identity {name} -MaintenanceMode $true\n"),
        RunOn::AdminSession,
    )
    .await?;
    world.transcript().map(|_| ())
}

#[then("the tenant shows that appliance in maintenance mode")]
async fn shows_maintenance(world: &mut LabWorld) -> anyhow::Result<()> {
    let name = world.subject.clone().ok_or_else(|| anyhow::anyhow!("no appliance was put in maintenance mode"))?;
    let records = world.lab().tenant_appliances().await?;
    let record =
        records.iter().find(|r| r.name == name).ok_or_else(|| anyhow::anyhow!("the tenant does not list {name}"))?;
    anyhow::ensure!(record.maintenance_mode, "expected {name} in maintenance mode, saw {record:?}");
    Ok(())
}

#[given(expr = "{string} is homed on the last site's PSTN site")]
async fn homed_on_last_site(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let site = world
        .topology()
        .sites
        .last()
        .map(|s| s.name.clone())
        .ok_or_else(|| anyhow::anyhow!("the topology has no site"))?;
    let domain = world.topology().tenant.sip_domains[0].clone();
    world.subject = Some(site.clone());
    let line = format!("Set-CsUserPstnSettings -Identity {user}@{domain} -HybridPstnSite \"{site}\"\nGet-CsUserPstnSettings -Identity {user}\n");
    run_and_record(world, &line, RunOn::AdminSession).await?;
    let t = world.transcript()?;
    let shown = t.steps.last().map(|s| s.output.objects.clone()).unwrap_or_default();
    anyhow::ensure!(
        shown.iter().any(|o| matches!(o, crate::runbook::Value::Object(o) if o.get("HybridPstnSite").and_then(|v| v.as_str()) == Some(site.as_str()))),
        "Get-CsUserPstnSettings should show {site} for {user}, but showed {shown:?}"
    );
    Ok(())
}

#[then("the runbook printed the bypass ID the tenant still holds")]
async fn printed_held_id(world: &mut LabWorld) -> anyhow::Result<()> {
    let id = world.lab().tenant_configuration().await?.network.media_bypass_settings.bypass_id;
    let id = id.ok_or_else(|| anyhow::anyhow!("the tenant holds no bypass ID"))?.to_string();
    let printed: Vec<String> = world
        .transcript()?
        .steps
        .iter()
        .flat_map(|s| s.output.objects.iter().filter_map(|o| o.as_str().map(str::to_string)))
        .collect();
    anyhow::ensure!(printed.contains(&id), "expected the runbook to print {id}, it printed {printed:?}");
    Ok(())
}
