//! `bypass-lab cmdlets`: every cmdlet the runbook runner models, where it runs and what it takes,
//! so an admin can check a runbook's lines before running them.

use crate::lab::modelled_cmdlets;
use crate::runbook::ParamKind;
use std::process::ExitCode;

pub fn run() -> anyhow::Result<ExitCode> {
    let mut out = String::new();
    let all = modelled_cmdlets().listing();
    let width = all.iter().map(|l| l.spec.name.len()).max().unwrap_or(0);
    for listed in all {
        out.push_str(&format!("{:<width$}  runs {}\n", listed.spec.name, listed.runs));
        for p in listed.spec.params {
            let kind = match p.kind {
                ParamKind::Switch => "switch".to_string(),
                ParamKind::Enum(words) => format!("one of {}", words.join(", ")),
                other => other.type_name().to_string(),
            };
            let mut notes = Vec::new();
            if p.mandatory {
                notes.push("mandatory".to_string());
            }
            if let Some(position) = p.position {
                notes.push(format!("position {position}"));
            }
            if p.nullable {
                notes.push("accepts $null".to_string());
            }
            let notes = if notes.is_empty() { String::new() } else { format!(" ({})", notes.join(", ")) };
            out.push_str(&format!("    -{} <{kind}>{notes}\n", p.name));
        }
    }
    out.push_str(
        "\nConnection lines run as no-ops that say so: Import-Module, Get-Credential, New-CsOnlineSession, \
         Import-PSSession, Remove-PSSession.\n",
    );
    super::write_stdout(&out)
}
