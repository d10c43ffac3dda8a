//! Every valid plan runs: plans drawn at the edges of validation (names from one character to
//! far past DNS's limits, any characters an admin types, names that collide with each other and
//! with the objects the lab generates from them, subnets from /30 to /16, one site to many)
//! either fail validation naming what is wrong, or start an embedded lab and rehearse a runbook
//! to a verdict that judged every subnet of every site.

use bypass_lab::backend::{BackendKind, DnsStart};
use bypass_lab::rollout::{rehearse_rollout, Quiet, Rollout};
use bypass_lab::topology::Topology;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use std::sync::Arc;

/// One site as drawn: its name, its subnets' prefix length and count, its appliances' names.
#[derive(Debug, Clone)]
struct SiteDraft {
    name: String,
    prefix: u8,
    subnets: usize,
    appliances: Vec<String>,
}

/// A plan as drawn, before it is written as TOML.
#[derive(Debug, Clone)]
struct PlanDraft {
    domain: String,
    sites: Vec<SiteDraft>,
}

/// Names at the edges: ordinary, one character, up to 140, any printable text (quotes,
/// backslashes, `$(`, non-ASCII), and a few that meet the lab's generated names.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[A-Za-z][A-Za-z0-9-]{0,14}",
        1 => "[A-Za-z]",
        1 => "[A-Za-z][A-Za-z0-9 -]{60,140}",
        1 => "[A-Za-z0-9 .$()'\"`;\\\\é-]{1,24}",
        1 => Just("SeaZoneScope".to_string()),
        1 => Just("Sea".to_string()),
        1 => Just("Default".to_string()),
    ]
}

/// Appliance names: mostly host names, sometimes one letter, past a DNS label's 63 characters, or
/// any name an admin types.
fn appliance() -> impl Strategy<Value = String> {
    prop_oneof![
        6 => "[a-z][a-z0-9-]{0,14}[a-z0-9]",
        1 => "[a-z]",
        1 => "[a-z][a-z0-9]{61,64}",
        1 => name(),
    ]
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-z][a-z0-9-]{0,10}[a-z0-9]\\.(test|example|com)",
        1 => "[a-z]{1,3}",
        1 => "[a-z]{60,66}\\.test",
        1 => Just("seazonescope.test".to_string()),
    ]
}

fn site() -> impl Strategy<Value = SiteDraft> {
    (name(), 16u8..=30, 1usize..=3, prop::collection::vec(appliance(), 1..=3))
        .prop_map(|(name, prefix, subnets, appliances)| SiteDraft { name, prefix, subnets, appliances })
}

fn plan() -> impl Strategy<Value = PlanDraft> {
    let sites = prop_oneof![4 => prop::collection::vec(site(), 1..=3), 1 => prop::collection::vec(site(), 8..=12)];
    (domain(), sites).prop_map(|(domain, sites)| PlanDraft { domain, sites })
}

/// The `j`th subnet of site `i`: never overlapping another site's, whatever the prefixes.
fn subnet(i: usize, j: usize, prefix: u8) -> (String, [u8; 3]) {
    let octet = 100 + 3 * i as u8;
    if prefix <= 23 {
        (format!("10.{}.0.0/{prefix}", octet + j as u8), [10, octet + j as u8, 0])
    } else {
        (format!("10.{octet}.{j}.0/{prefix}"), [10, octet, j as u8])
    }
}

fn toml_string(text: &str) -> String {
    toml::Value::String(text.to_string()).to_string()
}

impl PlanDraft {
    fn toml(&self) -> String {
        let d = toml_string(&self.domain);
        let service = toml_string(&format!("hybridvoice.{}", self.domain));
        let mut text = format!("[tenant]\ndomain = {d}\nsip_domains = [{d}]\nservice_name = {service}\n");
        for (i, site) in self.sites.iter().enumerate() {
            let subnets: Vec<(String, [u8; 3])> = (0..site.subnets).map(|j| subnet(i, j, site.prefix)).collect();
            let listed: Vec<String> = subnets.iter().map(|(s, _)| toml_string(s)).collect();
            let [a, b, c] = subnets[0].1;
            text += &format!(
                "\n[[site]]\nname = {}\nsubnets = [{}]\ngateway = \"{a}.{b}.{c}.1\"\n",
                toml_string(&site.name),
                listed.join(", ")
            );
            for (k, appliance) in site.appliances.iter().enumerate() {
                text += &format!(
                    "\n[[site.appliance]]\nname = {}\naddress = \"{a}.{b}.{c}.{}\"\n",
                    toml_string(appliance),
                    2 + k
                );
            }
        }
        text + "\n[outside]\nsubnets = [\"198.51.100.0/24\"]\n"
    }

    /// What an error about this plan may name: a key of the plan, or a value drawn for it.
    fn names_a_field(&self, error: &str) -> bool {
        let keys = ["domain", "sip_domains", "service_name", "site", "subnet", "gateway", "appliance", "address"];
        keys.iter().any(|k| error.contains(k))
            || error.contains(&self.domain)
            || self.sites.iter().any(|s| error.contains(&s.name) || s.appliances.iter().any(|a| error.contains(a)))
    }
}

/// The guide's tenant side of enabling bypass, with the plan's own service name.
fn runbook(topology: &Topology) -> String {
    format!(
        "# phase: enable\n\
         Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://{}/hybridconfig/hybridconfigservice.svc\n\
         $bypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true\n\
         Set-CsNetworkConfiguration -MediaBypassSettings $bypass\n",
        topology.tenant.service_name
    )
}

#[test]
fn every_plan_either_fails_validation_naming_a_field_or_starts_and_rehearses() {
    let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|n| n.parse().ok()).unwrap_or(64);
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let (accepted, refused) = (std::cell::Cell::new(0), std::cell::Cell::new(0));
    runner
        .run(&plan(), |draft| {
            let text = draft.toml();
            let topology = match Topology::parse(&text, None) {
                Err(e) => {
                    refused.set(refused.get() + 1);
                    let said = e.to_string();
                    prop_assert!(draft.names_a_field(&said), "the refusal names nothing of the plan: {said}\n{text}");
                    prop_assert!(!said.chars().any(|c| c.is_control() && c != '\n'), "control characters: {said:?}");
                    return Ok(());
                }
                Ok(topology) => topology,
            };
            accepted.set(accepted.get() + 1);
            let rollout = Rollout {
                topology: topology.clone(),
                source: runbook(&topology),
                origin: "generated.ps1".into(),
                backend: BackendKind::Embedded,
                dns: DnsStart::Planned,
            };
            let done = runtime
                .block_on(rehearse_rollout(rollout, Arc::new(Quiet)))
                .map_err(|e| TestCaseError::fail(format!("a valid plan did not rehearse: {e}\n{text}")))?;
            let judged: Vec<String> =
                done.report.phases.iter().flat_map(|p| p.rows.iter().map(|r| r.subnet.clone())).collect();
            for site in &topology.sites {
                for subnet in &site.subnets {
                    prop_assert!(
                        judged.contains(&subnet.to_string()),
                        "{} of site {:?} was never judged\n{text}",
                        subnet,
                        site.name
                    );
                }
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    eprintln!("{} valid plans rehearsed, {} refused", accepted.get(), refused.get());
    assert!(
        accepted.get() > 0 && refused.get() > 0,
        "both sides drawn: {} valid, {} refused",
        accepted.get(),
        refused.get()
    );
}
