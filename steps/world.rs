//! The state one scenario carries: its own lab, fresh before the first step (started, or a
//! lab an earlier scenario finished with, reset) and given up after the last (also when a
//! step fails), and what earlier steps produced.

use crate::lab::{Lab, LabOptions};
use crate::runbook::{RunbookError, Transcript};
use crate::tenant::TenantConfiguration;
use crate::topology::Topology;
use cucumber::gherkin::Step;
use std::future::Future;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

/// What any step may take whatever the plan: starting a few roles and one replication window
/// on a loaded two-core machine.
const STEP_FLOOR: Duration = Duration::from_secs(20);
/// What each Mediation Server adds to a step: starting it, one sync, one health probe.
const STEP_PER_APPLIANCE: Duration = Duration::from_millis(25);

/// Every step finishes within this, or fails saying what it was waiting for. A step's work
/// (starting the lab, a replication window, probing every appliance) grows with the number of
/// appliances, so the deadline does too; the rehearsal runs fewer labs at once on a large plan
/// (`LabOptions::labs_at_once`), so the appliances busy at once stay near one plan's.
pub fn step_deadline() -> Duration {
    STEP_FLOOR + STEP_PER_APPLIANCE * plan().topology.appliances().count() as u32
}

/// What the whole run rehearses: set once before the features run.
#[derive(Debug, Clone)]
pub struct Plan {
    pub topology: Topology,
    /// How every scenario's lab runs.
    pub lab: LabOptions,
}

static PLAN: OnceLock<Plan> = OnceLock::new();

/// Sets the plan for this process's scenarios; the first call wins.
pub fn set_plan(plan: Plan) -> &'static Plan {
    let _ = PLAN.set(plan);
    PLAN.get().expect("just set")
}

pub fn plan() -> &'static Plan {
    PLAN.get_or_init(|| Plan { topology: Topology::seed(), lab: LabOptions::default() })
}

/// Labs finished scenarios left for the next ones to reset: starting a lab costs seconds at
/// scale, a reset a fraction. As many as scenarios run at once; stopped by [`stop_spare_labs`]
/// as the run ends.
static SPARE: std::sync::Mutex<Vec<Lab>> = std::sync::Mutex::new(Vec::new());

static LABS_STARTED: AtomicUsize = AtomicUsize::new(0);
static LABS_RESET: AtomicUsize = AtomicUsize::new(0);
static PUT_BACK: AtomicUsize = AtomicUsize::new(0);

/// How many scenarios of this process got a freshly started lab, how many a reset one, and how
/// many opened from a state an earlier scenario kept.
pub fn labs_started_reset_and_put_back() -> (usize, usize, usize) {
    (LABS_STARTED.load(Ordering::Relaxed), LABS_RESET.load(Ordering::Relaxed), PUT_BACK.load(Ordering::Relaxed))
}

/// What an opening step recorded, kept with the lab's state for the scenarios it is put back in.
#[derive(Clone)]
struct Recorded {
    baseline: Option<TenantConfiguration>,
    transcript: Transcript,
}

/// Stops the labs kept for reuse: the run is over.
pub async fn stop_spare_labs() {
    let spare = std::mem::take(&mut *SPARE.lock().unwrap());
    for lab in spare {
        if let Err(e) = lab.stop().await {
            eprintln!("stopping a reused lab: {e}");
        }
    }
}

/// How the last runbook ended.
#[derive(Debug)]
pub enum LastRun {
    Done(Transcript),
    Failed(Box<RunbookError>),
}

#[derive(cucumber::World)]
#[world(init = Self::new)]
pub struct LabWorld {
    pub lab: Option<Lab>,
    /// The tenant's configuration when the scenario started or before the last runbook.
    pub baseline: Option<TenantConfiguration>,
    pub last_run: Option<LastRun>,
    /// Transcripts of a runbook run on several Mediation Servers, by appliance.
    pub runs: Vec<(String, Transcript)>,
    /// The users "each of them" speaks of.
    pub users: Vec<String>,
    /// The URL a change step moved the service to.
    pub new_url: Option<String>,
    /// The appliance a fault step cut off or restarted ("that appliance").
    pub subject: Option<String>,
    /// PSTN calls placed by "places N PSTN calls" steps: the result or the refusal.
    pub calls: Vec<Result<crate::mediation::CallResult, String>>,
    /// The gateway a fault step stopped.
    pub stopped_gateway: Option<std::net::IpAddr>,
    /// The text of the scenario's first step, until a step that may open from a kept state
    /// takes it ([`LabWorld::opens_with`]).
    pub opening_step: Option<String>,
    /// The state the lab was put back in instead of a reset, kept after the scenario's first
    /// step by an earlier scenario: the step's text, and what it recorded.
    opened_from: Option<(String, Recorded)>,
}

impl std::fmt::Debug for LabWorld {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LabWorld")
            .field("lab", &self.lab.as_ref().map(|l| l.endpoints()))
            .field("last_run", &self.last_run)
            .field("users", &self.users)
            .field("subject", &self.subject)
            .finish()
    }
}

impl LabWorld {
    async fn new() -> Result<Self, anyhow::Error> {
        Ok(LabWorld {
            lab: None,
            baseline: None,
            last_run: None,
            runs: Vec::new(),
            users: Vec::new(),
            new_url: None,
            subject: None,
            calls: Vec::new(),
            stopped_gateway: None,
            opening_step: None,
            opened_from: None,
        })
    }

    /// Starts this scenario's lab, or resets one an earlier scenario left (see [`SPARE`]); a lab
    /// that does not reset is stopped and a fresh one started.
    pub async fn start_lab(&mut self) -> anyhow::Result<()> {
        let plan = plan();
        let spare = SPARE.lock().unwrap().pop();
        let reset = match spare {
            Some(lab) => match within("the lab to reset", self.renew(&lab)).await {
                Ok(Ok(())) => Some(lab),
                failed => {
                    let why = match failed {
                        Ok(Err(e)) => anyhow::Error::from(e),
                        Err(e) => e,
                        Ok(Ok(())) => unreachable!("handled above"),
                    };
                    eprintln!("the previous scenario's lab did not reset ({why:#}); starting a fresh one");
                    if let Err(e) = lab.stop().await {
                        eprintln!("stopping the previous scenario's lab: {e}");
                    }
                    None
                }
            },
            None => None,
        };
        let lab = match reset {
            Some(lab) => {
                LABS_RESET.fetch_add(1, Ordering::Relaxed);
                lab
            }
            None => {
                let lab = within("the lab to start", Lab::start(plan.topology.clone(), plan.lab.clone())).await??;
                LABS_STARTED.fetch_add(1, Ordering::Relaxed);
                lab
            }
        };
        self.baseline = Some(lab.tenant_configuration().await?);
        self.lab = Some(lab);
        Ok(())
    }

    /// Resets a lab an earlier scenario left: straight to the state kept after this scenario's
    /// first step where the lab holds one (the step then only takes what it recorded), else
    /// as it started.
    async fn renew(&mut self, lab: &Lab) -> Result<(), crate::lab::LabError> {
        if let Some(first) = self.opening_step.clone() {
            if let Some(recorded) = lab.put_back::<Recorded>(&first).await? {
                self.opened_from = Some((first, recorded));
                return Ok(());
            }
        }
        lab.reset().await
    }

    /// Ends this scenario's use of its lab: kept for the next scenario where the backend resets
    /// it in place and no fault acted on it, stopped otherwise.
    pub async fn stop_lab(&mut self) {
        if let Some(lab) = self.lab.take() {
            if lab.reusable() {
                SPARE.lock().unwrap().push(lab);
                return;
            }
            if let Err(e) = lab.stop().await {
                eprintln!("stopping the scenario's lab: {e}");
            }
        }
    }

    /// Whether `step` is the scenario's first: the lab is then as its start or reset left it, so
    /// what the step leads to may be kept for later scenarios, or found kept by an earlier one.
    /// Asked once, by the step itself.
    pub fn opens_with(&mut self, step: &Step) -> bool {
        self.opening_step.take().is_some_and(|first| first == step.value)
    }

    /// Whether the scenario's lab was put back as an earlier scenario kept it after `step`, its
    /// first ([`LabWorld::keep_after`]); takes what that step recorded then.
    pub fn opened_after(&mut self, step: &Step) -> bool {
        let Some((label, recorded)) = self.opened_from.take() else { return false };
        if label != step.value {
            return false;
        }
        self.baseline = recorded.baseline;
        self.last_run = Some(LastRun::Done(recorded.transcript));
        PUT_BACK.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Keeps the lab as `step`, the scenario's first, left it, with the runbook's transcript it
    /// recorded, for later scenarios of this lab that open with the same step.
    pub async fn keep_after(&mut self, step: &Step) -> anyhow::Result<()> {
        let recorded = Recorded { baseline: self.baseline.clone(), transcript: self.transcript()?.clone() };
        within("the lab's state to be kept", self.lab().keep(&step.value, recorded)).await??;
        Ok(())
    }

    pub fn lab(&self) -> &Lab {
        self.lab.as_ref().expect("every scenario starts its lab before its first step")
    }

    pub fn topology(&self) -> &Topology {
        self.lab().topology()
    }

    pub fn transcript(&self) -> anyhow::Result<&Transcript> {
        match &self.last_run {
            Some(LastRun::Done(t)) if t.succeeded() => Ok(t),
            Some(LastRun::Done(t)) => {
                anyhow::bail!("expected the runbook to succeed, but a statement failed:\n{}", t.render())
            }
            Some(LastRun::Failed(e)) => anyhow::bail!("expected the runbook to succeed, but it failed: {e}"),
            None => anyhow::bail!("no runbook has run in this scenario"),
        }
    }
}

/// Runs `step` with the step deadline; on expiry, says what was awaited.
pub async fn within<T>(what: &str, step: impl Future<Output = T>) -> anyhow::Result<T> {
    let deadline = step_deadline();
    tokio::time::timeout(deadline, step)
        .await
        .map_err(|_| anyhow::anyhow!("gave up waiting for {what} after {deadline:?}"))
}
