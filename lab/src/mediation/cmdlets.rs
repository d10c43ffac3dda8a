//! The cmdlets run on a Mediation Server (`run --on APPLIANCE`).

use crate::runbook::CmdletSpec;

pub const SPECS: &[CmdletSpec] = &[];
