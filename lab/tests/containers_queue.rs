//! Runs of one plan on a shared Docker engine take turns through the queue the engine holds: a
//! run finds the subnets free, or is refused at once naming the holder (a lab, with its command;
//! a run queued before it); waiting runs are served in the order they came; a waiter killed with
//! -9 leaves nothing that blocks the next; a wait that is no duration is refused before anything
//! starts. No lab starts here: the queue's places are volumes,
//! and one labelled network stands for a lab. Each test has a plan of its own, so they run at
//! once without meeting. Needs a Docker engine; fails (never skips) without one.

mod support;

use bypass_lab::backend::containers::queue::{places, Place, Stage};
use bypass_lab::backend::containers::{connect, Owner, LAB_LABEL};
use bypass_lab::backend::{BackendError, BackendKind, Turn, WAIT_ENV};
use bypass_lab::topology::Topology;
use std::future::{ready, Future};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::Shield;
use tokio::task::JoinHandle;
use tokio::time::timeout;

/// How long a queued run in these tests may wait: far more than a turn handed over takes.
const WAIT: Duration = Duration::from_secs(60);
/// How long a condition on the engine may take to come true.
const DEADLINE: Duration = Duration::from_secs(60);

/// A one-site plan on 10.231.`block`.0/24 and 10.231.`block + 2`.0/23, outside on
/// 10.231.`block + 4`.0/24 (`block` even).
fn plan(block: u8) -> Topology {
    let text = format!(
        r#"
[tenant]
domain = "queue.test"
sip_domains = ["queue.test"]
service_name = "bypass.queue.test"
replication_window = "12h"

[[site]]
name = "Quito"
subnets = ["10.231.{a}.0/24", "10.231.{b}.0/23"]
gateway = "10.231.{a}.5"

[[site.appliance]]
name = "qui-cce1"
address = "10.231.{a}.21"

[outside]
subnets = ["10.231.{c}.0/24"]
"#,
        a = block,
        b = block + 2,
        c = block + 4
    );
    Topology::parse(&text, None).expect("a valid plan")
}

async fn take(topology: &Topology, wait: Option<Duration>) -> Result<Turn, BackendError> {
    BackendKind::Containers.take_turn(topology, wait, &|line: &str| eprintln!("  {line}")).await
}

type Lines = Arc<Mutex<Vec<String>>>;

/// A run that queues for `topology`'s subnets in a task of its own, and what it says.
fn queued(topology: &Topology) -> (JoinHandle<Result<Turn, BackendError>>, Lines) {
    let lines: Lines = Arc::default();
    let (topology, said) = (topology.clone(), lines.clone());
    let run = tokio::spawn(async move {
        let say = move |line: &str| said.lock().unwrap().push(line.to_string());
        BackendKind::Containers.take_turn(&topology, Some(WAIT), &say).await
    });
    (run, lines)
}

/// The places in the queue for `topology`'s subnets.
async fn waiting(topology: &Topology) -> Vec<Place> {
    let docker = connect().await.expect("a Docker engine");
    let subnets = bypass_lab::backend::containers::fixed_subnets(topology);
    let all = places(&docker).await.expect("the queue reads");
    all.into_iter().filter(|p| p.stage == Stage::Waiting && p.overlaps(&subnets)).collect()
}

/// Returns once `check` holds, or fails the test naming `what`.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + DEADLINE;
    while !check().await {
        assert!(tokio::time::Instant::now() < deadline, "{what} did not happen within {DEADLINE:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether a run said `text` (in any of its lines).
fn said(lines: &Lines, text: &str) -> bool {
    lines.lock().unwrap().iter().any(|line| line.contains(text))
}

async fn served(run: JoinHandle<Result<Turn, BackendError>>, who: &str) -> Turn {
    timeout(WAIT + Duration::from_secs(10), run)
        .await
        .unwrap_or_else(|_| panic!("{who} was not served within its wait"))
        .expect("the task ends")
        .unwrap_or_else(|e| panic!("{who} was expected to get its turn: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn waiting_runs_are_served_in_the_order_they_came_and_one_that_does_not_wait_is_refused() {
    let topology = plan(100);
    let first = take(&topology, None).await.expect("free subnets: the turn at once");

    let refused = take(&topology, None).await.expect_err("a second run without a wait is refused");
    let text = refused.to_string();
    assert!(matches!(refused, BackendError::TurnTaken { .. }), "{refused:?}");
    assert!(refused.is_busy(), "a refusal for held subnets is told apart from a failure");
    assert!(
        text.contains(&format!("process {}", std::process::id()))
            && text.contains("comes first in the queue for 10.231.100.0/24")
            && text.contains("containers_queue")
            && text.contains("--wait"),
        "the refusal names the run ahead, its command and the way to wait: {text}"
    );
    assert_eq!(waiting(&topology).await.len(), 1, "a refused run leaves no place behind");

    let (second, second_said) = queued(&topology);
    eventually("the second run's wait", || ready(said(&second_said, "waiting for this topology's subnets (up to 1m)")))
        .await;
    let (third, third_said) = queued(&topology);
    eventually("the third run's wait", || ready(said(&third_said, "; 1 more run queued ahead of this one"))).await;
    assert_eq!(waiting(&topology).await.len(), 3);

    first.release().await.expect("the first run leaves the queue");
    let second = served(second, "the second run").await;
    assert!(said(&second_said, "waited "), "the second run said how long it waited");
    let lines = || third_said.lock().unwrap().iter().filter(|l| l.contains("comes first in the queue")).count();
    eventually("the third run's word on its new holder", || ready(lines() == 2)).await;
    assert!(!third.is_finished(), "the third run waits while the second holds the turn");

    second.release().await.expect("the second run leaves the queue");
    let third = served(third, "the third run").await;
    assert!(third.waited > Duration::ZERO);
    third.release().await.expect("the third run leaves the queue");
    assert!(waiting(&topology).await.is_empty(), "every run left the queue");
}

/// A network labelled as a lab's, held by this process; removed when dropped.
struct FakeLab(String);

impl Drop for FakeLab {
    fn drop(&mut self) {
        let _ = std::process::Command::new("docker").args(["network", "rm", &self.0]).output();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lab_on_the_subnets_is_named_with_its_command_and_its_end_lets_the_waiter_in() {
    let topology = plan(110);
    let _shield = Shield::up(&topology);
    let id = format!("q{:07x}", std::process::id());
    let name = format!("bypass-lab-{id}-quito");
    let mut args: Vec<String> = ["network", "create", "--subnet", "10.231.110.0/24", "--label"]
        .map(String::from)
        .into_iter()
        .chain([format!("{LAB_LABEL}={id}")])
        .collect();
    for (key, value) in Owner::this_process().labels() {
        args.extend(["--label".to_string(), format!("{key}={value}")]);
    }
    args.push(name.clone());
    support::succeed("docker", &args.iter().map(String::as_str).collect::<Vec<_>>());
    let lab = FakeLab(name);

    let refused = take(&topology, None).await.expect_err("a run is refused while a lab holds its subnets");
    let text = refused.to_string();
    assert!(
        text.contains(&format!("lab {id}"))
            && text.contains("runs on 10.231.110.0/24")
            && text.contains("containers_queue")
            && text.contains(&format!("down --lab {id}")),
        "the refusal names the lab, its command and how to stop it: {text}"
    );

    let (waiter, lines) = queued(&topology);
    let named = format!("): lab {id} (");
    eventually("the waiter's wait", || ready(said(&lines, &named))).await;
    assert!(!waiter.is_finished(), "the waiter waits while the lab holds the subnets");
    drop(lab);
    let turn = served(waiter, "the waiter").await;
    assert!(said(&lines, "waited "), "the waiter said how long it waited");
    turn.release().await.expect("the waiter leaves the queue");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_waiter_killed_with_kill_9_leaves_nothing_that_blocks_the_next() {
    let topology = plan(120);
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plan.toml");
    std::fs::write(&file, toml::to_string(&topology).unwrap()).unwrap();
    let holder = take(&topology, None).await.expect("free subnets: the turn at once");

    // `up --wait` queues behind the holder before it builds or starts anything.
    let mut up = tokio::process::Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .arg("--state")
        .arg(dir.path().join("state"))
        .args(["up", "--backend", "containers", "--wait", "10m", "--topology"])
        .arg(&file)
        .env_remove(WAIT_ENV)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("bypass-lab starts");
    let pid = up.id().expect("a pid");
    let of_up = |places: Vec<Place>| {
        places.into_iter().any(|p| p.owner.as_ref().and_then(|o| o.process.as_ref()).is_some_and(|(p, _)| *p == pid))
    };
    eventually("the waiting `up`'s place", || async { of_up(waiting(&topology).await) }).await;
    up.start_kill().expect("SIGKILL");
    let status = timeout(DEADLINE, up.wait()).await.expect("killed within the deadline").unwrap();
    assert!(!status.success());

    // The killed run could not remove its place; whoever looks at the queue next (this run, or
    // another test's, at any moment now) sweeps it, so its presence here is not asserted.
    let (next, _) = queued(&topology);
    holder.release().await.expect("the holder leaves the queue");
    let turn = served(next, "the run queued after the killed one").await;
    assert!(!of_up(waiting(&topology).await), "nothing of the killed run is left in the queue");
    turn.release().await.expect("the next run leaves the queue");
}

#[test]
fn a_wait_that_is_no_duration_is_refused_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let bypass_lab = |env: Option<&str>, args: &[&str]| {
        let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_bypass-lab"));
        command.current_dir(dir.path()).arg("--state").arg(dir.path().join("state")).args(args).env_remove(WAIT_ENV);
        if let Some(value) = env {
            command.env(WAIT_ENV, value);
        }
        command.output().expect("bypass-lab runs")
    };
    let flag = bypass_lab(None, &["rehearse", "--backend", "containers", "--wait", "10q"]);
    let said = String::from_utf8_lossy(&flag.stderr);
    assert_eq!(flag.status.code(), Some(2), "{said}");
    assert!(said.contains("'10q' is not a duration"), "the flag's value is named: {said}");
    let env = bypass_lab(Some("soon"), &["up", "--backend", "containers"]);
    let said = String::from_utf8_lossy(&env.stderr);
    assert_eq!(env.status.code(), Some(2), "{said}");
    assert!(said.contains("BYPASS_LAB_WAIT=soon: 'soon' is not a duration"), "the variable is named: {said}");
    assert!(!dir.path().join("state").join("lab.json").exists(), "nothing started");
}
