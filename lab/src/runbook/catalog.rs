//! Every cmdlet the runner knows, and where a given run sends each one.

use super::local::LOCAL_SPECS;
use super::output::Executor;
use super::spec::{CmdletSpec, Target};
use super::Targets;
use std::sync::Arc;

/// Whose list a spec came from: a `Local` cmdlet declared by a role runs on that role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Origin {
    Runner,
    Tenant,
    Dns,
    Mediation,
}

fn entries() -> impl Iterator<Item = (&'static CmdletSpec, Origin)> {
    let lists: [(&'static [CmdletSpec], Origin); 4] = [
        (LOCAL_SPECS, Origin::Runner),
        (crate::tenant::cmdlets::SPECS, Origin::Tenant),
        (crate::dns::cmdlets::SPECS, Origin::Dns),
        (crate::mediation::cmdlets::SPECS, Origin::Mediation),
    ];
    lists.into_iter().flat_map(|(specs, origin)| specs.iter().map(move |s| (s, origin)))
}

/// Where a chosen cmdlet runs.
pub enum Runs {
    /// In the runner (`New-CsNetworkMediaBypassConfiguration`).
    Here,
    On(Arc<dyn Executor>),
}

fn executor(spec: &CmdletSpec, origin: Origin, targets: &Targets) -> Option<Runs> {
    let target = match (spec.target, origin) {
        (Target::Local, Origin::Runner) => return Some(Runs::Here),
        (Target::Local, Origin::Tenant) | (Target::Tenant, _) => &targets.tenant,
        (Target::Local, Origin::Dns) | (Target::Dns, _) => &targets.dns,
        (Target::Local, Origin::Mediation) | (Target::Appliance, _) => &targets.appliance,
    };
    target.clone().map(Runs::On)
}

/// Whether any target knows `name`.
pub fn known(name: &str) -> bool {
    entries().any(|(s, _)| s.name.eq_ignore_ascii_case(name))
}

/// The real cmdlets the lab does not model, one per line in `unmodelled.txt`.
const UNMODELLED: &str = include_str!("unmodelled.txt");

fn unmodelled_names() -> impl Iterator<Item = &'static str> {
    UNMODELLED.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Whether `name` is a real cmdlet that the lab does not model (as opposed to a typo).
pub fn unmodelled(name: &str) -> bool {
    !known(name) && unmodelled_names().any(|n| n.eq_ignore_ascii_case(name))
}

/// The modelled cmdlets nearest to a name no target knows.
pub fn suggestions(name: &str) -> Vec<&'static str> {
    let modelled = entries().map(|(s, _)| s.name).chain(super::preamble::names());
    super::spelling::nearest(name, modelled, 3)
}

/// One modelled cmdlet for `bypass-lab cmdlets`: where it runs, and its spec.
pub struct Listed {
    pub spec: &'static CmdletSpec,
    /// Where it runs, in the admin's words.
    pub runs: &'static str,
}

/// Every modelled cmdlet, sorted by name (a name modelled for two targets appears twice).
pub fn listing() -> Vec<Listed> {
    let mut all: Vec<Listed> = entries()
        .map(|(spec, origin)| Listed {
            spec,
            runs: match (spec.target, origin) {
                (Target::Local, Origin::Runner) => "in the runner (builds an object, changes nothing)",
                (Target::Appliance, _) | (Target::Local, Origin::Mediation) => {
                    "on a Mediation Server (run --on APPLIANCE)"
                }
                (Target::Dns, _) | (Target::Local, Origin::Dns) => "against the internal DNS server",
                _ => "against the tenant (Skype for Business Online)",
            },
        })
        .collect();
    all.sort_by_key(|a| a.spec.name.to_ascii_lowercase());
    all
}

/// The spec for `name` in this run: an appliance's own cmdlet when the run is `--on` one,
/// else the first whose target is present. `Err` says where the cmdlet must run.
pub fn choose(name: &str, targets: &Targets) -> Result<(&'static CmdletSpec, Runs), String> {
    let candidates: Vec<_> = entries().filter(|(s, _)| s.name.eq_ignore_ascii_case(name)).collect();
    if targets.appliance.is_some() {
        if let Some((spec, origin)) = candidates.iter().find(|(s, _)| s.target == Target::Appliance) {
            if let Some(runs) = executor(spec, *origin, targets) {
                return Ok((spec, runs));
            }
        }
    }
    if targets.appliance.is_some() {
        if let Some((spec, _)) = candidates
            .iter()
            .find(|(s, o)| s.target == Target::Tenant || (s.target == Target::Local && *o == Origin::Tenant))
        {
            return Err(format!(
                "{} runs against Skype for Business Online (the tenant), not on a Mediation Server: run it without --on",
                spec.name
            ));
        }
    }
    for (spec, origin) in &candidates {
        if let Some(runs) = executor(spec, *origin, targets) {
            return Ok((spec, runs));
        }
    }
    let canonical = candidates.first().map(|(s, _)| s.name).unwrap_or(name);
    let mut places: Vec<(u8, &str)> = candidates
        .iter()
        .map(|(s, origin)| match (s.target, origin) {
            (Target::Appliance, _) | (Target::Local, Origin::Mediation) => {
                (2, "on a Cloud Connector appliance: use run --on APPLIANCE")
            }
            (Target::Dns, _) | (Target::Local, Origin::Dns) => {
                (1, "on the internal DNS server, which this run is not connected to")
            }
            _ => (0, "in the tenant through remote PowerShell, which this run is not connected to"),
        })
        .collect();
    places.sort();
    places.dedup();
    Err(format!("{canonical} runs {}", places.into_iter().map(|(_, p)| p).collect::<Vec<_>>().join(", or ")))
}
