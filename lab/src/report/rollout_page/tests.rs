use super::*;
use crate::report::graph::tests::{assert_balanced, plan};
use crate::rollout::model::{Decision, Finding, PhaseVerdict, SubnetRow, WebServiceVerdict};

fn row(site: &str, subnet: &str, decision: Decision) -> SubnetRow {
    SubnetRow {
        site: site.into(),
        subnet: subnet.into(),
        range: subnet.into(),
        address: "10.0.0.200".parse().unwrap(),
        window: None,
        client: "user1@fabrikam.example".into(),
        population: None,
        resolved: vec!["10.0.0.10".parse().unwrap()],
        resolved_site: Some(site.into()),
        web_service: WebServiceVerdict::Served,
        decision,
        reason: "bypassEnabled <true> & mode \"Any\"".into(),
        media: crate::mediation::MediaPath::Bypass.as_str().into(),
    }
}

fn report() -> RehearsalReport {
    RehearsalReport {
        phases: vec![PhaseVerdict {
            name: "enable".into(),
            rows: vec![
                row("Site000", "10.0.0.0/24", Decision::Bypass),
                row("Site000", "10.0.8.0/24", Decision::NoBypass),
            ],
            appliances: vec![],
            intent: Some("bypass on, URL set, records present (from its name)".into()),
            judged_at: "day 1 00:00".into(),
            output: vec![],
            timeline: None,
            populations: vec![],
        }],
        findings: vec![Finding {
            severity: Severity::Error,
            phase: "enable".into(),
            site: "Site000".into(),
            subnet: "10.0.8.0/24".into(),
            range: "10.0.8.0/24".into(),
            window: None,
            lines: vec![3],
            message: "no client subnet covers 10.0.8.0/24, so its queries fall to the default scope".into(),
        }],
        ..Default::default()
    }
}

fn provenance() -> Provenance {
    Provenance {
        command: "bypass-lab rehearse --runbook rollout.ps1".into(),
        plan: "plan.toml".into(),
        input: ("runbook".into(), "rollout.ps1".into()),
        version: "0.1.0".into(),
        at: "2025-12-06 09:35 UTC".into(),
    }
}

const RUNBOOK: &str = "# phase: enable\n# <script>alert(\"x\")</script>\nSet-CsTenantHybridConfiguration -HybridConfigServiceInternalUrl \"http://a&b\"\nSet-CsNetworkConfiguration -MediaBypassSettings $m\n";

#[test]
fn runbook_text_is_escaped_the_failing_line_marked_and_later_lines_not_run() {
    let failure =
        RunbookFailure { phase: "enable".into(), line: 3, column: 5, message: "unknown parameter <Foo>".into() };
    let page = render(&report(), &plan(3), RUNBOOK, Some(&failure), &provenance());
    assert!(!page.contains("<script"), "the runbook's markup reached the page raw");
    assert!(page.contains("# &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert!(page.contains("<div class=\"line failing\" id=\"line-3\" data-line=\"3\">"));
    assert!(page.contains("line 3, column 5: unknown parameter &lt;Foo&gt;"));
    assert!(page.contains("<div class=\"line phase\" id=\"line-1\" data-line=\"1\">"));
    assert!(page.contains("<div class=\"line not-run\" id=\"line-4\" data-line=\"4\">"), "line 4 never ran");
    assert!(page.contains("<span class=\"tag not-run\">not run</span></div>"));
    assert_eq!(page.matches("class=\"tag not-run\"").count(), 1, "only line 4 is a statement after the stop");
    assert!(page.contains("data-verdict=\"fail\""));
    assert_balanced(page.split_once("<body>").unwrap().1.split_once("</body>").unwrap().0);
}

#[test]
fn findings_come_first_and_link_to_their_rows_and_lines() {
    let page = render(&report(), &plan(3), RUNBOOK, None, &provenance());
    let finding = page.find("<tr class=\"finding error\" id=\"finding-1\"").expect("the finding, numbered");
    let summary = page.find("<table class=\"summary\"").expect("the summary");
    let matrix = page.find("<table class=\"matrix\"").expect("the phase's matrix");
    assert!(finding < summary && summary < matrix, "findings, then the summary, then the details");
    assert!(page.contains("<a class=\"row-link\" href=\"#row-enable-site000-10-0-8-0-24\">row</a>"));
    assert!(page.contains("<a class=\"line-link\" href=\"#line-3\">line 3</a>"));
    assert!(page.contains("<tr class=\"row error\" id=\"row-enable-site000-10-0-8-0-24\""));
    assert!(page.contains(
        "<div class=\"line blamed\" id=\"line-3\" data-line=\"3\"><span class=\"no\"><a href=\"#finding-1\">3</a>"
    ));
    assert!(page.contains("<span class=\"tag blame\">finding <a href=\"#finding-1\">1</a></span>"));
}

#[test]
fn cells_say_where_they_are_and_whether_they_are_what_the_phase_expects() {
    let page = render(&report(), &plan(3), RUNBOOK, None, &provenance());
    assert!(page.contains(
        "<td class=\"decision bypass\" data-label=\"decision\" data-phase=\"enable\" data-site=\"Site000\" data-subnet=\"10.0.0.0/24\" data-decision=\"bypass\" data-expected=\"bypass\" data-observed=\"bypass\">"
    ));
    assert!(page.contains("<tr class=\"row ok\" id=\"row-enable-site000-10-0-0-0-24\""));
    assert!(page.contains("<td class=\"cell error\" data-label=\"enable\" data-phase=\"enable\" data-state=\"error\" data-expected=\"bypass\" data-observed=\"no-bypass\""));
    assert!(page.contains("<span class=\"expected-word\">expected bypass</span>"));
    assert!(page.contains("bypassEnabled &lt;true&gt; &amp; mode &quot;Any&quot;"));
    assert!(page.contains("1 of 2 site subnets bypass (expected: bypass); 1 place is not what the phase expects."));
    assert!(page.contains("<dd class=\"input mono\" data-provenance=\"runbook\">rollout.ps1</dd>"));
    assert!(page.contains("data-verdict=\"fail\""), "an error finding fails the rehearsal");
}

#[test]
fn a_clean_rehearsal_passes_and_loads_nothing() {
    let mut clean = report();
    clean.findings.clear();
    clean.phases[0].rows[1].decision = Decision::Bypass;
    let page = render(&clean, &plan(3), RUNBOOK, None, &provenance());
    assert!(page.contains("data-verdict=\"pass\""));
    assert!(page.contains("<b>Yes.</b>"));
    assert!(page.contains("2 of 2 site subnets bypass (expected: bypass); every place is what the phase expects."));
    assert!(page.contains("default-src 'none'"));
    for loading in ["<script", "<link", "src=", "@import", "url("] {
        assert!(!page.contains(loading), "the page would load something: {loading}");
    }
}

#[test]
fn the_picture_of_a_large_plan_starts_folded() {
    let small = render(&report(), &plan(3), RUNBOOK, None, &provenance());
    let large = render(&report(), &plan(200), RUNBOOK, None, &provenance());
    assert!(small.contains("<details class=\"picture\" open><summary>3 sites, 6 appliances</summary>"));
    assert!(large.contains("<details class=\"picture\"><summary>200 sites, 500 appliances</summary>"));
    assert!(large.contains("data-appliance=\"cce-199-3\""), "folded, not left out");
}

#[test]
fn each_dns_servers_chain_is_drawn_after_the_runbook() {
    let topology = plan(3);
    let mut with_dns = report();
    let view = crate::rollout::dns_view::planned(&topology).unwrap();
    with_dns.dns_servers = vec![crate::rollout::dns_view::DnsServerView { name: "dc<1>".into(), view }];
    let page = render(&with_dns, &topology, RUNBOOK, None, &provenance());
    let runbook = page.find("id=\"runbook\"").expect("the runbook section");
    let dns = page.find("<h2 id=\"dns-plan\">").expect("the DNS plan section");
    assert!(runbook < dns, "the DNS plan comes after the runbook");
    assert!(page[dns..].contains("data-server=\"dc&lt;1&gt;\""));
    assert_eq!(page[dns..].matches("<g class=\"client-subnet\"").count(), 3, "a client subnet per site");
    assert!(!render(&report(), &topology, RUNBOOK, None, &provenance()).contains("id=\"dns-plan\""));
}
