//! What every sample client should see after a phase, from the tenant's configuration then
//! (see docs/design/rollout.md), and the findings where what it saw differs.

use super::cause::{whose, Context};
use super::model::{Decision, Finding, Severity};
use super::observe::Observation;
use super::shares::weighted;
use crate::tenant::TenantConfiguration;

/// The tenant's configuration after a phase, reduced to what decides the expectations.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expectation {
    /// The web service URL handed to clients; None once cleared with `$null`.
    pub url: Option<String>,
    /// `Enabled` of the media bypass settings.
    pub enabled: bool,
    /// The phase removed the service name's records from the DNS server.
    pub records_removed: bool,
}

impl Expectation {
    pub fn new(config: &TenantConfiguration, records_removed: bool) -> Expectation {
        Expectation {
            url: config.hybrid.hybrid_config_service_internal_url.clone(),
            enabled: config.network.media_bypass_settings.enabled,
            records_removed,
        }
    }

    /// In words, for the terminal and the docs.
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        match (&self.url, self.enabled) {
            (Some(_), true) => parts.push("bypass enabled with a URL: every internal subnet resolves to its own site and bypasses; outside resolves nothing"),
            (_, false) => parts.push("bypass disabled: no internal client bypasses"),
            (None, true) => parts.push("bypass enabled but no URL: no client bypasses"),
        }
        if self.url.is_none() {
            parts.push("no client receives a URL");
        }
        if self.records_removed {
            parts.push("records removed: nothing resolves");
        }
        parts.join("; ")
    }
}

/// Whether the runbook text of a phase removes DNS records.
pub fn removes_records(phase_source: &str) -> bool {
    phase_source.lines().any(|l| l.trim_start().to_ascii_lowercase().starts_with("remove-dnsserverresourcerecord"))
}

fn finding(severity: Severity, phase: &str, o: &Observation, message: String) -> Finding {
    Finding {
        severity,
        phase: phase.to_string(),
        site: o.sample.site.clone(),
        subnet: o.sample.subnet.to_string(),
        range: o.sample.range_text(),
        window: o.window.map(|w| w.to_string()),
        lines: vec![],
        message,
    }
}

/// Whether `host` lies under one of the SIP domains.
fn in_sip_domains(host: &str, domains: &[String]) -> bool {
    domains
        .iter()
        .map(|d| d.trim_end_matches('.').to_ascii_lowercase())
        .any(|d| host == d || host.ends_with(&format!(".{d}")))
}

/// Every finding of one phase.
pub fn judge(phase: &str, expectation: &Expectation, observations: &[Observation], cx: &Context) -> Vec<Finding> {
    let mut out = Vec::new();
    if expectation.url.is_some() && !in_sip_domains(cx.host, &cx.topology.tenant.sip_domains) {
        out.push(Finding::everywhere(
            Severity::Warning,
            phase,
            format!(
                "the service name {} is outside the SIP domains registered for hybrid voice ({})",
                cx.host,
                cx.topology.tenant.sip_domains.join(", ")
            ),
        ));
    }
    for o in observations {
        let resolved_site = super::observe::site_of_addresses(cx.topology, &o.resolved);
        // A branch served by another site's Cloud Connector owns that site's Mediation Servers.
        let serving = cx.topology.serving_site(&o.sample.site);
        let own = |ip: &std::net::IpAddr| {
            cx.topology.find_appliance(&ip.to_string()).is_some_and(|(s, _)| s.name.eq_ignore_ascii_case(serving))
        };
        if expectation.url.is_none() {
            if let Some(url) = &o.provisioned_url {
                out.push(finding(
                    Severity::Error,
                    phase,
                    o,
                    format!("the client received the URL {url} although the tenant's URL is $null"),
                ));
            }
        }
        if expectation.records_removed && !o.resolved.is_empty() {
            out.push(finding(Severity::Error, phase, o, cx.records_left(o)));
        }
        let bypassed = o.decision() == Decision::Bypass;
        if o.sample.is_outside() {
            let resolves = expectation.url.is_some()
                && expectation.enabled
                && !expectation.records_removed
                && !o.resolved.is_empty();
            if resolves {
                out.push(finding(Severity::Error, phase, o, cx.outside_resolves(o)));
            }
            if bypassed && !resolves {
                out.push(finding(
                    Severity::Error,
                    phase,
                    o,
                    format!("an outside client bypasses: {}", o.row(cx.topology).reason),
                ));
            }
            continue;
        }
        // A declared population the Plan page does not support (Mac, an older build, a
        // full-tunnel VPN) is expected not to bypass, whatever DNS answers it: the site's share
        // names it instead of a finding.
        if !o.sample.supported() {
            if bypassed {
                out.push(finding(
                    Severity::Error,
                    phase,
                    o,
                    format!(
                        "{} clients bypass although the Plan page does not support media bypass for them: {}",
                        o.sample.population.as_ref().map(|p| p.name.as_str()).unwrap_or("unsupported"),
                        o.row(cx.topology).reason
                    ),
                ));
            }
            continue;
        }
        let in_use = expectation.enabled && expectation.url.is_some() && !expectation.records_removed;
        if let Some(judged) = weighted(o, cx, &own).filter(|_| in_use) {
            let errors = judged.iter().any(|(s, _)| *s == Severity::Error);
            for (severity, message) in judged {
                out.push(finding(severity, phase, o, message));
            }
            if !errors && o.resolved.is_empty() {
                out.push(finding(Severity::Error, phase, o, cx.nothing_resolved(o)));
            } else if !errors && !bypassed {
                out.push(finding(Severity::Error, phase, o, cx.no_bypass(o)));
            }
            continue;
        }
        let mixed_with_own = resolved_site.as_deref() == Some("mixed") && o.resolved.iter().any(own);
        if mixed_with_own {
            out.push(finding(
                Severity::Warning,
                phase,
                o,
                format!(
                    "{} resolves to {} for {}: some of its clients would use another site's Mediation Servers",
                    cx.host,
                    whose(cx.topology, &o.resolved),
                    o.sample.place()
                ),
            ));
        }
        if !expectation.enabled || expectation.url.is_none() {
            if bypassed {
                out.push(finding(Severity::Error, phase, o, cx.still_bypasses(o)));
            }
            continue;
        }
        if expectation.records_removed {
            continue;
        }
        let message = if o.resolved.is_empty() {
            Some(cx.nothing_resolved(o))
        } else if !o.resolved.iter().any(own) {
            Some(cx.other_site(o))
        } else if !bypassed {
            Some(cx.no_bypass(o))
        } else {
            None
        };
        if let Some(message) = message {
            out.push(finding(Severity::Error, phase, o, message));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::super::dns_view::{ClientSubnetView, DnsView, PolicyView, ScopeView, ZoneView};
    use super::super::model::ApplianceRow;
    use super::super::sample::{samples, SampleClient};
    use super::*;
    use crate::client::{DnsFailure, FetchOutcome};
    use crate::topology::Topology;
    use std::net::IpAddr;

    const PLAN: &str = r#"
[tenant]
domain = "example.net"
sip_domains = ["example.net"]
service_name = "mb.example.net"

[[site]]
name = "Oslo"
subnets = ["10.40.0.0/24", "10.40.8.0/24"]
gateway = "10.40.0.1"
[[site.appliance]]
name = "osl1"
address = "10.40.0.10"

[[site]]
name = "Tokyo"
subnets = ["10.50.0.0/24"]
gateway = "10.50.0.1"
[[site.appliance]]
name = "tyo1"
address = "10.50.0.10"

[outside]
subnets = ["198.51.100.0/24"]
"#;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn scope(name: &str, ips: &[&str]) -> ScopeView {
        ScopeView { name: name.into(), records: ips.iter().map(|i| ("mb".to_string(), ip(i))).collect() }
    }

    /// Oslo covers only its first subnet; Tokyo's policy is right; `default` holds what the
    /// default scope answers.
    fn view(tokyo_scope: &str, default: &[&str]) -> DnsView {
        DnsView {
            client_subnets: vec![
                ClientSubnetView { name: "OsloSubnet".into(), subnets: vec!["10.40.0.0/24".parse().unwrap()] },
                ClientSubnetView { name: "TokyoSubnet".into(), subnets: vec!["10.50.0.0/24".parse().unwrap()] },
            ],
            zones: vec![ZoneView {
                name: "example.net".into(),
                scopes: vec![
                    scope("example.net", default),
                    scope("OsloScope", &["10.40.0.10"]),
                    scope("TokyoScope", &["10.50.0.10"]),
                ],
                policies: vec![
                    PolicyView {
                        name: "OsloPolicy".into(),
                        processing_order: 1,
                        action: "Allow".into(),
                        client_subnets: vec!["OsloSubnet".into()],
                        scopes: vec!["OsloScope".into()],
                        weights: vec![1],
                        criteria: vec![("ClientSubnet".into(), "EQ,OsloSubnet".into())],
                        condition: "AND".into(),
                        enabled: true,
                    },
                    PolicyView {
                        name: "TokyoPolicy".into(),
                        processing_order: 2,
                        action: "Allow".into(),
                        client_subnets: vec!["TokyoSubnet".into()],
                        scopes: vec![tokyo_scope.into()],
                        weights: vec![1],
                        criteria: vec![("ClientSubnet".into(), "EQ,TokyoSubnet".into())],
                        condition: "AND".into(),
                        enabled: true,
                    },
                ],
            }],
            server_policies: vec![],
            forwarding: Default::default(),
        }
    }

    fn bypass(server: &str, at: &str) -> Option<FetchOutcome> {
        Some(FetchOutcome::Bypass { mediation_server: server.into(), address: ip(at), bypass_id: uuid::Uuid::nil() })
    }

    fn seen(sample: &SampleClient, resolved: &[&str], outcome: Option<FetchOutcome>) -> Observation {
        Observation {
            sample: sample.clone(),
            time: crate::clock::TimeOfDay::MIDNIGHT,
            window: None,
            answer: if resolved.is_empty() { "NXDOMAIN".into() } else { "NOERROR".into() },
            resolved: resolved.iter().map(|s| ip(s)).collect(),
            provisioned_url: Some("http://mb.example.net/hybridconfig/hybridconfigservice.svc".into()),
            outcome,
            media: String::new(),
        }
    }

    fn enabled() -> Expectation {
        Expectation {
            url: Some("http://mb.example.net/hybridconfig/hybridconfigservice.svc".into()),
            enabled: true,
            records_removed: false,
        }
    }

    fn judge_with(
        view: &DnsView,
        expectation: &Expectation,
        observations: &[Observation],
        appliances: &[ApplianceRow],
    ) -> Vec<Finding> {
        let t = Topology::parse(PLAN, None).unwrap();
        let cx = Context::new(&t, std::slice::from_ref(view), appliances, "mb.example.net", 3);
        judge("enable", expectation, observations, &cx)
    }

    #[test]
    fn a_correct_enable_has_no_finding() {
        let t = Topology::parse(PLAN, None).unwrap();
        let s = samples(&t);
        let obs = vec![
            seen(&s[0], &["10.40.0.10"], bypass("osl1", "10.40.0.10")),
            seen(&s[1], &["10.40.0.10"], bypass("osl1", "10.40.0.10")),
            seen(&s[2], &["10.50.0.10"], bypass("tyo1", "10.50.0.10")),
            seen(
                &s[3],
                &[],
                Some(FetchOutcome::NameDoesNotResolve { host: "mb.example.net".into(), answer: DnsFailure::NxDomain }),
            ),
        ];
        let mut v = view("TokyoScope", &[]);
        v.client_subnets[0].subnets.push("10.40.8.0/24".parse().unwrap());
        assert_eq!(judge_with(&v, &enabled(), &obs, &[]), vec![]);
    }

    #[test]
    fn each_planted_mistake_is_named_with_its_site_and_subnet() {
        let t = Topology::parse(PLAN, None).unwrap();
        let s = samples(&t);
        let obs = vec![
            seen(&s[0], &["10.40.0.10"], bypass("osl1", "10.40.0.10")),
            seen(&s[1], &["10.50.0.10"], bypass("tyo1", "10.50.0.10")),
            seen(&s[2], &["10.40.0.10"], bypass("osl1", "10.40.0.10")),
            seen(&s[3], &["10.50.0.10"], None),
        ];
        let findings = judge_with(&view("OsloScope", &["10.50.0.10"]), &enabled(), &obs, &[]);
        let got: Vec<(Severity, &str, &str, &str)> =
            findings.iter().map(|f| (f.severity, f.site.as_str(), f.subnet.as_str(), f.message.as_str())).collect();
        assert_eq!(got, vec![
            (Severity::Error, "Oslo", "10.40.8.0/24", "no client subnet covers 10.40.8.0/24 (client subnet OsloSubnet covers only 10.40.0.0/24 of Oslo), so its queries fall to the default scope, which answers 10.50.0.10 (Tokyo's Mediation Servers)"),
            (Severity::Error, "Tokyo", "10.50.0.0/24", "policy TokyoPolicy sends Tokyo's clients to zone scope OsloScope (Oslo's Mediation Servers) via client subnet TokyoSubnet"),
            (Severity::Error, "outside", "198.51.100.0/24", "outside clients resolve mb.example.net: a record in the default scope of zone example.net answers them with 10.50.0.10 (Tokyo's Mediation Servers)"),
        ]);
    }

    #[test]
    fn removed_records_and_a_rejecting_appliance_are_named() {
        let t = Topology::parse(PLAN, None).unwrap();
        let s = samples(&t);
        let mut empty = view("TokyoScope", &[]);
        for scope in &mut empty.zones[0].scopes {
            scope.records.clear();
        }
        let nothing = seen(
            &s[2],
            &[],
            Some(FetchOutcome::NameDoesNotResolve { host: "mb.example.net".into(), answer: DnsFailure::NxDomain }),
        );
        let f = judge_with(&empty, &enabled(), &[nothing], &[]);
        assert_eq!(f[0].message, "zone example.net holds no A record for mb.example.net in any zone scope (removed, or never added), so nothing resolves");

        let rejected = Some(FetchOutcome::Rejected {
            mediation_server: "tyo1".into(),
            address: ip("10.50.0.10"),
            status: 403,
            reason: "disabled".into(),
        });
        let behind = ApplianceRow {
            site: "Tokyo".into(),
            appliance: "tyo1".into(),
            address: ip("10.50.0.10"),
            version: Some(2),
            enabled: false,
            always_bypass: false,
            web_service: "Rejecting".into(),
        };
        let f = judge_with(&view("TokyoScope", &[]), &enabled(), &[seen(&s[2], &["10.50.0.10"], rejected)], &[behind]);
        assert_eq!(f[0].message, "the web service of tyo1 rejects (403) while the tenant says enabled: its LocalStore holds version 2, the tenant is at 3 (replication has not reached it)");

        let removed = Expectation { url: None, enabled: false, records_removed: true };
        let f = judge_with(&view("TokyoScope", &[]), &removed, &[seen(&s[2], &["10.50.0.10"], None)], &[]);
        assert_eq!(f.len(), 2, "{f:?}");
        assert_eq!(f[0].message, "the client received the URL http://mb.example.net/hybridconfig/hybridconfigservice.svc although the tenant's URL is $null");
        assert_eq!(f[1].message, "mb.example.net still resolves to 10.50.0.10 after its records were removed: zone scope OsloScope and zone scope TokyoScope still hold it");
    }

    #[test]
    fn disabled_means_no_internal_bypass_and_doubtful_choices_warn() {
        let t = Topology::parse(PLAN, None).unwrap();
        let s = samples(&t);
        let disabled = Expectation { enabled: false, ..enabled() };
        let f = judge_with(
            &view("TokyoScope", &[]),
            &disabled,
            &[seen(&s[2], &["10.50.0.10"], bypass("tyo1", "10.50.0.10"))],
            &[],
        );
        assert_eq!(
            (f[0].severity, f[0].message.as_str()),
            (Severity::Error, "tyo1 still serves bypass although the tenant disabled it")
        );

        let mixed = seen(&s[2], &["10.40.0.10", "10.50.0.10"], bypass("tyo1", "10.50.0.10"));
        let f = judge_with(&view("TokyoScope", &[]), &enabled(), &[mixed], &[]);
        assert_eq!(f.len(), 1, "{f:?}");
        assert_eq!(f[0].severity, Severity::Warning);
        assert_eq!(f[0].message, "mb.example.net resolves to the Mediation Servers of Oslo and Tokyo for 10.50.0.0/24: some of its clients would use another site's Mediation Servers");

        let unknown = view("TokyoScope", &[]);
        let unknown_host = Context::new(&t, std::slice::from_ref(&unknown), &[], "mb.example.org", 3);
        let nothing = seen(&s[0], &[], None);
        let f = judge("enable", &enabled(), &[nothing], &unknown_host);
        let errors: Vec<&str> =
            f.iter().filter(|f| f.severity == Severity::Error).map(|f| f.message.as_str()).collect();
        assert_eq!(errors, ["no zone of the internal DNS server holds mb.example.org, so nothing resolves (NXDOMAIN)"]);

        let foreign =
            Expectation { url: Some("http://mb.example.com/hybridconfig/hybridconfigservice.svc".into()), ..enabled() };
        let cx_t = Topology::parse(PLAN, None).unwrap();
        let v = view("TokyoScope", &[]);
        let cx = Context::new(&cx_t, std::slice::from_ref(&v), &[], "mb.example.com", 3);
        let f = judge("enable", &foreign, &[], &cx);
        assert_eq!((f[0].severity, f[0].site.as_str()), (Severity::Warning, "all"));
        assert!(f[0].message.contains("outside the SIP domains"), "{}", f[0].message);
    }
}
