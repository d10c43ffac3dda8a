//! Running the features: `cargo test` (tests/features.rs) and `bypass-lab rehearse` both come
//! here, so a rehearsal of an admin's own plan runs exactly the regression suite's steps.

use super::world::{set_plan, LabWorld, Plan};
use crate::lab::LabOptions;
use crate::topology::Topology;
use cucumber::{writer, World as _, WriterExt as _};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The features shipped with the lab, built into the binary so `rehearse` works anywhere.
pub static BUILT_IN_FEATURES: include_dir::Dir<'_> = include_dir::include_dir!("$CARGO_MANIFEST_DIR/../features");

pub struct Rehearsal {
    pub topology: Topology,
    /// How each scenario's lab runs.
    pub lab: LabOptions,
    /// The user's own feature files; None = the built-in ones.
    pub features: Option<PathBuf>,
    /// A tag expression, e.g. `@seed and not @slow`.
    pub tags: Option<String>,
    /// Where the JUnit XML and Cucumber JSON reports go.
    pub report_dir: PathBuf,
}

/// The features or `--tags` a rehearsal was given are wrong (a Gherkin mistake, a step that
/// matches no phrase, tags that select nothing): found before any lab starts, and told apart from
/// a failed run so the binary can exit with its invalid-input code.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct InvalidFeatures(#[from] anyhow::Error);

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub passed: usize,
    pub failed: usize,
    /// Scenarios left out because they spell out the seed's addresses and the plan lacks them.
    pub not_applicable: usize,
    pub elapsed: Duration,
    pub junit: PathBuf,
    pub json: PathBuf,
    /// The HTML page people read, rendered from the Cucumber JSON after the run.
    pub html: PathBuf,
}

impl Outcome {
    pub fn succeeded(&self) -> bool {
        self.failed == 0 && self.passed > 0
    }

    pub fn summary(&self) -> String {
        format!(
            "{} passed, {} failed{} in {:.2} s (reports: {}, {}, {})",
            self.passed,
            self.failed,
            if self.not_applicable > 0 {
                format!(" ({} @seed scenarios not applicable to this topology)", self.not_applicable)
            } else {
                String::new()
            },
            self.elapsed.as_secs_f64(),
            self.junit.display(),
            self.json.display(),
            self.html.display(),
        )
    }
}

/// Runs the features against fresh labs, one per scenario (a containers lab is reset in place
/// for the next scenario rather than stopped; the last is stopped as the run ends).
pub async fn rehearse(rehearsal: Rehearsal) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let plan = set_plan(Plan { topology: rehearsal.topology.clone(), lab: rehearsal.lab.clone() });
    anyhow::ensure!(
        plan.topology == rehearsal.topology && plan.lab.backend_name() == rehearsal.lab.backend_name(),
        "this process already rehearsed another plan"
    );
    let tags = match &rehearsal.tags {
        Some(text) => Some(
            text.parse::<cucumber::gherkin::tagexpr::TagOperation>()
                .map_err(|e| InvalidFeatures(anyhow::anyhow!("--tags '{text}' is not a tag expression: {e}")))?,
        ),
        None => None,
    };
    let seed_plan = has_seed_plan(&plan.topology);
    let built_in;
    let source: PathBuf = match &rehearsal.features {
        Some(dir) => {
            if !dir.exists() {
                let missing = anyhow::anyhow!("features directory {} does not exist", dir.display());
                return Err(InvalidFeatures(missing).into());
            }
            dir.clone()
        }
        None => {
            built_in = tempfile::Builder::new().prefix("bypass-lab-built-in-").tempdir()?;
            BUILT_IN_FEATURES.extract(built_in.path())?;
            built_in.path().to_path_buf()
        }
    };
    // Every authoring mistake is reported here, before any lab starts.
    let prepared = super::preflight::prepare(&source, seed_plan, rehearsal.tags.as_deref().zip(tags.as_ref()))
        .map_err(InvalidFeatures)?;
    let features = prepared.dir.path().to_path_buf();
    // Once, before any scenario and before the image is built: on a shared engine another run
    // may hold the plan's subnets (refused here, or waited for), and the image is built inside
    // this run's turn, so a run of another commit never retags it under this one's labs.
    let turn = plan.lab.take_turn(&plan.topology, &|line: &str| println!("{line}")).await?;
    // Once, before any scenario: a cold build of the containers' image takes minutes.
    if let Some(prepared) = plan.lab.prepare(&|line: &str| println!("{line}")).await? {
        println!("lab image: {prepared}");
    }
    std::fs::create_dir_all(&rehearsal.report_dir)?;
    let junit = rehearsal.report_dir.join("bypass-lab.junit.xml");
    let json = rehearsal.report_dir.join("bypass-lab.cucumber.json");
    let junit_file = std::fs::File::create(&junit)?;
    let json_file = std::fs::File::create(&json)?;

    let not_applicable = Arc::new(AtomicUsize::new(0));
    let passed = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let (p, f, na) = (passed.clone(), failed.clone(), not_applicable.clone());

    let writer = writer::Basic::raw(Console::default(), writer::Coloring::Auto, 0)
        .summarized()
        .tee::<LabWorld, _>(writer::JUnit::for_tee(junit_file, 0))
        .tee::<LabWorld, _>(writer::Json::for_tee(json_file))
        .normalized();
    let _ = LabWorld::cucumber()
        .with_writer(writer)
        .fail_on_skipped()
        .max_concurrent_scenarios(plan.lab.labs_at_once(&plan.topology))
        .before(|feature, rule, scenario, world| {
            world.opening_step = opening_step(feature, rule, scenario);
            Box::pin(async move { start(world).await })
        })
        .after(move |_, _, _, finished, world| {
            match finished {
                cucumber::event::ScenarioFinished::StepPassed => p.fetch_add(1, Ordering::SeqCst),
                _ => f.fetch_add(1, Ordering::SeqCst),
            };
            Box::pin(async move {
                if let Some(world) = world {
                    world.stop_lab().await;
                }
            })
        })
        // Last: the builder steps before it would reset it. The rehearsal's options are
        // bypass-lab's own, never cucumber's.
        .with_cli(cucumber::cli::Opts::<_, _, _, cucumber::cli::Empty>::default())
        .filter_run(features, move |feature, rule, scenario| {
            let all_tags =
                feature.tags.iter().chain(rule.iter().flat_map(|r| r.tags.iter())).chain(scenario.tags.iter());
            match super::preflight::select(all_tags, seed_plan, tags.as_ref()) {
                super::preflight::Selection::Selected => true,
                super::preflight::Selection::NotApplicable => {
                    na.fetch_add(1, Ordering::SeqCst);
                    false
                }
                super::preflight::Selection::Excluded => false,
            }
        })
        .await;
    super::world::stop_spare_labs().await;
    // The last lab is gone: the next run in the queue may start.
    turn.release().await?;
    let (fresh, reset, put_back) = super::world::labs_started_reset_and_put_back();
    if reset > 0 {
        println!("labs: {fresh} started, {reset} reset and reused; {put_back} scenarios opened from a state kept in their lab");
    }
    // The writers flush as the run ends; the page is drawn from what the JSON writer wrote. It is
    // named apart from a runbook rehearsal's `rehearsal.html`, which may share the folder.
    let html = rehearsal.report_dir.join("features.html");
    let title = format!("Rehearsal of {} ({} backend)", plan.topology.tenant.domain, plan.lab.backend_name());
    let features_shown = match &rehearsal.features {
        Some(dir) => dir.display().to_string(),
        None => crate::report::features_page::BUILT_IN.to_string(),
    };
    let provenance =
        crate::report::Provenance::of_this_process(&plan.topology.origin_name(), ("features", &features_shown));
    crate::report::features_page::write_from_json(&json, &html, &title, &provenance)?;
    Ok(Outcome {
        passed: passed.load(Ordering::SeqCst),
        failed: failed.load(Ordering::SeqCst),
        not_applicable: not_applicable.load(Ordering::SeqCst),
        elapsed: started.elapsed(),
        junit,
        json,
        html,
    })
}

/// Standard output for the progress lines. A reader that went away (`rehearse | head -1`) wants
/// no more of them: they are dropped, and the rehearsal still runs to its verdict and reports,
/// rather than panicking in the writer.
#[derive(Default)]
struct Console {
    closed: bool,
}

impl std::io::Write for Console {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.closed {
            return Ok(buf.len());
        }
        match std::io::stdout().write(buf) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(buf.len())
            }
            other => other,
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match std::io::stdout().flush() {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {
                self.closed = true;
                Ok(())
            }
            other => other,
        }
    }
}

/// The text of the first step the scenario runs: its feature's background's, its rule's, or
/// its own.
fn opening_step(
    feature: &cucumber::gherkin::Feature,
    rule: Option<&cucumber::gherkin::Rule>,
    scenario: &cucumber::gherkin::Scenario,
) -> Option<String> {
    fn background(b: &Option<cucumber::gherkin::Background>) -> Option<&cucumber::gherkin::Step> {
        b.as_ref().and_then(|b| b.steps.first())
    }
    background(&feature.background)
        .or_else(|| rule.and_then(|r| background(&r.background)))
        .or_else(|| scenario.steps.first())
        .map(|step| step.value.clone())
}

async fn start(world: &mut LabWorld) {
    if let Err(e) = world.start_lab().await {
        panic!("the scenario's lab did not start: {e:#}");
    }
}

/// Whether the plan holds the seed's service name and Mediation Server addresses, so that
/// `@seed` scenarios (which spell them out) apply.
pub fn has_seed_plan(topology: &Topology) -> bool {
    let seed = Topology::seed();
    topology.tenant.service_name == seed.tenant.service_name
        && seed.sites.iter().all(|s| {
            topology.site(&s.name).is_some_and(|mine| {
                let mut a: Vec<_> = mine.appliances.iter().map(|x| x.address).collect();
                let mut b: Vec<_> = s.appliances.iter().map(|x| x.address).collect();
                a.sort();
                b.sort();
                a == b && mine.subnets == s.subnets
            })
        })
}
