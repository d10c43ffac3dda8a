//! The tenant's cmdlets that run in the admin's own PowerShell session: they build objects in
//! memory and change nothing, so they need no round trip to the tenant (and run with or without
//! `--on`).

use super::model::{BypassMode, MediaBypassParameters, MediaBypassSettings};
use crate::runbook::{
    find, specs, Cmdlet, CmdletError, CmdletOutput, CmdletSpec, Executor, Invocation, ParamKind, ParamSpec, PsObject,
    Target, Value,
};

const MODES: &[&str] = &["Off", "ICE", "Any"];

/// What one in-session cmdlet builds from its bound call.
type Handler = fn(&Invocation) -> Result<CmdletOutput, CmdletError>;

const CMDLETS: &[Cmdlet<Handler>] = &[Cmdlet {
    spec: CmdletSpec {
        name: "New-CsNetworkMediaBypassConfiguration",
        target: Target::Local,
        params: &[
            ParamSpec::named("Enabled", ParamKind::Bool),
            ParamSpec::named("AlwaysBypass", ParamKind::Bool),
            ParamSpec::named("EnableDefaultBypassID", ParamKind::Bool),
            ParamSpec::named("EnabledForAudioVideoConferences", ParamKind::Bool),
            ParamSpec::named("InternalBypassMode", ParamKind::Enum(MODES)),
            ParamSpec::named("ExternalBypassMode", ParamKind::Enum(MODES)),
            ParamSpec::named("BypassID", ParamKind::String),
        ],
    },
    handler: new_media_bypass_configuration,
}];

/// The in-session cmdlets' specs, for a run's cmdlet table.
pub fn session_specs() -> impl Iterator<Item = &'static CmdletSpec> + Clone {
    specs(CMDLETS)
}

/// Runs the in-session cmdlets where the runner is.
#[derive(Debug, Clone, Copy, Default)]
pub struct InSession;

#[async_trait::async_trait]
impl Executor for InSession {
    async fn execute(&self, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
        let cmdlet = find(CMDLETS, &invocation.cmdlet)
            .ok_or_else(|| CmdletError::new(format!("the admin's session does not build {}", invocation.cmdlet)))?;
        (cmdlet.handler)(invocation)
    }
}

fn flag(invocation: &Invocation, name: &str) -> Option<bool> {
    match invocation.get(name) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn mode(invocation: &Invocation, name: &str) -> Option<BypassMode> {
    invocation.string(name).and_then(BypassMode::parse)
}

fn new_media_bypass_configuration(invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
    let bypass_id = match invocation.string("BypassID") {
        None => None,
        Some(text) => Some(text.trim().trim_matches(|c| c == '{' || c == '}').parse::<uuid::Uuid>().map_err(|_| {
            CmdletError::new(format!("Cannot bind parameter 'BypassID'. Cannot convert value \"{text}\" to type \"System.Guid\". Error: \"Guid should contain 32 digits with 4 dashes (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx).\""))
        })?),
    };
    let parameters = MediaBypassParameters {
        enabled: flag(invocation, "Enabled"),
        always_bypass: flag(invocation, "AlwaysBypass"),
        enable_default_bypass_id: flag(invocation, "EnableDefaultBypassID"),
        enabled_for_audio_video_conferences: flag(invocation, "EnabledForAudioVideoConferences"),
        internal_bypass_mode: mode(invocation, "InternalBypassMode"),
        external_bypass_mode: mode(invocation, "ExternalBypassMode"),
        bypass_id,
    };
    let (settings, warnings) = MediaBypassSettings::new_configuration(&parameters);
    Ok(CmdletOutput {
        objects: vec![Value::Object(PsObject::from_serialize("MediaBypassSettings", &settings))],
        warnings,
        verbose: vec![],
    })
}
