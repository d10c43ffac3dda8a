//! What several test binaries start the same way: the real `bypass-lab` binary as one role, a
//! tenant on loopback (as the embedded backend starts one), the deployment guide's enabled
//! settings. (Each test binary uses a part.)
#![allow(dead_code)]

pub mod fresh;
pub mod fuzz_corpus;
pub mod globex;

use bypass_lab::auth::Secrets;
use bypass_lab::backend::embedded::{start_role, Started};
use bypass_lab::backend::role_plan::RoleSpec;
use bypass_lab::clock::Clock;
use bypass_lab::tenant::{MediaBypassParameters, MediaBypassSettings, TenantArgs};
use bypass_lab::topology::Topology;

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

const READY_DEADLINE: Duration = Duration::from_secs(30);

/// Runs `bypass-lab serve <args>` (which must listen on port 0) and returns once the role has
/// printed its ready line, with the address it listens on. Killed when dropped.
pub async fn serve(args: &[&str]) -> (Child, SocketAddr) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .arg("serve")
        .args(args)
        .env_remove(bypass_lab::auth::SECRETS_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("the bypass-lab binary starts");
    let mut lines = BufReader::new(child.stdout.take().expect("piped stdout")).lines();
    let address = tokio::time::timeout(READY_DEADLINE, async {
        while let Some(line) = lines.next_line().await.expect("the role's output is readable") {
            if let Some(address) = line.split(" listening on ").nth(1) {
                return address.trim().parse::<SocketAddr>().expect("the ready line names an address");
            }
        }
        panic!("`bypass-lab serve {}` ended before it listened", args.join(" "));
    })
    .await
    .unwrap_or_else(|_| panic!("`bypass-lab serve {}` did not listen within {READY_DEADLINE:?}", args.join(" ")));
    (child, address)
}

/// [`serve`] with at most `descriptors` open files in the role's process.
pub async fn serve_limited(args: &[&str], descriptors: u64) -> (Child, SocketAddr) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bypass-lab"));
    command
        .arg("serve")
        .args(args)
        .env_remove(bypass_lab::auth::SECRETS_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    limit_descriptors(&mut command, descriptors);
    let mut child = command.spawn().expect("the bypass-lab binary starts");
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let address = tokio::time::timeout(READY_DEADLINE, async {
        while let Some(line) = lines.next_line().await.unwrap() {
            if let Some(address) = line.split(" listening on ").nth(1) {
                return address.trim().parse::<SocketAddr>().unwrap();
            }
        }
        panic!("`bypass-lab serve {}` ended before it listened", args.join(" "));
    })
    .await
    .expect("the role listens");
    (child, address)
}

/// The child started by `command` may open at most `descriptors` files.
pub fn limit_descriptors(command: &mut Command, descriptors: u64) {
    let limit = rustix::process::Rlimit { current: Some(descriptors), maximum: Some(descriptors) };
    // SAFETY: setrlimit is async-signal-safe and touches nothing of the parent's state.
    unsafe {
        command
            .pre_exec(move || rustix::process::setrlimit(rustix::process::Resource::Nofile, limit).map_err(Into::into));
    }
}

/// `bypass-lab serve` arguments for every HTTP role on any loopback port, keeping data in
/// `dir`, by role name.
pub fn every_http_role(dir: &std::path::Path) -> Vec<(&'static str, Vec<String>)> {
    let data = |name: &str| dir.join(name).to_str().unwrap().to_string();
    let args = |a: &[&str]| a.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    vec![
        ("tenant", args(&["tenant", "--listen", "127.0.0.1:0", "--data", &data("tenant")])),
        (
            "mediation",
            args(&[
                "mediation",
                "--appliance",
                "ams-cce1",
                "--listen",
                "127.0.0.1:0",
                "--tenant",
                "http://127.0.0.1:9",
                "--data",
                &data("ams-cce1"),
            ]),
        ),
        (
            "client",
            args(&[
                "client",
                "--listen",
                "127.0.0.1:0",
                "--tenant",
                "http://127.0.0.1:9",
                "--dns",
                "127.0.0.1:9",
                "--data",
                &data("clients"),
            ]),
        ),
        ("dns", args(&["dns", "--listen", "127.0.0.1:0", "--admin", "127.0.0.1:0"])),
    ]
}

/// A tenant role on loopback for one test; it stops when dropped.
pub struct TestTenant {
    pub url: String,
    pub secrets: Secrets,
    _data: tempfile::TempDir,
    _stop: tokio_util::sync::DropGuard,
}

impl TestTenant {
    pub fn as_admin(&self) -> bypass_lab::tenant::TenantRemote {
        bypass_lab::tenant::TenantRemote::new(&self.url, &self.secrets.admin)
    }

    pub fn as_appliance(&self, name: &str) -> bypass_lab::tenant::TenantRemote {
        bypass_lab::tenant::TenantRemote::new(&self.url, self.secrets.appliance(name).unwrap())
    }
}

pub async fn tenant(topology: Topology) -> TestTenant {
    let secrets = Secrets::generate(&topology);
    let data = tempfile::tempdir().unwrap();
    let stop = tokio_util::sync::CancellationToken::new();
    let tenant = start_tenant(&topology, &secrets, data.path(), stop.clone()).await;
    TestTenant { url: tenant.url(), secrets, _data: data, _stop: stop.drop_guard() }
}

/// Starts a tenant on loopback with its store in `data`, as the embedded backend starts one.
pub async fn start_tenant(
    topology: &Topology,
    secrets: &Secrets,
    data: &std::path::Path,
    stop: tokio_util::sync::CancellationToken,
) -> Started {
    let args = TenantArgs { listen: SocketAddr::from(([127, 0, 0, 1], 0)), data: data.to_path_buf() };
    start_role(RoleSpec::in_process(args), topology, secrets, &Clock::new(), stop).await.expect("the tenant starts")
}

/// What `New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true` builds.
pub fn always_bypass() -> MediaBypassSettings {
    let parameters = MediaBypassParameters { enabled: Some(true), always_bypass: Some(true), ..Default::default() };
    MediaBypassSettings::new_configuration(&parameters).0
}

/// Runs `bypass-lab serve <args>` expecting it to refuse to start: returns its stdout and stderr
/// once it has exited with a failure (panics if it succeeds or keeps running).
pub async fn refused(args: &[&str]) -> (String, String) {
    let child = Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .arg("serve")
        .args(args)
        .env_remove(bypass_lab::auth::SECRETS_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the bypass-lab binary starts");
    let output = tokio::time::timeout(READY_DEADLINE, child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("`bypass-lab serve {}` kept running instead of refusing", args.join(" ")))
        .expect("the role's output is readable");
    assert!(!output.status.success(), "`bypass-lab serve {}` succeeded", args.join(" "));
    (String::from_utf8_lossy(&output.stdout).into_owned(), String::from_utf8_lossy(&output.stderr).into_owned())
}

/// Low-priority blackhole routes (metric 4000) over a topology's site and outside subnets for
/// as long as it lives, so no packet for a topology address leaves through the host's default
/// route while a containers lab's own bridges are not up. Needs root; a route that cannot be
/// added is skipped, and the lab's own route check still refuses to talk off-lab.
pub struct Shield(Vec<String>);

impl Shield {
    pub fn up(topology: &Topology) -> Shield {
        let subnets = topology.sites.iter().flat_map(|s| s.subnets.iter()).chain(&topology.outside.subnets);
        let added = subnets
            .map(ToString::to_string)
            .filter(|s| {
                std::process::Command::new("ip")
                    .args(["route", "add", "blackhole", s, "metric", "4000"])
                    .output()
                    .is_ok_and(|o| o.status.success())
            })
            .collect();
        Shield(added)
    }
}

impl Drop for Shield {
    fn drop(&mut self) {
        for subnet in &self.0 {
            let _ =
                std::process::Command::new("ip").args(["route", "del", "blackhole", subnet, "metric", "4000"]).output();
        }
    }
}

/// This test's turn for `topology`'s subnets on the shared Docker engine, taken before its lab
/// starts and kept while it lives: refused at once, naming the holder, while another lab or run
/// holds them; with `BYPASS_LAB_WAIT=DURATION`, waited for up to that long.
pub async fn turn(topology: &Topology) -> bypass_lab::backend::Turn {
    let wait = bypass_lab::backend::wait_from_env().unwrap_or_else(|e| panic!("{e}"));
    bypass_lab::backend::BackendKind::Containers
        .take_turn(topology, wait, &|line: &str| eprintln!("  {line}"))
        .await
        .unwrap_or_else(|e| panic!("{e}"))
}

/// Runs a host command a test needs (`docker`, `ip`) and fails the test, with its standard
/// error, when the command does not succeed.
pub fn succeed(program: &str, args: &[&str]) {
    let out = std::process::Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed for this test: {e}"));
    assert!(out.status.success(), "{program} {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
}

/// The deployment guide's enabling lines, with the plan's service URL.
pub fn enable_lines(topology: &Topology) -> String {
    let url = topology.service_url();
    format!(
        "Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl {url}\n\
         $mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true\n\
         Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass\n"
    )
}
