//! `bypass-lab image build` and `bypass-lab compose`: the lab image and the Compose file.

use crate::lab::LabFile;
use anyhow::Context;
use std::path::Path;
use std::process::ExitCode;

/// Builds `bypass-lab:<version>` from a static binary, unless the engine has it already.
#[cfg(not(feature = "containers"))]
pub async fn build() -> anyhow::Result<ExitCode> {
    Err(crate::backend::containers_not_built("`bypass-lab image build`").into())
}

/// Builds `bypass-lab:<version>` from a static binary, unless the engine has it already.
#[cfg(feature = "containers")]
pub async fn build() -> anyhow::Result<ExitCode> {
    let image = crate::backend::containers::image::build_image(&|line: &str| eprintln!("{line}")).await?;
    println!("{image}");
    Ok(ExitCode::SUCCESS)
}

/// Writes the Compose file of a topology (the seed's by default) to `output` with the lab file
/// that drives it, or prints it.
pub async fn compose(topology: Option<&Path>, output: Option<&Path>, state: &Path) -> anyhow::Result<ExitCode> {
    let topology = crate::cli::input::topology(topology)?;
    let text = crate::backend::containers::compose_file(&topology);
    let Some(path) = output else {
        print!("{text}");
        return Ok(ExitCode::SUCCESS);
    };
    if let Ok(file) = LabFile::read(state) {
        if file.backend.still_running().await? {
            anyhow::bail!(
                "a lab is already running (described in {}); stop it with `bypass-lab down` first",
                LabFile::path(state).display()
            );
        }
    }
    let lab_file = LabFile::for_compose(&topology)?;
    std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
    lab_file.write(state).with_context(|| format!("cannot write {}", LabFile::path(state).display()))?;
    eprintln!(
        "wrote {} and {}; start it with `docker-compose -f {} up -d`, then use bypass-lab as with `up`",
        path.display(),
        LabFile::path(state).display(),
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}
