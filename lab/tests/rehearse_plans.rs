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

/// A site named like the zone's own scope (`Sea` in zone `seazonescope.com`'s neighbour
/// `SeaZoneScope`) still gets a zone scope of its own, and the plan rehearses green.
#[test]
fn a_site_whose_zone_scope_would_be_named_as_the_zone_rehearses_green() {
    let plan = seed().replace("adatum.biz", "seazonescope").replacen("name = \"Amsterdam\"", "name = \"Sea\"", 1);
    let (ok, printed) = rehearse(&plan);
    assert!(ok, "{printed}");
    assert!(printed.contains("rehearsal: 45 passed, 0 failed") || printed.contains(", 0 failed"), "{printed}");
}

/// A site name of 130 characters is valid; the rehearsal of a runbook on it writes its report.
#[test]
fn a_long_site_name_rehearses_a_runbook_to_its_report() {
    let long = "Amsterdam-".repeat(13);
    let plan = seed().replacen("name = \"Amsterdam\"", &format!("name = \"{long}\""), 1);
    let dir = tempfile::tempdir().unwrap();
    let (topology, runbook, reports) = (dir.path().join("plan.toml"), dir.path().join("r.ps1"), dir.path().join("out"));
    std::fs::write(&topology, plan).unwrap();
    std::fs::write(&runbook, "# phase: enable\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc\n").unwrap();
    let out = Command::new(BIN)
        .args(["rehearse", "--topology"])
        .arg(&topology)
        .arg("--runbook")
        .arg(&runbook)
        .arg("--report")
        .arg(&reports)
        .output()
        .expect("bypass-lab runs");
    let printed = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    assert!(matches!(out.status.code(), Some(0 | 1)), "a verdict, not an abort: {printed}");
    let report = std::fs::read_to_string(reports.join("rehearsal.json")).expect("the report is written");
    assert!(report.contains(&long), "the report names the site");
}
