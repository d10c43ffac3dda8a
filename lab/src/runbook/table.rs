//! The cmdlets one run knows, and the executor each goes to. The runner is handed this table (the
//! Lab builds it from the executors its session has, each role declaring its own cmdlets) and only
//! looks names up in it, so it never names a role.

use super::output::Executor;
use super::spec::{CmdletSpec, Target};
use super::view::{FormatData, Views};
use std::sync::Arc;

/// One declared cmdlet and, when this run can reach where it runs, its executor.
#[derive(Clone)]
struct Entry {
    spec: &'static CmdletSpec,
    executor: Option<Arc<dyn Executor>>,
}

/// Every cmdlet a run knows. A cmdlet declared without an executor is still known, so a line
/// naming it says where it must run instead of "not recognized".
#[derive(Clone)]
pub struct CmdletTable {
    /// In the order added: of two same-named cmdlets whose executors are present, the first wins.
    entries: Vec<Entry>,
    /// The format data of the types the cmdlets print.
    views: Views,
}

impl Default for CmdletTable {
    fn default() -> CmdletTable {
        CmdletTable::new()
    }
}

impl CmdletTable {
    pub fn new() -> CmdletTable {
        CmdletTable { entries: vec![], views: Views::new() }
    }

    /// Adds a role's format data: how the console shows the types its cmdlets print.
    pub fn with_views(mut self, data: FormatData) -> CmdletTable {
        self.views = self.views.with(data);
        self
    }

    /// The format data this run knows.
    pub fn views(&self) -> &Views {
        &self.views
    }

    /// Adds `specs`, run by `executor`, or known but out of reach in this run when it is `None`.
    pub fn with(
        mut self,
        specs: impl IntoIterator<Item = &'static CmdletSpec>,
        executor: Option<Arc<dyn Executor>>,
    ) -> CmdletTable {
        self.entries.extend(specs.into_iter().map(|spec| Entry { spec, executor: executor.clone() }));
        self
    }

    fn named<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a Entry> + 'a {
        self.entries.iter().filter(move |e| e.spec.name.eq_ignore_ascii_case(name))
    }

    /// Whether the run knows `name`, reachable or not.
    pub fn known(&self, name: &str) -> bool {
        self.named(name).next().is_some()
    }

    /// Whether `name` is a real cmdlet that the lab does not model (as opposed to a typo).
    pub fn unmodelled(&self, name: &str) -> bool {
        !self.known(name)
            && (unmodelled_names().any(|n| n.eq_ignore_ascii_case(name)) || super::reference::is_documented(name))
    }

    /// The known cmdlets nearest to a name the run does not know.
    pub fn suggestions(&self, name: &str) -> Vec<&'static str> {
        let modelled = self
            .entries
            .iter()
            .map(|e| e.spec.name)
            .chain(super::preamble::names())
            .chain(super::shape::specs().map(|s| s.name));
        super::spelling::nearest(name, modelled, 3)
    }

    /// Every known cmdlet, sorted by name (a name modelled for two targets appears twice).
    pub fn listing(&self) -> Vec<Listed> {
        let mut all: Vec<Listed> =
            self.entries.iter().map(|e| Listed { spec: e.spec, runs: runs(e.spec.target) }).collect();
        all.extend(super::shape::specs().map(|spec| Listed {
            spec,
            runs: "in the runner, on the objects piped in (formats or filters, changes nothing)",
        }));
        all.sort_by_key(|a| a.spec.name.to_ascii_lowercase());
        all
    }

    /// Whether this run is `--on` an appliance: a Mediation Server's cmdlets are reachable.
    fn on_appliance(&self) -> bool {
        self.entries.iter().any(|e| e.spec.target == Target::Appliance && e.executor.is_some())
    }

    /// The spec for `name` in this run and its executor: an appliance's own cmdlet when the run is
    /// `--on` one, else the first whose executor is present. `Err` says where the cmdlet must run.
    pub(super) fn choose(&self, name: &str) -> Result<(&'static CmdletSpec, Arc<dyn Executor>), String> {
        let reachable = |e: &Entry| e.executor.clone().map(|executor| (e.spec, executor));
        if self.on_appliance() {
            if let Some(chosen) = self.named(name).filter(|e| e.spec.target == Target::Appliance).find_map(reachable) {
                return Ok(chosen);
            }
            if let Some(tenant) = self.named(name).find(|e| e.spec.target == Target::Tenant) {
                return Err(format!(
                    "{} runs against Skype for Business Online (the tenant), not on a Mediation Server: run it without --on",
                    tenant.spec.name
                ));
            }
        }
        if let Some(chosen) = self.named(name).find_map(reachable) {
            return Ok(chosen);
        }
        let canonical = self.named(name).next().map(|e| e.spec.name).unwrap_or(name);
        let mut places: Vec<(u8, &str)> = self
            .named(name)
            .map(|e| match e.spec.target {
                Target::Appliance => (2, "on a Cloud Connector appliance: use run --on APPLIANCE"),
                Target::Dns => (1, "on the internal DNS server, which this run is not connected to"),
                Target::Clock => (3, "against a lab's clock, which this run is not connected to"),
                Target::Tenant | Target::Local => {
                    (0, "in the tenant through remote PowerShell, which this run is not connected to")
                }
            })
            .collect();
        places.sort();
        places.dedup();
        Err(format!("{canonical} runs {}", places.into_iter().map(|(_, p)| p).collect::<Vec<_>>().join(", or ")))
    }
}

/// One known cmdlet for `bypass-lab cmdlets`: where it runs, and its spec.
pub struct Listed {
    pub spec: &'static CmdletSpec,
    /// Where it runs, in the admin's words.
    pub runs: &'static str,
}

fn runs(target: Target) -> &'static str {
    match target {
        Target::Local => "in the runner (builds an object, changes nothing)",
        Target::Appliance => "on a Mediation Server (run --on APPLIANCE)",
        Target::Dns => "against the internal DNS server",
        Target::Tenant => "against the tenant (Skype for Business Online)",
        Target::Clock => "against the lab's clock (moves lab time)",
    }
}

/// The real cmdlets the lab does not model, one per line in `unmodelled.txt`.
const UNMODELLED: &str = include_str!("unmodelled.txt");

fn unmodelled_names() -> impl Iterator<Item = &'static str> {
    UNMODELLED.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#'))
}
