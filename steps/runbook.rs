//! Runbook lines pasted as doc strings, and what the run printed.

use super::each::in_order;
use super::world::{within, LabWorld, LastRun};
use crate::lab::{LabError, RunOn};
use crate::runbook::{StepError, Transcript, Value};
use cucumber::gherkin::Step;
use cucumber::{then, when};

fn doc(step: &Step) -> anyhow::Result<&str> {
    // The doc string starts after its opening quotes' line break; line 1 is the first runbook line.
    step.docstring
        .as_deref()
        .map(|d| d.strip_prefix("\r\n").or_else(|| d.strip_prefix('\n')).unwrap_or(d))
        .ok_or_else(|| anyhow::anyhow!("this step needs the runbook lines as a doc string"))
}

/// Runs `source` and records how it ended; only errors of the lab itself fail the step.
pub async fn run_and_record(world: &mut LabWorld, source: &str, on: RunOn) -> anyhow::Result<()> {
    world.baseline = Some(world.lab().tenant_configuration().await?);
    let outcome = within("the runbook to run", world.lab().run_runbook(source, &on)).await?;
    world.last_run = Some(match outcome {
        Ok(t) => LastRun::Done(t),
        Err(LabError::Runbook(e)) => LastRun::Failed(e),
        Err(e) => return Err(e.into()),
    });
    Ok(())
}

#[when("the tenant administrator runs:")]
async fn tenant_admin_runs(world: &mut LabWorld, step: &Step) -> anyhow::Result<()> {
    let source = doc(step)?.to_string();
    run_and_record(world, &source, RunOn::AdminSession).await
}

#[when("the administrator runs against the DNS server:")]
async fn admin_runs_on_dns(world: &mut LabWorld, step: &Step) -> anyhow::Result<()> {
    let source = doc(step)?.to_string();
    run_and_record(world, &source, RunOn::AdminSession).await
}

#[when("the administrator runs on the first appliance:")]
async fn admin_runs_on_first(world: &mut LabWorld, step: &Step) -> anyhow::Result<()> {
    let source = doc(step)?.to_string();
    let first =
        world.topology().appliances().next().map(|(_, a)| a.name.clone()).expect("a valid topology has appliances");
    world.subject = Some(first.clone());
    run_and_record(world, &source, RunOn::Appliance(first)).await
}

#[when("the administrator runs on that appliance:")]
async fn admin_runs_on_that(world: &mut LabWorld, step: &Step) -> anyhow::Result<()> {
    let source = doc(step)?.to_string();
    let subject =
        world.subject.clone().ok_or_else(|| anyhow::anyhow!("no appliance was named earlier in this scenario"))?;
    run_and_record(world, &source, RunOn::Appliance(subject)).await
}

#[when("the administrator runs on each Mediation Server:")]
async fn admin_runs_on_each(world: &mut LabWorld, step: &Step) -> anyhow::Result<()> {
    let source = doc(step)?.to_string();
    let names: Vec<String> = world.topology().appliances().map(|(_, a)| a.name.clone()).collect();
    world.runs.clear();
    let runs = {
        let reach = world.lab().reach();
        let (reach, source) = (&reach, source.as_str());
        in_order(names, |name| async move {
            let transcript = within("the runbook to run", reach.run_runbook(source, &RunOn::Appliance(name.clone())))
                .await?
                .map_err(|e| anyhow::anyhow!("on {name}: {e}"))?;
            Ok((name, transcript))
        })
        .await?
    };
    world.runs = runs;
    Ok(())
}

#[then("the runbook succeeds")]
async fn runbook_succeeds(world: &mut LabWorld) -> anyhow::Result<()> {
    world.transcript().map(|_| ())
}

/// Every error the last run wrote, in order: the stopping one of a run that stopped comes last.
fn failures(world: &LabWorld) -> anyhow::Result<Vec<StepError>> {
    let failures: Vec<StepError> = match &world.last_run {
        Some(LastRun::Failed(e)) => {
            let mut all: Vec<StepError> = e.transcript.failures().cloned().collect();
            let stop = StepError { line: e.line, column: e.column, message: e.message.clone() };
            if !all.contains(&stop) {
                all.push(stop);
            }
            all
        }
        Some(LastRun::Done(t)) => t.failures().cloned().collect(),
        None => anyhow::bail!("no runbook has run in this scenario"),
    };
    if failures.is_empty() {
        let Some(LastRun::Done(t)) = &world.last_run else { unreachable!("a stopped run has an error") };
        anyhow::bail!("expected the runbook to fail, but it succeeded:\n{}", t.render());
    }
    Ok(failures)
}

#[then(expr = "the runbook fails at line {int}, column {int} with:")]
async fn fails_at_with(world: &mut LabWorld, line: usize, column: usize, step: &Step) -> anyhow::Result<()> {
    let failures = failures(world)?;
    let expected = doc(step)?.trim();
    anyhow::ensure!(
        failures.iter().any(|e| (e.line, e.column, e.message.as_str()) == (line, column, expected)),
        "expected line {line}, column {column}: {expected}\n but saw {failures:#?}"
    );
    Ok(())
}

#[then(expr = "the runbook fails at line {int} mentioning {string}")]
async fn fails_at_mentioning(world: &mut LabWorld, line: usize, text: String) -> anyhow::Result<()> {
    let failures = failures(world)?;
    anyhow::ensure!(
        failures.iter().any(|e| e.line == line && e.message.contains(&text)),
        "expected a failure at line {line} mentioning {text:?}, but saw {failures:#?}"
    );
    Ok(())
}

#[then(expr = "the runbook stops at line {int}")]
async fn stops_at(world: &mut LabWorld, line: usize) -> anyhow::Result<()> {
    match &world.last_run {
        Some(LastRun::Failed(e)) if e.line == line => Ok(()),
        Some(LastRun::Failed(e)) => anyhow::bail!(
            "expected the runbook to stop at line {line}, but it stopped at line {}: {}",
            e.line,
            e.message
        ),
        Some(LastRun::Done(t)) => {
            anyhow::bail!("expected the runbook to stop at line {line}, but it ran to its end:\n{}", t.render())
        }
        None => anyhow::bail!("no runbook has run in this scenario"),
    }
}

#[then(expr = "line {int} of the runbook ran")]
async fn line_ran(world: &mut LabWorld, line: usize) -> anyhow::Result<()> {
    let steps = match &world.last_run {
        Some(LastRun::Done(t)) => &t.steps,
        Some(LastRun::Failed(e)) => &e.transcript.steps,
        None => anyhow::bail!("no runbook has run in this scenario"),
    };
    anyhow::ensure!(
        steps.iter().any(|s| s.line == line && !s.failed()),
        "expected line {line} to run without an error, but the lines that ran were {:?}",
        steps.iter().map(|s| (s.line, s.failed())).collect::<Vec<_>>()
    );
    Ok(())
}

/// Every `(property, shown value)` pair of the transcript's objects, nested ones included.
pub fn properties(transcript: &Transcript) -> Vec<(String, String)> {
    fn walk(value: &Value, out: &mut Vec<(String, String)>) {
        match value {
            Value::Object(o) => {
                for (k, v) in &o.properties {
                    out.push((k.clone(), v.display()));
                    walk(v, out);
                }
            }
            Value::List(items) => items.iter().for_each(|i| walk(i, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for step in &transcript.steps {
        step.output.objects.iter().for_each(|o| walk(o, &mut out));
    }
    out
}

pub fn shows(transcript: &Transcript, name: &str, value: &str) -> anyhow::Result<()> {
    let props = properties(transcript);
    if props.iter().any(|(k, v)| k.eq_ignore_ascii_case(name) && v == value) {
        return Ok(());
    }
    let seen: Vec<&String> = props.iter().filter(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v).collect();
    anyhow::bail!("expected {name} : {value} in the output, but {name} showed {seen:?}\n{}", transcript.render())
}

#[then(expr = "the output shows {string} as {string}")]
async fn output_shows(world: &mut LabWorld, name: String, value: String) -> anyhow::Result<()> {
    shows(world.transcript()?, &name, &value)
}

#[then(expr = "the output shows a GUID as {string}")]
async fn output_shows_guid(world: &mut LabWorld, name: String) -> anyhow::Result<()> {
    let t = world.transcript()?;
    let props = properties(t);
    anyhow::ensure!(
        props.iter().any(|(k, v)| k.eq_ignore_ascii_case(&name) && uuid::Uuid::parse_str(v).is_ok()),
        "expected a GUID as {name}, but saw {:?}",
        props.iter().filter(|(k, _)| k.eq_ignore_ascii_case(&name)).collect::<Vec<_>>()
    );
    Ok(())
}

#[then(expr = "the output warns {string}")]
async fn output_warns(world: &mut LabWorld, warning: String) -> anyhow::Result<()> {
    let t = world.transcript()?;
    let warnings: Vec<&String> = t.steps.iter().flat_map(|s| s.output.warnings.iter()).collect();
    anyhow::ensure!(warnings.iter().any(|w| **w == warning), "expected the warning {warning:?}, but saw {warnings:?}");
    Ok(())
}

#[then(expr = "every run shows {string} as {string} and {string} as {string}")]
async fn every_run_shows(world: &mut LabWorld, a: String, va: String, b: String, vb: String) -> anyhow::Result<()> {
    anyhow::ensure!(!world.runs.is_empty(), "no runbook ran on the Mediation Servers");
    for (name, t) in &world.runs {
        shows(t, &a, &va).map_err(|e| anyhow::anyhow!("on {name}: {e}"))?;
        shows(t, &b, &vb).map_err(|e| anyhow::anyhow!("on {name}: {e}"))?;
    }
    Ok(())
}
