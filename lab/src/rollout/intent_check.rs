//! A settled phase against its intent: the tenant's bypass settings and URL, and every DNS
//! server's records for the service name, with the phase's own line that explains a miss.

use super::dns_view::DnsView;
use super::intent::{Intent, UrlIntent};
use super::model::{Finding, Severity};
use crate::tenant::TenantConfiguration;
use crate::topology::Topology;

fn everywhere(phase: &str, message: String) -> Finding {
    Finding::everywhere(Severity::Error, phase, message)
}

/// The phase's statements with their file line numbers, lower-cased for matching.
fn lines(source: &str) -> Vec<(usize, String)> {
    source
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim().to_ascii_lowercase()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
        .collect()
}

/// Why the tenant's `Enabled` is not what the phase meant, from the phase's own lines.
fn settings_cause(source: &str, meant: bool) -> String {
    let lines = lines(source);
    let built: Vec<(usize, String, bool)> = lines
        .iter()
        .filter(|(_, l)| l.contains("new-csnetworkmediabypassconfiguration"))
        .map(|(n, l)| {
            let var = l.split('=').next().filter(|v| v.trim().starts_with('$')).map(|v| v.trim().to_string());
            let enabled = l.contains("-enabled $true") || l.contains("-enabled:$true");
            (*n, var.unwrap_or_default(), enabled)
        })
        .collect();
    let saved = |var: &str| {
        lines.iter().find(|(_, l)| {
            l.contains("set-csnetworkconfiguration")
                && l.contains("-mediabypasssettings")
                && (var.is_empty() || l.contains(var))
        })
    };
    let Some((line, var, enabled)) = built.last() else {
        return format!(
            "no line of the phase builds and saves the settings (New-CsNetworkMediaBypassConfiguration -Enabled {}{}, then Set-CsNetworkConfiguration -MediaBypassSettings)",
            if meant { "$true" } else { "$false" },
            if meant { " -AlwaysBypass $true" } else { "" }
        );
    };
    match saved(var) {
        None if !var.is_empty() => format!(
            "{var} (line {line}) was built but never assigned with Set-CsNetworkConfiguration -MediaBypassSettings: New-CsNetworkMediaBypassConfiguration only builds the settings in memory"
        ),
        None => format!("the settings built on line {line} were never saved with Set-CsNetworkConfiguration -MediaBypassSettings"),
        Some((saved_at, _)) if *enabled != meant => format!(
            "the settings saved on line {saved_at} were built with -Enabled {} (line {line})",
            if *enabled { "$true" } else { "$false" }
        ),
        Some((saved_at, _)) => format!("the settings saved on line {saved_at} did not reach the tenant"),
    }
}

/// Every way the tenant and the DNS servers differ from what the phase was for.
pub fn check(
    phase: &str,
    intent: &Intent,
    config: &TenantConfiguration,
    source: &str,
    views: &[DnsView],
    host: &str,
    topology: &Topology,
) -> Vec<Finding> {
    let mut out = vec![];
    let enabled = config.network.media_bypass_settings.enabled;
    match intent.bypass {
        Some(true) if !enabled => out.push(everywhere(
            phase,
            format!(
                "phase {phase} is meant to turn media bypass on, but it is not enabled: {}",
                settings_cause(source, true)
            ),
        )),
        Some(false) if enabled => out.push(everywhere(
            phase,
            format!(
                "phase {phase} is meant to turn media bypass off, but it is still enabled: {}",
                settings_cause(source, false)
            ),
        )),
        _ => {}
    }
    let url = config.hybrid.hybrid_config_service_internal_url.as_deref();
    match (intent.url, url) {
        (Some(UrlIntent::Set), None) => out.push(everywhere(
            phase,
            format!("phase {phase} is meant to leave a web service URL set, but the tenant has none: Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl sets it"),
        )),
        (Some(UrlIntent::Null), Some(url)) => out.push(everywhere(
            phase,
            format!("phase {phase} is meant to clear the web service URL, but it is still {url}: Set-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl $null clears it"),
        )),
        _ => {}
    }
    if intent.records == Some(false) {
        let plans = topology.dns_server_plans();
        for (index, view) in views.iter().enumerate() {
            let Some(zone) = view.zone_of(host) else { continue };
            // Each scope still holding the host, as it is named and as it is removed.
            let held: Vec<(String, String)> = zone
                .scopes
                .iter()
                .filter(|s| !zone.records_of(s, host).is_empty())
                .map(|s| {
                    let remove = format!(
                        "Remove-DnsServerResourceRecord -ZoneName {} -RRType A -Name {}",
                        zone.name,
                        zone.relative(host)
                    );
                    if s.name.eq_ignore_ascii_case(&zone.name) {
                        ("the default scope".to_string(), remove)
                    } else {
                        (format!("zone scope {}", s.name), format!("{remove} -ZoneScope {}", s.name))
                    }
                })
                .collect();
            if held.is_empty() {
                continue;
            }
            let server = plans.get(index).map(|p| p.name.clone()).unwrap_or_else(|| "dns".into());
            let names: Vec<&str> = held.iter().map(|(n, _)| n.as_str()).collect();
            let mut removals: Vec<&str> = held.iter().take(2).map(|(_, r)| r.as_str()).collect();
            let more = held.len().saturating_sub(2);
            let more = if more > 0 { format!(" (and {more} more)") } else { String::new() };
            removals.dedup();
            out.push(everywhere(
                phase,
                format!(
                    "phase {phase} is meant to remove the service's DNS records, but DNS server {server} still holds {host} in {} of zone {}: remove them with {}{more}",
                    names.join(" and "),
                    zone.name,
                    removals.join("; ")
                ),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_built_but_never_saved_are_named_with_their_line() {
        let source = "\n\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl http://a/b\n$mediabypass = New-CsNetworkMediaBypassConfiguration -AlwaysBypass $true -Enabled $true\n";
        assert_eq!(
            settings_cause(source, true),
            "$mediabypass (line 4) was built but never assigned with Set-CsNetworkConfiguration -MediaBypassSettings: New-CsNetworkMediaBypassConfiguration only builds the settings in memory"
        );
        let wrong = "$m = New-CsNetworkMediaBypassConfiguration -Enabled $false\nSet-CsNetworkConfiguration -MediaBypassSettings $m\n";
        assert_eq!(
            settings_cause(wrong, true),
            "the settings saved on line 2 were built with -Enabled $false (line 1)"
        );
        assert!(settings_cause("Get-CsTenantHybridConfiguration\n", true).starts_with("no line of the phase builds"));
    }
}
