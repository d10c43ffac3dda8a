//! Cloud Connector appliances: replication, each Mediation Server's LocalStore and web service.

use super::each::in_order;
use super::runbook::run_and_record;
use super::world::{within, LabWorld};
use crate::lab::RunOn;
use crate::mediation::{ApplianceStatus, WebServiceState};
use cucumber::{then, when};

/// Every appliance's status, failing on any that cannot be read.
async fn statuses(world: &LabWorld) -> anyhow::Result<Vec<ApplianceStatus>> {
    let rows = within("every appliance's status", world.lab().status()).await??;
    rows.into_iter()
        .map(|r| r.status.ok_or_else(|| anyhow::anyhow!("appliance {}: {}", r.appliance, r.error.unwrap_or_default())))
        .collect()
}

fn others(world: &LabWorld, all: Vec<ApplianceStatus>) -> Vec<ApplianceStatus> {
    all.into_iter().filter(|s| Some(&s.appliance_name) != world.subject.as_ref()).collect()
}

#[when("the replication window passes")]
async fn window_passes(world: &mut LabWorld) -> anyhow::Result<()> {
    within("a replication window to pass", world.lab().pass_replication_window()).await??;
    Ok(())
}

#[when(expr = "{int} hours pass")]
async fn hours_pass(world: &mut LabWorld, hours: u64) -> anyhow::Result<()> {
    within("lab time to pass", world.lab().advance(std::time::Duration::from_secs(hours * 3600))).await??;
    Ok(())
}

#[then("no Mediation Server has the new settings yet")]
async fn none_has_it(world: &mut LabWorld) -> anyhow::Result<()> {
    let version = world.lab().tenant_configuration().await?.version;
    let ahead: Vec<String> = statuses(world)
        .await?
        .into_iter()
        .filter(|s| s.replicated_version >= Some(version))
        .map(|s| s.appliance_name)
        .collect();
    anyhow::ensure!(ahead.is_empty(), "expected no appliance at version {version} yet, but these have it: {ahead:?}");
    Ok(())
}

fn check_local_store(all: &[ApplianceStatus], enabled: bool, always: Option<bool>) -> anyhow::Result<()> {
    let wrong: Vec<String> = all
        .iter()
        .filter(|s| s.bypass_enabled != enabled || always.is_some_and(|a| s.always_bypass != a))
        .map(|s| format!("{} (Enabled {}, AlwaysBypass {})", s.appliance_name, s.bypass_enabled, s.always_bypass))
        .collect();
    anyhow::ensure!(
        wrong.is_empty(),
        "expected every LocalStore at Enabled {enabled}{}, but: {wrong:?}",
        always.map(|a| format!(", AlwaysBypass {a}")).unwrap_or_default()
    );
    Ok(())
}

#[then("every Mediation Server's LocalStore shows Enabled True and AlwaysBypass True")]
async fn all_enabled(world: &mut LabWorld) -> anyhow::Result<()> {
    check_local_store(&statuses(world).await?, true, Some(true))
}

#[then("every other Mediation Server's LocalStore shows Enabled True and AlwaysBypass True")]
async fn others_enabled(world: &mut LabWorld) -> anyhow::Result<()> {
    let all = statuses(world).await?;
    check_local_store(&others(world, all), true, Some(true))
}

#[then("every Mediation Server's LocalStore shows Enabled False")]
async fn all_disabled(world: &mut LabWorld) -> anyhow::Result<()> {
    check_local_store(&statuses(world).await?, false, None)
}

#[then("every Mediation Server holds the tenant's bypass ID")]
async fn all_same_bypass_id(world: &mut LabWorld) -> anyhow::Result<()> {
    let tenant = world.lab().tenant_configuration().await?.network.media_bypass_settings.bypass_id;
    anyhow::ensure!(tenant.is_some(), "the tenant holds no bypass ID");
    let wrong: Vec<String> = statuses(world)
        .await?
        .into_iter()
        .filter(|s| s.bypass_id != tenant)
        .map(|s| format!("{} holds {:?}", s.appliance_name, s.bypass_id))
        .collect();
    anyhow::ensure!(wrong.is_empty(), "expected bypass ID {tenant:?} everywhere, but {wrong:?}");
    Ok(())
}

async fn web_service_of(world: &LabWorld, names: &[String], serves: bool) -> anyhow::Result<()> {
    let reach = world.lab().reach();
    let reach = &reach;
    in_order(names, |name| async move {
        let reply = within("the web service to answer", reach.web_service(name)).await??;
        let ok = match reply.document() {
            Some(doc) => serves && reply.status == 200 && doc.bypass_enabled,
            None => !serves && reply.status == 403,
        };
        anyhow::ensure!(
            ok,
            "expected the web service of {name} to {}, but it answered {} {:?}",
            if serves { "serve bypassEnabled true" } else { "reject clients (403)" },
            reply.status,
            reply.answer
        );
        Ok(())
    })
    .await
    .map(drop)
}

fn all_names(world: &LabWorld) -> Vec<String> {
    world.topology().appliances().map(|(_, a)| a.name.clone()).collect()
}

#[then("every Mediation Server's web service rejects clients")]
async fn all_reject(world: &mut LabWorld) -> anyhow::Result<()> {
    web_service_of(world, &all_names(world), false).await
}

#[then("every Mediation Server's web service serves bypassEnabled true")]
async fn all_serve(world: &mut LabWorld) -> anyhow::Result<()> {
    web_service_of(world, &all_names(world), true).await
}

fn subject(world: &LabWorld) -> anyhow::Result<Vec<String>> {
    Ok(vec![world.subject.clone().ok_or_else(|| anyhow::anyhow!("no appliance was named earlier in this scenario"))?])
}

#[then("the cut-off appliance's web service still rejects clients")]
async fn cut_rejects(world: &mut LabWorld) -> anyhow::Result<()> {
    web_service_of(world, &subject(world)?, false).await
}

#[then("that appliance's web service serves bypassEnabled true")]
async fn that_serves(world: &mut LabWorld) -> anyhow::Result<()> {
    web_service_of(world, &subject(world)?, true).await
}

async fn subject_status(world: &LabWorld) -> anyhow::Result<ApplianceStatus> {
    let name = subject(world)?.remove(0);
    Ok(within("the appliance's status", world.lab().appliance_status(&name)).await??)
}

#[then("the cut-off appliance reports that it cannot reach the tenant")]
async fn cut_reports(world: &mut LabWorld) -> anyhow::Result<()> {
    let s = subject_status(world).await?;
    anyhow::ensure!(
        !s.tenant_reachable && s.tenant_error.is_some(),
        "expected {} to report the tenant unreachable with a reason, saw reachable={} error={:?}",
        s.appliance_name,
        s.tenant_reachable,
        s.tenant_error
    );
    Ok(())
}

#[then("the cut-off appliance reports that it reaches the tenant")]
async fn healed_reports(world: &mut LabWorld) -> anyhow::Result<()> {
    let s = subject_status(world).await?;
    anyhow::ensure!(s.tenant_reachable, "expected {} to reach the tenant, but: {:?}", s.appliance_name, s.tenant_error);
    anyhow::ensure!(s.web_service_state == WebServiceState::Serving, "expected {} to serve", s.appliance_name);
    Ok(())
}

#[when("the administrator unregisters the first appliance on it")]
async fn unregister_first(world: &mut LabWorld) -> anyhow::Result<()> {
    let first = world
        .topology()
        .appliances()
        .next()
        .map(|(_, a)| a.name.clone())
        .ok_or_else(|| anyhow::anyhow!("no appliance"))?;
    world.subject = Some(first.clone());
    run_and_record(world, "Unregister-CcAppliance\n", RunOn::Appliance(first)).await?;
    world.transcript().map(|_| ())
}

#[when("the administrator registers that appliance on it")]
async fn register_that(world: &mut LabWorld) -> anyhow::Result<()> {
    let name = world.subject.clone().ok_or_else(|| anyhow::anyhow!("no appliance was named in this scenario"))?;
    run_and_record(world, "Register-CcAppliance\n", RunOn::Appliance(name)).await
}

async fn registered(world: &LabWorld) -> anyhow::Result<(String, bool)> {
    let name = world.subject.clone().ok_or_else(|| anyhow::anyhow!("no appliance was named in this scenario"))?;
    let records = world.lab().tenant_appliances().await?;
    let record =
        records.iter().find(|r| r.name == name).ok_or_else(|| anyhow::anyhow!("the tenant does not list {name}"))?;
    Ok((name, record.registered))
}

#[then("the tenant shows that appliance as not registered")]
async fn shows_unregistered(world: &mut LabWorld) -> anyhow::Result<()> {
    let (name, registered) = registered(world).await?;
    anyhow::ensure!(!registered, "expected {name} unregistered on the tenant");
    Ok(())
}

#[then("the tenant shows that appliance as registered")]
async fn shows_registered(world: &mut LabWorld) -> anyhow::Result<()> {
    let (name, registered) = registered(world).await?;
    anyhow::ensure!(registered, "expected {name} registered on the tenant");
    Ok(())
}

#[when("the first gateway of the first site's first appliance stops")]
async fn first_gateway_stops(world: &mut LabWorld) -> anyhow::Result<()> {
    let site = &world.topology().sites[0];
    let appliance = site.appliances.first().ok_or_else(|| anyhow::anyhow!("the first site has no appliance"))?;
    let gateway = world.topology().gateways_of(site, appliance)[0];
    within("the gateway to stop", world.lab().set_gateway(gateway, false)).await??;
    world.stopped_gateway = Some(gateway);
    Ok(())
}

#[then("every call went to a gateway that is up, or found none up")]
async fn calls_failed_over(world: &mut LabWorld) -> anyhow::Result<()> {
    let stopped = world.stopped_gateway.ok_or_else(|| anyhow::anyhow!("no gateway was stopped in this scenario"))?;
    let sites = world.topology().sites.clone();
    anyhow::ensure!(!world.calls.is_empty(), "no call was placed in this scenario");
    for call in &world.calls {
        match call {
            Ok(c) => {
                let site =
                    sites.iter().find(|s| s.name == c.site).ok_or_else(|| anyhow::anyhow!("no site {}", c.site))?;
                let appliance = site
                    .appliances
                    .iter()
                    .find(|a| a.name == c.appliance)
                    .ok_or_else(|| anyhow::anyhow!("no appliance {}", c.appliance))?;
                let gateways = world.topology().gateways_of(site, appliance);
                anyhow::ensure!(
                    c.gateway != stopped.to_string() && gateways.iter().any(|g| g.to_string() == c.gateway),
                    "a call went to gateway {} (stopped: {stopped}, {}'s gateways: {gateways:?})",
                    c.gateway,
                    c.appliance
                );
            }
            Err(e) => anyhow::ensure!(
                e.contains("no gateway of") && e.contains(&stopped.to_string()),
                "a call failed otherwise: {e}"
            ),
        }
    }
    Ok(())
}
