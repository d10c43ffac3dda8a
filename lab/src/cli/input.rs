//! What the user hands a verb: a plan and a runbook, from a file or from standard input (`-`).
//! Input that cannot be read or is not valid is refused before any lab starts, with exit code 2
//! whichever verb was given it, so scripts can tell a mistake in their input from a failed run.

use crate::topology::Topology;
use std::io::Read;
use std::path::Path;

/// The exit code of a verb refused its input.
pub const INVALID_INPUT: u8 = 2;

/// The name `-` is shown as in messages and reports.
pub const STANDARD_INPUT: &str = "standard input";

/// Input a verb refused before starting anything; `main` exits with [`INVALID_INPUT`] on it.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct InvalidInput(#[from] anyhow::Error);

impl InvalidInput {
    pub fn msg(message: impl std::fmt::Display) -> InvalidInput {
        InvalidInput(anyhow::anyhow!("{message}"))
    }
}

/// Whether an error (anywhere in its chain) is one of [`InvalidInput`].
pub fn is_invalid(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| cause.is::<InvalidInput>())
}

/// What `--wait` without a duration waits: a suite's few minutes many times over, well within a
/// CI job's own timeout.
pub const DEFAULT_WAIT: &str = "30m";

/// A duration as `--wait` takes it (`10m`, `1h30m`).
pub fn duration(text: &str) -> Result<std::time::Duration, crate::clock::DurationError> {
    crate::clock::parse_duration(text)
}

/// How long a run may wait for its turn on a shared engine: `--wait`, else `BYPASS_LAB_WAIT`.
pub fn wait(flag: Option<std::time::Duration>) -> Result<Option<std::time::Duration>, InvalidInput> {
    match flag {
        Some(wait) => Ok(Some(wait)),
        None => crate::backend::wait_from_env().map_err(|e| InvalidInput(e.into())),
    }
}

/// The bytes of `path`, or of standard input when it is `-`.
fn bytes(path: &Path) -> std::io::Result<Vec<u8>> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::stdin().read_to_end(&mut bytes)?;
        return Ok(bytes);
    }
    std::fs::read(path)
}

/// The plan in `path` (`-`: standard input), the seed's without one.
pub fn topology(path: Option<&Path>) -> Result<Topology, InvalidInput> {
    let Some(path) = path else { return Ok(Topology::seed()) };
    if path != Path::new("-") {
        return Topology::load(path).map_err(|e| InvalidInput(e.into()));
    }
    let bytes =
        bytes(path).map_err(|e| InvalidInput::msg(format!("cannot read the topology from {STANDARD_INPUT}: {e}")))?;
    let text = String::from_utf8(bytes)
        .map_err(|e| InvalidInput::msg(format!("the topology on {STANDARD_INPUT} is not UTF-8: {e}")))?;
    Topology::parse(&text, Some(Path::new(STANDARD_INPUT))).map_err(|e| InvalidInput(e.into()))
}

/// A runbook's text, read as PowerShell reads a script (a byte order mark chooses the encoding),
/// and the name its errors are placed in: the file, or none for standard input, which PowerShell
/// places as `At line:L char:C`.
pub fn runbook(path: &Path) -> Result<(String, Option<String>), InvalidInput> {
    let stdin = path == Path::new("-");
    let name = if stdin { STANDARD_INPUT.to_string() } else { path.display().to_string() };
    let read = |reason: String| InvalidInput::msg(format!("cannot read runbook {name}: {reason}"));
    let bytes = bytes(path).map_err(|e| read(e.to_string()))?;
    let text = crate::runbook::encoding::decode(&bytes).map_err(|e| read(e.to_string()))?;
    Ok((text, (!stdin).then(|| path.display().to_string())))
}

/// Whether both the plan and the runbook were asked for from standard input, which holds one.
pub fn both_from_stdin(topology: Option<&Path>, runbook: &Path) -> bool {
    topology == Some(Path::new("-")) && runbook == Path::new("-")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_invalid_input_and_says_which() {
        let e: anyhow::Error = runbook(Path::new("no-such-runbook.ps1")).unwrap_err().into();
        assert!(is_invalid(&e) && e.to_string().starts_with("cannot read runbook no-such-runbook.ps1"), "{e}");
        let e: anyhow::Error = topology(Some(Path::new("no-such-plan.toml"))).unwrap_err().into();
        assert!(is_invalid(&e.context("while starting")), "a context keeps it invalid input");
    }

    #[test]
    fn standard_input_is_asked_for_once() {
        assert!(both_from_stdin(Some(Path::new("-")), Path::new("-")));
        assert!(!both_from_stdin(None, Path::new("-")));
    }
}
