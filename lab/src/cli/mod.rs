//! Command-line parsing only; every verb calls into the library through the `Lab` handle.

// Every print of the command line goes through `crate::terminal::safe`: these shadow the
// standard macros in every verb's module (declared below them), so no verb can print a plan's
// or a runbook's control characters raw.
macro_rules! print {
    ($($arg:tt)*) => { ::std::print!("{}", crate::terminal::safe(&format!($($arg)*))) };
}
macro_rules! println {
    () => { ::std::println!() };
    ($($arg:tt)*) => { ::std::println!("{}", crate::terminal::safe(&format!($($arg)*))) };
}
macro_rules! eprint {
    ($($arg:tt)*) => { ::std::eprint!("{}", crate::terminal::safe(&format!($($arg)*))) };
}
macro_rules! eprintln {
    () => { ::std::eprintln!() };
    ($($arg:tt)*) => { ::std::eprintln!("{}", crate::terminal::safe(&format!($($arg)*))) };
}

mod client;
mod clock;
mod cmdlets;
mod dns;
mod fault;
mod graph;
mod image;
mod input;
mod lab;
mod ls;
mod rehearse;
mod rollout;
mod serve;
mod status;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

/// The variable that sets which log lines a run writes to stderr.
const LOG_ENV: &str = "BYPASS_LAB_LOG";

#[derive(Parser)]
#[command(name = "bypass-lab", version, about = "Rehearse media bypass in Skype for Business Cloud Connector Edition")]
struct Cli {
    /// Where a running lab is described (lab.json) and keeps its data.
    #[arg(long, global = true, default_value = crate::lab::DEFAULT_STATE_DIR, env = "BYPASS_LAB_STATE")]
    state: PathBuf,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Start a lab and keep it running (embedded: in the foreground until Ctrl-C).
    Up(lab::Up),
    /// Stop the running lab and remove what it created.
    Down(lab::Down),
    /// The containers labs on the Docker engine: owner, age, subnets, whether still held.
    Ls,
    /// Run a runbook (PowerShell lines) against the running lab.
    Run(lab::Run),
    /// One row per appliance: version against the tenant's, web service, tenant link now, syncs.
    Status(lab::Status),
    /// Resolve a name as a client at a site or an address would.
    Resolve(dns::Resolve),
    /// Print the Windows DNS cmdlet script for a topology's geo-location policies.
    DnsScript(dns::DnsScript),
    /// Every cmdlet the runbook runner models, where it runs and its parameters.
    Cmdlets,
    /// Every step phrase features can use, with an example line.
    #[cfg(feature = "rehearsal")]
    Steps,
    /// Read or move the lab's virtual clock.
    #[command(subcommand)]
    Clock(clock::ClockVerb),
    /// Sign users in and out, read their UccApi log, place calls.
    #[command(subcommand)]
    Client(client::ClientVerb),
    /// Inject and heal faults.
    #[command(subcommand)]
    Fault(fault::FaultVerb),
    /// Bring back every role whose container was stopped or removed, at the lab's time.
    Repair,
    /// Rehearse your own rollout (--runbook FILE), or run the features against fresh labs.
    Rehearse(rehearse::Rehearse),
    /// Draw a topology (sites, subnets, appliances, gateways, DNS, tenant, outside), or with --dns
    /// what decides each DNS server's answers (client subnet, policy, zone scope, records).
    Graph(graph::Graph),
    /// The lab's container image.
    #[command(subcommand)]
    Image(ImageVerb),
    /// Write the docker-compose file of a topology (default: print the seed's); with --output,
    /// also the lab file that lets every command drive the Compose lab.
    Compose {
        #[arg(long)]
        topology: Option<PathBuf>,
        /// Write to this file instead of printing.
        #[arg(long)]
        output: Option<PathBuf>,
    },
    /// Run one role of a lab (also the container entrypoint).
    #[command(subcommand)]
    Serve(serve::Role),
}

#[derive(Subcommand)]
enum ImageVerb {
    /// Build bypass-lab:<version> FROM scratch from the static binary (skipped when up to date).
    Build,
}

/// The exit status of a process whose reader went away (as if killed by SIGPIPE: 128 + 13).
const CLOSED_PIPE: u8 = 141;

/// Writes `text` to standard output; a reader that went away (`| head`) ends the output quietly.
pub fn write_stdout(text: &str) -> anyhow::Result<ExitCode> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(crate::terminal::safe(text).as_bytes()).and_then(|()| out.flush()) {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(ExitCode::from(CLOSED_PIPE)),
        Err(e) => Err(e.into()),
    }
}

/// `status | head -3`, `rehearse | head -1`: `println!` (and the report writer) panic when the
/// reader has gone. That is no failure of the lab,
/// so the process ends quietly with the closed-pipe status instead of a panic message and 101.
/// The signal itself stays ignored: the lab's own sockets must not kill the process.
fn end_quietly_on_closed_stdout() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let payload = info.payload();
        let message = payload
            .downcast_ref::<String>()
            .map(String::as_str)
            .or_else(|| payload.downcast_ref::<&str>().copied())
            .unwrap_or("");
        // std's `println!`, and the rehearsal's report writer ("failed to write into terminal").
        let writing = message.starts_with("failed printing to stdout")
            || message.to_ascii_lowercase().contains("failed to write");
        if writing && message.contains("Broken pipe") {
            std::process::exit(CLOSED_PIPE.into());
        }
        default(info);
    }));
}

/// Which log lines reach stderr: `BYPASS_LAB_LOG` as `target=level` directives (`info`,
/// `bypass_lab::dns=debug,warn`); warnings alone when unset. Targets and levels are all an admin
/// or a role container needs, and they filter without a regular expression engine.
fn log_filter() -> Targets {
    let warnings = Targets::new().with_default(LevelFilter::WARN);
    match std::env::var(LOG_ENV).map(|v| v.trim().to_string()) {
        Ok(value) if !value.is_empty() => value.parse().unwrap_or_else(|error| {
            eprintln!(
                "bypass-lab: {LOG_ENV}={value:?} is not a log filter ({error}); logging warnings only. \
                 Write a level (`info`) or targets and levels (`bypass_lab::dns=debug,warn`)."
            );
            warnings
        }),
        _ => warnings,
    }
}

pub fn main() -> ExitCode {
    end_quietly_on_closed_stdout();
    let cli = Cli::parse();
    tracing_subscriber::registry()
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(log_filter())
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("a tokio runtime");
    let state = cli.state;
    let result = runtime.block_on(async {
        match cli.command {
            Command::Up(args) => lab::up(args, &state).await,
            Command::Down(args) => lab::down(args, &state).await,
            Command::Ls => ls::ls().await,
            Command::Run(args) => lab::run(args, &state).await,
            Command::Status(args) => lab::status(args, &state).await,
            Command::Resolve(args) => dns::resolve(args, &state).await,
            Command::DnsScript(args) => dns::dns_script(args),
            Command::Cmdlets => cmdlets::run(),
            #[cfg(feature = "rehearsal")]
            Command::Steps => write_stdout(&crate::steps::catalogue::listing()),
            Command::Clock(verb) => clock::run(verb, &state).await,
            Command::Fault(verb) => fault::run(verb, &state).await,
            Command::Repair => fault::repair(&state).await,
            Command::Client(verb) => client::run(verb, &state).await,
            Command::Rehearse(args) => rehearse::run(args).await,
            Command::Graph(args) => graph::run(args).await,
            Command::Image(ImageVerb::Build) => image::build().await,
            Command::Compose { topology, output } => {
                image::compose(topology.as_deref(), output.as_deref(), &state).await
            }
            Command::Serve(role) => serve::run(role).await,
        }
    });
    match result {
        Ok(code) => code,
        Err(e) => {
            eprint!("{}", error_lines(&e));
            if input::is_invalid(&e) || is_busy(&e) {
                ExitCode::from(input::INVALID_INPUT)
            } else {
                ExitCode::FAILURE
            }
        }
    }
}

/// Whether the run was refused because another lab or run holds the plan's subnets: invalid to
/// run now, which scripts and CI tell apart from a failed run by the same exit code as bad input.
fn is_busy(e: &anyhow::Error) -> bool {
    use crate::backend::BackendError;
    use crate::lab::LabError;
    e.chain().any(|cause| {
        cause.downcast_ref::<BackendError>().is_some_and(BackendError::is_busy)
            || cause.downcast_ref::<LabError>().is_some_and(LabError::is_busy)
    })
}

/// An error and its causes, one line each: `error: ...`, then `  caused by: ...`. A cause a
/// message above already quotes (`cannot X: {source}`) is not printed again.
fn error_lines(e: &anyhow::Error) -> String {
    let mut out = String::new();
    let mut above: Vec<String> = Vec::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if above.iter().any(|line| line.contains(&text)) {
            continue;
        }
        let lead = if above.is_empty() { "error: " } else { "  caused by: " };
        out.push_str(&format!("{lead}{text}\n"));
        above.push(text);
    }
    out
}

#[cfg(test)]
mod tests {
    #[derive(Debug, thiserror::Error)]
    #[error("disk on fire")]
    struct Fire;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot write the store: {0}")]
    struct Quoting(#[source] Fire);

    #[derive(Debug, thiserror::Error)]
    #[error("the tenant did not start")]
    struct Plain(#[source] Quoting);

    #[test]
    fn each_cause_is_printed_once_on_its_own_line() {
        let e = anyhow::Error::new(Plain(Quoting(Fire)));
        assert_eq!(
            super::error_lines(&e),
            "error: the tenant did not start\n  caused by: cannot write the store: disk on fire\n"
        );
    }
}
