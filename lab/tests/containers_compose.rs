//! The committed docker-compose.yml is the seed's Compose file, and Compose accepts it.

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
    let committed = std::fs::read_to_string(workspace().join("docker-compose.yml")).expect("docker-compose.yml at the top level");
    assert!(
        committed == compose_file(&Topology::seed()),
        "docker-compose.yml differs from the seed's Compose file: regenerate it with \
         `bypass-lab compose --output docker-compose.yml`"
    );
    for fixed in ["ipv4_address: 10.10.1.8", "ipv4_address: 192.168.1.48", "subnet: 10.10.1.0/24", "gateway: 192.168.1.254", "subnet: 203.0.113.0/24"] {
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
    assert!(compose.contains("./topology.toml:/topology.toml:ro") && compose.contains("\"--topology\", \"/topology.toml\""));
    assert!(compose.contains("  redmond:\n"), "the renamed site gets its own network");
    std::fs::write(&file, compose).unwrap();
    compose_accepts(&file);
}
