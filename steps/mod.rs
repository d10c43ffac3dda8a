//! Step definitions for the features in `features/`: one module per domain concept, all talking
//! to a lab only through the [`crate::lab::Lab`] handle. Compiled into the library so that
//! `cargo test` (tests/features.rs) and `bypass-lab rehearse` run the very same steps.

mod appliance;
pub mod catalogue;
mod client;
mod dns;
mod each;
mod faults;
pub mod preflight;
mod rehearsal;
mod runbook;
mod tenant;
mod world;

pub use rehearsal::{rehearse, InvalidFeatures, Outcome, Rehearsal, BUILT_IN_FEATURES};
pub use world::LabWorld;
