//! The feature files as the regression suite: `cargo test` runs every scenario on the backend
//! named by `LAB_BACKEND` (default: embedded), each against a fresh lab (in containers, one lab
//! reset in place between scenarios; see `docs/design/features.md`).

use bypass_lab::lab::LabOptions;
use bypass_lab::steps::{rehearse, Rehearsal};
use bypass_lab::topology::Topology;
use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let lab = match LabOptions::from_env() {
        Ok(options) => options,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    let rehearsal = Rehearsal {
        topology: Topology::seed(),
        report_dir: root.join("target").join("reports").join(lab.backend_name().to_lowercase()),
        lab,
        features: Some(root.join("features")),
        tags: std::env::var("LAB_TAGS").ok().filter(|t| !t.trim().is_empty()),
    };
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    match runtime.block_on(rehearse(rehearsal)) {
        Ok(outcome) => {
            println!("\nfeatures: {} passed, {} failed", outcome.passed, outcome.failed);
            println!("{}", outcome.summary());
            if outcome.succeeded() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            }
        }
        Err(e) => {
            eprintln!("the features could not run: {e:#}");
            ExitCode::FAILURE
        }
    }
}
