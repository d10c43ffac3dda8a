//! `bypass-lab clock`: lab time is virtual; it moves when told (or at `up --time-speed`).

use bypass_lab::clock::{format_duration, parse_duration};
use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ClockVerb {
    /// Print the lab time elapsed since the lab started.
    Now,
    /// Move lab time forward (e.g. 24h, 8h, 90m) and wait until every role has caught up.
    Advance {
        #[arg(value_parser = |s: &str| parse_duration(s).map_err(|e| e.to_string()))]
        by: std::time::Duration,
    },
}

pub async fn run(verb: ClockVerb, state: &Path) -> anyhow::Result<ExitCode> {
    let lab = crate::cli::lab::attach(state).await?;
    match verb {
        ClockVerb::Now => println!("{}", format_duration(lab.now().await?)),
        ClockVerb::Advance { by } => {
            let target = lab.now().await? + by;
            let progress = |reached| eprintln!("lab time {} of {}", format_duration(reached), format_duration(target));
            let now = lab.advance_reporting(by, &progress).await?;
            println!("lab time is now {}", format_duration(now));
        }
    }
    Ok(ExitCode::SUCCESS)
}
