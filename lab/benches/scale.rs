//! The largest deployment CCE supports (200 sites × 16 appliances) in one runtime on loopback:
//! time until every appliance has synced once, time until a change has reached all of them after
//! one window, and the process's peak memory.
//!
//! `cargo bench -p bypass-lab --bench scale` (or `cargo test -p bypass-lab --bench scale` for a
//! debug build; `SCALE_SITES=N` for fewer sites). Targets: ready < 10 s, converged < 10 s, peak < 2 GiB.

// Each bench uses only part of it.
#[allow(dead_code)]
mod generated;

use bypass_lab::auth::Secrets;
use bypass_lab::backend::embedded::start_role;
use bypass_lab::backend::role_plan::{RoleArgs, RoleSpec};
use bypass_lab::clock::Clock;
use bypass_lab::mediation::MediationArgs;
use bypass_lab::tenant::TenantArgs;
use bypass_lab::tenant::TenantRemote;
use bypass_lab::tenant::{BypassMode, MediaBypassSettings};
use generated::{peak_memory, sites, topology};
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio_util::sync::CancellationToken;

/// Waits for every appliance to report `version` (tenant long poll), up to `deadline`.
async fn wait_for(admin: &TenantRemote, all: usize, version: u64, deadline: Duration) -> Result<(), String> {
    let seen = std::sync::Mutex::new((0, 0));
    tokio::time::timeout(deadline, async {
        loop {
            let list = admin.appliances_at(version, Duration::from_secs(5)).await.map_err(|e| e.to_string())?;
            let done = list.iter().filter(|a| a.replicated_version >= Some(version)).count();
            *seen.lock().unwrap() = (list.len(), done);
            if list.len() == all && done == all {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await
    .map_err(|_| {
        let (registered, done) = *seen.lock().unwrap();
        format!(
            "within {deadline:?} only {done} of {all} appliances reported version {version} ({registered} registered)"
        )
    })?
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().unwrap();
    runtime.block_on(async {
        let topology = topology(sites());
        let all = topology.appliances().count();
        let secrets = Secrets::generate(&topology);
        let dir = tempfile::tempdir().unwrap();
        let stop = CancellationToken::new();
        let clock = Clock::new();
        let started = Instant::now();

        // Every role started as the embedded backend starts it, on any free loopback port.
        let any = SocketAddr::from(([127, 0, 0, 1], 0));
        let role =
            |args: RoleArgs| start_role(RoleSpec::in_process(args), &topology, &secrets, &clock, stop.child_token());
        let tenant = TenantArgs { listen: any, data: dir.path().join("tenant") };
        let tenant_url = role(tenant.into()).await.expect("the tenant starts").url();
        for (_, a) in topology.appliances() {
            let appliance = MediationArgs {
                appliance: a.name.clone(),
                listen: any,
                tenant: tenant_url.clone(),
                data: Some(dir.path().join(&a.name)),
            };
            role(appliance.into()).await.expect("the appliance starts");
        }
        let admin = TenantRemote::new(&tenant_url, &secrets.admin);
        let ready = wait_for(&admin, all, 1, Duration::from_secs(120)).await;
        println!(
            "{all} appliances ready (one sync each) in {:.2?}: {}",
            started.elapsed(),
            ready.err().unwrap_or_else(|| "ok".into())
        );

        let settings = MediaBypassSettings {
            enabled: true,
            always_bypass: true,
            internal_bypass_mode: BypassMode::Any,
            ..Default::default()
        };
        let version = admin.set_media_bypass(&settings).await.unwrap().version;
        let change = Instant::now();
        let advanced = clock.advance(topology.tenant.replication_window).await;
        let converged = wait_for(&admin, all, version, Duration::from_secs(120)).await;
        println!(
            "a change reached all {all} appliances one window later in {:.2?}: advance {}, tenant {}",
            change.elapsed(),
            advanced.map(|_| "ok".to_string()).unwrap_or_else(|e| e.to_string()),
            converged.err().unwrap_or_else(|| "ok".into()),
        );
        println!("peak memory (VmHWM): {}", peak_memory());
        stop.cancel();
    });
}
