//! Rehearsing an admin's own rollout: their runbook in phases against a lab of their plan, and a
//! verdict for every site and subnet after each phase.

pub mod model;

pub use model::{ApplianceRow, Decision, Finding, PhaseVerdict, RehearsalReport, Severity, SubnetRow, WebServiceVerdict};
