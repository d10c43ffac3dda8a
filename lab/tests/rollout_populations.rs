//! The estates the Plan page describes, rehearsed: client mixes declared per subnet (only the
//! Skype for Business 2016 Windows client from 16.0.7870.2020, and on a VPN only with split
//! tunnelling, bypasses), and branches whose DNS queries reach the policy server through a
//! forwarder, so the server sees the forwarder's address rather than the clients'.

mod support;

use bypass_lab::rollout::model::Decision;
use bypass_lab::rollout::{RunbookRehearsal, Severity};
use support::globex::{good, rehearse, PLAN};

/// Seattle's clients as its plan declares them: Windows clients, Mac and Lync 2013 users on
/// the office /24, and the /25 a full-tunnel VPN pool.
const SEATTLE_CLIENTS: &str = r#"
[[site.population]]
subnet = "10.20.0.0/24"
users = 400
version = "16.0.8201.2102"

[[site.population]]
name = "Mac"
subnet = "10.20.0.0/24"
users = 60
platform = "mac"
version = "16.0.8201.2102"

[[site.population]]
name = "Lync 2013"
subnet = "10.20.0.0/24"
users = 40
version = "15.0.4937.1000"

[[site.population]]
subnet = "10.20.4.0/25"
users = 100

[[site.vpn_pool]]
subnet = "10.20.4.0/25"
tunnel = "full"
"#;

/// The globex plan with `extra` inserted into Seattle's own table.
fn seattle_with(extra: &str) -> String {
    let gateway = "gateway = \"10.20.0.1\"\n";
    assert!(PLAN.contains(gateway));
    PLAN.replace(gateway, &format!("{gateway}{extra}\n"))
}

fn errors(done: &RunbookRehearsal) -> Vec<(String, String)> {
    done.report
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| (f.site.clone(), f.message.clone()))
        .collect()
}

/// The Plan page's supported clients: the Mac and Lync 2013 populations and the full-tunnel
/// VPN pool do not bypass, which is the design rather than a finding, and Seattle's share says
/// who does not and why. Mumbai declares nothing and is judged as before.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declared_mac_population_is_reported_as_not_bypassing() {
    let done = rehearse(&seattle_with(SEATTLE_CLIENTS), good()).await;
    assert!(done.succeeded(), "unsupported clients not bypassing is no error: {:#?}", done.report.findings);
    let enable = done.report.phases.iter().find(|p| p.name == "enable").unwrap();
    let seattle: Vec<(Option<&str>, &str, Decision)> = enable
        .rows
        .iter()
        .filter(|r| r.site == "Seattle")
        .map(|r| (r.population.as_deref(), r.subnet.as_str(), r.decision))
        .collect();
    assert_eq!(
        seattle,
        [
            (Some("Skype for Business 2016"), "10.20.0.0/24", Decision::Bypass),
            (Some("Mac"), "10.20.0.0/24", Decision::NoBypass),
            (Some("Lync 2013"), "10.20.0.0/24", Decision::NoBypass),
            (Some("Skype for Business 2016 on full-tunnel VPN"), "10.20.4.0/25", Decision::NoBypass),
        ]
    );
    let mac = enable.rows.iter().find(|r| r.population.as_deref() == Some("Mac")).unwrap();
    assert!(mac.reason.contains("Skype for Business on Mac does not support it"), "{}", mac.reason);
    assert_eq!(mac.media, "client <-> Mediation Server <-> gateway", "its media loads the Cloud Connector");
    let addresses: std::collections::BTreeSet<_> =
        enable.rows.iter().filter(|r| r.subnet == "10.20.0.0/24").map(|r| r.address).collect();
    assert_eq!(addresses.len(), 3, "one sample per population, each on its own host");

    assert_eq!(enable.populations.len(), 1, "only Seattle declares clients: {:#?}", enable.populations);
    let share = &enable.populations[0];
    assert_eq!((share.site.as_str(), share.users, share.bypassing, share.percent), ("Seattle", 600, 400, 67));
    assert_eq!(
        share.summary,
        "Seattle: 67 % of declared clients bypass; Mac, Lync 2013 and Skype for Business 2016 on full-tunnel VPN clients do not (Plan page: supported clients)"
    );

    // Mumbai declares nothing: its rows read as they always have.
    let mumbai: Vec<&bypass_lab::rollout::model::SubnetRow> =
        enable.rows.iter().filter(|r| r.site == "Mumbai").collect();
    assert_eq!(mumbai.iter().map(|r| r.client.as_str()).collect::<Vec<_>>(), ["mumbai-1"]);
    let json = serde_json::to_value(mumbai[0]).unwrap();
    assert!(json.get("population").is_none(), "no population key without declarations: {json}");
    let json = serde_json::to_value(mac).unwrap();
    assert_eq!(json["population"], "Mac");
}

/// A split-tunnel pool bypasses like the office; a supported population that does not bypass
/// is a finding, and the share sends the reader there.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_tunnel_pool_bypasses_and_a_supported_population_that_does_not_is_an_error() {
    let split = SEATTLE_CLIENTS.replace("tunnel = \"full\"", "tunnel = \"split\"");
    // The pool's /25 left out of Seattle's client subnet: its supported clients resolve nothing.
    let uncovered = good().replace(r#""10.20.0.0/24","10.20.4.0/25""#, r#""10.20.0.0/24""#);
    assert_ne!(uncovered, good());
    let done = rehearse(&seattle_with(&split), uncovered).await;
    let enable = done.report.phases.iter().find(|p| p.name == "enable").unwrap();
    let pool = enable.rows.iter().find(|r| r.subnet == "10.20.4.0/25").unwrap();
    assert_eq!(pool.population.as_deref(), Some("Skype for Business 2016 on split-tunnel VPN"));
    assert_eq!(pool.decision, Decision::NoBypass);
    assert!(
        errors(&done)
            .iter()
            .any(|(site, m)| site == "Seattle" && m.starts_with("no client subnet covers 10.20.4.0/25")),
        "{:#?}",
        done.report.findings
    );
    assert_eq!(
        enable.populations[0].summary,
        "Seattle: 67 % of declared clients bypass; Mac and Lync 2013 clients do not (Plan page: supported clients); Skype for Business 2016 on split-tunnel VPN clients do not (see the findings)"
    );

    let done = rehearse(&seattle_with(&split), good()).await;
    assert!(done.succeeded(), "{:#?}", done.report.findings);
    let enable = done.report.phases.iter().find(|p| p.name == "enable").unwrap();
    assert_eq!(enable.populations[0].percent, 83, "{:#?}", enable.populations);
}

/// A branch with two subnets, its clients in one, its own DNS server in the other.
const PERTH: &str = r#"
[[site]]
name = "Perth"
subnets = ["10.50.0.0/24", "10.50.9.0/24"]
gateway = "10.50.0.1"
served_by = "Mumbai"
"#;

/// The globex plan with Perth, a hub domain controller, and `servers` after it.
fn with_perth(perth: &str, servers: &str) -> String {
    let outside = "[outside]";
    assert!(PLAN.contains(outside));
    PLAN.replace(
        outside,
        &format!("{perth}\n[[dns_server]]\nname = \"dc1\"\naddress = \"10.80.2.53\"\nsites = [\"Mumbai\", \"Seattle\"]\n{servers}\n{outside}"),
    )
}

/// The rollout, with Perth's client subnet (`perth` its prefixes) and policy added to the dns
/// phase, and `more` after them.
fn perth_rollout(perth: &str, more: &str) -> String {
    let marker = "\n# phase: enable\n";
    assert!(good().contains(marker));
    good().replace(
        marker,
        &format!(
            "Add-DnsServerClientSubnet -Name \"PerthSubnet\" -IPv4Subnet {perth}\nAdd-DnsServerQueryResolutionPolicy -Name \"PerthPolicy\" -Action ALLOW -ClientSubnet \"eq,PerthSubnet\" -ZoneScope \"MumbaiScope,1\" -ZoneName \"globex.example\"\n{more}{marker}"
        ),
    )
}

/// The plan says Perth's queries reach the hub from a forwarder of its own (`dns_via`): the
/// policy server sees that address, so a client subnet that covers Perth's clients but not the
/// forwarder leaves Perth on the default scope, and the finding names the forwarder.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_behind_an_uncovered_forwarder_fails_naming_it() {
    let plan = with_perth(&format!("{PERTH}dns_via = \"10.50.9.5\"\n"), "");
    let done = rehearse(&plan, perth_rollout("\"10.50.0.0/24\"", "")).await;
    let perth: Vec<String> = errors(&done).into_iter().filter(|(s, _)| s == "Perth").map(|(_, m)| m).collect();
    let expected = "Perth's queries reach dc1 from forwarder 10.50.9.5, which no client subnet covers, so they fall to the default scope, which holds no record for mb.globex.example";
    assert!(perth.iter().any(|m| m == expected), "{perth:#?}");
    assert!(
        perth.iter().all(|m| !m.starts_with("no client subnet covers 10.50.0.0/24")),
        "the clients are covered: {perth:#?}"
    );

    // Covering the forwarder's address is the fix.
    let done = rehearse(&plan, perth_rollout("\"10.50.0.0/24\",\"10.50.9.0/24\"", "")).await;
    assert!(done.succeeded(), "{:#?}", done.report.findings);
}

/// A branch DNS server of the plan that forwards to the hub (`Add-DnsServerForwarder`, or a
/// conditional forwarder for the service's zone): the hub sees the branch server's address.
/// The hub's zone is file-backed here: an AD-integrated one would reach the branch server (every
/// `[[dns_server]]` is a domain controller), which would then answer from its own copy.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_branch_dns_server_that_forwards_is_seen_by_its_own_address() {
    let plan =
        with_perth(PERTH, "\n[[dns_server]]\nname = \"perth-dns\"\naddress = \"10.50.9.5\"\nsites = [\"Perth\"]\n");
    let hub_only = |source: String| {
        let forest = r#"Add-DnsServerPrimaryZone -Name "globex.example" -ReplicationScope "Forest""#;
        assert!(source.contains(forest));
        source.replace(forest, r#"Add-DnsServerPrimaryZone -Name "globex.example" -ZoneFile "globex.example.dns""#)
    };
    let forwarder = "Add-DnsServerForwarder -IPAddress 10.80.2.53 -ComputerName perth-dns\n";
    let done = rehearse(&plan, hub_only(perth_rollout("\"10.50.0.0/24\"", forwarder))).await;
    let perth: Vec<String> = errors(&done).into_iter().filter(|(s, _)| s == "Perth").map(|(_, m)| m).collect();
    assert!(
        perth.iter().any(|m| m.starts_with(
            "Perth's queries reach dc1 from forwarder perth-dns (10.50.9.5), which no client subnet covers"
        )),
        "{perth:#?}"
    );
    assert!(
        done.report.findings.iter().all(|f| !f.message.contains("DNS server perth-dns (serving Perth) lacks")),
        "a server that only forwards lacks no policy: {:#?}",
        done.report.findings
    );
    let dns = done.report.phases.iter().find(|p| p.name == "dns").unwrap();
    let line = dns.output.iter().find(|o| o.command.starts_with("Add-DnsServerForwarder")).unwrap();
    assert_eq!(line.error, None, "{line:?}");

    let conditional =
        "Add-DnsServerConditionalForwarderZone -Name \"globex.example\" -MasterServers 10.80.2.53 -ComputerName perth-dns\nGet-DnsServerZone -ComputerName perth-dns\n";
    let done = rehearse(&plan, hub_only(perth_rollout("\"10.50.0.0/24\",\"10.50.9.0/24\"", conditional))).await;
    assert!(done.succeeded(), "{:#?}", done.report.findings);
    let dns = done.report.phases.iter().find(|p| p.name == "dns").unwrap();
    let zones = dns.output.iter().find(|o| o.command.starts_with("Get-DnsServerZone")).unwrap();
    assert!(zones.text.contains("Forwarder"), "a conditional forwarder is a zone of type Forwarder: {}", zones.text);
    let enable = done.report.phases.iter().find(|p| p.name == "enable").unwrap();
    let row = enable.rows.iter().find(|r| r.site == "Perth").unwrap();
    assert_eq!((row.resolved_site.as_deref(), row.decision), (Some("Mumbai"), Decision::Bypass));
}
