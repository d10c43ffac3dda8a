//! The DNS Server cmdlets the runbook runner accepts.

use crate::runbook::CmdletSpec;

pub const SPECS: &[CmdletSpec] = &[];
