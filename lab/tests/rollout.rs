//! Rehearsing a rollout of a company this repository does not ship: three sites, its own
//! addressing and SIP domain, a runbook written from its plan. The correct runbook passes with
//! every site bypassing through its own Mediation Servers; planted mistakes are named by site
//! and subnet; the binary's exit codes say which happened.

use bypass_lab::backend::{BackendKind, DnsStart};
use bypass_lab::rollout::model::{Decision, RehearsalReport};
use bypass_lab::rollout::rehearsal::Quiet;
use bypass_lab::rollout::{rehearse_rollout, Rollout, RunbookRehearsal, Severity};
use bypass_lab::topology::Topology;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;

const PLAN: &str = r#"
[tenant]
domain = "fjordline.net"
sip_domains = ["fjordline.net", "voice.fjordline.net"]
service_name = "bypass.voice.fjordline.net"
replication_window = "18h"

[[site]]
name = "Reykjavik"
subnets = ["10.91.0.0/24", "10.91.64.0/26"]
gateway = "10.91.0.2"
[[site.appliance]]
name = "rey-a"
address = "10.91.0.31"
[[site.appliance]]
name = "rey-b"
address = "10.91.0.32"

[[site]]
name = "Nairobi"
subnets = ["172.22.0.0/24"]
gateway = "172.22.0.254"
[[site.appliance]]
name = "nbo-a"
address = "172.22.0.40"

[[site]]
name = "Quito"
subnets = ["192.168.77.0/25"]
gateway = "192.168.77.1"
[[site.appliance]]
name = "uio-a"
address = "192.168.77.20"
[[site.appliance]]
name = "uio-b"
address = "192.168.77.21"
[[site.appliance]]
name = "uio-c"
address = "192.168.77.22"

[outside]
subnets = ["198.18.5.0/24"]
"#;

/// Mistakes to plant in the generated runbook.
#[derive(Default, Clone, Copy)]
struct Mistakes {
    /// The first site's client subnet leaves out its second subnet.
    subnet_missing: bool,
    /// The last site's policy answers from the second site's zone scope.
    policy_to_other_site: bool,
    /// The second site's first appliance also gets a record in the default scope.
    default_scope_record: bool,
}

/// The four-phase rollout an admin would write for `t`, from its plan alone.
fn runbook(t: &Topology, m: Mistakes) -> String {
    let zone = "voice.fjordline.net";
    let host = "bypass";
    let mut dns = vec![format!("Add-DnsServerPrimaryZone -Name \"{zone}\" -ReplicationScope \"Forest\"")];
    for (i, site) in t.sites.iter().enumerate() {
        let subnets: Vec<String> = site
            .subnets
            .iter()
            .enumerate()
            .filter(|(k, _)| !(m.subnet_missing && i == 0 && *k == 1))
            .map(|(_, n)| format!("\"{n}\""))
            .collect();
        dns.push(format!("Add-DnsServerClientSubnet -Name \"{}Net\" -IPv4Subnet {}", site.name, subnets.join(",")));
        dns.push(format!("Add-DnsServerZoneScope -ZoneName \"{zone}\" -Name \"{}Scope\"", site.name));
        for a in &site.appliances {
            dns.push(format!(
                "Add-DnsServerResourceRecord -ZoneName \"{zone}\" -A -Name \"{host}\" -IPv4Address \"{}\" -ZoneScope \"{}Scope\"",
                a.address, site.name
            ));
        }
    }
    for (i, site) in t.sites.iter().enumerate() {
        let scope = if m.policy_to_other_site && i == t.sites.len() - 1 { &t.sites[1].name } else { &site.name };
        dns.push(format!(
            "Add-DnsServerQueryResolutionPolicy -Name \"{}Policy\" -Action ALLOW -ClientSubnet \"eq,{}Net\" -ZoneScope \"{scope}Scope,1\" -ZoneName \"{zone}\"",
            site.name, site.name
        ));
    }
    if m.default_scope_record {
        dns.push(format!(
            "Add-DnsServerResourceRecord -ZoneName \"{zone}\" -A -Name \"{host}\" -IPv4Address \"{}\"",
            t.sites[1].appliances[0].address
        ));
    }
    let removals: Vec<String> = t
        .sites
        .iter()
        .map(|s| format!("Remove-DnsServerResourceRecord -ZoneName \"{zone}\" -RRType \"A\" -Name \"{host}\" -ZoneScope \"{}Scope\" -Force", s.name))
        .collect();
    format!(
        "# Rollout for fjordline.net\n# phase: dns\n{}\n\n# phase: enable\n\
         Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl {}\n\
         $mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true\n\
         Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass\n\n\
         # phase: temporary-disable\n\
         $mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false\n\
         Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass\n\n\
         # phase: permanent-disable\n\
         Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null\n\
         $mediabypass = New-CsNetworkMediaBypassConfiguration -Enabled $false\n\
         Set-CsNetworkConfiguration -MediaBypassSettings $mediabypass\n{}\n",
        dns.join("\n"),
        t.service_url(),
        removals.join("\n")
    )
}

fn topology() -> Topology {
    Topology::parse(PLAN, None).expect("the test plan is valid")
}

async fn rehearse(source: String) -> RunbookRehearsal {
    let rollout = Rollout {
        topology: topology(),
        source,
        origin: "rollout.ps1".into(),
        backend: BackendKind::Embedded,
        dns: DnsStart::Empty,
    };
    rehearse_rollout(rollout, Arc::new(Quiet)).await.expect("the rehearsal runs")
}

fn phase<'a>(report: &'a RehearsalReport, name: &str) -> &'a bypass_lab::rollout::model::PhaseVerdict {
    report.phases.iter().find(|p| p.name == name).unwrap_or_else(|| panic!("no phase {name} in {report:#?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_correct_rollout_passes_with_every_site_on_its_own_mediation_servers() {
    let t = topology();
    let done = rehearse(runbook(&t, Mistakes::default())).await;
    assert!(done.failure.is_none(), "{:?}", done.failure);
    let errors: Vec<_> = done.report.findings.iter().filter(|f| f.severity == Severity::Error).collect();
    assert!(errors.is_empty(), "{errors:#?}");
    assert_eq!(
        done.report.phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["dns", "enable", "temporary-disable", "permanent-disable"]
    );

    let enable = phase(&done.report, "enable");
    assert_eq!(enable.rows.len(), 5, "one row per subnet of every site and per outside subnet");
    for row in enable.rows.iter().filter(|r| r.site != "outside") {
        let site = t.site(&row.site).unwrap();
        assert!(!row.resolved.is_empty(), "{row:?}");
        assert!(row.resolved.iter().all(|ip| site.appliances.iter().any(|a| a.address == *ip)), "{row:?}");
        assert_eq!(row.resolved_site.as_deref(), Some(site.name.as_str()), "{row:?}");
        assert_eq!(row.decision, Decision::Bypass, "{row:?}");
        assert_eq!(row.media, "client <-> gateway", "{row:?}");
    }
    let outside = enable.rows.iter().find(|r| r.site == "outside").unwrap();
    assert!(outside.resolved.is_empty() && outside.decision == Decision::NoBypass, "{outside:?}");
    assert!(enable.appliances.iter().all(|a| a.enabled && a.web_service == "Serving"), "{:?}", enable.appliances);

    for name in ["temporary-disable", "permanent-disable"] {
        let p = phase(&done.report, name);
        assert!(p.rows.iter().all(|r| r.decision == Decision::NoBypass), "{name}: {:?}", p.rows);
        assert!(
            p.rows.iter().filter(|r| r.site != "outside").all(|r| r.media == "client <-> Mediation Server <-> gateway"),
            "{name}: {:?}",
            p.rows
        );
    }
    assert!(phase(&done.report, "permanent-disable").rows.iter().all(|r| r.resolved.is_empty()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn planted_mistakes_are_named_by_site_and_subnet() {
    let t = topology();
    let mistakes = Mistakes { subnet_missing: true, policy_to_other_site: true, default_scope_record: true };
    let done = rehearse(runbook(&t, mistakes)).await;
    assert!(done.failure.is_none(), "{:?}", done.failure);
    let errors: Vec<(&str, &str, &str)> = done
        .report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error && f.phase == "enable")
        .map(|f| (f.site.as_str(), f.subnet.as_str(), f.message.as_str()))
        .collect();
    let named = |site: &str, subnet: &str, words: &[&str]| {
        errors.iter().any(|(s, n, m)| *s == site && *n == subnet && words.iter().all(|w| m.contains(w)))
    };
    assert!(
        named("Reykjavik", "10.91.64.0/26", &["no client subnet covers 10.91.64.0/26", "default scope"]),
        "{errors:#?}"
    );
    assert!(
        named(
            "Quito",
            "192.168.77.0/25",
            &["policy QuitoPolicy", "zone scope NairobiScope", "Nairobi's Mediation Servers"]
        ),
        "{errors:#?}"
    );
    assert!(
        named(
            "outside",
            "198.18.5.0/24",
            &["outside clients resolve bypass.voice.fjordline.net", "a record in the default scope"]
        ),
        "{errors:#?}"
    );
    assert!(!errors.iter().any(|(s, _, _)| *s == "Nairobi"), "Nairobi is planned right: {errors:#?}");
    assert!(!errors.iter().any(|(_, n, _)| *n == "10.91.0.0/24"), "Reykjavik's first subnet is covered: {errors:#?}");
}

/// A failing line writes its error and the phase goes on, as in PowerShell: every phase is
/// judged, and the line is an error of the rollout. Only a stop (here under
/// `$ErrorActionPreference = 'Stop'`) ends the rehearsal, with the phases done so far.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_line_is_an_error_and_the_runbook_goes_on() {
    let t = topology();
    let source = runbook(&t, Mistakes::default())
        .replace(
            "# phase: temporary-disable\n",
            "# phase: temporary-disable\nSet-CsNetworkConfiguration -MediaBypassSettings $undefined -Bogus 1\n",
        )
        .replace(
            "# phase: enable\n",
            "# phase: enable\nSet-CsTenantFederationConfiguration -AllowPublicUsers $false\n",
        );
    let line = source.lines().position(|l| l.contains("-Bogus")).unwrap() + 1;
    let unmodelled = source.lines().position(|l| l.contains("Federation")).unwrap() + 1;
    let done = rehearse(source.clone()).await;
    assert!(done.failure.is_none(), "the runbook went on: {:?}", done.failure);
    assert_eq!(
        done.report.phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(),
        ["dns", "enable", "temporary-disable", "permanent-disable"]
    );
    let errors: Vec<&str> =
        done.report.findings.iter().filter(|f| f.severity == Severity::Error).map(|f| f.message.as_str()).collect();
    assert_eq!(errors.len(), 2, "{errors:#?}");
    // A real cmdlet the lab does not model, in the enable phase: an error finding at its line,
    // and the phase is still judged on what its other lines did.
    assert!(
        errors[0].starts_with(&format!("rollout.ps1 line {unmodelled}, column 1 failed (the runbook went on): ")),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("Set-CsTenantFederationConfiguration is a real cmdlet that this lab does not model"));
    let enable = phase(&done.report, "enable");
    assert!(enable.rows.iter().any(|r| r.decision == bypass_lab::rollout::model::Decision::Bypass), "{enable:#?}");
    assert!(errors[1].starts_with(&format!("rollout.ps1 line {line}, column ")), "{}", errors[1]);
    let disable = phase(&done.report, "temporary-disable");
    let output = disable.output.iter().find(|o| o.line == line).expect("the failed line's output is kept");
    assert!(output.error.is_some(), "{output:?}");
    assert!(disable.rows.iter().all(|r| r.decision == bypass_lab::rollout::model::Decision::NoBypass));

    let stopped = rehearse(
        source.replace("# phase: temporary-disable\n", "# phase: temporary-disable\n$ErrorActionPreference = 'Stop'\n"),
    )
    .await;
    let failure = stopped.failure.as_ref().expect("a stop ends the runbook");
    assert_eq!((failure.phase.as_str(), failure.line), ("temporary-disable", line + 1));
    assert_eq!(stopped.report.phases.iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["dns", "enable"]);
    assert!(stopped.report.has_errors());
}

fn bypass_lab(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .output()
        .expect("the binary runs");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn the_binary_exits_0_1_or_2() {
    let dir = tempfile::tempdir().unwrap();
    let t = topology();
    std::fs::write(dir.path().join("plan.toml"), PLAN).unwrap();
    std::fs::write(dir.path().join("good.ps1"), runbook(&t, Mistakes::default())).unwrap();
    std::fs::write(
        dir.path().join("bad.ps1"),
        runbook(&t, Mistakes { policy_to_other_site: true, ..Default::default() }),
    )
    .unwrap();
    std::fs::write(dir.path().join("dup.ps1"), "# phase: dns\n# phase: DNS\n").unwrap();
    std::fs::write(
        dir.path().join("nocolon.ps1"),
        runbook(&t, Mistakes::default()).replace("# phase: enable", "# phase enable"),
    )
    .unwrap();
    std::fs::write(dir.path().join("broken.toml"), "[tenant]\ndomain = 1\n").unwrap();
    let run = |runbook: &str, topology: &str, report: &str| {
        bypass_lab(dir.path(), &["rehearse", "--runbook", runbook, "--topology", topology, "--report", report])
    };

    let (code, stdout, stderr) = run("good.ps1", "plan.toml", "good");
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("== phase enable =="), "{stdout}");
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("good/rehearsal.json")).unwrap()).unwrap();
    let keys = |v: &serde_json::Value| v.as_object().unwrap().keys().cloned().collect::<Vec<_>>();
    assert_eq!(keys(&json), ["phases", "findings"]);
    assert_eq!(keys(&json["phases"][1]), ["name", "rows", "appliances", "intent", "judged_at", "output", "timeline"]);
    assert_eq!(
        keys(&json["phases"][1]["rows"][0]),
        [
            "site",
            "subnet",
            "range",
            "address",
            "window",
            "client",
            "resolved",
            "resolved_site",
            "web_service",
            "decision",
            "reason",
            "media"
        ]
    );
    assert_eq!(json["phases"][1]["rows"][4]["site"], "outside");
    let page = std::fs::read_to_string(dir.path().join("good/rehearsal.html"))
        .expect("the HTML page is written beside the JSON");
    assert!(page.contains("<svg") && page.contains("rey-a"), "the page holds the plan's picture");

    // Saved by Windows PowerShell 5.1's `>`: UTF-16 LE with its byte order mark.
    let text = runbook(&t, Mistakes::default());
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(|u| u.to_le_bytes()));
    std::fs::write(dir.path().join("good16.ps1"), utf16).unwrap();
    let (code, stdout, stderr) = run("good16.ps1", "plan.toml", "good16");
    assert_eq!(code, 0, "a UTF-16 runbook rehearses as its UTF-8 twin: {stdout}\n{stderr}");

    let (code, stdout, stderr) = run("bad.ps1", "plan.toml", "bad");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("ERROR") && stdout.contains("QuitoPolicy"), "{stdout}");
    let report: RehearsalReport =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("bad/rehearsal.json")).unwrap()).unwrap();
    assert!(report.findings.iter().any(|f| f.site == "Quito" && f.severity == Severity::Error));

    std::fs::write(
        dir.path().join("typo.ps1"),
        runbook(&t, Mistakes::default()).replace(
            "# phase: enable\n",
            "# phase: enable\nSet-CsTenantHybridConfigration -HybridConfigServiceInternalUrl $null\n",
        ),
    )
    .unwrap();
    let (code, stdout, stderr) = run("typo.ps1", "plan.toml", "typo");
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(stdout.contains("ERROR   [enable] all all: typo.ps1 line "), "{stdout}");
    assert!(stdout.contains("Set-CsTenantHybridConfigration' is not recognized"), "{stdout}");
    // The failed line is also written as `run` writes it: the line quoted, the cmdlet underlined.
    assert!(
        stdout.contains(
            "\nerror in phase enable:\nThe term 'Set-CsTenantHybridConfigration' is not recognized"
        ) && stdout.contains(
            " char:1\n+ Set-CsTenantHybridConfigration -HybridConfigServiceInternalUrl $null\n+ ~~~~~~~~~~~~~~~~~~~~~~~~~~~~~~\n"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("rollout rehearsal: 4 phases, 1 error, 0 warnings: FAILED"), "{stdout}");
    let report: RehearsalReport =
        serde_json::from_str(&std::fs::read_to_string(dir.path().join("typo/rehearsal.json")).unwrap()).unwrap();
    assert_eq!(report.phases.len(), 4, "every phase is judged after a failed line");

    for (runbook, topology, says) in [
        ("missing.ps1", "plan.toml", "cannot read runbook missing.ps1"),
        ("dup.ps1", "plan.toml", "phase 'dns' is declared twice: on line 1 and again on line 2"),
        ("nocolon.ps1", "plan.toml", "'# phase enable' is not a phase marker: write it as '# phase: enable'"),
        ("good.ps1", "broken.toml", "broken.toml"),
    ] {
        let (code, stdout, stderr) = run(runbook, topology, "invalid");
        assert_eq!(code, 2, "{runbook} {topology}: {stdout}\n{stderr}");
        assert!(stderr.contains(says), "{stderr}");
        assert!(!stdout.contains("Rehearsing"), "no lab starts on invalid input: {stdout}");
    }
    assert!(!dir.path().join("invalid").exists(), "nothing is written on invalid input");
}

/// The shipped examples pass: the seed's rollout on the seed, contoso's on contoso's plan.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_shipped_example_rollouts_pass() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    for (topology, runbook) in [
        (None, "examples/adatum-rollout.ps1"),
        (Some("examples/contoso/topology.toml"), "examples/contoso/rollout.ps1"),
    ] {
        let topology = Topology::load_or_seed(topology.map(|t| root.join(t)).as_deref()).unwrap();
        let sites = topology.sites.len();
        let source = std::fs::read_to_string(root.join(runbook)).unwrap();
        let rollout =
            Rollout { topology, source, origin: runbook.into(), backend: BackendKind::Embedded, dns: DnsStart::Empty };
        let done = rehearse_rollout(rollout, Arc::new(Quiet)).await.unwrap();
        assert!(done.succeeded(), "{runbook}: {:?} {:#?}", done.failure, done.report.findings);
        let enable = phase(&done.report, "enable");
        let bypassing: std::collections::BTreeSet<&str> =
            enable.rows.iter().filter(|r| r.decision == Decision::Bypass).map(|r| r.site.as_str()).collect();
        assert_eq!(bypassing.len(), sites, "{runbook}: every site bypasses in enable: {:?}", enable.rows);
    }
}

/// `DnsStart::Empty` gives a DNS server without any zone; `Planned` one with the topology's.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_dns_server_starts_empty_or_planned() {
    use bypass_lab::dns::{Answer, Transport};
    use bypass_lab::lab::{Lab, LabOptions, RunOn};
    let t = topology();
    let client = t.client_address(&t.sites[0], 0).unwrap();
    for (dns, zones) in [(DnsStart::Empty, 0), (DnsStart::Planned, 1)] {
        let lab = Lab::start(t.clone(), LabOptions { dns, ..LabOptions::default() }).await.unwrap();
        let listed = lab.run_runbook("Get-DnsServerZone", &RunOn::AdminSession).await.unwrap();
        assert_eq!(listed.steps[0].output.objects.len(), zones, "{dns:?}");
        let answer = lab.resolve(&t.tenant.service_name, client, Transport::Udp).await.unwrap();
        match dns {
            DnsStart::Empty => assert!(!matches!(answer, Answer::Addresses(_)), "{answer:?}"),
            DnsStart::Planned => assert!(
                matches!(answer, Answer::Addresses(ref a) if a.contains(&t.sites[0].appliances[0].address)),
                "{answer:?}"
            ),
        }
        lab.stop().await.unwrap();
    }
}

/// Two domain controllers, each serving some sites: the runbook builds DNS on the first one
/// only. Zones, scopes and records replicate with the AD-integrated zone; client subnets and
/// policies do not, so without the documented copy the second server's sites resolve nothing
/// and the rehearsal names them; with the copy it passes.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_domain_controller_needs_the_documented_copy() {
    let text = format!(
        "{PLAN}\n[[dns_server]]\nname = \"dc-north\"\naddress = \"10.91.0.5\"\nsites = [\"Reykjavik\", \"Nairobi\"]\n\n\
         [[dns_server]]\nname = \"dc-south\"\naddress = \"192.168.77.5\"\nsites = [\"Quito\"]\n"
    );
    let t = Topology::parse(&text, None).expect("the two-server plan is valid");
    let zone = "voice.fjordline.net";
    let copy = format!(
        "Get-DnsServerClientSubnet -ComputerName dc-north | Add-DnsServerClientSubnet -ComputerName dc-south\n\
         Get-DnsServerQueryResolutionPolicy -ZoneName {zone} -ComputerName dc-north | Add-DnsServerQueryResolutionPolicy -ComputerName dc-south\n"
    );
    let forgetful = runbook(&t, Mistakes::default());
    // The copy runs once the zone has replicated to dc-south (a zone policy needs its zone).
    let careful = forgetful.replacen("# phase: enable\n", &format!("# phase: enable\n{copy}"), 1);
    assert_ne!(careful, forgetful, "the copy opens the enable phase");
    let run = |source: String| {
        let rollout = Rollout {
            topology: t.clone(),
            source,
            origin: "rollout.ps1".into(),
            backend: BackendKind::Embedded,
            dns: DnsStart::Empty,
        };
        rehearse_rollout(rollout, Arc::new(Quiet))
    };

    let done = run(careful).await.expect("the rehearsal runs");
    assert!(done.succeeded(), "{:?} {:#?}", done.failure, done.report.findings);
    let enable = phase(&done.report, "enable");
    assert!(
        enable.rows.iter().filter(|r| r.site == "Quito").all(|r| r.decision == Decision::Bypass),
        "{:#?}",
        enable.rows
    );

    let done = run(forgetful).await.expect("the rehearsal runs");
    assert!(!done.succeeded(), "forgetting dc-south must fail the rehearsal");
    let errors: Vec<_> =
        done.report.findings.iter().filter(|f| f.severity == Severity::Error && f.phase == "enable").collect();
    assert!(
        errors.iter().any(|f| f.site == "Quito" && f.message.contains("dc-south")),
        "an error names dc-south's site: {errors:#?}"
    );
    assert!(errors.iter().all(|f| f.site == "Quito"), "only dc-south's sites are affected: {errors:#?}");
}

/// Runs the binary in `dir` with `stdin` on its standard input.
fn bypass_lab_piped(dir: &Path, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .args(args)
        .current_dir(dir)
        .env_remove("CI")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the binary runs");
    // A run that refuses its arguments exits without reading its input: the pipe may close first.
    match child.stdin.take().unwrap().write_all(stdin) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        written => written.unwrap(),
    }
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[test]
fn dash_reads_the_runbook_or_the_plan_from_standard_input() {
    let dir = tempfile::tempdir().unwrap();
    let t = topology();
    let good = runbook(&t, Mistakes::default());
    std::fs::write(dir.path().join("plan.toml"), PLAN).unwrap();
    std::fs::write(dir.path().join("good.ps1"), &good).unwrap();

    let args = ["rehearse", "--runbook", "-", "--topology", "plan.toml", "--report", "stdin-runbook"];
    let (code, stdout, stderr) = bypass_lab_piped(dir.path(), &args, good.as_bytes());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("Rehearsing the rollout in standard input for bypass.voice.fjordline.net"), "{stdout}");

    let args = ["rehearse", "--runbook", "good.ps1", "--topology", "-", "--report", "stdin-plan"];
    let (code, stdout, stderr) = bypass_lab_piped(dir.path(), &args, PLAN.as_bytes());
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("(3 sites, 6 appliances)"), "{stdout}");

    let args = ["rehearse", "--runbook", "-", "--topology", "-", "--report", "both"];
    let (code, _, stderr) = bypass_lab_piped(dir.path(), &args, PLAN.as_bytes());
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("both ask for standard input"), "{stderr}");
}

#[test]
fn invalid_input_is_exit_2_for_every_verb_that_reads_a_plan_or_runbook() {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("state");
    let state = state.to_str().unwrap();
    std::fs::write(dir.path().join("broken.toml"), "[tenant]\ndomain = 1\n").unwrap();
    std::fs::write(dir.path().join("plan.toml"), PLAN).unwrap();
    // Saved by a tool that wrote UTF-16 LE without a byte order mark.
    let utf16: Vec<u8> =
        runbook(&topology(), Mistakes::default()).encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
    std::fs::write(dir.path().join("utf16.ps1"), utf16).unwrap();
    for (args, says) in [
        (&["rehearse", "--topology", "broken.toml", "--report", "r"][..], "broken.toml"),
        (&["rehearse", "--runbook", "missing.ps1", "--report", "r"][..], "cannot read runbook missing.ps1"),
        (
            &["rehearse", "--runbook", "utf16.ps1", "--topology", "plan.toml", "--report", "r"][..],
            "UTF-16 LE without a byte order mark",
        ),
        (&["rehearse", "--features", "no-such-folder", "--report", "r"][..], "no-such-folder"),
        (&["rehearse", "--tags", "@no_such_tag", "--report", "r"][..], "@no_such_tag"),
        (&["--state", state, "up", "--topology", "broken.toml"][..], "broken.toml"),
        (&["--state", state, "run", "utf16.ps1"][..], "save it as UTF-8"),
        (&["--state", state, "run", "missing.ps1"][..], "cannot read runbook missing.ps1"),
        (&["graph", "--topology", "broken.toml"][..], "broken.toml"),
        (&["dns-script", "--topology", "broken.toml"][..], "broken.toml"),
        (&["compose", "--topology", "broken.toml"][..], "broken.toml"),
    ] {
        let (code, stdout, stderr) = bypass_lab(dir.path(), args);
        assert_eq!(code, 2, "{args:?}: {stdout}\n{stderr}");
        assert!(stderr.contains(says), "{args:?}: {stderr}");
        assert!(
            !stdout.contains("Rehearsing the rollout") && !stdout.contains("Feature:") && !stdout.contains("lab ready"),
            "no lab starts: {stdout}"
        );
    }
    assert!(!dir.path().join("r").exists() && !Path::new(state).exists(), "nothing is written on invalid input");
}

#[test]
fn a_runbook_stop_is_printed_as_run_prints_it_with_its_counts_in_words() {
    let dir = tempfile::tempdir().unwrap();
    let t = topology();
    std::fs::write(dir.path().join("plan.toml"), PLAN).unwrap();
    let stopping = runbook(&t, Mistakes::default()).replace(
        "# phase: enable\n",
        "# phase: enable\n$ErrorActionPreference = 'Stop'\nSet-CsNetworkConfiguration -MediaBypassSettings $undefined -Bogus 1\n",
    );
    let line = stopping.lines().position(|l| l.contains("-Bogus")).unwrap() + 1;
    std::fs::write(dir.path().join("stop.ps1"), &stopping).unwrap();
    let (code, stdout, stderr) =
        bypass_lab(dir.path(), &["rehearse", "--runbook", "stop.ps1", "--topology", "plan.toml", "--report", "stop"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("\nthe runbook stopped in phase enable:\n")
            && stdout.contains(&format!("\nAt stop.ps1:{line} char:"))
            && stdout.contains("\n+ Set-CsNetworkConfiguration -MediaBypassSettings $undefined -Bogus 1\n+ "),
        "{stdout}"
    );
    let verdict = stdout.lines().find(|l| l.starts_with("rollout rehearsal: ")).expect("a verdict line");
    assert!(verdict.starts_with("rollout rehearsal: 1 phase, "), "the phase done before the stop: {verdict}");
    assert!(
        !verdict.contains(" 1 errors") && !verdict.contains(" 1 warnings") && !verdict.contains(" 1 phases"),
        "{verdict}"
    );

    let one = runbook(&t, Mistakes::default());
    let one = &one[..one.find("# phase: temporary-disable").unwrap()];
    let one = one.replacen("# phase: dns\n", "", 1).replace("# phase: enable\n", "");
    std::fs::write(dir.path().join("one.ps1"), one).unwrap();
    let (code, stdout, stderr) =
        bypass_lab(dir.path(), &["rehearse", "--runbook", "one.ps1", "--topology", "plan.toml", "--report", "one"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("rollout rehearsal: 1 phase (no '# phase: NAME' marker"), "{stdout}");
    assert!(stdout.contains(", 0 errors, 0 warnings: PASSED"), "{stdout}");
}

/// The README's rehearsal samples: each `rehearse --topology ... --runbook ...` command it shows,
/// and the output block after it.
fn readme_samples(readme: &str) -> Vec<(Vec<String>, Vec<String>)> {
    let mut samples = Vec::new();
    let mut rest = readme;
    while let Some(at) = rest.find("```sh\ncargo run --release -- rehearse --topology ") {
        let block = &rest[at + "```sh\n".len()..];
        let command = block.lines().next().unwrap();
        let after = &block[block.find("```\n").unwrap() + 4..];
        let after = after.trim_start_matches('\n');
        rest = after;
        if !after.starts_with("```\n") {
            continue;
        }
        let sample = &after[4..after[4..].find("```\n").unwrap() + 4];
        let args = command.split("-- ").nth(1).unwrap().split_whitespace().map(String::from).collect();
        samples.push((args, sample.lines().map(String::from).collect()));
    }
    samples
}

#[test]
fn the_readme_shows_what_its_rehearsal_commands_print() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let samples = readme_samples(&readme);
    let commands: Vec<String> = samples.iter().map(|(args, _)| args.join(" ")).collect();
    assert!(
        commands.iter().any(|c| c.ends_with("--runbook examples/contoso/rollout-broken.ps1")),
        "the failing Contoso example is shown: {commands:?}"
    );
    let reports = tempfile::tempdir().unwrap();
    for (args, sample) in samples {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["--report", reports.path().to_str().unwrap()]);
        let (code, stdout, stderr) = bypass_lab(&root, &args);
        assert_eq!(code, 1, "the README's samples fail: {args:?}\n{stdout}\n{stderr}");
        // Every line shown is printed, in the same order; `...` stands for lines left out.
        let printed: Vec<&str> = stdout.lines().collect();
        let mut from = 0;
        for line in sample.iter().filter(|l| !l.is_empty() && l.as_str() != "...") {
            let Some(found) = printed[from..].iter().position(|p| p == line) else {
                panic!("{args:?}: the README shows a line the rehearsal does not print (in this order):\n{line}\n\nit printed:\n{stdout}")
            };
            from += found + 1;
        }
    }
}

#[test]
fn a_features_rehearsal_and_a_runbook_rehearsal_keep_their_own_pages() {
    let dir = tempfile::tempdir().unwrap();
    let t = topology();
    std::fs::write(dir.path().join("plan.toml"), PLAN).unwrap();
    std::fs::write(dir.path().join("good.ps1"), runbook(&t, Mistakes::default())).unwrap();
    let (code, stdout, stderr) = bypass_lab(
        dir.path(),
        &["rehearse", "--runbook", "good.ps1", "--topology", "plan.toml", "--report", "reports"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    let reports = dir.path().join("reports");
    let runbook_page = std::fs::read_to_string(reports.join("rehearsal.html")).unwrap();
    let runbook_json = std::fs::read_to_string(reports.join("rehearsal.json")).unwrap();

    let (code, stdout, stderr) = bypass_lab(dir.path(), &["rehearse", "--tags", "@seed", "--report", "reports"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(stdout.contains("reports/features.html"), "the summary names the features page: {stdout}");
    assert!(reports.join("bypass-lab.junit.xml").exists(), "the JUnit report is beside it");
    let features_page = std::fs::read_to_string(reports.join("features.html")).unwrap();
    assert!(features_page.contains("adatum.biz") && !features_page.contains("rey-a"), "the features page");
    assert_eq!(std::fs::read_to_string(reports.join("rehearsal.html")).unwrap(), runbook_page, "left as it was");
    assert_eq!(std::fs::read_to_string(reports.join("rehearsal.json")).unwrap(), runbook_json, "left as it was");
}

/// A reviewer sees the faulty lines marked: the broken contoso rollout's findings blame exactly
/// its three planted mistakes (SydneyClients' missing subnet, TokyoPolicy's scope, the record
/// in the default scope).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_broken_contoso_rollout_blames_exactly_its_three_faulty_lines() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/contoso");
    let source = std::fs::read_to_string(root.join("rollout-broken.ps1")).unwrap();
    let line_of = |needle: &str| source.lines().position(|l| l.contains(needle)).unwrap() + 1;
    let rollout = Rollout {
        topology: Topology::load(&root.join("topology.toml")).unwrap(),
        source: source.clone(),
        origin: "rollout-broken.ps1".into(),
        backend: BackendKind::Embedded,
        dns: DnsStart::Empty,
    };
    let done = rehearse_rollout(rollout, Arc::new(Quiet)).await.unwrap();
    let blamed: std::collections::BTreeSet<usize> = done.report.findings.iter().flat_map(|f| f.lines.clone()).collect();
    let faulty: std::collections::BTreeSet<usize> = [
        line_of("-Name \"SydneyClients\""),
        line_of("-Name \"TokyoPolicy\""),
        source.lines().position(|l| l.ends_with("-IPv4Address \"10.60.0.11\"")).unwrap() + 1,
    ]
    .into_iter()
    .collect();
    assert_eq!(blamed, faulty, "{:#?}", done.report.findings);
    assert!(done.report.findings.iter().all(|f| !f.lines.is_empty()), "every finding names its lines");
}
