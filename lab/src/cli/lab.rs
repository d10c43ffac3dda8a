//! `up`, `down`, `run` and `status`: starting a lab and working with it.

use anyhow::Context;
use bypass_lab::backend::BackendKind;
use bypass_lab::clock::format_duration;
use bypass_lab::lab::{Lab, LabError, LabFile, LabOptions, RunOn};
use bypass_lab::topology::Topology;
use clap::Args;
use std::io::Read;
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
    /// Lab seconds per real second; 0 stops the clock so it moves only with `clock advance`.
    /// The default lets a 24-hour replication window pass in 24 seconds.
    #[arg(long, default_value_t = 3600.0)]
    time_speed: f64,
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
    if let Ok(file) = LabFile::read(state) {
        if file.pid.is_some_and(alive) || crate::cli::ls::still_there(&file).await? {
            anyhow::bail!(
                "a lab is already running (described in {}); stop it with `bypass-lab down`",
                LabFile::path(state).display()
            );
        }
    }
    let topology = Topology::load_or_seed(args.topology.as_deref())?;
    if args.time_speed < 0.0 || !args.time_speed.is_finite() {
        anyhow::bail!("--time-speed must be 0 or more, not {}", args.time_speed);
    }
    let options = LabOptions {
        backend: args.backend,
        data_dir: Some(state.join("data")),
        control: true,
        lab_file: Some(LabFile::path(state)),
        progress: Arc::new(|line: &str| eprintln!("{line}")),
    };
    if args.backend == BackendKind::Embedded {
        let _ = std::fs::remove_dir_all(state.join("data"));
    }
    // Interrupted while starting, the dropped start removes what it created.
    let started = tokio::select! {
        lab = Lab::start(topology, options) => Some(lab),
        _ = crate::cli::serve::stop_signal() => None,
    };
    let Some(lab) = started else { return crate::cli::ls::interrupted(args.backend).await };
    let lab = lab?;
    lab.save(state)?;
    println!("lab ready");
    print_roles(&lab);
    if args.backend == BackendKind::Containers {
        println!("\nThe lab keeps running in containers; stop it with `bypass-lab down`.");
        return Ok(ExitCode::SUCCESS);
    }
    println!("\nLab time moves at {}x; Ctrl-C stops the lab.", args.time_speed);
    let ticker = lab.run_clock(args.time_speed);
    crate::cli::serve::stop_signal().await;
    if let Some(t) = ticker {
        t.abort();
    }
    LabFile::remove(state);
    lab.stop().await?;
    println!("lab stopped");
    Ok(ExitCode::SUCCESS)
}

fn print_roles(lab: &Lab) {
    let e = lab.endpoints();
    let t = lab.topology();
    println!("{:<10} {:<22} {:<16} {}", "ROLE", "NAME", "ADDRESS", "ENDPOINT");
    println!("{:<10} {:<22} {:<16} {}", "tenant", "Skype for Business Online", "-", e.tenant);
    println!("{:<10} {:<22} {:<16} {} (management {})", "dns", "internal DNS", "-", e.dns, e.dns_admin);
    for (site, a) in t.appliances() {
        let url = e.appliances.get(&a.name).cloned().unwrap_or_default();
        println!("{:<10} {:<22} {:<16} {} ({})", "appliance", a.name, a.address, url, site.name);
    }
    for (at, url) in &e.clients {
        println!("{:<10} {:<22} {:<16} {}", "clients", "client host", at, url);
    }
}

pub async fn down(args: Down, state: &Path) -> anyhow::Result<ExitCode> {
    if let Some(id) = &args.lab {
        return crate::cli::ls::down_lab(id, state).await;
    }
    let file = match LabFile::read(state) {
        Ok(f) => f,
        Err(reason) => {
            println!("no lab is running here ({reason})");
            return crate::cli::ls::down_without_file(state).await;
        }
    };
    match file.backend {
        BackendKind::Embedded => {
            if let Some(pid) = file.pid.filter(|p| alive(*p)) {
                let pid = rustix::process::Pid::from_raw(pid as i32).context("a process id")?;
                rustix::process::kill_process(pid, rustix::process::Signal::TERM)
                    .with_context(|| format!("cannot signal the lab's process {pid:?}"))?;
                println!("asked the lab (process {}) to stop", pid.as_raw_nonzero());
            }
            LabFile::remove(state);
        }
        BackendKind::Containers => {
            // By id, without attaching: a lab partly gone is removed all the same.
            let id = file.containers_lab().context("the lab file names no containers lab")?;
            let swept = bypass_lab::backend::containers::remove_lab(&id).await?;
            LabFile::remove(state);
            println!("lab {id} removed: {swept}");
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

pub async fn run(args: Run, state: &Path) -> anyhow::Result<ExitCode> {
    let source = if args.file == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read the runbook from standard input")?;
        text
    } else {
        std::fs::read_to_string(&args.file).with_context(|| format!("cannot read runbook {}", args.file))?
    };
    let lab = Lab::attach(state).await?;
    let on = match &args.on {
        Some(a) => RunOn::Appliance(a.clone()),
        None => RunOn::Tenant,
    };
    match lab.run_runbook(&source, &on).await {
        Ok(transcript) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&transcript.to_json())?);
            } else {
                print!("{}", transcript.render());
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(LabError::Runbook(failure)) => {
            if args.json {
                println!("{}", serde_json::to_string_pretty(&failure.transcript.to_json())?);
            } else {
                print!("{}", failure.transcript.render());
            }
            eprintln!("{}: {}", args.file, failure.render());
            Ok(ExitCode::FAILURE)
        }
        Err(e) => Err(e.into()),
    }
}

pub async fn status(args: Status, state: &Path) -> anyhow::Result<ExitCode> {
    let lab = Lab::attach(state).await?;
    let rows = lab.status().await?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{:<12} {:<12} {:<16} {:>8} {:<10} {:<16} {}",
        "SITE", "APPLIANCE", "ADDRESS", "VERSION", "WEB", "TENANT", "LAST SYNC"
    );
    for row in rows {
        match (&row.status, &row.error) {
            (Some(s), _) => println!(
                "{:<12} {:<12} {:<16} {:>8} {:<10} {:<16} {}",
                s.site_name,
                s.appliance_name,
                s.mediation_server_ip_address,
                s.replicated_version.map(|v| v.to_string()).unwrap_or_else(|| "-".into()),
                format!("{:?}", s.web_service_state),
                if s.tenant_reachable { "reachable".to_string() } else { "UNREACHABLE".to_string() },
                s.last_successful_sync.map(format_duration).unwrap_or_else(|| "never".into()),
            ),
            (None, error) => println!(
                "{:<12} {:<12} {:<16} {:>8} {:<10} {:<16} {}",
                row.site,
                row.appliance,
                row.address,
                "-",
                "DOWN",
                "-",
                error.as_deref().unwrap_or("no answer")
            ),
        }
    }
    Ok(ExitCode::SUCCESS)
}
