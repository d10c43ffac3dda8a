//! No runbook statement that reports failure has changed anything: random statements of the DNS
//! server's and the tenant's cmdlets, with random parameter sets and random pipes into output
//! cmdlets, unknown names and bad parameters, run against a seeded DNS server and a tenant on
//! loopback; what they hold, read through their `Get-` cmdlets before and after a failed
//! statement, is the same.

use bypass_lab::dns::{topology_invocations, DnsExecutor};
use bypass_lab::lab::{modelled_cmdlets, RoleExecutors};
use bypass_lab::runbook::{run, CmdletSpec, CmdletTable, ParamKind, Target, Transcript};
use bypass_lab::tenant::{ApplianceRegistration, TenantExecutor};
use bypass_lab::topology::Topology;
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

mod support;

fn seeded() -> CmdletTable {
    let executor = DnsExecutor::new(Arc::default());
    for call in topology_invocations(&Topology::seed()) {
        executor.apply(&call).expect("the seed's DNS configuration applies");
    }
    RoleExecutors { dns: Some(Arc::new(executor)), ..Default::default() }.cmdlet_table()
}

/// What the server holds, as its `Get-` cmdlets print it.
const SNAPSHOT: &str = "Get-DnsServerZone\nGet-DnsServerClientSubnet\nGet-DnsServerZoneScope -ZoneName adatum.biz\nGet-DnsServerResourceRecord -ZoneName adatum.biz\nGet-DnsServerResourceRecord -ZoneName adatum.biz -ZoneScope AmsterdamZoneScope\nGet-DnsServerResourceRecord -ZoneName adatum.biz -ZoneScope SeattleZoneScope\nGet-DnsServerQueryResolutionPolicy -ZoneName adatum.biz\nGet-DnsServerQueryResolutionPolicy";

fn snapshot(rt: &tokio::runtime::Runtime, table: &CmdletTable) -> serde_json::Value {
    let t: Transcript = rt.block_on(run(SNAPSHOT, table)).expect("the snapshot runs");
    t.to_json()
}

/// Values an admin could write for a parameter of `kind`, good and bad.
fn value(kind: ParamKind) -> BoxedStrategy<String> {
    let words = prop_oneof![
        Just("AmsterdamSubnet"),
        Just("SeattleSubnet"),
        Just("adatum.biz"),
        Just("AmsterdamZoneScope"),
        Just("SeattleZoneScope"),
        Just("AmsterdamPolicy"),
        Just("hybridvoice"),
        Just("NewName"),
        Just("10.77.0.0/16"),
        Just("192.168.1.45"),
        Just("'EQ,AmsterdamSubnet'"),
        Just("'AmsterdamZoneScope,1'"),
        Just("bogus"),
        Just("$null"),
        Just("''"),
    ];
    match kind {
        ParamKind::Switch => Just(String::new()).boxed(),
        ParamKind::Bool => prop_oneof![Just("$true"), Just("$false"), Just("maybe")].prop_map(String::from).boxed(),
        ParamKind::Int => {
            prop_oneof![Just("1"), Just("2"), Just("99"), Just("-1"), Just("x")].prop_map(String::from).boxed()
        }
        ParamKind::Enum(set) => {
            prop_oneof![proptest::sample::select(set.to_vec()), Just("Nope")].prop_map(String::from).boxed()
        }
        _ => words.prop_map(String::from).boxed(),
    }
}

/// A stage after the cmdlet: output cmdlets that run, and parts that cannot run.
fn tail() -> impl Strategy<Value = String> {
    prop_oneof![
        8 => Just(""), 2 => Just(" | Format-List"), 1 => Just(" | Format-Table Name"), 1 => Just(" | Sort-Object Name"),
        1 => Just(" | Where-Object Name -eq x"), 1 => Just(" | Select-Object -First 1"), 1 => Just(" | Out-Null"),
        1 => Just(" | Format-List -Bogus"), 1 => Just(" | Get-Thing"), 1 => Just(" | Get-DnsServerRecursion"),
        1 => Just(" | Set-CsNetworkConfiguration"), 1 => Just(" | Where-Object { $_.Name -eq }"),
        1 => Just(" -NoSuchParameter 1"), 1 => Just(" -ApplyOnRecursion"),
    ]
    .prop_map(String::from)
}

/// One statement: a DNS cmdlet that changes something, some of its parameters, a tail.
fn statement() -> impl Strategy<Value = String> {
    let changing: Vec<&'static CmdletSpec> = modelled_cmdlets()
        .listing()
        .iter()
        .map(|l| l.spec)
        .filter(|s| s.target == Target::Dns && !s.name.starts_with("Get-") && s.name != "Resolve-DnsName")
        .collect();
    proptest::sample::select(changing).prop_flat_map(|spec| {
        let params: Vec<BoxedStrategy<Option<String>>> = spec
            .params
            .iter()
            .map(|p| {
                let name = p.name;
                proptest::option::weighted(if p.mandatory { 0.9 } else { 0.3 }, value(p.kind))
                    .prop_map(move |v| v.map(|v| format!(" -{name} {v}").trim_end().to_string()))
                    .boxed()
            })
            .collect();
        (Just(spec.name), params, tail()).prop_map(|(name, params, tail)| {
            format!("{name}{}{tail}", params.into_iter().flatten().collect::<String>())
        })
    })
}

#[test]
fn a_statement_that_reports_failure_has_changed_nothing() {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = ProptestConfig { cases: 800, failure_persistence: None, ..ProptestConfig::default() };
    let (failed, changed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    proptest!(config, |(line in statement())| {
        let table = seeded();
        let before = snapshot(&rt, &table);
        let outcome = rt.block_on(run(&line, &table)).and_then(Transcript::into_result);
        let after = snapshot(&rt, &table);
        match outcome {
            Err(e) => {
                failed.fetch_add(1, Ordering::Relaxed);
                prop_assert_eq!(&before, &after, "{} failed ({}) but changed the server", line, e.message);
            }
            Ok(_) => {
                changed.fetch_add(usize::from(before != after), Ordering::Relaxed);
            }
        }
    });
    let (failed, changed) = (failed.into_inner(), changed.into_inner());
    println!("{failed} failed statements changed nothing; {changed} of the others changed the server");
    assert!(failed > 100 && changed > 0, "the generator should make both: {failed} failed, {changed} changed");
}

/// What the tenant holds, as its `Get-` cmdlets print it (the appliance's `TenantVersion` shows
/// the configuration version, which every accepted change moves).
const TENANT_SNAPSHOT: &str = "Get-CsTenantHybridConfiguration\nGet-CsNetworkConfiguration\nGet-CsHybridPSTNAppliance\nGet-CsHybridPSTNSite\nGet-CsUserPstnSettings\nGet-CsUserPstnSettings -Identity alice\nGet-CsTenant";

/// Values an admin could write for a tenant cmdlet's parameter, good and bad.
fn tenant_value(kind: ParamKind) -> BoxedStrategy<String> {
    let own = bypass_lab::tenant::tenant_id(&Topology::seed().tenant.domain).to_string();
    let words = prop_oneof![
        Just("Global".to_string()),
        Just("http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc".to_string()),
        Just("https://hybridvoice.contoso.com/x".to_string()),
        Just("ftp://x".to_string()),
        Just("Seattle".to_string()),
        Just("Zurich".to_string()),
        Just("alice@adatum.biz".to_string()),
        Just("someone@fabrikam.com".to_string()),
        Just("ams-cce1".to_string()),
        Just("sea-cce9".to_string()),
        Just(own),
        Just("38aad667-af54-4397-aaa7-e94c79ec2308".to_string()),
        Just("$m".to_string()),
        Just("$undefined".to_string()),
        Just("$null".to_string()),
        Just("''".to_string()),
    ];
    match kind {
        ParamKind::Switch => Just(String::new()).boxed(),
        ParamKind::Bool => prop_oneof![Just("$true"), Just("$false"), Just("maybe")].prop_map(String::from).boxed(),
        ParamKind::Object(_) => prop_oneof![Just("$m"), Just("$undefined"), Just("'x'")].prop_map(String::from).boxed(),
        ParamKind::Enum(set) => {
            prop_oneof![proptest::sample::select(set.to_vec()), Just("Nope")].prop_map(String::from).boxed()
        }
        _ => words.boxed(),
    }
}

/// One statement: a tenant cmdlet that changes something, some of its parameters, a tail.
fn tenant_statement() -> impl Strategy<Value = String> {
    let changing: Vec<&'static CmdletSpec> = modelled_cmdlets()
        .listing()
        .iter()
        .map(|l| l.spec)
        .filter(|s| s.target == Target::Tenant && !s.name.starts_with("Get-"))
        .collect();
    let tail = prop_oneof![
        8 => Just(""), 1 => Just(" | Format-List"), 1 => Just(" | Out-String"), 1 => Just(" | Get-CsThing"),
        1 => Just(" | Set-DnsServerClientSubnet"), 1 => Just(" -NoSuchParameter 1"), 1 => Just(" -EnableBandwidthPolicyCheck $true"),
        1 => Just(" -WhatIf"), 1 => Just(" -Confirm:$false"), 1 => Just(" -ErrorAction Stop"),
    ];
    proptest::sample::select(changing).prop_flat_map(move |spec| {
        let params: Vec<BoxedStrategy<Option<String>>> = spec
            .params
            .iter()
            .map(|p| {
                let name = p.name;
                proptest::option::weighted(if p.mandatory { 0.9 } else { 0.4 }, tenant_value(p.kind))
                    .prop_map(move |v| v.map(|v| format!(" -{name} {v}").trim_end().to_string()))
                    .boxed()
            })
            .collect();
        (Just(spec.name), params, tail.clone()).prop_map(|(name, params, tail)| {
            format!("{name}{}{tail}", params.into_iter().flatten().collect::<String>())
        })
    })
}

#[test]
fn a_tenant_statement_that_reports_failure_has_changed_nothing() {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    let seed = Topology::seed();
    let tenant = rt.block_on(support::tenant(seed.clone()));
    let (site, appliance) = seed.appliances().next().unwrap();
    let registration = ApplianceRegistration {
        name: appliance.name.clone(),
        site_name: site.name.clone(),
        fqdn: seed.fqdn(appliance),
        address: appliance.address,
        explicit: false,
    };
    rt.block_on(tenant.as_appliance(&appliance.name).register(&registration)).expect("the appliance registers");
    let admin = tenant.as_admin();
    let table = RoleExecutors { tenant: Some(Arc::new(TenantExecutor::new(admin.clone()))), ..Default::default() }
        .cmdlet_table();
    let snapshot = || {
        let t: Transcript = rt.block_on(run(TENANT_SNAPSHOT, &table)).expect("the snapshot runs");
        (t.to_json(), rt.block_on(admin.configuration()).expect("the configuration reads"))
    };
    let config = ProptestConfig { cases: 300, failure_persistence: None, ..ProptestConfig::default() };
    let (failed, changed) = (AtomicUsize::new(0), AtomicUsize::new(0));
    proptest!(config, |(line in tenant_statement())| {
        let before = snapshot();
        // `$m` holds a media bypass configuration built in the session, as the guide's lines do.
        let source = format!("$m = New-CsNetworkMediaBypassConfiguration -Enabled $true -AlwaysBypass $true\n{line}");
        let outcome = rt.block_on(run(&source, &table)).and_then(Transcript::into_result);
        let after = snapshot();
        match outcome {
            Err(e) => {
                failed.fetch_add(1, Ordering::Relaxed);
                prop_assert_eq!(&before, &after, "{} failed ({}) but changed the tenant", line, e.message);
            }
            Ok(_) => {
                changed.fetch_add(usize::from(before != after), Ordering::Relaxed);
            }
        }
    });
    let (failed, changed) = (failed.into_inner(), changed.into_inner());
    println!("tenant: {failed} failed statements changed nothing; {changed} of the others changed the tenant");
    assert!(failed > 50 && changed > 0, "the generator should make both: {failed} failed, {changed} changed");
}
