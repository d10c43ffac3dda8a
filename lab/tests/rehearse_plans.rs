//! The built-in features hold for any valid plan, not only the seed's: a rehearsal of another
//! company's plan is green when the plan is sound.

use std::path::Path;
use std::process::Command;

const BIN: &str = env!("CARGO_BIN_EXE_bypass-lab");

fn rehearse(plan: &str) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("plan.toml");
    std::fs::write(&path, plan).unwrap();
    let out = Command::new(BIN)
        .args(["rehearse", "--topology"])
        .arg(&path)
        .arg("--report")
        .arg(dir.path().join("reports"))
        .output()
        .expect("bypass-lab runs");
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.success(), printed)
}

fn seed() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("topologies/adatum.toml")).unwrap()
}

#[test]
fn a_plan_whose_domain_is_contoso_com_rehearses_green() {
    let plan = seed().replace("adatum.biz", "contoso.com");
    let (ok, printed) = rehearse(&plan);
    assert!(ok, "{printed}");
}

#[test]
fn a_site_with_two_subnets_is_rehearsed_in_both() {
    let plan = seed().replace("subnets = [\"10.10.1.0/24\"]", "subnets = [\"10.10.1.0/24\", \"10.10.2.0/24\"]");
    let (ok, printed) = rehearse(&plan);
    assert!(ok, "{printed}");
    assert!(printed.contains("scenarios ("), "{printed}");
}
