//! The internal DNS server: what clients at each place resolve the service name to.

use super::each::in_order;
use super::runbook::run_and_record;
use super::world::{within, LabWorld};
use crate::dns::{Answer, Transport};
use crate::lab::RunOn;
use crate::topology::Site;
use cucumber::{then, when};
use std::net::IpAddr;

fn service(world: &LabWorld) -> String {
    world.topology().tenant.service_name.clone()
}

fn site_addresses(site: &Site) -> Vec<IpAddr> {
    let mut list: Vec<IpAddr> = site.appliances.iter().map(|a| a.address).collect();
    list.sort();
    list
}

async fn resolve(world: &LabWorld, name: &str, from: IpAddr, transport: Transport) -> anyhow::Result<Answer> {
    Ok(within("the DNS server to answer", world.lab().resolve(name, from, transport)).await??)
}

async fn each_site_gets_its_own(world: &LabWorld, transport: Transport) -> anyhow::Result<()> {
    let name = service(world);
    // Each subnet's client address, in plan order; a site short of one ends the list there, as
    // its failure ends the step.
    let mut places: Vec<(&Site, Option<IpAddr>)> = Vec::new();
    for site in &world.topology().sites {
        let addresses = world.topology().subnet_client_addresses(site);
        if addresses.len() != site.subnets.len() {
            places.push((site, None));
            break;
        }
        places.extend(addresses.into_iter().map(|from| (site, Some(from))));
    }
    let reach = world.lab().reach();
    let (reach, name) = (&reach, name.as_str());
    in_order(places, |(site, from)| async move {
        let from = from.ok_or_else(|| anyhow::anyhow!("a subnet of site {} has no client address", site.name))?;
        let answer = within("the DNS server to answer", reach.resolve(name, from, transport)).await??;
        let expected = Answer::Addresses(site_addresses(site));
        anyhow::ensure!(
            answer == expected,
            "a client at {from} in {} should get {expected:?} for {name} over {transport:?}, but got {answer:?}",
            site.name
        );
        Ok(())
    })
    .await
    .map(drop)
}

#[then("a client in each site resolves the service name to exactly that site's Mediation Servers")]
async fn each_site_udp(world: &mut LabWorld) -> anyhow::Result<()> {
    each_site_gets_its_own(world, Transport::Udp).await
}

#[then("a client in each site resolving the service name over TCP gets exactly that site's Mediation Servers")]
async fn each_site_tcp(world: &mut LabWorld) -> anyhow::Result<()> {
    each_site_gets_its_own(world, Transport::Tcp).await
}

#[then("an external client gets no address for the service name")]
async fn external_gets_nothing(world: &mut LabWorld) -> anyhow::Result<()> {
    let from =
        world.topology().outside_address(0).ok_or_else(|| anyhow::anyhow!("the topology has no outside subnet"))?;
    let answer = resolve(world, &service(world), from, Transport::Udp).await?;
    anyhow::ensure!(!matches!(answer, Answer::Addresses(_)), "an external client at {from} got {answer:?}");
    Ok(())
}

fn parse_answer(text: &str) -> anyhow::Result<Answer> {
    Ok(match text.trim() {
        "NXDOMAIN" => Answer::NxDomain,
        "REFUSED" => Answer::Refused,
        "SERVFAIL" => Answer::ServFail,
        "no answer" => Answer::NoAnswer,
        list => {
            let mut addresses = list
                .split(',')
                .map(|a| a.trim().parse::<IpAddr>().map_err(|e| anyhow::anyhow!("'{a}' in the expected answer: {e}")))
                .collect::<anyhow::Result<Vec<_>>>()?;
            addresses.sort();
            Answer::Addresses(addresses)
        }
    })
}

#[then(regex = r"^a client at (\S+) resolving (\S+) gets (.+)$")]
async fn client_at_gets(world: &mut LabWorld, from: String, name: String, expected: String) -> anyhow::Result<()> {
    let from: IpAddr = from.parse()?;
    let expected = parse_answer(&expected)?;
    for transport in [Transport::Udp, Transport::Tcp] {
        let answer = resolve(world, &name, from, transport).await?;
        anyhow::ensure!(answer == expected, "from {from} over {transport:?}: expected {expected:?}, got {answer:?}");
    }
    Ok(())
}

#[when("the administrator removes the service name's records from every zone scope")]
async fn remove_records(world: &mut LabWorld) -> anyhow::Result<()> {
    let script = crate::dns::removal_script(world.topology());
    run_and_record(world, &script, RunOn::AdminSession).await?;
    world.transcript().map(|_| ())
}

#[when(expr = "the administrator adds A records for {string} beside the service name in every site's zone scope")]
async fn add_records(world: &mut LabWorld, label: String) -> anyhow::Result<()> {
    let name = super::tenant::new_service_name(world.topology(), &label);
    let script = crate::dns::records_script(world.topology(), &name);
    run_and_record(world, &script, RunOn::AdminSession).await?;
    world.transcript().map(|_| ())
}

#[then("no client anywhere resolves the service name")]
async fn nobody_resolves(world: &mut LabWorld) -> anyhow::Result<()> {
    let name = service(world);
    let mut places: Vec<IpAddr> =
        world.topology().sites.iter().flat_map(|s| world.topology().subnet_client_addresses(s)).collect();
    places.extend(world.topology().outside_address(0));
    let reach = world.lab().reach();
    let (reach, name) = (&reach, name.as_str());
    in_order(places, |from| async move {
        let answer = within("the DNS server to answer", reach.resolve(name, from, Transport::Udp)).await??;
        anyhow::ensure!(
            !matches!(answer, Answer::Addresses(_)),
            "a client at {from} still resolves {name}: {answer:?}"
        );
        Ok(())
    })
    .await
    .map(drop)
}

/// The service name's host relative to its zone (`hybridvoice` in adatum.biz).
fn service_host(world: &LabWorld) -> (String, String) {
    let zone = crate::dns::service_zone(world.topology());
    let service = service(world).trim_end_matches('.').to_ascii_lowercase();
    let host = service.strip_suffix(&format!(".{zone}")).map(str::to_string).unwrap_or_else(|| "@".into());
    (zone, host)
}

/// A script with the topology's names put in: `{zone}`, `{host}` (the service name in the
/// zone), `{outside}` (the first outside subnet, as the next unnamed argument of
/// Add-DnsServerClientSubnet: IPv4Subnet, or `-IPv6Subnet` for an IPv6 one) and `{start+Nh}`
/// (the wall-clock time N hours after the lab's start, `HH:MM`).
fn with_topology_names(world: &LabWorld, script: &str) -> anyhow::Result<String> {
    let (zone, host) = service_host(world);
    let outside = world
        .topology()
        .outside
        .subnets
        .first()
        .ok_or_else(|| anyhow::anyhow!("the topology has no outside subnet"))?;
    let outside = match outside {
        ipnet::IpNet::V4(n) => n.to_string(),
        ipnet::IpNet::V6(n) => format!("-IPv6Subnet {n}"),
    };
    let mut out = script.replace("{zone}", &zone).replace("{host}", &host).replace("{outside}", &outside);
    let start = world.topology().tenant.start_time_of_day;
    while let Some(at) = out.find("{start+") {
        let end = out[at..]
            .find("h}")
            .map(|e| at + e)
            .ok_or_else(|| anyhow::anyhow!("'{{start+' without 'h}}' in the script"))?;
        let hours: u64 = out[at + 7..end].parse()?;
        let time = start.after(std::time::Duration::from_secs(hours * 3600)).to_string();
        out.replace_range(at..end + 2, &time);
    }
    Ok(out)
}

#[when("the administrator runs against the DNS server, with the topology's names:")]
async fn admin_runs_with_names(world: &mut LabWorld, step: &cucumber::gherkin::Step) -> anyhow::Result<()> {
    let doc = step
        .docstring
        .as_deref()
        .ok_or_else(|| anyhow::anyhow!("this step needs the runbook lines as a doc string"))?;
    let doc = doc.strip_prefix("\r\n").or_else(|| doc.strip_prefix('\n')).unwrap_or(doc);
    let script = with_topology_names(world, doc)?;
    run_and_record(world, &script, RunOn::AdminSession).await
}

async fn external(world: &LabWorld, name: &str) -> anyhow::Result<(IpAddr, Answer)> {
    let from =
        world.topology().outside_address(0).ok_or_else(|| anyhow::anyhow!("the topology has no outside subnet"))?;
    Ok((from, resolve(world, name, from, Transport::Udp).await?))
}

#[then(regex = r"^an external client resolving the service name gets (.+)$")]
async fn external_service_gets(world: &mut LabWorld, expected: String) -> anyhow::Result<()> {
    let expected = parse_answer(&expected)?;
    let name = service(world);
    let (from, answer) = external(world, &name).await?;
    anyhow::ensure!(
        answer == expected,
        "an external client at {from} asking for {name}: expected {expected:?}, got {answer:?}"
    );
    Ok(())
}

#[then(regex = r"^an external client resolving the zone apex gets (.+)$")]
async fn external_apex_gets(world: &mut LabWorld, expected: String) -> anyhow::Result<()> {
    let expected = parse_answer(&expected)?;
    let (zone, _) = service_host(world);
    let (from, answer) = external(world, &zone).await?;
    anyhow::ensure!(
        answer == expected,
        "an external client at {from} asking for the apex {zone}: expected {expected:?}, got {answer:?}"
    );
    Ok(())
}

#[then(expr = "of {int} external queries for the service name exactly {int} are answered with {word}")]
async fn external_weighted(world: &mut LabWorld, queries: usize, wanted: usize, address: String) -> anyhow::Result<()> {
    let address: IpAddr = address.parse()?;
    let name = service(world);
    let mut hits = 0;
    let mut seen = vec![];
    for _ in 0..queries {
        let (_, answer) = external(world, &name).await?;
        if answer == Answer::Addresses(vec![address]) {
            hits += 1;
        }
        seen.push(answer);
    }
    anyhow::ensure!(
        hits == wanted,
        "{hits} of {queries} answers were {address}, expected exactly {wanted}; answers: {seen:?}"
    );
    Ok(())
}

#[when(expr = "{string} fetches the hybrid configuration again")]
async fn user_fetches_again(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    within("the client to fetch", world.lab().fetch(&user)).await??;
    Ok(())
}

#[when(expr = "{string} flushes the DNS cache")]
async fn user_flushes_dns(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let forgotten = within("the client to flush its DNS cache", world.lab().client_flushdns(&user)).await??;
    anyhow::ensure!(forgotten > 0, "{user}'s machine had cached nothing to flush");
    Ok(())
}
