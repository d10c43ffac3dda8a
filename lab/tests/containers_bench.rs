//! Figures for `bench/containers/run.sh`: the image's size and the seed lab's warm start time.
//! Targets are < 20 MB and < 15 s; the test fails only past hard limits (a shared, small
//! machine makes start times noisy).

use bypass_lab::auth::Secrets;
use bypass_lab::backend::containers::Containers;
use bypass_lab::backend::Backend;
use bypass_lab::topology::Topology;
use std::time::{Duration, Instant};

const SIZE_TARGET: u64 = 20_000_000;
const START_TARGET: Duration = Duration::from_secs(15);
const START_LIMIT: Duration = Duration::from_secs(60);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warm_start_of_the_seed_lab_and_image_size() {
    let image = tokio::time::timeout(Duration::from_secs(30 * 60), bypass_lab::image::build_image(&|_: &str| {}))
        .await
        .expect("the image was expected to build within the deadline")
        .expect("the lab image needs a running Docker engine and a static build");
    let facts = bypass_lab::image::inspect(&image).await.unwrap().expect("the engine lists the image");
    println!("bench image {image}: {:.1} MB (target < {} MB)", facts.size_bytes as f64 / 1e6, SIZE_TARGET / 1_000_000);
    assert!(facts.size_bytes < SIZE_TARGET, "the image was expected under 20 MB, it is {} bytes", facts.size_bytes);

    let topology = Topology::seed();
    let secrets = Secrets::generate(&topology);
    let began = Instant::now();
    let lab = tokio::time::timeout(START_LIMIT, Containers::start_with_image(&topology, &secrets, &image, &|_: &str| {}))
        .await
        .expect("the seed lab was expected to start within the hard limit")
        .expect("the seed lab starts");
    let started = began.elapsed();
    let began = Instant::now();
    lab.stop().await.expect("stop");
    let stopped = began.elapsed();
    let verdict = if started < START_TARGET { "within" } else { "OVER" };
    println!(
        "bench seed lab warm start: {:.1} s ({verdict} the {} s target), stop: {:.1} s",
        started.as_secs_f64(),
        START_TARGET.as_secs(),
        stopped.as_secs_f64()
    );
}
