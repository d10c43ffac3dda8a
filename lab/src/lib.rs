//! bypass-lab: rehearse media bypass in Skype for Business Cloud Connector Edition.
//!
//! # Layout
//! - [`topology`]: the deployment plan (tenant, sites, appliances, outside), read from TOML.
//! - [`clock`]: the virtual clock that makes "up to 24 hours" of replication take milliseconds.
//! - [`auth`]: the credentials of administrators, appliances, users and the lab itself.
//! - [`tenant`]: the mock Skype for Business Online tenant (hybrid and network configuration,
//!   appliances, client provisioning).
//! - [`dns`]: the internal DNS server with Windows Server 2016 query resolution policies.
//! - [`mediation`]: a CCE appliance's Mediation Server: replication, LocalStore, the hybridconfig
//!   web service, PSTN calls.
//! - [`client`]: Skype for Business clients at an address in a site or outside.
//! - [`runbook`]: the runner for the PowerShell lines admins paste from runbooks.
//! - [`backend`]: where roles run (embedded in this process, or in containers, with the lab's one
//!   container image), and what differs between the two: starting, lab time, the saved state.
//! - `allocator`: the process's memory allocator (mimalloc), for every binary of the crate.
//! - `fnv`: the FNV-1a hash behind every choice that must replay the same in every run.
//! - [`seal`]: the checksum every record the lab stores carries, verified when it is read back.
//! - [`role_tasks`]: a role's work beside its listener, watched: a panic stops the role.
//! - [`http`]: what every role's HTTP client does the same way, and how every role serves: a
//!   body read only once its route accepted the request, within the process's descriptors.
//! - [`rollout`]: rehearsing an admin's own runbook in phases, with a verdict per site and subnet.
//! - [`report`]: what people read: the topology picture (SVG, Mermaid, DOT) and the HTML reports.
//! - [`lab`]: the one handle the CLI, the runbook runner and the features drive a lab through.
//! - `cli`: the `bypass-lab` command line, the binary's edge (anyhow errors, exit codes). It is
//!   compiled here rather than in the binary's own crate: a release build then compiles the
//!   generic code it shares with the library (the runtime, HTTP, serde) once, not twice.
//! - `steps`: the features' step definitions (kept in the top-level `steps/` folder; the
//!   `rehearsal` feature, on by default).

mod allocator;
pub mod auth;
pub mod backend;
#[doc(hidden)]
pub mod cli;
pub mod client;
pub mod clock;
pub mod dns;
mod fnv;
pub mod http;
pub mod lab;
pub mod mediation;
pub mod ports;
pub mod report;
pub mod role_tasks;
pub mod rollout;
pub mod runbook;
pub mod seal;
pub mod tenant;
pub mod terminal;
pub mod topology;

/// The features' step definitions (the top-level `steps/` folder), shared by `cargo test` and
/// `bypass-lab rehearse`. Behind the `rehearsal` feature: the role image's binary leaves them out.
#[cfg(feature = "rehearsal")]
#[path = "../../steps/mod.rs"]
pub mod steps;
