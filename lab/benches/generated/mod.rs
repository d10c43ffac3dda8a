//! What the benches share: the generated topology of CCE's largest deployment and readings of
//! this process (memory, CPU, load).

use bypass_lab::topology::Topology;
use std::fmt::Write;
use std::time::Duration;

pub const PER_SITE: usize = 16;

/// `SCALE_SITES` shrinks the run (e.g. to see how times grow with the number of appliances).
pub fn sites() -> usize {
    std::env::var("SCALE_SITES").ok().and_then(|s| s.parse().ok()).unwrap_or(200)
}

/// `sites` sites of 16 appliances, each site with its own subnet and gateway.
pub fn topology(sites: usize) -> Topology {
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

/// The process's peak resident memory (`VmHWM`).
pub fn peak_memory() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmHWM:")).map(|l| l.trim_start_matches("VmHWM:").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into())
}

pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// CPU time (user + system) this process has used so far, from `/proc/self/stat` (clock ticks
/// of 10 ms).
pub fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name may hold spaces; fields after its closing parenthesis are fixed.
    let fields: Vec<&str> =
        stat.rsplit_once(')').map(|(_, rest)| rest.split_whitespace().collect()).unwrap_or_default();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<u64>().ok()).unwrap_or(0);
    // utime and stime are fields 14 and 15 of proc(5); the slice starts at field 3.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

/// TCP connections this network namespace has opened so far (the kernel's `Tcp: ActiveOpens`
/// in `/proc/net/snmp`): a run's count is the difference across it, on a machine where nothing
/// else opens connections meanwhile (it is counted for the whole namespace, not per process).
pub fn tcp_active_opens() -> u64 {
    let snmp = std::fs::read_to_string("/proc/net/snmp").unwrap_or_default();
    let mut tcp = snmp.lines().filter(|l| l.starts_with("Tcp:"));
    let (Some(names), Some(values)) = (tcp.next(), tcp.next()) else { return 0 };
    names
        .split_whitespace()
        .zip(values.split_whitespace())
        .find(|(name, _)| *name == "ActiveOpens")
        .and_then(|(_, value)| value.parse().ok())
        .unwrap_or(0)
}
