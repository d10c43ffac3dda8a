//! The plan's declared clients after a phase: each population's decision and, per site, the
//! share of its users that bypass, in the words an admin reports upward ("Seattle: 80 % of
//! declared clients bypass; Mac and Lync 2013 clients do not (Plan page: supported clients)").
//! Unsupported clients not bypassing is what the Plan page says, not a finding; they still send
//! their media through the Mediation Server, which the share makes visible.

use super::model::{Decision, PopulationDecision, PopulationShare};
use super::observe::Observation;
use crate::client::OUTSIDE;

/// Why a population does not bypass, as the share's sentence says it.
fn reason(site: &str, supported: bool, in_use: bool) -> &'static str {
    if site == OUTSIDE {
        "external clients send media through the Edge"
    } else if !supported {
        "Plan page: supported clients"
    } else if !in_use {
        "media bypass is off"
    } else {
        "see the findings"
    }
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => one.to_string(),
        [rest @ .., last] => format!("{} and {last}", rest.join(", ")),
    }
}

/// The share of every site (then outside) whose plan declares clients, in the order the places
/// were observed; `in_use`: the tenant sends clients to bypass after the phase.
pub fn shares(observations: &[Observation], in_use: bool) -> Vec<PopulationShare> {
    let mut sites: Vec<String> = vec![];
    for o in observations.iter().filter(|o| o.sample.population.is_some()) {
        if !sites.contains(&o.sample.site) {
            sites.push(o.sample.site.clone());
        }
    }
    sites
        .into_iter()
        .map(|site| {
            let mut populations: Vec<PopulationDecision> = vec![];
            for o in observations.iter().filter(|o| o.sample.site == site) {
                let Some(p) = &o.sample.population else { continue };
                let subnet = o.sample.subnet.to_string();
                let bypass = o.decision() == Decision::Bypass;
                match populations.iter_mut().find(|d| d.name == p.name && d.subnet == subnet) {
                    Some(d) if !bypass => d.decision = Decision::NoBypass,
                    Some(_) => {}
                    None => populations.push(PopulationDecision {
                        name: p.name.clone(),
                        subnet,
                        users: p.users,
                        supported: p.kind.supported(),
                        decision: o.decision(),
                    }),
                }
            }
            let users: u32 = populations.iter().map(|p| p.users).sum();
            let bypassing: u32 = populations.iter().filter(|p| p.decision == Decision::Bypass).map(|p| p.users).sum();
            let percent = if users == 0 {
                0
            } else {
                ((u64::from(bypassing) * 100 + u64::from(users) / 2) / u64::from(users)) as u32
            };
            // The populations that do not bypass, grouped by why, each name once.
            let mut groups: Vec<(&str, Vec<&str>)> = vec![];
            for p in populations.iter().filter(|p| p.decision == Decision::NoBypass) {
                let why = reason(&site, p.supported, in_use);
                match groups.iter_mut().find(|(w, _)| *w == why) {
                    Some((_, names)) if !names.contains(&p.name.as_str()) => names.push(&p.name),
                    Some(_) => {}
                    None => groups.push((why, vec![&p.name])),
                }
            }
            let mut summary = format!("{site}: {percent} % of declared clients bypass");
            for (why, names) in &groups {
                summary.push_str(&format!("; {} clients do not ({why})", and_list(names)));
            }
            PopulationShare { site, users, bypassing, percent, populations, summary }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::{ClientKind, ClientVersion, FetchOutcome, Platform};
    use crate::rollout::sample::{PopulationSample, SampleClient};

    fn seen(site: &str, name: &str, users: u32, kind: ClientKind, bypass: bool) -> Observation {
        let outcome = if bypass {
            FetchOutcome::Bypass {
                mediation_server: "sea1".into(),
                address: "10.20.0.10".parse().unwrap(),
                bypass_id: uuid::Uuid::nil(),
            }
        } else {
            FetchOutcome::UnsupportedPlatform { platform: "Mac".into() }
        };
        Observation {
            sample: SampleClient {
                site: site.into(),
                subnet: "10.20.0.0/24".parse().unwrap(),
                user: format!("{site}-{name}").to_ascii_lowercase().replace(' ', "-"),
                address: "10.20.0.200".parse().unwrap(),
                range: vec!["10.20.0.0/24".parse().unwrap()],
                server: 0,
                population: Some(PopulationSample { name: name.into(), users, kind }),
            },
            time: crate::clock::TimeOfDay::MIDNIGHT,
            window: None,
            answer: "NOERROR".into(),
            resolved: vec![],
            provisioned_url: None,
            outcome: Some(outcome),
            media: String::new(),
        }
    }

    #[test]
    fn a_site_share_counts_users_and_names_who_does_not_bypass() {
        let mac = ClientKind { platform: Platform::Mac, ..Default::default() };
        let lync = ClientKind { version: ClientVersion::parse("15.0.4937.1000").unwrap(), ..Default::default() };
        let observations = vec![
            seen("Seattle", "Skype for Business 2016", 400, ClientKind::default(), true),
            seen("Seattle", "Mac", 60, mac, false),
            seen("Seattle", "Lync 2013", 40, lync, false),
        ];
        let got = shares(&observations, true);
        assert_eq!(got.len(), 1);
        assert_eq!((got[0].users, got[0].bypassing, got[0].percent), (500, 400, 80));
        assert_eq!(
            got[0].summary,
            "Seattle: 80 % of declared clients bypass; Mac and Lync 2013 clients do not (Plan page: supported clients)"
        );
        let off = shares(&observations, false);
        assert!(off[0].summary.ends_with("; Mac and Lync 2013 clients do not (Plan page: supported clients)"));
        let broken = vec![seen("Oslo", "Office", 10, ClientKind::default(), false)];
        assert_eq!(
            shares(&broken, true)[0].summary,
            "Oslo: 0 % of declared clients bypass; Office clients do not (see the findings)"
        );
        assert_eq!(
            shares(&broken, false)[0].summary,
            "Oslo: 0 % of declared clients bypass; Office clients do not (media bypass is off)"
        );
    }
}
