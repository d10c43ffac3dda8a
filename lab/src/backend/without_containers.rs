//! What a build without the `containers` feature has in place of the containers backend: runs
//! that take no turn, and a refusal that says how to build the backend for whatever asks for it.

use super::BackendError;
use std::time::Duration;

/// A run's hold on its plan's subnets. Without containers labs there are none to hold: embedded
/// labs never meet.
#[derive(Debug)]
pub struct Turn {
    /// How long the run waited for it.
    pub waited: Duration,
}

impl Turn {
    /// A turn that holds nothing.
    pub fn none() -> Turn {
        Turn { waited: Duration::ZERO }
    }

    /// Nothing to give back.
    pub async fn release(self) -> Result<(), BackendError> {
        Ok(())
    }
}

/// `wanted` (a containers lab, `bypass-lab ls`) cannot be had from this build.
pub fn refusal(wanted: &str) -> BackendError {
    BackendError::ContainersNotBuilt { wanted: wanted.to_string() }
}
