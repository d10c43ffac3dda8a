//! The image's size and the seed lab's warm start time, printed as figures against their
//! targets (< 20 MB, < 15 s): `cargo bench -p bypass-lab --bench containers` (the release image),
//! or `bench/containers/run.sh`. Needs a Docker engine.

use bypass_lab::auth::Secrets;
use bypass_lab::backend::containers::Containers;
use bypass_lab::backend::Backend;
use bypass_lab::topology::Topology;
use std::time::{Duration, Instant};

const SIZE_TARGET: u64 = 20_000_000;
const START_TARGET: Duration = Duration::from_secs(15);
const START_LIMIT: Duration = Duration::from_secs(60);

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let image = tokio::time::timeout(
        Duration::from_secs(30 * 60),
        bypass_lab::backend::containers::image::build_image(&|_: &str| {}),
    )
    .await
    .expect("the image was expected to build within the deadline")
    .expect("the lab image needs a running Docker engine and a static build");
    let facts =
        bypass_lab::backend::containers::image::inspect(&image).await.unwrap().expect("the engine lists the image");
    let verdict = if facts.size_bytes < SIZE_TARGET { "within" } else { "OVER" };
    println!(
        "bench image {image}: {:.1} MB ({verdict} the {} MB target)",
        facts.size_bytes as f64 / 1e6,
        SIZE_TARGET / 1_000_000
    );

    let topology = Topology::seed();
    let secrets = Secrets::generate(&topology);
    let began = Instant::now();
    let lab =
        tokio::time::timeout(START_LIMIT, Containers::start_with_image(&topology, &secrets, &image, &|_: &str| {}))
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
