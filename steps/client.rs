//! Skype for Business clients: sign-in, the UccApi log, the bypass decision and PSTN calls.

use super::each::in_order;
use super::world::{within, LabWorld};
use crate::client::{ClientStatus, FetchOutcome, SignInRequest};
use crate::lab::DEFAULT_NUMBER;
use crate::mediation::{MediaPath, BYPASS_CODEC};
use crate::topology::Topology;
use cucumber::{given, then, when};
use std::collections::BTreeSet;
use std::net::IpAddr;

async fn sign_in(world: &mut LabWorld, user: &str, at: IpAddr) -> anyhow::Result<ClientStatus> {
    let status = within("the client to sign in", world.lab().sign_in(user, at)).await??;
    if !world.users.iter().any(|u| u == user) {
        world.users.push(user.to_string());
    }
    Ok(status)
}

fn first_site_address(t: &Topology) -> anyhow::Result<IpAddr> {
    t.client_address(&t.sites[0], 0).ok_or_else(|| anyhow::anyhow!("the first site has no free client address"))
}

#[given(expr = "a user {string} is signed in at the first site")]
async fn user_at_first_site(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let at = first_site_address(world.topology())?;
    sign_in(world, &user, at).await.map(|_| ())
}

#[given(expr = "a user {string} is signed in outside")]
async fn user_outside(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let at =
        world.topology().outside_address(0).ok_or_else(|| anyhow::anyhow!("the topology has no outside subnet"))?;
    sign_in(world, &user, at).await.map(|_| ())
}

#[given("a user is signed in at each site")]
async fn user_at_each_site(world: &mut LabWorld) -> anyhow::Result<()> {
    // One user in every subnet of every site: a site's second subnet is as much the site as its first.
    let mut places: Vec<(String, IpAddr)> = Vec::new();
    for site in &world.topology().sites {
        let addresses = world.topology().subnet_client_addresses(site);
        anyhow::ensure!(
            addresses.len() == site.subnets.len(),
            "a subnet of site {} has no free client address",
            site.name
        );
        for at in addresses {
            places.push((format!("user{}", places.len() + 1), at));
        }
    }
    let lab = world.lab();
    let signed_in = in_order(places, |(user, at)| async move {
        within("the client to sign in", lab.sign_in(&user, at)).await??;
        Ok(user)
    })
    .await?;
    for user in signed_in {
        if !world.users.contains(&user) {
            world.users.push(user);
        }
    }
    Ok(())
}

#[when(expr = "{string} signs out and signs in again")]
async fn user_signs_in_again(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    within("the client to sign out and in", world.lab().sign_in_again(&user)).await??;
    Ok(())
}

#[when("each of them signs out and signs in again")]
async fn each_signs_in_again(world: &mut LabWorld) -> anyhow::Result<()> {
    let reach = world.lab().reach();
    let reach = &reach;
    in_order(&world.users, |user| async move {
        within("the client to sign out and in", reach.sign_in_again(user)).await??;
        Ok(())
    })
    .await
    .map(drop)
}

async fn log_of(world: &LabWorld, user: &str) -> anyhow::Result<String> {
    Ok(within("the UccApi log", world.lab().client_log(user)).await??)
}

/// The URL of the last `hybridconfigserviceinternalurl` line of a UccApi log.
fn logged_url(log: &str) -> Option<String> {
    log.lines()
        .rev()
        .find_map(|line| line.split("hybridconfigserviceinternalurl=").nth(1))
        .map(|rest| rest.split_whitespace().next().unwrap_or("").trim_matches(|c| c == '"' || c == ',').to_string())
}

#[then(expr = "the UccApi log of {string} does not mention the planned service URL")]
async fn log_without_url(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let url = world.topology().service_url();
    let log = log_of(world, &user).await?;
    anyhow::ensure!(!log.contains(&url), "expected no {url} in the UccApi log of {user}, but it has:\n{log}");
    Ok(())
}

async fn log_holds(world: &LabWorld, user: &str, url: &str) -> anyhow::Result<()> {
    let log = log_of(world, user).await?;
    let seen = logged_url(&log);
    anyhow::ensure!(
        seen.as_deref() == Some(url),
        "expected the UccApi log of {user} to hold hybridconfigserviceinternalurl={url}, but its last such line says {seen:?}:\n{log}"
    );
    Ok(())
}

#[then(expr = "the UccApi log of {string} holds hybridconfigserviceinternalurl with the planned service URL")]
async fn log_holds_planned(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let url = world.topology().service_url();
    log_holds(world, &user, &url).await
}

#[then(expr = "the UccApi log of {string} holds hybridconfigserviceinternalurl with the new service URL")]
async fn log_holds_new(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let url =
        world.new_url.clone().ok_or_else(|| anyhow::anyhow!("the service URL was not changed in this scenario"))?;
    log_holds(world, &user, &url).await
}

#[then("the UccApi log of each of them records that no service URL was provisioned")]
async fn logs_record_no_url(world: &mut LabWorld) -> anyhow::Result<()> {
    let reach = world.lab().reach();
    let reach = &reach;
    in_order(&world.users, |user| async move {
        let log = within("the UccApi log", reach.client_log(user)).await??;
        let last_sign_in = log.lines().rev().find(|l| l.contains("hybridconfigserviceinternalurl"));
        anyhow::ensure!(
            last_sign_in.is_some_and(|l| !l.contains("http")),
            "expected the last sign-in of {user} to record no URL, but: {last_sign_in:?}"
        );
        Ok(())
    })
    .await
    .map(drop)
}

async fn status_of(world: &LabWorld, user: &str) -> anyhow::Result<ClientStatus> {
    Ok(within("the client's status", world.lab().client(user)).await??)
}

/// Every user's status, a few asked at a time, each checked by `check` in the order they
/// signed in: the first user who fails it fails the step.
async fn each_status(world: &LabWorld, check: impl Fn(&str, ClientStatus) -> anyhow::Result<()>) -> anyhow::Result<()> {
    let reach = world.lab().reach();
    let (reach, check) = (&reach, &check);
    in_order(&world.users, |user| async move {
        let s = within("the client's status", reach.client(user)).await??;
        check(user, s)
    })
    .await
    .map(drop)
}

fn holds_url(user: &str, s: &ClientStatus, url: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        s.hybrid_config_service_internal_url.as_deref() == Some(url),
        "{user} holds {:?}, not {url}",
        s.hybrid_config_service_internal_url
    );
    Ok(())
}

fn new_url(world: &LabWorld) -> anyhow::Result<String> {
    world.new_url.clone().ok_or_else(|| anyhow::anyhow!("the service URL was not changed in this scenario"))
}

#[then(expr = "{string} still holds the planned service URL")]
async fn still_holds(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let url = world.topology().service_url();
    let s = status_of(world, &user).await?;
    holds_url(&user, &s, &url)
}

#[then(expr = "{string} holds the new service URL")]
async fn holds_new(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let url = new_url(world)?;
    let s = status_of(world, &user).await?;
    holds_url(&user, &s, &url)
}

#[then("each of them holds the new service URL")]
async fn each_holds_new(world: &mut LabWorld) -> anyhow::Result<()> {
    // Asked before any status, as for each user one after another.
    if world.users.is_empty() {
        return Ok(());
    }
    let url = new_url(world)?;
    each_status(world, |user, s| holds_url(user, &s, &url)).await
}

#[then("each of them has decided not to bypass because the name does not resolve")]
async fn each_not_bypass_no_name(world: &mut LabWorld) -> anyhow::Result<()> {
    each_status(world, |user, s| name_did_not_resolve(user, &s)).await
}

#[then("each of them has received no service URL")]
async fn none_received(world: &mut LabWorld) -> anyhow::Result<()> {
    each_status(world, |user, s| {
        anyhow::ensure!(s.signed_in && s.hybrid_config_service_internal_url.is_none(), "{user} is {s:?}");
        Ok(())
    })
    .await
}

fn last_outcome(s: &ClientStatus) -> anyhow::Result<&FetchOutcome> {
    s.last_fetch
        .as_ref()
        .map(|f| &f.outcome)
        .ok_or_else(|| anyhow::anyhow!("{} has not fetched the hybrid configuration", s.user))
}

#[then("each of them resolves the service name to one of their own site's Mediation Servers")]
async fn each_uses_own_site(world: &mut LabWorld) -> anyhow::Result<()> {
    let topology = world.topology();
    each_status(world, |user, s| {
        let site =
            topology.site_of(s.address).ok_or_else(|| anyhow::anyhow!("{user} at {} is in no site", s.address))?;
        match last_outcome(&s)? {
            FetchOutcome::Bypass { address, .. } if site.appliances.iter().any(|a| a.address == *address) => Ok(()),
            other => anyhow::bail!(
                "{user} in {} should have been served by its own site's Mediation Servers, but: {}",
                site.name,
                other.describe()
            ),
        }
    })
    .await
}

#[then("each of them has decided to bypass")]
async fn each_bypasses(world: &mut LabWorld) -> anyhow::Result<()> {
    each_status(world, |user, s| {
        anyhow::ensure!(
            s.bypass && s.bypass_id.is_some(),
            "{user} decided not to bypass: {}",
            last_outcome(&s)?.describe()
        );
        Ok(())
    })
    .await
}

#[then("each of them has decided not to bypass because the web service rejected the request")]
async fn each_rejected(world: &mut LabWorld) -> anyhow::Result<()> {
    each_status(world, |user, s| {
        let outcome = last_outcome(&s)?;
        anyhow::ensure!(
            !s.bypass && matches!(outcome, FetchOutcome::Rejected { .. }),
            "{user}: {}",
            outcome.describe()
        );
        Ok(())
    })
    .await
}

#[then(expr = "{string} cannot resolve the service name")]
async fn cannot_resolve(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let s = status_of(world, &user).await?;
    let answer = within(
        "the DNS server",
        world.lab().resolve(&world.topology().tenant.service_name, s.address, Default::default()),
    )
    .await??;
    anyhow::ensure!(
        !matches!(answer, crate::dns::Answer::Addresses(_)),
        "{user} at {} resolves it: {answer:?}",
        s.address
    );
    Ok(())
}

fn name_did_not_resolve(user: &str, s: &ClientStatus) -> anyhow::Result<()> {
    let outcome = last_outcome(s)?;
    anyhow::ensure!(
        !s.bypass && matches!(outcome, FetchOutcome::NameDoesNotResolve { .. }),
        "{user}: {}",
        outcome.describe()
    );
    Ok(())
}

#[then(expr = "{string} has decided not to bypass because the name does not resolve")]
async fn not_bypass_no_name(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let s = status_of(world, &user).await?;
    name_did_not_resolve(&user, &s)
}

fn media_path_is(user: &str, result: &crate::mediation::CallResult, expected: &str) -> anyhow::Result<()> {
    anyhow::ensure!(
        result.media_path.as_str() == expected,
        "{user}'s call through {} should have media {expected}, but has {} ({})",
        result.mediation_server,
        result.media_path.as_str(),
        result.reason
    );
    Ok(())
}

async fn call_path(world: &LabWorld, user: &str, expected: &str) -> anyhow::Result<()> {
    let result = within("the call to be placed", world.lab().call(user, DEFAULT_NUMBER)).await??;
    media_path_is(user, &result, expected)
}

#[then(expr = "each of them places a PSTN call with media {string}")]
async fn each_calls(world: &mut LabWorld, expected: String) -> anyhow::Result<()> {
    let reach = world.lab().reach();
    let (reach, expected) = (&reach, expected.as_str());
    in_order(&world.users, |user| async move {
        let result = within("the call to be placed", reach.call(user, DEFAULT_NUMBER)).await??;
        media_path_is(user, &result, expected)
    })
    .await
    .map(drop)
}

#[then(expr = "{string} places a PSTN call with media {string}")]
async fn user_calls(world: &mut LabWorld, user: String, expected: String) -> anyhow::Result<()> {
    call_path(world, &user, &expected).await
}

async fn sign_in_as(world: &mut LabWorld, user: &str, request: SignInRequest) -> anyhow::Result<ClientStatus> {
    let status = within("the client to sign in", world.lab().sign_in_as(user, &request)).await??;
    if !world.users.iter().any(|u| u == user) {
        world.users.push(user.to_string());
    }
    Ok(status)
}

#[given(expr = "{string} is signed in at the first site")]
async fn named_user_at_first_site(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let at = first_site_address(world.topology())?;
    sign_in(world, &user, at).await.map(|_| ())
}

#[when(expr = "{string} signs in at the first site with client version {string}")]
async fn signs_in_with_version(world: &mut LabWorld, user: String, version: String) -> anyhow::Result<()> {
    let address = first_site_address(world.topology())?;
    sign_in_as(world, &user, SignInRequest { address, version: Some(version), vpn: None, platform: None })
        .await
        .map(|_| ())
}

#[when(expr = "{string} signs in at the first site on a VPN without split tunnelling")]
async fn signs_in_full_vpn(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let address = first_site_address(world.topology())?;
    sign_in_as(world, &user, SignInRequest { address, version: None, vpn: Some("full".into()), platform: None })
        .await
        .map(|_| ())
}

#[then(expr = "{string} has decided not to bypass because {string}")]
async fn not_bypass_because(world: &mut LabWorld, user: String, reason: String) -> anyhow::Result<()> {
    let s = status_of(world, &user).await?;
    let outcome = last_outcome(&s)?;
    anyhow::ensure!(
        !s.bypass && outcome.describe().contains(&reason),
        "{user} should not bypass because {reason:?}, but decided: {}",
        outcome.describe()
    );
    Ok(())
}

#[when(expr = "{string} places {int} PSTN calls")]
async fn places_calls(world: &mut LabWorld, user: String, count: usize) -> anyhow::Result<()> {
    world.calls.clear();
    for _ in 0..count {
        let result = within("the call to be placed", world.lab().call(&user, DEFAULT_NUMBER)).await?;
        world.calls.push(result.map_err(|e| e.to_string()));
    }
    Ok(())
}

fn placed(world: &LabWorld) -> anyhow::Result<Vec<&crate::mediation::CallResult>> {
    anyhow::ensure!(!world.calls.is_empty(), "no call was placed in this scenario");
    world.calls.iter().map(|c| c.as_ref().map_err(|e| anyhow::anyhow!("a call failed: {e}"))).collect()
}

#[then("every call went through an appliance of the first site")]
async fn every_call_first_site(world: &mut LabWorld) -> anyhow::Result<()> {
    let site = world.topology().sites[0].clone();
    for call in placed(world)? {
        anyhow::ensure!(
            site.appliances.iter().any(|a| a.name == call.appliance),
            "the call went through {} of site {}, not an appliance of {}",
            call.appliance,
            call.site,
            site.name
        );
    }
    Ok(())
}

#[then("the calls used at least two of the first site's appliances when it has two or more")]
async fn calls_spread(world: &mut LabWorld) -> anyhow::Result<()> {
    let expected = world.topology().sites[0].appliances.len().min(2);
    let used: BTreeSet<&str> = placed(world)?.iter().map(|c| c.appliance.as_str()).collect();
    anyhow::ensure!(used.len() >= expected, "expected calls over at least {expected} appliances, saw {used:?}");
    Ok(())
}

#[then("every bypassed call used the G.711 codec")]
async fn bypassed_g711(world: &mut LabWorld) -> anyhow::Result<()> {
    let calls = placed(world)?;
    anyhow::ensure!(calls.iter().any(|c| c.media_path == MediaPath::Bypass), "no call bypassed: {:?}", calls.first());
    for call in calls.iter().filter(|c| c.media_path == MediaPath::Bypass) {
        anyhow::ensure!(call.codec == BYPASS_CODEC, "a bypassed call used {}, not {BYPASS_CODEC}", call.codec);
    }
    Ok(())
}

#[then("no call went through the appliance in maintenance mode")]
#[then("no call went through that appliance")]
async fn none_through_maintenance(world: &mut LabWorld) -> anyhow::Result<()> {
    let resting = world
        .subject
        .clone()
        .ok_or_else(|| anyhow::anyhow!("no appliance was taken out of service in this scenario"))?;
    let others = world.topology().sites[0].appliances.len() > 1;
    for call in &world.calls {
        match call {
            Ok(c) => {
                anyhow::ensure!(c.appliance != resting, "a call went through {resting}, which is in maintenance mode")
            }
            // A site whose only appliance rests has nothing to take the call.
            Err(e) => anyhow::ensure!(!others && e.contains("takes new calls"), "a call failed: {e}"),
        }
    }
    anyhow::ensure!(!world.calls.is_empty(), "no call was placed in this scenario");
    Ok(())
}

#[then(expr = "a PSTN caller reaches {string} with media {string}")]
async fn inbound_call(world: &mut LabWorld, user: String, expected: String) -> anyhow::Result<()> {
    let call = within("the inbound call", world.lab().place_call(&user, DEFAULT_NUMBER, true)).await??;
    anyhow::ensure!(
        call.media_path.as_str() == expected && call.direction == crate::mediation::Direction::Inbound,
        "the inbound call to {user} through {} should have media {expected}, but has {} ({})",
        call.appliance,
        call.media_path.as_str(),
        call.reason
    );
    Ok(())
}

#[then(
    expr = "a call by {string} goes through an appliance of that PSTN site, its media crossing the WAN only when the user is at another site"
)]
async fn call_through_pstn_site(world: &mut LabWorld, user: String) -> anyhow::Result<()> {
    let home = world.subject.clone().ok_or_else(|| anyhow::anyhow!("no PSTN site was assigned in this scenario"))?;
    let status = status_of(world, &user).await?;
    let call = within("the call to be placed", world.lab().call(&user, DEFAULT_NUMBER)).await??;
    let site = world.topology().site(&home).ok_or_else(|| anyhow::anyhow!("no site {home}"))?;
    anyhow::ensure!(
        site.appliances.iter().any(|a| a.name == call.appliance),
        "{user}'s call went through {} ({}), not an appliance of {home}",
        call.appliance,
        call.site
    );
    let away = !status.site.eq_ignore_ascii_case(&home);
    anyhow::ensure!(
        call.crosses_wan == away,
        "{user} is at {} and homed on {home}; crosses_wan is {}",
        status.site,
        call.crosses_wan
    );
    anyhow::ensure!(call.media_path == MediaPath::Bypass, "{user}'s call should bypass, but: {}", call.reason);
    Ok(())
}
