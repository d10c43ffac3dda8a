//! `bypass-lab clock`: lab time is virtual; it moves when told (or at `up --time-speed`). Every
//! time it prints is a reading of the plan's clock (`day 2 00:00`), as `status` and the
//! rehearsal print theirs (docs/design/clock.md).

use crate::clock::parse_duration;
use clap::Subcommand;
use std::path::Path;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum ClockVerb {
    /// Print the lab time as a clock reading (`day 1 00:00` when the lab started).
    Now,
    /// Move lab time forward (e.g. 24h, 8h, 90m) and wait until every role has caught up.
    Advance {
        #[arg(value_parser = |s: &str| parse_duration(s).map_err(|e| e.to_string()))]
        by: std::time::Duration,
    },
}

pub async fn run(verb: ClockVerb, state: &Path) -> anyhow::Result<ExitCode> {
    let lab = crate::cli::lab::attach(state).await?;
    let reading = |at| lab.topology().clock_reading(at);
    match verb {
        ClockVerb::Now => println!("{}", reading(lab.now().await?)),
        ClockVerb::Advance { by } => {
            let target = lab.now().await? + by;
            let progress = |reached| eprintln!("lab time {} of {}", reading(reached), reading(target));
            let now = lab.advance_reporting(by, &progress).await?;
            println!("lab time is now {}", reading(now));
        }
    }
    Ok(ExitCode::SUCCESS)
}
