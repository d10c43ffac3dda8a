//! Cmdlets that run in the runner itself: they build objects in memory and change nothing.

use super::output::{CmdletError, CmdletOutput};
use super::spec::{CmdletSpec, Invocation, ParamKind, ParamSpec, Target};
use super::value::{PsObject, Value};
use crate::tenant::model::{BypassMode, MediaBypassParameters, MediaBypassSettings};

const MODES: &[&str] = &["Off", "ICE", "Any"];

pub const LOCAL_SPECS: &[CmdletSpec] = &[CmdletSpec {
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
}];

fn flag(invocation: &Invocation, name: &str) -> Option<bool> {
    match invocation.get(name) {
        Some(Value::Bool(b)) => Some(*b),
        _ => None,
    }
}

fn mode(invocation: &Invocation, name: &str) -> Option<BypassMode> {
    invocation.string(name).and_then(BypassMode::parse)
}

pub fn execute(invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
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
    })
}
