//! The lab image: built locally FROM scratch around a static bypass-lab, small, and runnable.

use std::process::Command;
use std::time::Duration;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn image_builds_from_scratch_small_and_runs_the_binary() {
    let image = tokio::time::timeout(
        Duration::from_secs(30 * 60),
        bypass_lab::backend::containers::image::build_image(&|line: &str| eprintln!("  {line}")),
    )
    .await
    .expect("the image was expected to build within the deadline")
    .expect("the lab image needs a running Docker engine and a static build");
    assert_eq!(image, format!("bypass-lab:{}", env!("CARGO_PKG_VERSION")));
    let facts =
        bypass_lab::backend::containers::image::inspect(&image).await.unwrap().expect("the engine lists the image");
    assert!(facts.binary_hash.is_some(), "the image carries its binary's hash");
    // Its size is a benchmark figure (bench/containers/run.sh), not a pass/fail here: a debug
    // build makes a larger image than a release one.

    // Built again with the same binary, the image is reused as it is.
    let id = |image: &str| docker(&["image", "inspect", "-f", "{{.Id}}", image]);
    let before = id(&image);
    bypass_lab::backend::containers::image::build_or_reuse(&|_: &str| {}).await.unwrap();
    assert_eq!(id(&image), before, "an up-to-date image was expected to be kept");

    let help = docker(&["run", "--rm", "--network", "none", &image, "--help"]);
    assert!(help.contains("serve"), "the image's entrypoint was expected to be bypass-lab, got:\n{help}");
}

fn docker(args: &[&str]) -> String {
    let out = Command::new("docker").args(args).output().expect("the docker CLI must be installed for this test");
    assert!(out.status.success(), "docker {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout).into_owned()
}
