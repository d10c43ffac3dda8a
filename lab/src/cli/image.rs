//! `bypass-lab image build` and `bypass-lab compose`: the lab image and the Compose file.

use anyhow::Context;
use bypass_lab::topology::Topology;
use std::path::Path;
use std::process::ExitCode;

/// Builds `bypass-lab:<version>` from a static binary, unless the engine has it already.
pub async fn build() -> anyhow::Result<ExitCode> {
    let image = bypass_lab::image::build_image(&|line: &str| eprintln!("{line}")).await?;
    println!("{image}");
    Ok(ExitCode::SUCCESS)
}

/// Writes the Compose file of a topology (the seed's by default) to `output`, or prints it.
pub async fn compose(topology: Option<&Path>, output: Option<&Path>) -> anyhow::Result<ExitCode> {
    let topology = Topology::load_or_seed(topology)?;
    let text = bypass_lab::backend::containers::compose_file(&topology);
    match output {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("cannot write {}", path.display()))?;
            eprintln!("wrote {}; start it with `docker-compose -f {} up`", path.display(), path.display());
        }
        None => print!("{text}"),
    }
    Ok(ExitCode::SUCCESS)
}
