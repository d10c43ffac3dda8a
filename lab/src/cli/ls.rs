//! `bypass-lab ls`, and removing containers labs by what can be proven about them: the labs on
//! the Docker engine, whoever started them.

#[cfg(feature = "containers")]
use crate::backend::containers::{self, LabEntry};
#[cfg(feature = "containers")]
use crate::lab::LabFile;
use std::path::Path;
use std::process::ExitCode;

/// Lists every containers lab on the engine.
#[cfg(not(feature = "containers"))]
pub async fn ls() -> anyhow::Result<ExitCode> {
    Err(crate::backend::containers_not_built("`bypass-lab ls`").into())
}

/// Lists every containers lab on the engine.
#[cfg(feature = "containers")]
pub async fn ls() -> anyhow::Result<ExitCode> {
    let docker = containers::connect().await?;
    let labs = containers::labs(&docker).await?;
    if labs.is_empty() {
        println!("no containers lab on this engine");
    } else {
        print_labs(&labs);
    }
    print_queue(&containers::queue::places(&docker).await?);
    Ok(ExitCode::SUCCESS)
}

/// The runs waiting for their turn (or holding it), in the order they are served.
#[cfg(feature = "containers")]
fn print_queue(places: &[containers::queue::Place]) {
    let mut waiting: Vec<_> = places.iter().filter(|p| p.stage == containers::queue::Stage::Waiting).collect();
    if waiting.is_empty() {
        return;
    }
    waiting.sort_by(|a, b| (a.number, &a.ticket).cmp(&(b.number, &b.ticket)));
    println!("\n{:<6} {:<8} {:>10}  {:<40} SUBNETS", "QUEUE", "STATE", "AGE", "RUN");
    for place in waiting {
        let run = place.owner.as_ref().map(|o| o.describe()).unwrap_or_else(|| "-".into());
        let age = place.owner.as_ref().map(|o| o.age()).unwrap_or_else(|| "-".into());
        let subnets = place.subnets.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        println!("{:<6} {:<8} {:>10}  {:<40} {}", place.number, place.liveness.word(), age, run, subnets);
        if let Some(command) = place.owner.as_ref().and_then(|o| o.command.as_ref()) {
            println!("{:<6} command: {command}", "");
        }
    }
}

#[cfg(feature = "containers")]
pub fn print_labs(labs: &[LabEntry]) {
    println!("{:<10} {:<8} {:>10} {:>10}  {:<40} SUBNETS", "LAB", "STATE", "AGE", "CONTAINERS", "OWNER");
    for lab in labs {
        let running = lab.containers.iter().filter(|(_, up)| *up).count();
        let subnets = lab.subnets().map(ToString::to_string).collect::<Vec<_>>().join(", ");
        let owner = lab.owner.as_ref().map(|o| o.describe()).unwrap_or_else(|| "-".into());
        let age = lab.owner.as_ref().map(|o| o.age()).unwrap_or_else(|| "-".into());
        println!(
            "{:<10} {:<8} {:>10} {:>10}  {:<40} {}",
            lab.id,
            lab.liveness.word(),
            age,
            format!("{running}/{}", lab.containers.len()),
            owner,
            subnets
        );
        // The roles `status` shows DOWN, by their names in the plan.
        let prefix = format!("bypass-lab-{}-", lab.id);
        let down: Vec<&str> =
            lab.containers.iter().filter(|(_, up)| !*up).map(|(n, _)| n.trim_start_matches(&prefix)).collect();
        if !down.is_empty() {
            println!("{:<10} down: {}", "", down.join(", "));
        }
    }
}

/// `down --lab ID`: that lab, whoever holds it; the lab file here goes too when it names it.
#[cfg(not(feature = "containers"))]
pub async fn down_lab(id: &str, _state: &Path) -> anyhow::Result<ExitCode> {
    Err(crate::backend::containers_not_built(&format!("`bypass-lab down --lab {id}`")).into())
}

/// `down --lab ID`: that lab, whoever holds it; the lab file here goes too when it names it.
#[cfg(feature = "containers")]
pub async fn down_lab(id: &str, state: &Path) -> anyhow::Result<ExitCode> {
    let docker = containers::connect().await?;
    if !containers::labs(&docker).await?.iter().any(|l| l.id == id) {
        anyhow::bail!("no containers lab {id} on this engine (see `bypass-lab ls`)");
    }
    let swept = containers::remove_lab(id).await?;
    if LabFile::read(state).ok().and_then(|f| f.containers_lab()).as_deref() == Some(id) {
        LabFile::remove(state);
    }
    println!("lab {id} removed: {swept}");
    Ok(ExitCode::SUCCESS)
}

/// `down` without a lab file: without the containers backend, no lab outlives its process, so
/// there is nothing to remove.
#[cfg(not(feature = "containers"))]
pub async fn down_without_file(_state: &Path) -> anyhow::Result<ExitCode> {
    Ok(ExitCode::SUCCESS)
}

/// `down` without a lab file: only labs this state directory's lab file owned are provably
/// ours; any other lab is listed, never touched.
#[cfg(feature = "containers")]
pub async fn down_without_file(state: &Path) -> anyhow::Result<ExitCode> {
    let Ok(docker) = containers::connect().await else { return Ok(ExitCode::SUCCESS) };
    let path = std::path::absolute(LabFile::path(state))?;
    let labs = containers::labs(&docker).await?;
    let (ours, others): (Vec<_>, Vec<_>) =
        labs.into_iter().partition(|l| l.owner.as_ref().and_then(|o| o.file.as_ref()) == Some(&path));
    for lab in &ours {
        let swept = containers::remove_lab(&lab.id).await?;
        println!("removed lab {} that {} described: {swept}", lab.id, path.display());
    }
    if !others.is_empty() {
        println!("\nother containers labs on this engine (left untouched):");
        print_labs(&others);
        println!("\nto remove one: `bypass-lab down --lab ID`");
    }
    Ok(ExitCode::SUCCESS)
}

/// After SIGINT or SIGTERM while starting or rehearsing: removes every lab this process
/// holds, says what went, and fails.
pub async fn interrupted(backend: crate::backend::BackendKind) -> anyhow::Result<ExitCode> {
    eprintln!("interrupted: removing what this process started");
    for removed in backend.remove_this_process_labs().await? {
        eprintln!("{removed}");
    }
    Ok(ExitCode::from(130))
}
