//! Load on one Mediation Server's hybridconfig web service: `LOAD_CLIENTS` (default 1,000)
//! concurrent clients on loopback, each on its own kept-alive connection asking for the
//! document again as soon as it has the answer, for `LOAD_SECONDS` (default 10). Prints errors,
//! requests per second and latency percentiles.
//!
//! `cargo bench -p bypass-lab --bench load`. The figure of issue #16: 1,000 clients, 0 errors,
//! 18k req/s, p99 172 ms.
//!
//! The server (tenant and one appliance) runs on one runtime and the clients on another, in one
//! process on the same two cores: what the clients cost is taken from the server.

// Each bench uses only part of it.
#[allow(dead_code)]
mod generated;

use bypass_lab::auth::Secrets;
use bypass_lab::backend::embedded::start_role;
use bypass_lab::backend::role_plan::{RoleArgs, RoleSpec};
use bypass_lab::clock::Clock;
use bypass_lab::mediation::MediationArgs;
use bypass_lab::tenant::{BypassMode, MediaBypassSettings, TenantArgs, TenantRemote};
use bypass_lab::topology::Topology;
use generated::load_average;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

const SERVICE_PATH: &str = "/hybridconfig/hybridconfigservice.svc";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// Starts the tenant and the seed's first Mediation Server with media bypass enabled and
/// replicated; returns the web service's address and its host name.
async fn mediation_server(dir: &std::path::Path, stop: &CancellationToken) -> (SocketAddr, String) {
    let topology = Topology::seed();
    let secrets = Secrets::generate(&topology);
    let clock = Clock::new();
    // Both roles started as the embedded backend starts them, on any free loopback port.
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let role = |args: RoleArgs| start_role(RoleSpec::in_process(args), &topology, &secrets, &clock, stop.child_token());
    let tenant = TenantArgs { listen: any, data: dir.join("tenant") };
    let tenant_url = role(tenant.into()).await.expect("the tenant starts").url();
    let (_, appliance) = topology.appliances().next().expect("the seed has appliances");
    let appliance = MediationArgs {
        appliance: appliance.name.clone(),
        listen: any,
        tenant: tenant_url.clone(),
        data: Some(dir.join(&appliance.name)),
    };
    let address = role(appliance.into()).await.expect("the appliance starts").spec.args.listen();
    clock.settle().await.expect("the appliance syncs at start");
    let admin = TenantRemote::new(&tenant_url, &secrets.admin);
    let settings = MediaBypassSettings {
        enabled: true,
        always_bypass: true,
        internal_bypass_mode: BypassMode::Any,
        ..Default::default()
    };
    admin.set_media_bypass(&settings).await.expect("the tenant takes the settings");
    clock.advance(topology.tenant.replication_window).await.expect("the change replicates");
    (address, topology.tenant.service_name.clone())
}

/// What one client saw.
#[derive(Default)]
struct Tally {
    latencies: Vec<Duration>,
    /// Failed requests: refused or broken connections, unexpected answers.
    errors: u64,
    first_error: Option<String>,
}

impl Tally {
    fn error(&mut self, what: String) {
        self.errors += 1;
        self.first_error.get_or_insert(what);
    }
}

/// One GET on a kept-alive connection; the status code once the whole body is read.
async fn fetch(connection: &mut BufReader<TcpStream>, request: &[u8]) -> std::io::Result<u16> {
    connection.get_mut().write_all(request).await?;
    let mut line = String::new();
    connection.read_line(&mut line).await?;
    let status = line
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::new(std::io::ErrorKind::InvalidData, format!("no status line: {line:?}")))?;
    let mut length = 0usize;
    loop {
        line.clear();
        if connection.read_line(&mut line).await? == 0 {
            return Err(std::io::ErrorKind::UnexpectedEof.into());
        }
        if line == "\r\n" {
            break;
        }
        if let Some((name, value)) = line.split_once(':') {
            if name.eq_ignore_ascii_case("content-length") {
                length = value.trim().parse().unwrap_or(0);
            }
        }
    }
    let mut body = vec![0; length];
    connection.read_exact(&mut body).await?;
    Ok(status)
}

async fn client(address: SocketAddr, host: String, until: Instant) -> Tally {
    let request = format!("GET {SERVICE_PATH} HTTP/1.1\r\nHost: {host}\r\n\r\n").into_bytes();
    let mut tally = Tally::default();
    let mut connection = None;
    while Instant::now() < until {
        let started = Instant::now();
        let conn = match &mut connection {
            Some(c) => c,
            None => match TcpStream::connect(address).await {
                Ok(stream) => connection.insert(BufReader::new(stream)),
                Err(e) => {
                    tally.error(format!("connect: {e}"));
                    continue;
                }
            },
        };
        match fetch(conn, &request).await {
            Ok(200) => tally.latencies.push(started.elapsed()),
            Ok(status) => tally.error(format!("HTTP {status}")),
            Err(e) => {
                tally.error(format!("{e}"));
                connection = None;
            }
        }
    }
    tally
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let clients = setting("LOAD_CLIENTS", 1000) as usize;
    let seconds = setting("LOAD_SECONDS", 10);
    let dir = tempfile::tempdir().expect("a scratch directory");
    let stop = CancellationToken::new();
    let server = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let (address, host) = server.block_on(mediation_server(dir.path(), &stop));
    println!("one Mediation Server web service on {address}; load average {}", load_average());

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let tallies = runtime.block_on(async {
        let tasks: Vec<_> = (0..clients).map(|_| tokio::spawn(client(address, host.clone(), until))).collect();
        futures::future::join_all(tasks).await
    });
    let elapsed = started.elapsed();
    let mut latencies = Vec::new();
    let mut errors = 0;
    let mut first_error = None;
    for tally in tallies.into_iter().map(|t| t.expect("a client task")) {
        latencies.extend(tally.latencies);
        errors += tally.errors;
        first_error = first_error.or(tally.first_error);
    }
    latencies.sort();
    println!(
        "{clients} concurrent clients for {:.1} s: {} answers, {errors} errors{}, {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; load average {}",
        elapsed.as_secs_f64(),
        latencies.len(),
        first_error.map(|e| format!(" (first: {e})")).unwrap_or_default(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        load_average(),
    );
    stop.cancel();
    server.shutdown_timeout(Duration::from_secs(5));
}
