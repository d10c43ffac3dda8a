//! Containers labs on a shared engine: a lab stays until its own `down`, never removes a lab
//! someone still holds, and never sends a packet to a topology address unless that address
//! belongs to one of its own running networks. Needs a Docker engine and root (routes, network
//! namespaces); fails (never skips) without them.
//!
//! While a lab of these tests runs, low-priority blackhole routes cover the topology's subnets:
//! the lab's bridges win while they exist, and nothing reaches the host's default route after.

mod support;

use support::Shield;

use bypass_lab::auth::Secrets;
use bypass_lab::backend::containers::{Containers, ContainersState, Owner, LAB_LABEL};
use bypass_lab::backend::{Backend, BackendError, DnsStart, Endpoints, SavedBackend};
use bypass_lab::lab::LabFile;
use bypass_lab::topology::Topology;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};
use std::time::Duration;
use tokio::time::timeout;

const IMAGE_DEADLINE: Duration = Duration::from_secs(30 * 60);
const LAB_DEADLINE: Duration = Duration::from_secs(240);

/// Labs share the seed's subnets: one test at a time.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn progress(line: &str) {
    eprintln!("  {line}");
}

fn run(program: &str, args: &[&str]) -> Output {
    Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{program} must be installed for this test: {e}"))
}

fn docker(args: &[&str]) -> String {
    let out = run("docker", args);
    assert!(out.status.success(), "docker {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every object labelled with `label` (e.g. `bypass-lab.lab=ID`).
fn labelled(label: &str) -> Vec<String> {
    let filter = format!("label={label}");
    let mut all = Vec::new();
    for (kind, args) in [
        ("container", vec!["ps", "-a", "--filter", &filter, "--format", "{{.Names}}"]),
        ("network", vec!["network", "ls", "--filter", &filter, "--format", "{{.Name}}"]),
        ("volume", vec!["volume", "ls", "--filter", &filter, "--format", "{{.Name}}"]),
    ] {
        all.extend(docker(&args).lines().filter(|l| !l.trim().is_empty()).map(|l| format!("{kind} {l}")));
    }
    all
}

async fn image() -> String {
    timeout(IMAGE_DEADLINE, bypass_lab::backend::containers::image::build_image(&progress))
        .await
        .expect("the image was expected to build within the deadline")
        .expect("the lab image needs a running Docker engine and a static build")
}

fn bypass_lab(state: &Path, args: &[&str]) -> Output {
    run_bypass_lab(Command::new(env!("CARGO_BIN_EXE_bypass-lab")).arg("--state").arg(state).args(args))
}

/// `bypass-lab` refused at once when another lab holds the plan's subnets, whatever
/// `BYPASS_LAB_WAIT` the tests run with.
fn bypass_lab_now(state: &Path, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_bypass-lab"));
    command.arg("--state").arg(state).args(args).env_remove(bypass_lab::backend::WAIT_ENV);
    run_bypass_lab(&mut command)
}

fn run_bypass_lab(command: &mut Command) -> Output {
    let args: Vec<String> = command.get_args().skip(2).map(|a| a.to_string_lossy().into_owned()).collect();
    let out = command.output().expect("the bypass-lab binary runs");
    eprintln!(
        "bypass-lab {args:?} -> {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

/// A lab file for a containers lab of the seed whose containers do not exist (a lab that was
/// stopped, or removed by hand).
fn lab_file_of_a_stopped_lab(dir: &Path) {
    let topology = Topology::seed();
    let secrets = Secrets::generate(&topology);
    let plan = bypass_lab::backend::containers::LabPlan::new(&topology, "172.30.0.0/24".parse().unwrap());
    let appliances: BTreeMap<String, String> =
        plan.appliances.iter().map(|a| (a.name.clone(), format!("http://{}:80", a.address))).collect();
    let endpoints = Endpoints {
        tenant: format!("http://{}:8080", plan.tenant),
        dns: std::net::SocketAddr::new(plan.sites[0].dns.unwrap(), 53),
        dns_admin: format!("http://{}:8053", plan.sites[0].dns.unwrap()),
        clocks: appliances.values().cloned().collect(),
        appliances,
        clients: BTreeMap::new(),
        control: None,
        dns_servers: vec![],
    };
    let state = ContainersState {
        lab: "0dead0ff".into(),
        image: "bypass-lab:0".into(),
        online: "172.30.0.0/24".into(),
        topology: topology.clone(),
        secrets: secrets.clone(),
        endpoints: endpoints.clone(),
        containers: plan
            .appliances
            .iter()
            .map(|a| (a.name.clone(), format!("bypass-lab-0dead0ff-{}", a.name)))
            .collect(),
        clients: BTreeMap::new(),
        owner: BTreeMap::new(),
        dns_start: Default::default(),
    };
    let file = LabFile::new(&topology, secrets, endpoints, SavedBackend::Containers(Box::new(state))).unwrap();
    file.write(dir).unwrap();
}

/// Runs the commands against the stopped lab inside a network namespace whose default route is
/// a veth interface: any packet to a topology address would be counted on it.
#[test]
fn commands_against_a_stopped_lab_send_nothing_and_say_it_is_gone() {
    let dir = tempfile::tempdir().unwrap();
    lab_file_of_a_stopped_lab(dir.path());
    let bin = env!("CARGO_BIN_EXE_bypass-lab");
    let state = dir.path().display().to_string();
    let script = format!(
        "set -e; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6; ip link set lo up; ip link add wan0 type veth peer name wan1; ip link set wan0 up; ip link set wan1 up; \
         ip addr add 198.18.0.1/24 dev wan0; ip route add default via 198.18.0.2 dev wan0 onlink; \
         for c in 'status' 'resolve hybridvoice.adatum.biz --from amsterdam' 'clock advance 1h' 'client signin --at amsterdam --user alice'; do \
           if {bin} --state {state} $c > {state}/out 2>&1; then echo \"unexpected success: $c\"; cat {state}/out; exit 3; fi; \
           cat {state}/out; \
         done; \
         echo tx=$(sed 's/:/ /' /proc/net/dev | awk '$1 == \"wan0\" {{ print $11 }}')"
    );
    let out = run("unshare", &["--net", "sh", "-c", &script]);
    let all = text(&out);
    eprintln!("{all}");
    assert!(out.status.success(), "every command was expected to fail without sending: {all}");
    assert_eq!(all.matches("is gone").count(), 4, "each command was expected to say the lab is gone: {all}");
    assert!(all.contains("tx=0"), "nothing was expected to leave through the default route: {all}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_held_lab_is_never_swept_and_refuses_a_second_lab_on_its_subnets() {
    let _serial = SERIAL.lock().await;
    let image = image().await;
    let topology = Topology::seed();
    let _shield = Shield::up(&topology);
    let _turn = support::turn(&topology).await;
    timeout(LAB_DEADLINE, async {
        let first = Containers::start_with_image(&topology, &Secrets::generate(&topology), &image, &progress)
            .await
            .expect("the first lab starts");
        let before = labelled(&format!("{LAB_LABEL}={}", first.lab_id()));
        let second = Containers::start_with_image(&topology, &Secrets::generate(&topology), &image, &progress).await;
        match second {
            Err(e @ BackendError::Occupied { .. }) => {
                let message = e.to_string();
                assert!(message.contains(&first.lab_id()), "the refusal was expected to name the lab: {message}");
                assert!(message.contains("down --lab"), "the refusal was expected to say how to stop it: {message}");
            }
            Err(e) => panic!("a second lab was expected to be refused as occupied, not: {e}"),
            Ok(lab) => {
                let _ = lab.stop().await;
                panic!("a second lab on the same subnets was expected to be refused");
            }
        }
        assert_eq!(
            labelled(&format!("{LAB_LABEL}={}", first.lab_id())),
            before,
            "the first lab was expected untouched"
        );
        first.stop().await.expect("stop");
        assert_eq!(labelled(&format!("{LAB_LABEL}={}", first.lab_id())), Vec::<String>::new());
    })
    .await
    .expect("within the deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_whose_process_ended_is_swept_by_the_next_start() {
    let _serial = SERIAL.lock().await;
    let image = image().await;
    let topology = Topology::seed();
    let _shield = Shield::up(&topology);
    let _turn = support::turn(&topology).await;
    timeout(LAB_DEADLINE, async {
        let mut ended = std::process::Command::new("true").spawn().unwrap();
        let pid = ended.id();
        ended.wait().unwrap();
        let owner = Owner { process: Some((pid, bypass_lab::backend::containers::boot_id())), ..Owner::this_process() };
        let abandoned = Containers::start_owned(
            &topology,
            &Secrets::generate(&topology),
            &image,
            owner,
            DnsStart::Planned,
            None,
            &progress,
        )
        .await
        .expect("a lab owned by an ended process starts");
        let abandoned_id = abandoned.lab_id();
        abandoned.detach();
        drop(abandoned);
        assert!(!labelled(&format!("{LAB_LABEL}={abandoned_id}")).is_empty());

        let lines = std::sync::Mutex::new(Vec::<String>::new());
        let record = |line: &str| lines.lock().unwrap().push(line.to_string());
        let next = Containers::start_with_image(&topology, &Secrets::generate(&topology), &image, &record)
            .await
            .expect("the next lab starts once the abandoned one is removed");
        let said = lines.lock().unwrap().join("\n");
        assert!(
            said.contains(&format!("removed abandoned lab {abandoned_id}"))
                && said.contains(&format!("process {pid} ended")),
            "the start was expected to say what it removed and why: {said}"
        );
        assert_eq!(labelled(&format!("{LAB_LABEL}={abandoned_id}")), Vec::<String>::new());
        next.stop().await.expect("stop");
    })
    .await
    .expect("within the deadline");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn up_leaves_the_lab_running_until_its_own_down() {
    let _serial = SERIAL.lock().await;
    image().await;
    let topology = Topology::seed();
    let _shield = Shield::up(&topology);
    let here = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let state = here.path().join(".bypass-lab");
    let other_state = elsewhere.path().join(".bypass-lab");
    let blocking = tokio::task::spawn_blocking(move || {
        let up = bypass_lab(&state, &["up", "--backend", "containers", "--time-speed", "0"]);
        assert!(up.status.success(), "up: {}", text(&up));
        let id = LabFile::read(&state).unwrap().containers_lab().expect("lab.json names the containers lab");
        let lab_label = format!("{LAB_LABEL}={id}");
        let running = docker(&["ps", "--filter", &format!("label={lab_label}"), "--format", "{{.Names}}"]);
        let roles = Topology::seed().appliances().count() + 2;
        assert_eq!(
            running.lines().count(),
            roles,
            "the seed lab's {roles} containers were expected to run after up returned: {running}"
        );

        let ls = bypass_lab(&state, &["ls"]);
        assert!(text(&ls).contains(&id) && text(&ls).contains("live"), "ls lists the lab: {}", text(&ls));

        // Refused at once, whatever wait the environment gives the tests.
        let second = bypass_lab_now(&other_state, &["up", "--backend", "containers", "--time-speed", "0"]);
        assert_eq!(
            second.status.code(),
            Some(2),
            "a second up on the same subnets was expected to refuse with exit code 2 (invalid to run now)"
        );
        assert!(
            text(&second).contains(&id) && text(&second).contains("down --lab"),
            "the refusal names the lab: {}",
            text(&second)
        );
        assert_eq!(
            running,
            docker(&["ps", "--filter", &format!("label={lab_label}"), "--format", "{{.Names}}"]),
            "first lab untouched"
        );

        for (user, at) in [("alice", "amsterdam"), ("bob", "seattle")] {
            let signin = bypass_lab(&state, &["client", "signin", "--user", user, "--at", at]);
            assert!(signin.status.success(), "signin {user}: {}", text(&signin));
        }
        let file = LabFile::read(&state).unwrap();
        assert_eq!(file.endpoints.clients.len(), 2, "lab.json records both client hosts: {:?}", file.endpoints.clients);
        let status = bypass_lab(&state, &["client", "status", "--user", "alice"]);
        assert!(status.status.success(), "a later command finds alice: {}", text(&status));
        let advance = bypass_lab(&state, &["clock", "advance", "24h"]);
        assert!(advance.status.success(), "clock advance: {}", text(&advance));
        let now = bypass_lab(&state, &["clock", "now"]);
        assert!(text(&now).contains("day 2 00:00"), "lab time after 24h: {}", text(&now));
        let call = bypass_lab(&state, &["client", "call", "--user", "bob"]);
        assert!(call.status.success(), "call: {}", text(&call));

        let down = bypass_lab(&state, &["down"]);
        assert!(down.status.success(), "down: {}", text(&down));
        assert_eq!(labelled(&lab_label), Vec::<String>::new(), "down removes the whole lab");
        assert!(LabFile::read(&state).is_err(), "down removes lab.json");
    });
    timeout(LAB_DEADLINE, blocking).await.expect("within the deadline").expect("the scenario passes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_up_removes_what_it_started() {
    let _serial = SERIAL.lock().await;
    image().await;
    let topology = Topology::seed();
    let _shield = Shield::up(&topology);
    let dir = tempfile::tempdir().unwrap();
    let mut up = tokio::process::Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .arg("--state")
        .arg(dir.path())
        .args(["up", "--backend", "containers", "--time-speed", "0"])
        .kill_on_drop(true)
        .spawn()
        .expect("up starts");
    let pid = up.id().expect("a pid");
    let owned = format!("bypass-lab.owner.pid={pid}");
    // Wait for the start to have created something, then interrupt it.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while docker(&["ps", "-a", "--filter", &format!("label={owned}"), "--format", "{{.Names}}"]).trim().is_empty() {
        assert!(tokio::time::Instant::now() < deadline, "up created no container within 120 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let signal = run("kill", &["-INT", &pid.to_string()]);
    assert!(signal.status.success());
    let status = timeout(Duration::from_secs(15), up.wait()).await.expect("up exits within 15 s of SIGINT").unwrap();
    assert!(!status.success(), "an interrupted up exits non-zero");
    assert_eq!(labelled(&owned), Vec::<String>::new(), "nothing of the interrupted up remains");
    assert!(LabFile::read(dir.path()).is_err(), "no lab.json for a lab that never finished starting");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_interrupted_rehearsal_removes_its_labs() {
    let _serial = SERIAL.lock().await;
    image().await;
    let topology = Topology::seed();
    let _shield = Shield::up(&topology);
    let dir = tempfile::tempdir().unwrap();
    let mut rehearse = tokio::process::Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .current_dir(dir.path())
        .args(["rehearse", "--backend", "containers"])
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("rehearse starts");
    let pid = rehearse.id().expect("a pid");
    let owned = format!("bypass-lab.owner.pid={pid}");
    // Interrupt once a scenario's lab runs.
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    while docker(&[
        "ps",
        "--filter",
        &format!("label={owned}"),
        "--filter",
        "label=bypass-lab.role=mediation",
        "--format",
        "{{.Names}}",
    ])
    .trim()
    .is_empty()
    {
        assert!(tokio::time::Instant::now() < deadline, "the rehearsal started no lab within 120 s");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(run("kill", &["-INT", &pid.to_string()]).status.success());
    let status =
        timeout(Duration::from_secs(15), rehearse.wait()).await.expect("rehearse exits within 15 s of SIGINT").unwrap();
    assert!(!status.success(), "an interrupted rehearsal exits non-zero");
    assert_eq!(labelled(&owned), Vec::<String>::new(), "nothing of the interrupted rehearsal remains");
}
