//! The output and filter cmdlets on objects a modelled cmdlet returns.

use super::*;

/// A DNS server whose `Get-` cmdlets return three client subnets and whose other cmdlets record
/// their calls.
#[derive(Default)]
struct Subnets {
    calls: Mutex<Vec<Invocation>>,
}

fn subnet(name: &str, ipv4: &[&str], weight: i64) -> Value {
    Value::Object(PsObject {
        type_name: "DnsServerClientSubnet".into(),
        properties: vec![
            ("Name".into(), Value::String(name.into())),
            ("IPV4Subnet".into(), Value::List(ipv4.iter().map(|s| Value::String(s.to_string())).collect())),
            ("IPV6Subnet".into(), Value::Null),
            ("Weight".into(), Value::Int(weight)),
        ],
    })
}

#[async_trait::async_trait]
impl Executor for Subnets {
    async fn execute(&self, invocation: &Invocation) -> Result<CmdletOutput, CmdletError> {
        self.calls.lock().unwrap().push(invocation.clone());
        if invocation.cmdlet.starts_with("Get-") {
            return Ok(CmdletOutput {
                objects: vec![
                    subnet("SeattleSubnet", &["10.10.1.0/24"], 3),
                    subnet("AmsterdamSubnet", &["192.168.1.0/24"], 12),
                    subnet("OsloSubnet", &["10.20.0.0/16", "10.21.0.0/16"], 5),
                ],
                warnings: vec![],
                verbose: vec![],
            });
        }
        Ok(CmdletOutput::nothing())
    }
}

fn dns() -> (Arc<Subnets>, CmdletTable) {
    let dns = Arc::new(Subnets::default());
    (dns.clone(), RoleExecutors { dns: Some(dns), ..Default::default() }.cmdlet_table())
}

/// The one string a formatting line printed.
fn printed(source: &str) -> String {
    let (_, table) = dns();
    let t = block(run(source, &table)).unwrap();
    assert!(t.succeeded(), "{}", t.render());
    match t.steps.last().unwrap().output.objects.as_slice() {
        [Value::String(text)] => text.clone(),
        other => panic!("{other:?}"),
    }
}

fn names(source: &str) -> Vec<String> {
    let (_, table) = dns();
    let t = block(run(source, &table)).unwrap();
    assert!(t.succeeded(), "{}", t.render());
    t.steps
        .last()
        .unwrap()
        .output
        .objects
        .iter()
        .map(|o| crate::runbook::property::follow(o.clone(), "Name").display())
        .collect()
}

#[test]
fn format_table_lines_up_columns_as_the_console_does() {
    let text = printed("Get-DnsServerClientSubnet | Format-Table -AutoSize");
    assert_eq!(
        text,
        "\nName            IPV4Subnet                   IPV6Subnet Weight\n----            ----------                   ---------- ------\nSeattleSubnet   {10.10.1.0/24}                               3\nAmsterdamSubnet {192.168.1.0/24}                            12\nOsloSubnet      {10.20.0.0/16, 10.21.0.0/16}                 5\n"
    );
    let text = printed("Get-DnsServerClientSubnet | Format-Table Name, Weight");
    assert!(text.starts_with("\nName            Weight\n----            ------\nSeattleSubnet        3\n"), "{text}");
}

#[test]
fn format_list_shows_the_properties_asked_for() {
    let text = printed("Get-DnsServerClientSubnet -Name SeattleSubnet | Format-List -Property Name,IPV4*");
    assert!(
        text.starts_with("\nName       : SeattleSubnet\nIPV4Subnet : {10.10.1.0/24}\n\nName       : AmsterdamSubnet\n"),
        "{text}"
    );
    assert!(!text.contains("Weight"), "{text}");
    let all = printed("Get-DnsServerClientSubnet | Format-List *");
    assert!(all.contains("\nWeight     : 3\n"), "{all}");
}

#[test]
fn where_object_takes_a_script_block_or_the_simplified_form() {
    assert_eq!(names("Get-DnsServerClientSubnet | Where-Object { $_.Name -eq 'OsloSubnet' }"), ["OsloSubnet"]);
    assert_eq!(
        names("Get-DnsServerClientSubnet | Where-Object { $_.Weight -gt 3 -and $_.Name -like '*dam*' }"),
        ["AmsterdamSubnet"]
    );
    assert_eq!(
        names("Get-DnsServerClientSubnet | Where-Object { -not $_.Weight -or $_.IPV4Subnet -contains '10.21.0.0/16' }"),
        ["OsloSubnet"]
    );
    assert_eq!(
        names("Get-DnsServerClientSubnet | Where-Object Name -ne SeattleSubnet"),
        ["AmsterdamSubnet", "OsloSubnet"]
    );
    assert_eq!(names("Get-DnsServerClientSubnet | Where-Object Weight -le 5"), ["SeattleSubnet", "OsloSubnet"]);
    assert_eq!(
        names("$min = 4\nGet-DnsServerClientSubnet | Where-Object {\n  $_.Weight -ge $min\n}"),
        ["AmsterdamSubnet", "OsloSubnet"]
    );
}

#[test]
fn select_and_sort_object() {
    assert_eq!(
        names("Get-DnsServerClientSubnet | Sort-Object Name"),
        ["AmsterdamSubnet", "OsloSubnet", "SeattleSubnet"]
    );
    assert_eq!(
        names("Get-DnsServerClientSubnet | Sort-Object -Property Weight -Descending | Select-Object -First 2"),
        ["AmsterdamSubnet", "OsloSubnet"]
    );
    assert_eq!(names("Get-DnsServerClientSubnet | Select-Object -Last 1"), ["OsloSubnet"]);
    let (_, table) = dns();
    let t = block(run("Get-DnsServerClientSubnet | Select-Object -ExpandProperty IPV4Subnet", &table)).unwrap();
    assert_eq!(t.steps[0].output.objects.len(), 4, "lists are expanded item by item");
    let t = block(run("Get-DnsServerClientSubnet | Select-Object Name, Missing -First 1", &table)).unwrap();
    let Value::Object(o) = &t.steps[0].output.objects[0] else { panic!() };
    assert_eq!(o.type_name, "Selected.DnsServerClientSubnet");
    assert_eq!(
        o.properties,
        vec![("Name".into(), Value::String("SeattleSubnet".into())), ("Missing".into(), Value::Null)]
    );
}

#[test]
fn foreach_object_reads_properties_and_runs_cmdlets_per_object() {
    let (_, table) = dns();
    let t = block(run("Get-DnsServerClientSubnet | ForEach-Object { $_.Name }", &table)).unwrap();
    assert_eq!(
        t.steps[0].output.objects,
        ["SeattleSubnet", "AmsterdamSubnet", "OsloSubnet"].map(|n| Value::String(n.into()))
    );
    let (dns, table) = dns();
    let t = block(run(
        "Get-DnsServerClientSubnet | Where-Object Weight -lt 10 | ForEach-Object { Remove-DnsServerClientSubnet -Name $_.Name -Confirm:$false }",
        &table,
    ))
    .unwrap();
    assert!(t.succeeded(), "{}", t.render());
    let removed: Vec<String> = dns
        .calls
        .lock()
        .unwrap()
        .iter()
        .filter(|c| c.cmdlet == "Remove-DnsServerClientSubnet")
        .map(|c| c.string("Name").unwrap().to_string())
        .collect();
    assert_eq!(removed, ["SeattleSubnet", "OsloSubnet"]);
    let t = block(run("Get-DnsServerClientSubnet | ForEach-Object Name", &table)).unwrap();
    assert_eq!(t.steps[0].output.objects.len(), 3);
}

#[test]
fn a_foreach_block_is_checked_before_anything_runs() {
    let (dns, table) = dns();
    let t =
        block(run("Get-DnsServerClientSubnet | ForEach-Object { Remove-DnsServerClientSubnet -Nme $_.Name }", &table))
            .unwrap();
    assert_eq!(t.failures().next().unwrap().message, "A parameter cannot be found that matches parameter name 'Nme'.");
    assert!(dns.calls.lock().unwrap().is_empty(), "not even the Get- ran");
}

#[test]
fn out_null_out_string_and_measure_object() {
    let (_, table) = dns();
    let t = block(run("Get-DnsServerClientSubnet | Out-Null", &table)).unwrap();
    assert!(t.steps[0].output.objects.is_empty());
    // Out-String writes what the console shows: four properties without format data, a table.
    let text = printed("Get-DnsServerClientSubnet | Select-Object -First 1 | Out-String");
    assert_eq!(
        text,
        "\nName          IPV4Subnet     IPV6Subnet Weight\n----          ----------     ---------- ------\nSeattleSubnet {10.10.1.0/24}                 3\n\n"
    );
    let text = printed("Get-DnsServerClientSubnet | Select-Object -First 1 | Measure-Object | Out-String");
    assert!(text.starts_with("\nCount    : 1\nAverage  :\n"), "GenericMeasureInfo is a list: {text:?}");
    let t = block(run(
        "Get-DnsServerClientSubnet | Measure-Object -Property Weight -Sum -Average -Maximum -Minimum",
        &table,
    ))
    .unwrap();
    let Value::Object(m) = &t.steps[0].output.objects[0] else { panic!() };
    assert_eq!(
        (m.get("Count"), m.get("Sum"), m.get("Maximum"), m.get("Minimum"), m.get("Average")),
        (
            Some(&Value::Int(3)),
            Some(&Value::Int(20)),
            Some(&Value::Int(12)),
            Some(&Value::Int(3)),
            Some(&Value::String("6.666666666666667".into()))
        )
    );
    let t = block(run("Get-DnsServerClientSubnet | Measure-Object", &table)).unwrap();
    let Value::Object(m) = &t.steps[0].output.objects[0] else { panic!() };
    assert_eq!((m.get("Count"), m.get("Sum")), (Some(&Value::Int(3)), Some(&Value::Null)));
}

#[test]
fn control_statements_are_a_parse_error_so_nothing_runs() {
    let (dns, table) = dns();
    let err = block(run("Get-DnsServerClientSubnet\nforeach { Get-DnsServerClientSubnet }", &table)).unwrap_err();
    assert_eq!((err.line, err.column), (2, 1));
    assert!(
        err.message.starts_with("The 'foreach' statement is not supported by the runbook runner"),
        "{}",
        err.message
    );
    assert!(dns.calls.lock().unwrap().is_empty());
}
