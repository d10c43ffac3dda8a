//! The committed docker-compose.yml is the seed's Compose file, and Compose accepts it.

mod support;

use support::Shield;

use bypass_lab::backend::containers::compose_file;
use bypass_lab::topology::Topology;
use std::path::Path;
use std::process::Command;

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap()
}

fn compose_accepts(file: &Path) {
    let out = Command::new("docker-compose")
        .args(["-f", &file.display().to_string(), "config", "-q"])
        .output()
        .expect("docker-compose (v1.29 or Compose v2's docker-compose) must be installed for this test");
    assert!(
        out.status.success(),
        "docker-compose was expected to accept {} but said:\n{}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn committed_compose_file_is_the_seeds() {
    let committed =
        std::fs::read_to_string(workspace().join("docker-compose.yml")).expect("docker-compose.yml at the top level");
    assert!(
        committed == compose_file(&Topology::seed()),
        "docker-compose.yml differs from the seed's Compose file: regenerate it with \
         `bypass-lab compose --output docker-compose.yml`"
    );
    for fixed in [
        "ipv4_address: 10.10.1.8",
        "ipv4_address: 192.168.1.48",
        "subnet: 10.10.1.0/24",
        "gateway: 192.168.1.254",
        "subnet: 203.0.113.0/24",
    ] {
        assert!(committed.contains(fixed), "docker-compose.yml was expected to contain '{fixed}'");
    }
    compose_accepts(&workspace().join("docker-compose.yml"));
}

#[test]
fn any_topology_gets_a_valid_compose_file_reading_its_plan() {
    let text = bypass_lab::topology::SEED_TOML.replace("Seattle", "Redmond");
    let topology = Topology::parse(&text, None).unwrap();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("topology.toml"), &text).unwrap();
    let file = dir.path().join("docker-compose.yml");
    let compose = compose_file(&topology);
    assert!(
        compose.contains("./topology.toml:/topology.toml:ro") && compose.contains("\"--topology\", \"/topology.toml\"")
    );
    assert!(compose.contains("  redmond:\n"), "the renamed site gets its own network");
    std::fs::write(&file, compose).unwrap();
    compose_accepts(&file);
}

fn bypass_lab(state: &Path, args: &[&str]) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .arg("--state")
        .arg(state)
        .args(args)
        .output()
        .expect("bypass-lab runs");
    eprintln!(
        "bypass-lab {args:?} -> {}\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

/// `bypass-lab compose --output` writes the lab file too: status, clock and down drive the
/// Compose lab, and `docker-compose down -v` finds nothing left.
#[test]
fn the_compose_lab_is_driven_through_its_lab_file() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime
        .block_on(bypass_lab::backend::containers::image::build_image(&|line: &str| eprintln!("  {line}")))
        .expect("the lab image builds");
    let _shield = Shield::up(&Topology::seed());
    let _turn = runtime.block_on(support::turn(&Topology::seed()));
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("docker-compose.yml");
    let state = dir.path().join(".bypass-lab");
    let compose = bypass_lab(&state, &["compose", "--output", &file.display().to_string()]);
    assert!(compose.status.success());
    let compose_cmd = |args: &[&str]| {
        let out = Command::new("docker-compose")
            .arg("-f")
            .arg(&file)
            .args(["-p", "bypasslabtest"])
            .args(args)
            .output()
            .unwrap();
        eprintln!("docker-compose {args:?}: {}", String::from_utf8_lossy(&out.stderr));
        out
    };
    assert!(compose_cmd(&["up", "-d"]).status.success(), "docker-compose up -d");
    let down_now = || {
        let _ = bypass_lab(&state, &["down"]);
        let _ = compose_cmd(&["down", "-v"]);
    };
    // Compose returns once the containers run; the roles answer a moment later.
    let appliances = Topology::seed().appliances().count();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let status = bypass_lab(&state, &["status", "--json"]);
        let text = String::from_utf8_lossy(&status.stdout).into_owned();
        // Every appliance answers and reaches the tenant now; one that tried to register before
        // the tenant listened retries at its next sync, which `clock advance` below brings.
        if status.status.success() && text.matches("\"TenantLinkUp\": true").count() == appliances {
            break;
        }
        if std::time::Instant::now() > deadline {
            down_now();
            panic!(
                "status was expected to show the {appliances} appliances with their tenant link up within 30 s: {text}"
            );
        }
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    let advance = bypass_lab(&state, &["clock", "advance", "24h"]);
    let now = bypass_lab(&state, &["clock", "now"]);
    let down = bypass_lab(&state, &["down"]);
    let compose_down = compose_cmd(&["down", "-v"]);
    assert!(advance.status.success(), "clock advance on the Compose lab");
    assert_eq!(String::from_utf8_lossy(&now.stdout).trim(), "day 2 00:00", "lab time after 24h");
    assert!(down.status.success() && compose_down.status.success());
    let left = Command::new("docker").args(["ps", "-aq", "--filter", "label=bypass-lab.lab=compose"]).output().unwrap();
    assert!(left.stdout.is_empty(), "down leaves no container of the Compose lab");
    let volumes = Command::new("docker")
        .args(["volume", "ls", "-q", "--filter", "label=bypass-lab.lab=compose"])
        .output()
        .unwrap();
    assert!(
        volumes.stdout.is_empty(),
        "no volume of the Compose lab is left: {}",
        String::from_utf8_lossy(&volumes.stdout)
    );
}
