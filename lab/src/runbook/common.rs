//! The common parameters (PowerShell's about_CommonParameters): every cmdlet takes `-Verbose`,
//! `-Debug`, `-ErrorAction`, `-WarningAction`, `-InformationAction`, `-ErrorVariable`,
//! `-WarningVariable`, `-InformationVariable`, `-OutVariable`, `-OutBuffer` and
//! `-PipelineVariable`, with their documented aliases; cmdlets that change something also take
//! `-WhatIf` and `-Confirm`. They bind like the cmdlet's own parameters (prefixes included) and are
//! then taken out of the call: they steer the runner, never the role.

use super::spec::{CmdletSpec, ParamKind, ParamSpec};
use super::value::Value;
use std::collections::BTreeMap;

/// The values of `-ErrorAction` and its siblings (System.Management.Automation.ActionPreference).
pub const PREFERENCES: &[&str] = &["SilentlyContinue", "Stop", "Continue", "Inquire", "Ignore", "Suspend", "Break"];

/// Every cmdlet's common parameters and their aliases.
pub const COMMON: &[ParamSpec] = &[
    ParamSpec::named("Verbose", ParamKind::Switch).alias(&["vb"]),
    ParamSpec::named("Debug", ParamKind::Switch).alias(&["db"]),
    ParamSpec::named("ErrorAction", ParamKind::Enum(PREFERENCES)).alias(&["ea"]),
    ParamSpec::named("WarningAction", ParamKind::Enum(PREFERENCES)).alias(&["wa"]),
    ParamSpec::named("InformationAction", ParamKind::Enum(PREFERENCES)).alias(&["infa"]),
    ParamSpec::named("ErrorVariable", ParamKind::String).alias(&["ev"]),
    ParamSpec::named("WarningVariable", ParamKind::String).alias(&["wv"]),
    ParamSpec::named("InformationVariable", ParamKind::String).alias(&["iv"]),
    ParamSpec::named("OutVariable", ParamKind::String).alias(&["ov"]),
    ParamSpec::named("OutBuffer", ParamKind::Int).alias(&["ob"]),
    ParamSpec::named("PipelineVariable", ParamKind::String).alias(&["pv"]),
];

/// The risk-mitigation parameters of cmdlets that change something.
pub const SHOULD_PROCESS: &[ParamSpec] = &[
    ParamSpec::named("WhatIf", ParamKind::Switch).alias(&["wi"]),
    ParamSpec::named("Confirm", ParamKind::Switch).alias(&["cf"]),
];

/// Verbs of the modelled cmdlets that change something: their pages list `-WhatIf` and
/// `-Confirm` (the `Get-`, `Resolve-` and `New-CsNetworkMediaBypassConfiguration` pages do not).
const CHANGING_VERBS: &[&str] = &["Add", "Set", "Remove", "Enable", "Disable", "Clear", "Register", "Unregister"];

/// Whether `spec` takes `-WhatIf` and `-Confirm`.
pub fn supports_should_process(spec: &CmdletSpec) -> bool {
    let verb = spec.name.split_once('-').map(|(v, _)| v).unwrap_or_default();
    CHANGING_VERBS.iter().any(|v| v.eq_ignore_ascii_case(verb))
}

/// The parameters `spec` takes beyond its own.
pub fn extra_params(spec: &CmdletSpec) -> impl Iterator<Item = &'static ParamSpec> {
    let should_process: &'static [ParamSpec] = if supports_should_process(spec) { SHOULD_PROCESS } else { &[] };
    COMMON.iter().chain(should_process)
}

/// The common parameters written on one call.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Common {
    /// `-ErrorAction`: `Stop` ends the run at this statement's error.
    pub error_action: Option<String>,
    /// `-WhatIf`: say what would change, change nothing.
    pub what_if: bool,
    /// `-Confirm` or `-Confirm:$false`: written at all (a rehearsal never prompts).
    pub confirm: bool,
    /// `-OutVariable NAME`: the output is also kept in `$NAME`.
    pub out_variable: Option<String>,
    /// `-ErrorVariable NAME`: the errors are also kept in `$NAME`.
    pub error_variable: Option<String>,
    /// `-Verbose`: the cmdlet's VERBOSE lines are shown.
    pub verbose: bool,
}

impl Common {
    /// Takes the common parameters out of bound `args`; a parameter of the cmdlet's own of the same
    /// name stays.
    pub fn take(spec: &CmdletSpec, args: &mut BTreeMap<String, Value>) -> Common {
        let mut common = Common::default();
        for p in extra_params(spec) {
            if spec.params.iter().any(|own| own.name.eq_ignore_ascii_case(p.name)) {
                continue;
            }
            let Some(value) = args.remove(p.name) else { continue };
            let text = value.as_str().map(str::to_string);
            match p.name {
                "ErrorAction" => common.error_action = text,
                "WhatIf" => common.what_if = value == Value::Bool(true),
                "Confirm" => common.confirm = true,
                "OutVariable" => common.out_variable = text,
                "ErrorVariable" => common.error_variable = text,
                "Verbose" => common.verbose = value == Value::Bool(true),
                _ => {}
            }
        }
        common
    }

    /// Whether this call's errors end the run.
    pub fn stops(&self) -> bool {
        self.error_action.as_deref().is_some_and(|a| a.eq_ignore_ascii_case("Stop"))
    }

    /// Whether this call's own errors are neither shown nor counted (`SilentlyContinue`, `Ignore`).
    pub fn silences(&self) -> bool {
        self.error_action
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("SilentlyContinue") || a.eq_ignore_ascii_case("Ignore"))
    }

    /// Both calls' parameters, `other`'s winning where both are written.
    pub fn merged(&self, other: &Common) -> Common {
        Common {
            error_action: other.error_action.clone().or_else(|| self.error_action.clone()),
            what_if: self.what_if || other.what_if,
            confirm: self.confirm || other.confirm,
            out_variable: other.out_variable.clone().or_else(|| self.out_variable.clone()),
            error_variable: other.error_variable.clone().or_else(|| self.error_variable.clone()),
            verbose: self.verbose || other.verbose,
        }
    }
}

/// PowerShell's line for `-WhatIf`. **Lab choice:** the operation is the cmdlet's name and the
/// target the call's identifying arguments (name, identity, zone), as the pages do not print
/// the real text.
pub fn what_if(spec: &CmdletSpec, args: &BTreeMap<String, Value>) -> String {
    let identifying = ["Identity", "Name", "ZoneName", "ZoneScope", "IPv4Address", "HybridConfigServiceInternalUrl"];
    let target: Vec<String> =
        identifying.iter().filter_map(|k| args.get(*k).map(|v| format!("{k}: {}", v.display()))).collect();
    let target = if target.is_empty() { "Global".to_string() } else { target.join(", ") };
    format!("What if: Performing the operation \"{}\" on target \"{target}\".", spec.name)
}

/// Said once in a run that writes `-Confirm`.
pub const NEVER_PROMPTS: &str =
    "-Confirm: a rehearsal has nobody to answer a prompt, so the runner never asks; the line runs as if confirmed.";
