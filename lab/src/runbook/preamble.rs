//! The lines that open (and close) a remote PowerShell session to Skype for Business Online.
//!
//! A real runbook starts with them (`Import-Module SkypeOnlineConnector`, `$cred =
//! Get-Credential`, `$session = New-CsOnlineSession -Credential $cred`, `Import-PSSession
//! $session`) and may end with `Remove-PSSession $session`. The runner is connected to the lab's
//! tenant already, so each runs as a no-op that says so in one informational line; its arguments
//! are not checked (lab choice, docs/design/runbook.md). What it returns is a placeholder object
//! of the real type, so `$cred` and `$session` are set for the lines that pass them on.

use super::value::{PsObject, Value};

/// One connection cmdlet: its name and the type of the placeholder it returns, if any.
struct Connect {
    name: &'static str,
    returns: Option<&'static str>,
}

const CONNECT: &[Connect] = &[
    Connect { name: "Import-Module", returns: None },
    Connect { name: "Get-Credential", returns: Some("System.Management.Automation.PSCredential") },
    Connect { name: "New-CsOnlineSession", returns: Some("System.Management.Automation.Runspaces.PSSession") },
    Connect { name: "Import-PSSession", returns: None },
    Connect { name: "Remove-PSSession", returns: None },
];

/// What a connection line does in the lab: the informational line, and the placeholder it
/// returns (`Value::Null` when the real cmdlet returns nothing that runbooks keep).
pub fn run(name: &str) -> Option<(String, Value)> {
    let connect = CONNECT.iter().find(|c| c.name.eq_ignore_ascii_case(name))?;
    let note = format!(
        "{}: the lab's runner is already connected to the lab's tenant; this line changes nothing.",
        connect.name
    );
    let value = match connect.returns {
        Some(type_name) => Value::Object(PsObject { type_name: type_name.into(), properties: vec![] }),
        None => Value::Null,
    };
    Some((note, value))
}

/// The connection cmdlets' names, for `bypass-lab cmdlets`.
pub fn names() -> impl Iterator<Item = &'static str> {
    CONNECT.iter().map(|c| c.name)
}
