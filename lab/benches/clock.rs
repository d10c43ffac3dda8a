//! What moving the lab clock costs: CPU and wall time per lab day for a long quiet advance on the
//! seed lab (`CLOCK_DAYS`, default 365), and `clock advance 24h` on the largest deployment CCE
//! supports (200 sites × 16 appliances; `SCALE_SITES=N` for fewer), where every appliance syncs
//! once.
//!
//! `cargo bench -p bypass-lab --bench clock`. Target (issue #17): advance 24h on 3,200 appliances
//! < 1 s; a quiet lab day should cost next to nothing beyond the syncs due in it.

// Each bench uses only part of it.
#[allow(dead_code)]
mod generated;

use bypass_lab::lab::{Lab, LabOptions};
use bypass_lab::topology::Topology;
use generated::{cpu_time, load_average, peak_memory, sites, topology, PER_SITE};
use std::time::{Duration, Instant};

const DAY: Duration = Duration::from_secs(86_400);

fn days() -> u32 {
    std::env::var("CLOCK_DAYS").ok().and_then(|s| s.parse().ok()).unwrap_or(365)
}

/// Moves `lab` by `by` and prints the wall and CPU time it took, also per lab day.
async fn timed(lab: &Lab, what: &str, by: Duration) {
    let (wall, cpu) = (Instant::now(), cpu_time());
    lab.advance(by).await.expect("the clock moves");
    let (wall, cpu) = (wall.elapsed(), cpu_time().saturating_sub(cpu));
    let days = by.as_secs_f64() / DAY.as_secs_f64();
    println!(
        "{what}: {:.3} s wall, {:.2} s CPU; per lab day {:.3} ms wall, {:.3} ms CPU",
        wall.as_secs_f64(),
        cpu.as_secs_f64(),
        wall.as_secs_f64() * 1000.0 / days,
        cpu.as_secs_f64() * 1000.0 / days,
    );
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    println!("load average {}", load_average());
    runtime.block_on(async {
        let seed = Topology::seed();
        let appliances = seed.appliances().count();
        let lab = Lab::start(seed, LabOptions::default()).await.expect("the seed lab starts");
        let days = days();
        timed(&lab, &format!("seed ({appliances} appliances), clock advance {days}d"), DAY * days).await;
        lab.stop().await.expect("the lab stops");

        let sites = sites();
        let topology = topology(sites);
        let appliances = topology.appliances().count();
        let started = Instant::now();
        let lab = Lab::start(topology, LabOptions::default()).await.expect("the lab starts");
        println!(
            "{sites} sites × {PER_SITE} = {appliances} appliances: lab started in {:.2} s",
            started.elapsed().as_secs_f64()
        );
        timed(&lab, "clock advance 24h (target < 1 s)", DAY).await;
        timed(&lab, "clock advance 24h again", DAY).await;
        lab.stop().await.expect("the lab stops");
    });
    println!("peak memory {}; load average {}", peak_memory(), load_average());
}
