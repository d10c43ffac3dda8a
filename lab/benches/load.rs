//! Load on one Mediation Server's hybridconfig web service: `LOAD_CLIENTS` (default 1,000)
//! concurrent clients on loopback, each on its own kept-alive connection asking for the
//! document again as soon as it has the answer, for `LOAD_SECONDS` (default 10). Prints errors,
//! requests per second and latency percentiles.
//!
//! `cargo bench -p bypass-lab --bench load`. The figures to hold: issue #16's 1,000 clients, 0
//! errors, 18k req/s, p99 172 ms; and #28's 0 errors for those 1,000 clients with the Mediation
//! Server allowed only 1,024 descriptors (`LOAD_DESCRIPTORS`, default 1024).
//!
//! The Mediation Server runs in a process of its own (this bench, started again with
//! `LOAD_SERVE_TENANT` set) under the descriptor limit; the tenant and the clients run here, on
//! the same two cores: what the clients cost is taken from the server.

// Each bench uses only part of it.
#[allow(dead_code)]
mod generated;

use bypass_lab::auth::{Secrets, SECRETS_ENV};
use bypass_lab::backend::embedded::start_role;
use bypass_lab::backend::role_plan::RoleSpec;
use bypass_lab::clock::Clock;
use bypass_lab::mediation::{ApplianceRemote, MediationArgs};
use bypass_lab::tenant::{BypassMode, MediaBypassSettings, TenantArgs, TenantRemote};
use bypass_lab::topology::Topology;
use generated::load_average;
use std::io::BufRead;
use std::net::SocketAddr;
use std::time::{Duration, Instant};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio_util::sync::CancellationToken;

const SERVICE_PATH: &str = "/hybridconfig/hybridconfigservice.svc";

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|s| s.parse().ok()).unwrap_or(default)
}

/// Set in the server's process: the tenant's URL (and `LOAD_SERVE_DATA` its data directory).
const SERVE_TENANT: &str = "LOAD_SERVE_TENANT";
const SERVE_DATA: &str = "LOAD_SERVE_DATA";

/// Starts the tenant with media bypass enabled, then the seed's first Mediation Server in a
/// process of its own allowed `descriptors` open files, which replicates the settings as it
/// starts; returns once its web service serves them. Returns the server's process, the web service's address and its host name.
async fn mediation_server(
    dir: &std::path::Path,
    descriptors: u64,
    stop: &CancellationToken,
) -> (std::process::Child, SocketAddr, String) {
    let topology = Topology::seed();
    let secrets = Secrets::generate(&topology);
    let clock = Clock::new();
    let any = SocketAddr::from(([127, 0, 0, 1], 0));
    let tenant = TenantArgs { listen: any, data: dir.join("tenant") };
    let tenant = start_role(RoleSpec::in_process(tenant), &topology, &secrets, &clock, stop.child_token());
    let tenant_url = tenant.await.expect("the tenant starts").url();
    let admin = TenantRemote::new(&tenant_url, &secrets.admin);
    let settings = MediaBypassSettings {
        enabled: true,
        always_bypass: true,
        internal_bypass_mode: BypassMode::Any,
        ..Default::default()
    };
    admin.set_media_bypass(&settings).await.expect("the tenant takes the settings");

    let mut command = std::process::Command::new(std::env::current_exe().expect("this bench's path"));
    command
        .env(SERVE_TENANT, &tenant_url)
        .env(SERVE_DATA, dir.join("appliance"))
        .env(SECRETS_ENV, serde_json::to_string(&secrets).expect("secrets serialise"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped());
    let limit = rustix::process::Rlimit { current: Some(descriptors), maximum: Some(descriptors) };
    // SAFETY: setrlimit is async-signal-safe and touches nothing of the parent's state.
    unsafe {
        use std::os::unix::process::CommandExt;
        command
            .pre_exec(move || rustix::process::setrlimit(rustix::process::Resource::Nofile, limit).map_err(Into::into));
    }
    let mut server = command.spawn().expect("the server's process starts");
    let stdout = server.stdout.take().expect("piped");
    let line = std::io::BufReader::new(stdout).lines().next().expect("the server says where").expect("readable");
    let address = line.strip_prefix("listening on ").and_then(|a| a.parse().ok()).expect("listening on <address>");
    let host = topology.tenant.service_name.clone();
    // The load starts once the settings have replicated: the web service answers 200.
    let web_service = ApplianceRemote::new(format!("http://{address}"), "");
    let deadline = Instant::now() + Duration::from_secs(30);
    while web_service.fetch_web_service(&host).await.map(|reply| reply.status) != Ok(200) {
        assert!(Instant::now() < deadline, "the web service did not answer 200 within 30 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (server, address, host)
}

/// The server's process: the seed's first Mediation Server, started as the embedded backend
/// starts it, until this bench closes its standard input.
fn serve(tenant_url: String) {
    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    runtime.block_on(async {
        let topology = Topology::seed();
        let secrets: Secrets =
            serde_json::from_str(&std::env::var(SECRETS_ENV).expect("the bench passes the secrets")).expect("JSON");
        let clock = Clock::new();
        let stop = CancellationToken::new();
        let (_, appliance) = topology.appliances().next().expect("the seed has appliances");
        let data = std::env::var(SERVE_DATA).expect("the bench passes a data directory");
        let appliance = MediationArgs {
            appliance: appliance.name.clone(),
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            tenant: tenant_url,
            data: Some(data.into()),
        };
        let started = start_role(RoleSpec::in_process(appliance), &topology, &secrets, &clock, stop.child_token());
        let address = started.await.expect("the appliance starts").spec.args.listen();
        clock.settle().await.expect("the appliance syncs at start");
        println!("listening on {address}");
        let _ = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new())).await;
        stop.cancel();
    });
}

/// Descriptors `pid` holds open now.
fn open_descriptors(pid: u32) -> usize {
    std::fs::read_dir(format!("/proc/{pid}/fd")).map(|d| d.count()).unwrap_or(0)
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
    if let Ok(tenant_url) = std::env::var(SERVE_TENANT) {
        return serve(tenant_url);
    }
    let clients = setting("LOAD_CLIENTS", 1000) as usize;
    let seconds = setting("LOAD_SECONDS", 10);
    let descriptors = setting("LOAD_DESCRIPTORS", 1024);
    let dir = tempfile::tempdir().expect("a scratch directory");
    let stop = CancellationToken::new();
    let tenant = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let (mut server, address, host) = tenant.block_on(mediation_server(dir.path(), descriptors, &stop));
    println!(
        "one Mediation Server web service on {address}, in a process allowed {descriptors} descriptors; load average {}",
        load_average()
    );

    let runtime = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("a runtime");
    let started = Instant::now();
    let until = started + Duration::from_secs(seconds);
    let pid = server.id();
    let tallies = runtime.block_on(async {
        let tasks: Vec<_> = (0..clients).map(|_| tokio::spawn(client(address, host.clone(), until))).collect();
        // Halfway through: how many descriptors the server holds under the load.
        tokio::time::sleep(Duration::from_secs(seconds) / 2).await;
        let held = open_descriptors(pid);
        (futures::future::join_all(tasks).await, held)
    });
    let (tallies, held) = tallies;
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
        "{clients} concurrent clients for {:.1} s: {} answers, {errors} errors{}, {:.0} req/s, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; the server held {held} of {descriptors} descriptors halfway; load average {}",
        elapsed.as_secs_f64(),
        latencies.len(),
        first_error.map(|e| format!(" (first: {e})")).unwrap_or_default(),
        latencies.len() as f64 / elapsed.as_secs_f64(),
        percentile(&latencies, 0.50).as_secs_f64() * 1000.0,
        percentile(&latencies, 0.99).as_secs_f64() * 1000.0,
        latencies.last().copied().unwrap_or_default().as_secs_f64() * 1000.0,
        load_average(),
    );
    drop(server.stdin.take());
    let _ = server.wait();
    stop.cancel();
    tenant.shutdown_timeout(Duration::from_secs(5));
}
