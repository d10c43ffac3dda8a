//! What a rehearsal shows people and CI systems: the topology picture, the DNS plan picture, the
//! HTML pages written beside the machine-readable reports, JUnit XML and the CI platforms'
//! annotations.
//!
//! Everything here is pure rendering: a [`crate::rollout::RehearsalReport`], a
//! [`crate::topology::Topology`] or a Cucumber JSON file in, text out. Nothing opens a socket, so
//! the pages can be rendered and checked without a lab.
//!
//! The pages are self-contained on purpose: admins attach them to change tickets and open them on
//! machines that must not fetch anything, so they carry their CSS inline, no scripts and no links
//! that load.
//!
//! # Layout
//! - [`rollout_page`]: `rehearsal.html`, the page a change reviewer decides from.
//! - [`features_page`]: `features.html`, the features as living documentation.
//! - [`page`] and `page.css`: the document shell and styles both pages share; [`fit`]: tables that
//!   reflow into cards where a window is too narrow for them; [`provenance`]: what produced a page.
//! - [`graph`] and [`timeline_svg`]: the pictures; [`escape`]: escaping foreign text.

pub mod annotations;
pub mod cucumber_json;
pub mod dns_plan;
pub mod drawing;
pub mod error;
pub mod escape;
pub mod feature_file;
pub mod features_page;
pub mod fit;
pub mod graph;
pub mod junit;
pub mod page;
pub mod provenance;
pub mod rollout_page;
pub mod timeline_svg;

pub use error::ReportError;
pub use graph::GraphFormat;
pub use provenance::Provenance;
pub use rollout_page::RunbookFailure;
