//! A reset lab is a fresh lab, whatever its backend: after a scenario has changed everything a
//! scenario can change (the tenant's configuration, every LocalStore by replication, the DNS
//! servers' subnets, zone scopes, records and policies, client hosts at two sites, lab time),
//! `Lab::reset` leaves every observable state as the same lab showed it right after its start,
//! and as another freshly started lab of the same plan shows it. Each part is first shown to
//! have changed, so the check fails if any one part is not reset.

use bypass_lab::backend::BackendKind;
use bypass_lab::dns::Transport;
use bypass_lab::lab::{Lab, LabOptions, RunOn};
use bypass_lab::topology::Topology;
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Duration;

/// The zone of the service name and the service name's host in it (`hybridvoice` in adatum.biz).
fn zone_and_host(topology: &Topology) -> (String, String) {
    let zone = bypass_lab::dns::service_zone(topology);
    let service = topology.tenant.service_name.trim_end_matches('.').to_ascii_lowercase();
    let host = service.strip_suffix(&format!(".{zone}")).map(str::to_string).unwrap_or_else(|| "@".into());
    (zone, host)
}

/// Drops the fields a fresh start draws anew (the appliance records' identities), which no
/// scenario can tell apart from one lab to the next.
fn without_drawn(mut value: Value) -> Value {
    match &mut value {
        Value::Object(fields) => {
            fields.remove("Identity");
            fields.remove("identity");
            for v in fields.values_mut() {
                *v = without_drawn(v.take());
            }
        }
        Value::Array(items) => {
            for v in items.iter_mut() {
                *v = without_drawn(v.take());
            }
        }
        _ => {}
    }
    value
}

fn json(value: impl serde::Serialize) -> Value {
    without_drawn(serde_json::to_value(value).expect("serializes"))
}

/// Every state of the lab a scenario can observe, by part. An embedded lab's one client host
/// serves every site from the start, so only a containers lab's client hosts come and go.
pub async fn observe(lab: &Lab, hosts_come_and_go: bool) -> BTreeMap<&'static str, Value> {
    let topology = lab.topology().clone();
    let (zone, _) = zone_and_host(&topology);
    let mut seen = BTreeMap::new();
    seen.insert("tenant configuration", json(lab.tenant_configuration().await.expect("tenant configuration")));
    let mut records = lab.tenant_appliances().await.expect("appliance records");
    records.sort_by(|a, b| a.name.cmp(&b.name));
    seen.insert("tenant's appliance records", json(records));
    seen.insert("LocalStores and status", json(lab.status().await.expect("appliances' status")));
    let listing = format!(
        "Get-DnsServerClientSubnet\nGet-DnsServerZoneScope -ZoneName {zone}\nGet-DnsServerResourceRecord -ZoneName {zone}\n\
         Get-DnsServerQueryResolutionPolicy -ZoneName {zone}\n"
    );
    let transcript = lab.run_runbook(&listing, &RunOn::AdminSession).await.expect("the DNS listing runs");
    seen.insert("DNS state", json(transcript));
    let mut answers = Vec::new();
    let places = topology
        .sites
        .iter()
        .flat_map(|s| topology.subnet_client_addresses(s))
        .chain(topology.outside_address(0))
        .collect::<Vec<_>>();
    for from in places {
        for name in [topology.tenant.service_name.clone(), format!("spare.{zone}")] {
            let answer = lab.resolve(&name, from, Transport::Udp).await.expect("the DNS server answers");
            answers.push(format!("{name} from {from}: {answer:?}"));
        }
    }
    seen.insert("DNS answers", json(answers));
    if hosts_come_and_go {
        let endpoints = lab.endpoints();
        seen.insert("client hosts", json((&endpoints.clients, &endpoints.clocks)));
    }
    let mut clients: Vec<String> = lab.clients().await.expect("clients").into_iter().map(|c| c.user).collect();
    clients.sort();
    seen.insert("signed-in clients", json(clients));
    seen.insert("lab time", json(lab.now().await.expect("lab time").as_millis() as u64));
    seen
}

/// What a scenario may do: every part of the lab it can change, changed.
pub async fn change_everything(lab: &Lab) {
    let topology = lab.topology().clone();
    let (zone, host) = zone_and_host(&topology);
    lab.run_runbook(&super::enable_lines(&topology), &RunOn::AdminSession).await.expect("enable");
    lab.pass_replication_window().await.expect("replication");
    let outside = topology.outside.subnets.first().expect("an outside subnet");
    let dns = format!(
        "Add-DnsServerClientSubnet OutsideNet {outside}\n\
         Add-DnsServerZoneScope {zone} OutsideZoneScope\n\
         Add-DnsServerResourceRecord {zone} {host} -A -IPv4Address 192.0.2.1 -ZoneScope OutsideZoneScope\n\
         Add-DnsServerResourceRecord {zone} spare -A -IPv4Address 192.0.2.9\n\
         Add-DnsServerQueryResolutionPolicy OutsidePolicy {zone} -ClientSubnet \"EQ,OutsideNet\" -ZoneScope \"OutsideZoneScope,1\"\n"
    );
    lab.run_runbook(&dns, &RunOn::AdminSession).await.expect("the DNS lines run");
    for (n, site) in topology.sites.iter().take(2).enumerate() {
        let at = topology.client_address(site, 0).expect("a client address");
        lab.sign_in(&format!("user{n}"), at).await.expect("sign in");
    }
    lab.advance(Duration::from_secs(2 * 3600)).await.expect("the clock moves");
}

/// Starts a lab of `topology`, changes everything, resets it `resets` times over (changing
/// everything again before each), and compares each reset lab with its own start and with
/// another lab's. Returns how long the last reset took.
pub async fn a_reset_lab_is_a_fresh_lab(topology: Topology, options: LabOptions, resets: usize) -> Duration {
    let hosts_come_and_go = options.backend == BackendKind::Containers;
    let lab = Lab::start(topology.clone(), options.clone()).await.expect("the lab starts");
    let (reset, took) = async {
        assert!(lab.reusable(), "a started lab resets in place");
        let fresh = observe(&lab, hosts_come_and_go).await;
        let mut reset = BTreeMap::new();
        let mut took = Duration::ZERO;
        for round in 1..=resets {
            change_everything(&lab).await;
            let changed = observe(&lab, hosts_come_and_go).await;
            for (part, value) in &fresh {
                assert_ne!(
                    &changed[part], value,
                    "the scenario did not change the {part}, so its reset proves nothing"
                );
            }
            let started = std::time::Instant::now();
            lab.reset().await.expect("the lab resets");
            took = started.elapsed();
            println!("reset {round} and ready again in {:.3} s", took.as_secs_f64());
            reset = observe(&lab, hosts_come_and_go).await;
            for (part, value) in &fresh {
                assert_eq!(
                    &reset[part], value,
                    "the {part} after reset {round} differs from the lab's own at its start"
                );
            }
        }
        // A fault may act outside the roles: such a lab is not handed on.
        let first = lab.topology().appliances().next().map(|(_, a)| a.name.clone()).expect("an appliance");
        lab.cut(&first).await.expect("cut");
        assert!(!lab.reusable(), "a lab with a cut link is not reused");
        assert!(lab.reset().await.is_err(), "a lab with a cut link refuses a reset");
        (reset, took)
    }
    .await;
    lab.stop().await.expect("stop");
    let other = Lab::start(topology, options).await.expect("another lab starts");
    let fresh = observe(&other, hosts_come_and_go).await;
    other.stop().await.expect("stop");
    for (part, value) in &fresh {
        assert_eq!(&reset[part], value, "the {part} after a reset differs from another fresh lab's");
    }
    took
}
