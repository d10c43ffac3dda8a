//! The parts of a Cucumber JSON report the feature page shows. Read from the file the run just
//! wrote, so the page and the JSON never tell different stories; unknown keys are ignored, since
//! writers add their own.

use serde::Deserialize;

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct FeatureResult {
    #[serde(default)]
    pub uri: String,
    pub name: String,
    #[serde(default)]
    pub elements: Vec<ScenarioResult>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ScenarioResult {
    /// `scenario`, or `background` for the steps of a feature's Background, which the writer
    /// records as an element of its own just before the scenario they ran for.
    #[serde(default, rename = "type")]
    pub kind: String,
    /// `feature-slug/scenario-slug`: what ties a Background element to its scenario.
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub keyword: String,
    #[serde(default)]
    pub line: usize,
    #[serde(default)]
    pub tags: Vec<Tag>,
    #[serde(default)]
    pub steps: Vec<StepResult>,
    /// The Background's steps as they ran for this scenario (folded in by [`parse`]).
    #[serde(skip)]
    pub background: Vec<StepResult>,
    /// The lab starts in the `before` hook and stops in `after`: a lab that did not start fails
    /// the scenario with no failed step.
    #[serde(default)]
    pub before: Vec<HookResult>,
    #[serde(default)]
    pub after: Vec<HookResult>,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Tag {
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct StepResult {
    #[serde(default)]
    pub keyword: String,
    pub name: String,
    #[serde(default)]
    pub line: usize,
    pub result: Outcome,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct HookResult {
    pub result: Outcome,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Outcome {
    /// `passed`, `failed`, `skipped`, `undefined`, `pending` or `ambiguous`.
    pub status: String,
    #[serde(default)]
    pub error_message: Option<String>,
}

/// How a step, hook or scenario ended, as the page colours it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Status {
    Passed,
    Skipped,
    Failed,
}

impl Status {
    pub fn of(outcome: &Outcome) -> Status {
        match outcome.status.as_str() {
            "passed" => Status::Passed,
            "failed" | "ambiguous" => Status::Failed,
            _ => Status::Skipped,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            Status::Passed => "passed",
            Status::Skipped => "skipped",
            Status::Failed => "failed",
        }
    }
}

impl ScenarioResult {
    /// The worst of its hooks and steps; a scenario with no step at all did not really run.
    pub fn status(&self) -> Status {
        let all = self
            .before
            .iter()
            .map(|h| &h.result)
            .chain(self.steps.iter().map(|s| &s.result))
            .chain(self.after.iter().map(|h| &h.result));
        let worst = all.map(Status::of).max();
        match worst {
            Some(Status::Passed) if self.steps.is_empty() && self.background.is_empty() => Status::Skipped,
            Some(s) => s,
            None => Status::Skipped,
        }
    }
}

/// Reads a report, folding each Background element into the scenario it ran for (the writer
/// gives both the scenario's `id`, in either order), so a scenario is counted once and shows
/// every step it ran.
pub fn parse(text: &str) -> Result<Vec<FeatureResult>, serde_json::Error> {
    let mut features: Vec<FeatureResult> = serde_json::from_str(text)?;
    for feature in &mut features {
        let (backgrounds, mut scenarios): (Vec<_>, Vec<_>) =
            feature.elements.drain(..).partition(|e| e.kind == "background");
        for background in backgrounds {
            match scenarios.iter_mut().find(|s| s.id.is_some() && s.id == background.id && s.background.is_empty()) {
                Some(scenario) => scenario.background = background.steps,
                // A Background with no scenario to join still ran: keep it rather than lose a failure.
                None => scenarios.push(background),
            }
        }
        feature.elements = scenarios;
    }
    Ok(features)
}
