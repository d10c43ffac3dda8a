//! `up`, `down`, `run` and `status`: starting a lab and working with it.

use crate::backend::{BackendKind, DnsStart, SavedBackend};
use crate::lab::LabFileError;
use crate::lab::{Lab, LabError, LabFile, LabOptions, RunOn};
use crate::report::provenance::utc;
use anyhow::Context;
use clap::Args;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

#[derive(Args)]
pub struct Up {
    /// The deployment plan (default: the seed's adatum.biz).
    #[arg(long)]
    topology: Option<PathBuf>,
    #[arg(long, value_enum, default_value_t = BackendKind::Embedded)]
    backend: BackendKind,
    /// Lab seconds per real second (3600: a 24-hour replication window passes in 24 seconds).
    /// Without it the clock stands still and moves only with `bypass-lab clock advance`.
    #[arg(long)]
    time_speed: Option<f64>,
    /// How the DNS server starts: `planned` (the topology's policies) or `empty` (your own
    /// runbook builds the zone, client subnets, zone scopes, records and policies).
    #[arg(long, value_enum, default_value_t = DnsStart::Planned)]
    dns: DnsStart,
    /// Containers: the lab's online network (tenant, appliances' and clients' links to it), a
    /// /24 or larger this host does not use. Default: the first free 172.30.x.0/24.
    #[arg(long)]
    online_subnet: Option<ipnet::Ipv4Net>,
    /// Containers: when another lab or run holds the plan's subnets on the Docker engine, wait
    /// for this lab's turn (up to DURATION, default 30m) instead of being refused at once. The
    /// environment's BYPASS_LAB_WAIT=DURATION does the same.
    #[arg(long, value_name = "DURATION", num_args = 0..=1, default_missing_value = crate::cli::input::DEFAULT_WAIT, value_parser = crate::cli::input::duration)]
    wait: Option<std::time::Duration>,
}

#[derive(Args)]
pub struct Down {
    /// Remove this containers lab (an id from `bypass-lab ls`) instead of the one described here.
    #[arg(long)]
    lab: Option<String>,
}

#[derive(Args)]
pub struct Run {
    /// The runbook file, or - for standard input.
    file: String,
    /// Run on this appliance's Mediation Server (name or address) instead of against the tenant.
    #[arg(long)]
    on: Option<String>,
    /// Print objects as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
pub struct Status {
    #[arg(long)]
    json: bool,
}

pub async fn up(args: Up, state: &Path) -> anyhow::Result<ExitCode> {
    args.backend.built()?;
    if let Ok(file) = LabFile::read(state) {
        if file.backend.still_running().await? {
            // Refused as a busy plan is: nothing was tried, and nothing failed.
            return Err(crate::cli::input::InvalidInput::msg(format!(
                "a lab is already running (described in {}); stop it with `bypass-lab down`, or start another \
                 in another folder with `bypass-lab --state DIR up`",
                LabFile::path(state).display()
            ))
            .into());
        }
        if holds_data(&state.join("data")) {
            return Err(crashed(&file, state).into());
        }
    }
    let topology = crate::cli::input::topology(args.topology.as_deref())?;
    let time_speed = args.time_speed.unwrap_or(0.0);
    if time_speed < 0.0 || !time_speed.is_finite() {
        anyhow::bail!("--time-speed must be 0 or more, not {time_speed}");
    }
    let options = LabOptions {
        backend: args.backend,
        data_dir: Some(state.join("data")),
        control: true,
        dns: args.dns,
        lab_file: Some(LabFile::path(state)),
        online_subnet: args.online_subnet,
        wait: crate::cli::input::wait(args.wait)?,
        progress: Arc::new(|line: &str| eprintln!("{line}")),
    };
    // Before anything is removed or started: another lab or run may hold the plan's subnets.
    // Kept until the lab file holds the lab.
    let turn = tokio::select! {
        turn = options.take_turn(&topology, &|line: &str| eprintln!("{line}")) => Some(turn?),
        _ = crate::cli::serve::stop_signal() => None,
    };
    let Some(turn) = turn else { return crate::cli::ls::interrupted(args.backend).await };
    // Without a lab file, what is left of data/ is a start that never became ready or a stop cut
    // short: no write was acknowledged from it, and it is not this lab's.
    let _ = std::fs::remove_dir_all(state.join("data"));
    // Interrupted while starting, the dropped start removes what it created.
    let started = tokio::select! {
        lab = Lab::start(topology, options) => Some(lab),
        _ = crate::cli::serve::stop_signal() => None,
    };
    let Some(lab) = started else { return crate::cli::ls::interrupted(args.backend).await };
    let lab = lab?;
    lab.save(state)?;
    turn.release().await?;
    println!("lab ready");
    print_roles(&lab);
    if lab.outlives_process() {
        println!("\nThe lab keeps running in containers; stop it with `bypass-lab down`.");
        return Ok(ExitCode::SUCCESS);
    }
    println!("\n{}", clock_line(time_speed));
    let ticker = lab.run_clock(time_speed);
    crate::cli::serve::stop_signal().await;
    if let Some(t) = ticker {
        t.abort();
    }
    LabFile::remove(state);
    lab.stop().await?;
    remove_data(state);
    println!("lab stopped");
    Ok(ExitCode::SUCCESS)
}

/// Whether a lab's data folder holds anything (a missing folder holds nothing).
fn holds_data(data: &Path) -> bool {
    std::fs::read_dir(data).is_ok_and(|mut entries| entries.next().is_some())
}

/// The refusal of `up` where a lab ended without `down` and left its data: starting afresh would
/// drop every write the lab acknowledged (tenant, DNS, LocalStores) without a word, so the user
/// chooses, by discarding it with `down` or by starting in another folder.
fn crashed(file: &LabFile, state: &Path) -> crate::cli::input::InvalidInput {
    let lab = match &file.backend {
        SavedBackend::Embedded { pid, .. } => format!("the lab of process {pid}"),
        SavedBackend::Containers(saved) => format!("lab {}", saved.lab),
    };
    let plan = file.topology_origin.as_ref().map(|p| format!(" (plan {})", p.display())).unwrap_or_default();
    let started = file.started.map(|s| format!(", started {},", utc(s))).unwrap_or_default();
    crate::cli::input::InvalidInput::msg(format!(
        "a lab ended here without `bypass-lab down`: {lab}{plan}{started} described in {}, is no longer \
         running, and its data (the tenant, the DNS servers, the appliances' LocalStores) is kept in {}. \
         Discard it with `bypass-lab down`, or start a lab in another folder with `bypass-lab --state DIR up`",
        LabFile::path(state).display(),
        state.join("data").display()
    ))
}

/// How lab time moves in this lab, and how to move it.
fn clock_line(speed: f64) -> String {
    if speed > 0.0 {
        format!("Lab time moves at {speed}x real time (`bypass-lab clock now` reads it); Ctrl-C stops the lab.")
    } else {
        "Lab time stands still: move it with `bypass-lab clock advance 24h` (one replication window in the \
         seed), or start with `--time-speed 3600` to let it run. Ctrl-C stops the lab."
            .to_string()
    }
}

fn print_roles(lab: &Lab) {
    let e = lab.endpoints();
    let t = lab.topology();
    let mut rows: Vec<[String; 4]> = vec![
        ["ROLE".into(), "NAME".into(), "ADDRESS".into(), "ENDPOINT".into()],
        ["tenant".into(), "Skype for Business Online".into(), "-".into(), e.tenant.clone()],
    ];
    if e.dns_servers.is_empty() {
        rows.push(["dns".into(), "internal DNS".into(), "-".into(), format!("{} (management {})", e.dns, e.dns_admin)]);
    }
    for server in &e.dns_servers {
        let at = server.address.to_string();
        rows.push(["dns".into(), server.name.clone(), at, format!("{} (management {})", server.dns, server.admin)]);
    }
    for (site, a) in t.appliances() {
        let url = e.appliances.get(&a.name).cloned().unwrap_or_default();
        rows.push(["appliance".into(), a.name.clone(), a.address.to_string(), format!("{url} ({})", site.name)]);
    }
    for (at, url) in &e.clients {
        rows.push(["clients".into(), "client host".into(), at.clone(), url.clone()]);
    }
    print!("{}", table(&rows));
}

/// Rows in columns as wide as their widest cell (the last column is left as it is).
pub fn table<const N: usize>(rows: &[[String; N]]) -> String {
    let mut widths = [0usize; N];
    for row in rows {
        for (i, cell) in row.iter().enumerate() {
            widths[i] = widths[i].max(cell.chars().count());
        }
    }
    let mut out = String::new();
    for row in rows {
        let mut line = String::new();
        for (i, cell) in row.iter().enumerate() {
            if i + 1 == N {
                line.push_str(cell);
            } else {
                line.push_str(&format!("{cell:<w$}  ", w = widths[i]));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

pub async fn down(args: Down, state: &Path) -> anyhow::Result<ExitCode> {
    if let Some(id) = &args.lab {
        return crate::cli::ls::down_lab(id, state).await;
    }
    let file = match LabFile::read(state) {
        Ok(f) => f,
        Err(e @ LabFileError::OtherFormat { .. }) => anyhow::bail!("{e}"),
        Err(reason) => {
            println!("no lab is running here ({reason})");
            return crate::cli::ls::down_without_file(state).await;
        }
    };
    let removed = file.backend.remove().await.with_context(|| {
        format!(
            "the lab described in {} was not removed; its data stays in {}",
            LabFile::path(state).display(),
            state.join("data").display()
        )
    })?;
    println!("{removed}");
    LabFile::remove(state);
    remove_data(state);
    println!("lab removed (lab.json and {})", state.join("data").display());
    Ok(ExitCode::SUCCESS)
}

/// The data an embedded lab kept under the state folder (tenant store, LocalStores, logs).
fn remove_data(state: &Path) {
    let _ = std::fs::remove_dir_all(state.join("data"));
    // The folder itself too, when nothing else was put there.
    let _ = std::fs::remove_dir(state);
}

/// The lab described in `state`, or why none is running, in words: after a crash the lab.json
/// stays behind, and its endpoints would only give connection errors.
pub async fn attach(state: &Path) -> anyhow::Result<Lab> {
    Ok(Lab::attach(state).await?)
}

pub async fn run(args: Run, state: &Path) -> anyhow::Result<ExitCode> {
    // Read as PowerShell does: a byte order mark chooses UTF-8 or UTF-16 (Windows tools write one).
    let (source, file) = crate::cli::input::runbook(Path::new(&args.file))?;
    let name = file.as_deref();
    let lab = attach(state).await?;
    let on = match &args.on {
        Some(a) => RunOn::Appliance(a.clone()),
        None => RunOn::AdminSession,
    };
    // As a console shows it: each statement and its output on standard output, each error on
    // standard error in PowerShell's layout, in the order they happened.
    let print = |transcript: &crate::runbook::Transcript| -> anyhow::Result<()> {
        if args.json {
            println!("{}", serde_json::to_string_pretty(&transcript.to_json())?);
            for error in transcript.failures() {
                eprint!("{}", error.render_in(&source, name));
            }
            return Ok(());
        }
        let mut out = std::io::stdout();
        for step in &transcript.steps {
            let mut shown = step.clone();
            shown.errors.clear();
            write!(out, "{}", shown.render_in(&transcript.views, &source, name))?;
            out.flush()?;
            for error in &step.errors {
                eprint!("{}", error.render_in(&source, name));
            }
        }
        Ok(())
    };
    match lab.run_runbook(&source, &on).await {
        Ok(transcript) => {
            print(&transcript)?;
            Ok(if transcript.succeeded() { ExitCode::SUCCESS } else { ExitCode::FAILURE })
        }
        Err(LabError::Runbook(failure)) => {
            let mut before = failure.transcript.clone();
            // The stopping error is printed once, below.
            if let Some(last) = before.steps.last_mut() {
                last.errors
                    .retain(|e| (e.line, e.column, &e.message) != (failure.line, failure.column, &failure.message));
            }
            print(&before)?;
            eprint!("{}", failure.render_in(&source, name));
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn status(args: Status, state: &Path) -> anyhow::Result<ExitCode> {
    let lab = attach(state).await?;
    crate::cli::status::print(&lab, args.json).await?;
    Ok(ExitCode::SUCCESS)
}
