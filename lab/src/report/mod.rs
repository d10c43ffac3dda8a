//! What a rehearsal shows people: the topology picture and the HTML pages written beside the
//! machine-readable reports.
//!
//! Everything here is pure rendering: a [`crate::rollout::RehearsalReport`], a
//! [`crate::topology::Topology`] or a Cucumber JSON file in, text out. Nothing opens a socket, so
//! the pages can be rendered and checked without a lab.
//!
//! The pages are self-contained on purpose: admins attach them to change tickets and open them on
//! machines that must not fetch anything, so they carry their CSS inline, no scripts and no links
//! that load.

pub mod cucumber_json;
pub mod dns_plan;
pub mod drawing;
pub mod error;
pub mod escape;
pub mod features_page;
pub mod graph;
pub mod page;
pub mod rollout_page;
pub mod timeline_svg;

pub use error::ReportError;
pub use graph::GraphFormat;
pub use rollout_page::RunbookFailure;
