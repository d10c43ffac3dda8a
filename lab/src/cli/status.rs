//! `bypass-lab status`: one row per appliance, as an admin reads it — the tenant link as it is
//! now beside the last sync's result, how far behind the tenant each appliance is, and times on
//! the plan's clock (`day 2 09:14`, from `[tenant] start_time_of_day`) or as ages (`3h ago`),
//! never as raw durations.

use crate::lab::Lab;
use crate::mediation::ApplianceStatus;
use std::time::Duration;

const DAY: u64 = 86_400;

/// A span in its two largest units (`1d 2h`, `3h`, `5m`, `40s`).
fn span(d: Duration) -> String {
    let s = d.as_secs();
    let units = [("d", DAY), ("h", 3600), ("m", 60), ("s", 1)];
    let mut parts = Vec::new();
    let mut rest = s;
    for (name, size) in units {
        if rest >= size && parts.len() < 2 {
            parts.push(format!("{}{name}", rest / size));
            rest %= size;
        } else if !parts.is_empty() {
            break;
        }
    }
    if parts.is_empty() {
        "0s".into()
    } else {
        parts.join(" ")
    }
}

/// How long ago `at` was at lab time `now`.
pub fn age(now: Duration, at: Duration) -> String {
    match now.checked_sub(at) {
        Some(d) if d.as_secs() >= 1 => format!("{} ago", span(d)),
        _ => "just now".into(),
    }
}

fn row(
    s: &ApplianceStatus,
    now: Duration,
    tenant_version: Option<u64>,
    clock: &dyn Fn(Duration) -> String,
) -> [String; 8] {
    let version = match (s.replicated_version, tenant_version) {
        (Some(v), Some(t)) if v < t => format!("{v} (behind the tenant by {})", t - v),
        (Some(v), _) => v.to_string(),
        (None, Some(t)) => format!("- (behind the tenant by {t})"),
        (None, None) => "-".into(),
    };
    let link = match s.tenant_link_up {
        Some(true) => "up",
        Some(false) => "DOWN",
        None => "-",
    };
    let last_ok = s.last_successful_sync.map(|t| format!("ok {}", age(now, t)));
    let last = match (&s.tenant_error, last_ok) {
        (None, Some(ok)) => ok,
        (None, None) => "never".into(),
        (Some(e), ok) => format!("failed: {e} (last {})", ok.unwrap_or_else(|| "ok: never".into())),
    };
    let next = if s.next_sync >= now {
        format!("{} (in {})", clock(s.next_sync), span(s.next_sync - now))
    } else {
        "due".into()
    };
    [
        s.site_name.clone(),
        s.appliance_name.clone(),
        s.mediation_server_ip_address.to_string(),
        version,
        format!("{:?}", s.web_service_state),
        link.into(),
        next,
        last,
    ]
}

pub async fn print(lab: &Lab, json: bool) -> anyhow::Result<()> {
    let rows = lab.status().await?;
    if json {
        println!("{}", serde_json::to_string_pretty(&rows)?);
        return Ok(());
    }
    let now = lab.now().await?;
    let tenant = lab.tenant_configuration().await;
    let tenant_version = tenant.as_ref().ok().map(|c| c.version);
    let mut table =
        vec![["SITE", "APPLIANCE", "ADDRESS", "VERSION", "WEB", "TENANT LINK", "NEXT SYNC", "LAST SYNC"]
            .map(String::from)];
    for r in rows {
        table.push(match (&r.status, &r.error) {
            (Some(s), _) => row(s, now, tenant_version, &|at| lab.topology().clock_reading(at)),
            (None, error) => [
                r.site.clone(),
                r.appliance.clone(),
                r.address.to_string(),
                "-".into(),
                "DOWN".into(),
                "-".into(),
                "-".into(),
                error.clone().unwrap_or_else(|| "no answer".into()),
            ],
        });
    }
    println!(
        "lab time {} (tenant at version {})",
        lab.topology().clock_reading(now),
        tenant_version.map(|v| v.to_string()).unwrap_or_else(|| "?".into())
    );
    print!("{}", super::lab::table(&table));
    // Roles down other than appliances (their rows say so above): tenant, DNS servers, client hosts.
    let appliances: Vec<&str> = lab.topology().appliances().map(|(_, a)| a.name.as_str()).collect();
    let down = lab.roles_down();
    for down in down.iter().filter(|d| !appliances.contains(&d.role.as_str())) {
        println!("DOWN: {down}");
    }
    // A tenant that stopped (a panic stops a role) without its container saying so.
    if let Err(e) = &tenant {
        if !down.iter().any(|d| d.role == "tenant") {
            println!("DOWN: tenant: {e}");
        }
    }
    for dns in lab.dns_status().await {
        match &dns.error {
            None => println!("DNS {} at {} (management {}): answering", dns.name, dns.server, dns.management),
            Some(e) => println!("DNS {} at {} (management {}): DOWN: {e}", dns.name, dns.server, dns.management),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::clock_time;

    #[test]
    fn times_read_as_a_clock_and_ages() {
        assert_eq!(clock_time(Duration::ZERO), "day 1 00:00");
        assert_eq!(clock_time(Duration::from_secs(DAY + 9 * 3600 + 14 * 60 + 59)), "day 2 09:14");
        assert_eq!(age(Duration::from_secs(4 * 3600 + 59), Duration::from_secs(3600)), "3h ago");
        assert_eq!(age(Duration::from_millis(7_423_331), Duration::ZERO), "2h 3m ago");
        assert_eq!(age(Duration::from_millis(500), Duration::ZERO), "just now");
    }
}
