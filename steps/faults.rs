//! Faults: an appliance cut off from the tenant, an appliance killed and started again.

use super::world::{within, LabWorld};
use cucumber::{given, when};

fn first_appliance(world: &LabWorld) -> String {
    let site = &world.topology().sites[0];
    site.appliances.first().map(|a| a.name.clone()).unwrap_or_else(|| {
        world.topology().appliances().next().map(|(_, a)| a.name.clone()).expect("a valid topology has appliances")
    })
}

#[given("the first appliance of the first site is cut off from the tenant")]
async fn cut_first(world: &mut LabWorld) -> anyhow::Result<()> {
    let name = first_appliance(world);
    within("the link to be cut", world.lab().cut(&name)).await??;
    world.subject = Some(name);
    Ok(())
}

#[when("the link between the cut-off appliance and the tenant is healed")]
async fn heal(world: &mut LabWorld) -> anyhow::Result<()> {
    let name = world.subject.clone().ok_or_else(|| anyhow::anyhow!("no appliance was cut off in this scenario"))?;
    within("the link to be healed", world.lab().heal(&name)).await??;
    Ok(())
}

#[when("the first appliance of the first site is killed and started again")]
async fn kill_and_start(world: &mut LabWorld) -> anyhow::Result<()> {
    let name = first_appliance(world);
    within("the appliance to restart", world.lab().restart(&name, true)).await??;
    world.subject = Some(name);
    Ok(())
}
