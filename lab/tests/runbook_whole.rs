//! No runbook statement that reports failure has changed anything: random statements of the DNS
//! server's cmdlets, with random parameter sets and random pipes into output cmdlets, unknown
//! names and bad parameters, run against a seeded DNS server; the server's configuration read
//! through its `Get-` cmdlets before and after a failed statement is the same.

use bypass_lab::dns::{topology_invocations, DnsExecutor};
use bypass_lab::lab::{modelled_cmdlets, RoleExecutors};
use bypass_lab::runbook::{run, CmdletSpec, CmdletTable, ParamKind, Target, Transcript};
use bypass_lab::topology::Topology;
use proptest::prelude::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

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
