//! The built-in feature rehearsal on the largest deployment CCE supports (200 sites × 16
//! appliances, 3,200 Mediation Servers), as `bypass-lab rehearse --topology` runs it: wall time,
//! scenarios passed and failed, and the process's peak memory. First, one lab of that size alone:
//! how long it takes to start and how long `clock advance 24h` takes (every appliance syncs once).
//!
//! `cargo bench -p bypass-lab --bench rehearsal` (`SCALE_SITES=N` for fewer sites, e.g. to see how
//! the figures grow). Targets: rehearsal < 30 s, peak < 1 GiB, advance 24h < 1 s.

use bypass_lab::lab::{Lab, LabOptions};
use bypass_lab::steps::{rehearse, Rehearsal};
use bypass_lab::topology::Topology;
use std::fmt::Write;
use std::time::{Duration, Instant};

const PER_SITE: usize = 16;
const DAY: Duration = Duration::from_secs(86_400);

fn sites() -> usize {
    std::env::var("SCALE_SITES").ok().and_then(|s| s.parse().ok()).unwrap_or(200)
}

/// `sites` sites of 16 appliances, each site with its own subnet and gateway.
fn topology(sites: usize) -> Topology {
    let mut text = String::from(
        "[tenant]\ndomain = \"adatum.biz\"\nsip_domains = [\"adatum.biz\"]\nservice_name = \"hybridvoice.adatum.biz\"\nreplication_window = \"24h\"\n",
    );
    for s in 0..sites {
        let _ =
            write!(text, "\n[[site]]\nname = \"site{s}\"\nsubnets = [\"10.{s}.0.0/24\"]\ngateway = \"10.{s}.0.1\"\n");
        for a in 0..PER_SITE {
            let _ = write!(text, "[[site.appliance]]\nname = \"s{s}-cce{a}\"\naddress = \"10.{s}.0.{}\"\n", 10 + a);
        }
    }
    Topology::parse(&text, None).expect("the scale topology is valid")
}

fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
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
    let rehearsal = Rehearsal {
        topology,
        lab: LabOptions::default(),
        features: None,
        tags: None,
        report_dir: reports.path().to_path_buf(),
    };
    let started = Instant::now();
    let outcome = runtime.block_on(rehearse(rehearsal)).expect("the rehearsal runs");
    println!(
        "built-in rehearsal on {appliances} appliances: {} passed, {} failed, {} not applicable, {:.1} s wall (target < 30 s); peak memory {} (target < 1 GiB); load average {}",
        outcome.passed,
        outcome.failed,
        outcome.not_applicable,
        started.elapsed().as_secs_f64(),
        peak_memory(),
        load_average(),
    );
    if !outcome.succeeded() {
        std::process::exit(1);
    }
}
