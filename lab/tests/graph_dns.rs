//! `bypass-lab graph --dns`: each DNS server's chain (client subnet → policy → zone scope →
//! records) after a runbook ran in an embedded lab, or as the plan's generated policies make it,
//! in every notation.

use quick_xml::events::Event;
use quick_xml::Reader;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn graph(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_bypass-lab"))
        .current_dir(repo())
        .arg("graph")
        .args(args)
        .output()
        .expect("bypass-lab runs")
}

/// `graph --dns` of the Contoso plan after `runbook`, in `format`: its output, or the test fails.
fn contoso_after(runbook: &str, format: &str) -> String {
    let out =
        graph(&["--dns", "--topology", "examples/contoso/topology.toml", "--runbook", runbook, "--format", format]);
    assert!(out.status.success(), "graph --dns --format {format} failed: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).expect("UTF-8")
}

/// Every element of an SVG, as (name, class, data-name), read by an XML parser: it fails the
/// test on anything that is not well-formed.
fn elements(svg: &str) -> Vec<(String, String, String)> {
    let mut reader = Reader::from_str(svg);
    let mut out = vec![];
    loop {
        match reader.read_event().unwrap_or_else(|e| panic!("not well-formed XML at {}: {e}", reader.buffer_position()))
        {
            Event::Start(e) | Event::Empty(e) => {
                let attribute = |name: &str| {
                    e.try_get_attribute(name)
                        .unwrap()
                        .map(|a| a.normalized_value(quick_xml::XmlVersion::Implicit1_0).unwrap().into_owned())
                        .unwrap_or_default()
                };
                out.push((
                    String::from_utf8(e.name().as_ref().to_vec()).unwrap(),
                    attribute("class"),
                    attribute("data-name"),
                ));
            }
            Event::Eof => return out,
            _ => {}
        }
    }
}

/// The `data-name`s of the groups of `class`, in drawing order.
fn named(elements: &[(String, String, String)], class: &str) -> Vec<String> {
    elements.iter().filter(|(e, c, _)| e == "g" && c == class).map(|(_, _, n)| n.clone()).collect()
}

/// The lines of a Mermaid or DOT text that declare a node whose identifier starts `prefix`.
fn nodes<'a>(text: &'a str, prefix: &str) -> Vec<&'a str> {
    text.lines()
        .map(str::trim_start)
        .filter(|l| {
            let id = l.trim_start_matches('"');
            id.strip_prefix(prefix).is_some_and(|rest| {
                let digits = rest.trim_start_matches(|c: char| c.is_ascii_digit());
                digits.len() < rest.len() && (digits.starts_with('[') || digits.starts_with("\" ["))
            })
        })
        .collect()
}

#[test]
fn after_the_contoso_rollout_every_format_draws_its_three_client_subnets_policies_and_scopes() {
    let runbook = "examples/contoso/rollout.ps1";
    let svg = contoso_after(runbook, "svg");
    let drawn = elements(&svg);
    assert_eq!(drawn.first().map(|e| e.0.as_str()), Some("svg"));
    assert_eq!(named(&drawn, "client-subnet"), ["SydneyClients", "TokyoClients", "DenverClients"]);
    assert_eq!(named(&drawn, "policy"), ["SydneyPolicy", "TokyoPolicy", "DenverPolicy"]);
    assert_eq!(named(&drawn, "scope"), ["SydneyScope", "TokyoScope", "DenverScope"]);
    assert_eq!(named(&drawn, "default-scope"), ["contoso.com"]);
    let edges = |class: &str| drawn.iter().filter(|(e, c, _)| e == "path" && c == class).count();
    assert_eq!((edges("edge subnet-policy"), edges("edge policy-scope"), edges("edge fallthrough")), (3, 3, 1));
    assert!(svg.contains(">10.40.0.0/24 (Sydney)</text>") && svg.contains(">10.40.8.0/24 (Sydney)</text>"));
    assert!(svg.contains(">1. SydneyPolicy</text>") && svg.contains(">3. DenverPolicy</text>"));
    assert!(svg.contains("after examples/contoso/rollout.ps1"));
    // The permanent disable removed every scope's records.
    assert_eq!(svg.matches(">no records</text>").count(), 4, "three scopes and the default scope, all empty");

    let mermaid = contoso_after(runbook, "mermaid");
    assert!(mermaid.starts_with("flowchart LR\n"));
    for (prefix, names) in [
        ("d0c", ["SydneyClients", "TokyoClients", "DenverClients"]),
        ("d0p", ["1. SydneyPolicy", "2. TokyoPolicy", "3. DenverPolicy"]),
        ("d0s", ["SydneyScope", "TokyoScope", "DenverScope"]),
    ] {
        let found = nodes(&mermaid, prefix);
        assert_eq!(found.len(), 3, "mermaid {prefix}: {found:?}");
        for (node, name) in found.iter().zip(names) {
            assert!(node.contains(&format!("[\"{name}<br/>")), "mermaid: {node} is not {name}");
        }
    }
    for (i, edge) in
        ["d0c0 --> d0p0", "d0c1 --> d0p1", "d0c2 --> d0p2", "d0p0 --> d0s1", "d0p1 --> d0s2", "d0p2 --> d0s3"]
            .iter()
            .enumerate()
    {
        assert!(mermaid.contains(&format!("  {edge}\n")), "mermaid edge {i} missing: {edge}");
    }

    let dot = contoso_after(runbook, "dot");
    assert!(dot.starts_with("digraph dns_plan {\n") && dot.ends_with("}\n"));
    for (prefix, names) in [
        ("d0c", ["SydneyClients", "TokyoClients", "DenverClients"]),
        ("d0p", ["1. SydneyPolicy", "2. TokyoPolicy", "3. DenverPolicy"]),
        ("d0s", ["SydneyScope", "TokyoScope", "DenverScope"]),
    ] {
        let found = nodes(&dot, prefix);
        assert_eq!(found.len(), 3, "dot {prefix}: {found:?}");
        for (node, name) in found.iter().zip(names) {
            assert!(node.contains(&format!("label=\"{name}\\n")), "dot: {node} is not {name}");
        }
    }
    assert!(dot.contains("  \"d0p1\" -> \"d0s2\" [color="), "TokyoPolicy answers from TokyoScope");
}

#[test]
fn the_broken_contoso_runbook_shows_tokyo_sent_to_denvers_scope_and_a_record_in_the_default_scope() {
    let runbook = "examples/contoso/rollout-broken.ps1";
    let mermaid = contoso_after(runbook, "mermaid");
    let tokyo = nodes(&mermaid, "d0p").into_iter().position(|n| n.contains("TokyoPolicy")).expect("TokyoPolicy");
    let denver =
        nodes(&mermaid, "d0s").into_iter().position(|n| n.contains("[\"DenverScope<br/>")).expect("DenverScope");
    // Scopes are numbered after the default scope (d0z0).
    assert!(mermaid.contains(&format!("  d0p{tokyo} --> d0s{}\n", denver + 1)), "{mermaid}");
    let svg = contoso_after(runbook, "svg");
    elements(&svg);
    assert!(svg.contains(">mbws A 10.60.0.11 (tyo-cce1, Tokyo)</text>"), "the stray record in the default scope");
    assert!(!svg.contains(">10.40.8.0/24 (Sydney)</text>"), "SydneyClients leaves out Sydney's second subnet");
}

#[test]
fn a_failed_runbook_line_is_printed_and_exits_1_but_what_ran_is_drawn() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = dir.path().join("half.ps1");
    std::fs::write(
        &runbook,
        "Add-DnsServerPrimaryZone -Name \"contoso.com\" -ReplicationScope \"Forest\"\n\
         Add-DnsServerClientSubnet -Name \"TokyoClients\" -IPv4Subnet \"10.60.0.0/23\"\n\
         Add-DnsServerZoneScope -ZoneName \"nowhere.example\" -Name \"TokyoScope\"\n\
         Add-DnsServerZoneScope -ZoneName \"contoso.com\" -Name \"TokyoScope\"\n",
    )
    .unwrap();
    let out = graph(&[
        "--dns",
        "--topology",
        "examples/contoso/topology.toml",
        "--runbook",
        runbook.to_str().unwrap(),
        "--format",
        "mermaid",
    ]);
    assert_eq!(out.status.code(), Some(1), "a failed line fails the command");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("half.ps1:3"), "PowerShell's layout places the error: {stderr}");
    let mermaid = String::from_utf8(out.stdout).unwrap();
    assert_eq!(nodes(&mermaid, "d0c").len(), 1, "{mermaid}");
    assert!(mermaid.contains("[\"TokyoScope<br/>zone contoso.com<br/>no records\"]"), "{mermaid}");
}

#[test]
fn with_several_servers_each_is_drawn_once_ad_has_carried_the_zone_to_it() {
    let dir = tempfile::tempdir().unwrap();
    let runbook = dir.path().join("lisbon.ps1");
    // Run on the admin's own server only (no -ComputerName): AD carries the zone, its scopes and
    // records to the other; client subnets and policies stay where they were added.
    std::fs::write(
        &runbook,
        "Add-DnsServerPrimaryZone -Name \"contoso.test\" -ReplicationScope \"Forest\"\n\
         Add-DnsServerClientSubnet -Name \"LisbonClients\" -IPv4Subnet \"10.61.1.0/24\"\n\
         Add-DnsServerZoneScope -ZoneName \"contoso.test\" -Name \"LisbonScope\"\n\
         Add-DnsServerResourceRecord -ZoneName \"contoso.test\" -A -Name \"hybridvoice\" -IPv4Address \"10.61.1.20\" -ZoneScope \"LisbonScope\"\n\
         Add-DnsServerQueryResolutionPolicy -Name \"LisbonDay\" -Action ALLOW -ClientSubnet \"eq,LisbonClients\" -TimeOfDay \"EQ,08:00-18:00\" -ZoneScope \"LisbonScope,3;contoso.test,1\" -ZoneName \"contoso.test\"\n",
    )
    .unwrap();
    let out = graph(&[
        "--dns",
        "--topology",
        "lab/tests/fixtures/two-dns-servers.toml",
        "--runbook",
        runbook.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = String::from_utf8(out.stdout).unwrap();
    let drawn = elements(&svg);
    assert_eq!(named(&drawn, "scope"), ["LisbonScope", "LisbonScope"], "both servers hold the zone");
    assert_eq!(svg.matches(">hybridvoice A 10.61.1.20 (lis-cce1, Lisbon)</text>").count(), 2);
    assert_eq!(named(&drawn, "client-subnet"), ["LisbonClients"], "only the server it was added on");
    assert_eq!(named(&drawn, "policy"), ["LisbonDay"]);
    assert!(svg.contains(">TimeOfDay EQ,08:00-18:00</text>") && svg.contains(">weight 3</text>"));
    assert!(svg.contains(">weight 1</text>"), "the default scope's share");
    assert!(svg.contains("lisbon.ps1 and AD replication"));
}

#[test]
fn without_a_runbook_the_plans_generated_policies_are_drawn() {
    let out = graph(&["--dns", "--topology", "lab/tests/fixtures/two-dns-servers.toml"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let svg = String::from_utf8(out.stdout).unwrap();
    let drawn = elements(&svg);
    assert_eq!(named(&drawn, "client-subnet"), ["LisbonSubnet", "OsloSubnet", "LisbonSubnet", "OsloSubnet"]);
    let servers: Vec<&str> =
        svg.split("<g class=\"dns-server\" data-server=\"").skip(1).map(|s| &s[..s.find('"').unwrap()]).collect();
    assert_eq!(servers, ["dc-lisbon", "dc-oslo"]);
    assert!(svg.contains("asked by the clients of Oslo; the plan&#39;s generated policies"));
}

#[test]
fn a_runbook_needs_dns_and_bad_input_is_exit_2() {
    let out = graph(&["--runbook", "examples/contoso/rollout.ps1"]);
    assert_eq!(out.status.code(), Some(2), "--runbook without --dns is a usage error");
    let out = graph(&["--dns", "--runbook", "no-such-runbook.ps1"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-runbook.ps1"));
}
