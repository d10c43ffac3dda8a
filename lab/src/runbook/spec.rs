//! What a cmdlet accepts, declared once per cmdlet, so the runner can bind and type-check a
//! line (and report PowerShell's own errors) before anything is sent to a role.

use super::value::Value;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where a cmdlet runs, in the admin's words: it decides which of two same-named cmdlets a run
/// takes, and what a line says when this run cannot reach the place.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Target {
    /// In the admin's own session, without a round trip: it builds an object and changes nothing
    /// (`New-CsNetworkMediaBypassConfiguration`).
    Local,
    /// Skype for Business Online, through remote PowerShell.
    Tenant,
    /// The internal DNS server.
    Dns,
    /// A Cloud Connector appliance's Mediation Server (`run --on APPLIANCE`).
    Appliance,
    /// The lab's clock (`Start-Sleep` moves lab time).
    Clock,
}

/// The .NET-ish type a parameter binds to; names appear in PowerShell's error messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// Present or absent; takes no argument (`-LocalStore`).
    Switch,
    Bool,
    Int,
    String,
    /// One or more strings, written as a comma list.
    StringList,
    /// One of fixed words, matched case-insensitively.
    Enum(&'static [&'static str]),
    /// An object of the named type, e.g. `MediaBypassSettings` held in a variable.
    Object(&'static str),
}

impl ParamKind {
    /// The type name PowerShell would print for it.
    pub fn type_name(&self) -> &'static str {
        match self {
            ParamKind::Switch => "System.Management.Automation.SwitchParameter",
            ParamKind::Bool => "System.Boolean",
            ParamKind::Int => "System.UInt32",
            ParamKind::String => "System.String",
            ParamKind::StringList => "System.String[]",
            ParamKind::Enum(_) => "System.String",
            ParamKind::Object(name) => name,
        }
    }
}

/// How a parameter takes objects from a pipeline (`Get-X | Add-X`), as PowerShell's
/// "Accept pipeline input" says.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PipelineInput {
    No,
    /// From the incoming object's property of the same name (or an alias).
    ByPropertyName,
    /// The incoming object itself, when its type is the parameter's (`ParamKind::Object`).
    ByValue,
}

#[derive(Debug, Clone, Copy)]
pub struct ParamSpec {
    pub name: &'static str,
    pub kind: ParamKind,
    pub mandatory: bool,
    /// Position for an unnamed argument (`Resolve-DnsName hybridvoice.adatum.biz`), as the
    /// cmdlet's page numbers it; unnamed arguments bind in increasing position.
    pub position: Option<usize>,
    /// Whether `$null` is accepted (`-HybridConfigServiceInternalUrl $null`).
    pub nullable: bool,
    /// Other names the parameter answers to, on the command line and by property name
    /// (`-Name` of `Add-DnsServerZoneScope` is also `ZoneScope`).
    pub aliases: &'static [&'static str],
    pub pipeline: PipelineInput,
}

impl ParamSpec {
    pub const fn named(name: &'static str, kind: ParamKind) -> ParamSpec {
        ParamSpec {
            name,
            kind,
            mandatory: false,
            position: None,
            nullable: false,
            aliases: &[],
            pipeline: PipelineInput::No,
        }
    }
    pub const fn alias(self, aliases: &'static [&'static str]) -> ParamSpec {
        ParamSpec { aliases, ..self }
    }
    pub const fn by_property_name(self) -> ParamSpec {
        ParamSpec { pipeline: PipelineInput::ByPropertyName, ..self }
    }
    pub const fn by_value(self) -> ParamSpec {
        ParamSpec { pipeline: PipelineInput::ByValue, ..self }
    }
    /// Whether `written` names this parameter (its name or an alias, any case).
    pub fn answers_to(&self, written: &str) -> bool {
        self.name.eq_ignore_ascii_case(written) || self.aliases.iter().any(|a| a.eq_ignore_ascii_case(written))
    }
    pub const fn required(self) -> ParamSpec {
        ParamSpec { mandatory: true, ..self }
    }
    pub const fn at(self, position: usize) -> ParamSpec {
        ParamSpec { position: Some(position), ..self }
    }
    pub const fn or_null(self) -> ParamSpec {
        ParamSpec { nullable: true, ..self }
    }
}

#[derive(Debug, Clone, Copy)]
pub struct CmdletSpec {
    pub name: &'static str,
    pub target: Target,
    pub params: &'static [ParamSpec],
}

/// A cmdlet as a role declares it: what it accepts beside what the role does with it, so the
/// cmdlet's name is written once. `H` is the role's own handler type.
#[derive(Debug, Clone, Copy)]
pub struct Cmdlet<H: 'static> {
    pub spec: CmdletSpec,
    pub handler: H,
}

/// The cmdlet of `cmdlets` that `name` names (any case).
pub fn find<'a, H>(cmdlets: &'a [Cmdlet<H>], name: &str) -> Option<&'a Cmdlet<H>> {
    cmdlets.iter().find(|c| c.spec.name.eq_ignore_ascii_case(name))
}

/// The specs of a role's cmdlets, for the table a run is handed.
pub fn specs<H>(cmdlets: &'static [Cmdlet<H>]) -> impl Iterator<Item = &'static CmdletSpec> + Clone {
    cmdlets.iter().map(|c| &c.spec)
}

/// A bound call: parameter names are the spec's canonical spelling; switches bind to `Bool(true)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Invocation {
    pub cmdlet: String,
    pub args: BTreeMap<String, Value>,
    /// Where the call starts in the runbook, for messages.
    pub line: usize,
    pub column: usize,
}

impl Invocation {
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.args.get(name)
    }
    pub fn switch(&self, name: &str) -> bool {
        matches!(self.args.get(name), Some(Value::Bool(true)))
    }
    pub fn string(&self, name: &str) -> Option<&str> {
        self.args.get(name).and_then(Value::as_str)
    }
}
