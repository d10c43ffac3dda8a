//! The built-in feature rehearsal on the largest deployment CCE supports (200 sites × 16
//! appliances, 3,200 Mediation Servers), as `bypass-lab rehearse --topology` runs it: wall time,
//! scenarios passed and failed, new TCP connections and the process's peak memory. First, the
//! seed's rehearsal and its new TCP connections, in a child process (a process rehearses one
//! plan); then one lab of that size alone: how long it takes to start and how long `clock
//! advance 24h` takes (every appliance syncs once).
//!
//! `cargo bench -p bypass-lab --bench rehearsal` (`SCALE_SITES=N` for fewer sites, e.g. to see how
//! the figures grow). Targets: rehearsal < 15 s, peak < 1 GiB, advance 24h < 1 s; new TCP
//! connections < 150 for the seed's rehearsal and < 5,000 at 200 × 16.

// Each bench uses only part of it.
#[allow(dead_code)]
mod generated;

use bypass_lab::lab::{Lab, LabOptions};
use bypass_lab::steps::{rehearse, Rehearsal};
use bypass_lab::topology::Topology;
use generated::{load_average, peak_memory, sites, tcp_active_opens, topology, PER_SITE};
use std::path::Path;
use std::time::{Duration, Instant};

const DAY: Duration = Duration::from_secs(86_400);

/// Set in the child process that rehearses the seed: a process rehearses one plan only.
const SEED_ONLY: &str = "REHEARSAL_BENCH_SEED_ONLY";

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    if std::env::var_os(SEED_ONLY).is_some() {
        let seed = tempfile::tempdir().expect("a scratch directory");
        let outcome = runtime.block_on(rehearse(rehearsal(Topology::seed(), seed.path()))).expect("the seed rehearses");
        println!("seed rehearsal: {} passed, {} failed", outcome.passed, outcome.failed);
        std::process::exit(if outcome.succeeded() { 0 } else { 1 });
    }
    let (opened, started) = (tcp_active_opens(), Instant::now());
    let seed = std::process::Command::new(std::env::current_exe().expect("this bench's path"))
        .env(SEED_ONLY, "1")
        .output()
        .expect("the seed's rehearsal runs in a process of its own");
    let summary = String::from_utf8_lossy(&seed.stdout);
    println!(
        "{}, {:.2} s wall (the process's start included); {} new TCP connections (target < 150)",
        summary.lines().rfind(|l| l.starts_with("seed rehearsal:")).unwrap_or("seed rehearsal: no summary"),
        started.elapsed().as_secs_f64(),
        tcp_active_opens() - opened
    );
    let sites = sites();
    let topology = topology(sites);
    let appliances = topology.appliances().count();
    println!("{sites} sites × {PER_SITE} appliances = {appliances} Mediation Servers; load average {}", load_average());
    runtime.block_on(async {
        let started = Instant::now();
        let lab = Lab::start(topology.clone(), LabOptions::default()).await.expect("the lab starts");
        println!("one lab started in {:.2} s", started.elapsed().as_secs_f64());
        let moved = Instant::now();
        lab.advance(DAY).await.expect("the clock moves");
        println!("clock advance 24h: {:.3} s (target < 1 s)", moved.elapsed().as_secs_f64());
        lab.stop().await.expect("the lab stops");
    });
    println!("peak memory after one lab: {}", peak_memory());

    let reports = tempfile::tempdir().expect("a scratch directory");
    let (opened, started) = (tcp_active_opens(), Instant::now());
    let outcome = runtime.block_on(rehearse(rehearsal(topology, reports.path()))).expect("the rehearsal runs");
    println!(
        "built-in rehearsal on {appliances} appliances: {} passed, {} failed, {} not applicable, {:.1} s wall (target < 15 s); {} new TCP connections (target < 5,000); peak memory {} (target < 1 GiB); load average {}",
        outcome.passed,
        outcome.failed,
        outcome.not_applicable,
        started.elapsed().as_secs_f64(),
        tcp_active_opens() - opened,
        peak_memory(),
        load_average(),
    );
    if !outcome.succeeded() {
        std::process::exit(1);
    }
}

/// The built-in features against `topology`, with their reports in `reports`.
fn rehearsal(topology: Topology, reports: &Path) -> Rehearsal {
    Rehearsal { topology, lab: LabOptions::default(), features: None, tags: None, report_dir: reports.to_path_buf() }
}
