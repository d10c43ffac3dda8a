//! Moving an embedded lab's time from another process, as `bypass-lab clock advance` does:
//! the answer is the time the lab truly reached, and a role that does not move is an error.

use bypass_lab::backend::BackendKind;
use bypass_lab::lab::{Lab, LabError, LabFile, LabOptions};
use bypass_lab::topology::Topology;
use std::time::{Duration, Instant};

const DAY: Duration = Duration::from_secs(86_400);

async fn up() -> (Lab, tempfile::TempDir) {
    let options = LabOptions { backend: BackendKind::Embedded, control: true, ..Default::default() };
    let lab = Lab::start(Topology::seed(), options).await.expect("the seed lab starts");
    let dir = tempfile::tempdir().unwrap();
    lab.save(dir.path()).unwrap();
    (lab, dir)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_role_that_does_not_take_a_move_fails_the_advance_with_the_time_reached() {
    let (lab, dir) = up().await;
    let mut file = LabFile::read(dir.path()).unwrap();
    let gone = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap();
    file.endpoints.clocks.push(format!("http://{gone}"));
    file.write(dir.path()).unwrap();

    let driver = Lab::attach(dir.path()).await.unwrap();
    let error = driver.advance(Duration::from_secs(3600)).await.unwrap_err();
    match &error {
        LabError::ClockStopped { reached, target, .. } => {
            assert_eq!(target, "1h");
            assert_ne!(reached, target, "the lab did not reach the target on every role");
        }
        other => panic!("expected the advance to stop with the time reached, got {other:?}"),
    }
    assert!(error.to_string().contains("stopped at"), "{error}");
    lab.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_remote_advance_arrives_at_the_target_and_says_so() {
    let (lab, dir) = up().await;
    let driver = Lab::attach(dir.path()).await.unwrap();
    let before = driver.now().await.unwrap();
    let reached = driver.advance(3 * DAY).await.unwrap();
    assert_eq!(reached, before + 3 * DAY);
    assert_eq!(driver.now().await.unwrap(), reached, "the lab stands where the advance said it does");
    lab.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_long_quiet_advance_is_cheap_when_nothing_is_due() {
    // A lab whose appliances sync once a year: 200 years are 200 syncs per appliance, not
    // 73,000 stops.
    let mut topology = Topology::seed();
    topology.tenant.replication_window = 365 * DAY;
    let options = LabOptions { backend: BackendKind::Embedded, ..Default::default() };
    let lab = Lab::start(topology, options).await.expect("the lab starts");
    let started = Instant::now();
    let reached = lab.advance(200 * 365 * DAY).await.unwrap();
    assert_eq!(reached, lab.now().await.unwrap());
    assert!(reached >= 200 * 365 * DAY);
    assert!(started.elapsed() < Duration::from_secs(30), "200 lab years took {:?}", started.elapsed());
    lab.stop().await.unwrap();
}

/// Runbooks wait for replication with `Start-Sleep`: in the lab it moves lab time, at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_sleep_in_a_runbook_moves_lab_time() {
    let lab = Lab::start(Topology::seed(), LabOptions { backend: BackendKind::Embedded, ..Default::default() })
        .await
        .expect("the seed lab starts");
    let before = lab.now().await.unwrap();
    let source =
        "Start-Sleep -Seconds 3600\nStart-Sleep -Duration 00:30:00\nStart-Sleep -Milliseconds 500\nStart-Sleep 1.5";
    let transcript = lab.run_runbook(source, &bypass_lab::lab::RunOn::AdminSession).await.unwrap();
    assert!(transcript.succeeded(), "{}", transcript.render());
    assert_eq!(lab.now().await.unwrap() - before, Duration::from_secs(5402));
    lab.stop().await.unwrap();
}
