//! The forwarder cmdlets of the `DnsServer` module and what they print: `Add-`, `Get-` and
//! `Remove-DnsServerForwarder` ("Adds server level forwarders to a DNS server") and
//! `Add-DnsServerConditionalForwarderZone` ("Conditional forwarders are stored as zones on a DNS
//! server": `Get-DnsServerZone` lists them with ZoneType Forwarder and `Remove-DnsServerZone`
//! removes them), after the Windows Server 2016 pages of MicrosoftDocs/windows-powershell-docs
//! (docset/winserver2016-ps/dnsserver).

use super::cmdlets::{Args, Refusal};
use super::policy::{DnsState, PolicyError};
use crate::runbook::{PsObject, Value};
use std::net::IpAddr;

fn addresses(list: &[IpAddr]) -> Value {
    Value::List(list.iter().map(|ip| Value::String(ip.to_string())).collect())
}

/// `Get-DnsServerForwarder`'s object. **Lab choice:** the properties the lab does not model
/// show Windows' defaults (root hints used, a 3-second timeout, reordering on).
pub(super) fn forwarder_object(state: &DnsState) -> Value {
    let servers = &state.forwarders().servers;
    Value::Object(PsObject {
        type_name: "DnsServerForwarder".into(),
        properties: vec![
            ("UseRootHint".into(), Value::Bool(true)),
            ("Timeout(s)".into(), Value::Int(3)),
            ("EnableReordering".into(), Value::Bool(true)),
            ("IPAddress".into(), if servers.is_empty() { Value::Null } else { addresses(servers) }),
            ("ReorderedIPAddress".into(), if servers.is_empty() { Value::Null } else { addresses(servers) }),
        ],
    })
}

/// A conditional forwarder as `Get-DnsServerZone` lists it.
pub(super) fn forwarder_zone(name: &str, masters: &[IpAddr]) -> Value {
    Value::Object(PsObject {
        type_name: "DnsServerZone".into(),
        properties: vec![
            ("ZoneName".into(), Value::String(name.to_string())),
            ("ZoneType".into(), Value::String("Forwarder".into())),
            ("IsAutoCreated".into(), Value::Bool(false)),
            ("IsDsIntegrated".into(), Value::Bool(false)),
            ("IsReverseLookupZone".into(), Value::Bool(false)),
            ("IsSigned".into(), Value::Bool(false)),
            ("MasterServers".into(), addresses(masters)),
        ],
    })
}

pub(super) fn get_forwarder(state: &DnsState, _: &Args) -> Result<Vec<Value>, PolicyError> {
    Ok(vec![forwarder_object(state)])
}

pub(super) fn add_forwarder(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    state.add_forwarders(&args.list("IPAddress"))?;
    Ok(vec![forwarder_object(state)])
}

pub(super) fn remove_forwarder(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    state.remove_forwarders(&args.list("IPAddress"))?;
    Ok(vec![forwarder_object(state)])
}

pub(super) fn add_conditional_forwarder(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let name = state.add_conditional_forwarder(&args.req("Name")?, &args.list("MasterServers"))?;
    let masters = state.forwarders().zones.get(&name).cloned().unwrap_or_default();
    Ok(vec![forwarder_zone(&name, &masters)])
}

#[cfg(test)]
mod tests {
    use super::super::cmdlets::tests::run;
    use super::super::cmdlets::DnsExecutor;
    use super::super::lookup::Transport;
    use super::super::policy::{Query, Resolution};
    use std::sync::Arc;

    fn resolve(e: &DnsExecutor, name: &str) -> Resolution {
        let q = Query::new("10.50.0.9".parse().unwrap(), "10.50.9.5".parse().unwrap(), name, "A", Transport::Udp);
        e.state.read().unwrap().resolve(&q)
    }

    /// The pages' examples, as a branch office's server runs them: a forwarder for everything
    /// its zones do not hold, a conditional forwarder for one zone, each read back as Windows
    /// prints it and removed again.
    #[test]
    fn forwarders_are_added_read_and_removed_as_the_pages_show() {
        let e = DnsExecutor::new(Arc::default());
        let t = run(
            &e,
            "Add-DnsServerForwarder -IPAddress 10.80.2.53,10.80.2.54 -PassThru\nAdd-DnsServerConditionalForwarderZone \"voice.globex.example\" 10.20.0.53 -PassThru\nGet-DnsServerForwarder\nGet-DnsServerZone",
        )
        .unwrap();
        let shown = t.render();
        assert!(shown.contains("IPAddress          : {10.80.2.53, 10.80.2.54}"), "{shown}");
        assert!(shown.contains("ZoneType            : Forwarder"), "{shown}");
        assert!(shown.contains("MasterServers       : {10.20.0.53}"), "{shown}");
        let forward = |to: &[&str]| Resolution::Forward(to.iter().map(|a| a.parse().unwrap()).collect());
        assert_eq!(resolve(&e, "mb.globex.example"), forward(&["10.80.2.53", "10.80.2.54"]));
        assert_eq!(resolve(&e, "mb.voice.globex.example"), forward(&["10.20.0.53"]));
        assert!(!e.state.read().unwrap().answers_depend_only_on_the_question(), "another server answers");

        run(&e, "Remove-DnsServerForwarder -IPAddress 10.80.2.53,10.80.2.54 -Force\nRemove-DnsServerZone voice.globex.example -Force")
            .unwrap();
        assert_eq!(resolve(&e, "mb.globex.example"), Resolution::Refused, "names outside its zones are refused again");
        let err = run(&e, "Remove-DnsServerForwarder -IPAddress 10.80.2.99").unwrap_err();
        assert!(err.to_string().contains("The forwarder 10.80.2.99 was not found on the DNS server."), "{err}");
        let err = run(&e, "Add-DnsServerPrimaryZone -Name globex.example\nAdd-DnsServerConditionalForwarderZone globex.example 10.80.2.53")
            .unwrap_err();
        assert!(err.to_string().contains("The zone globex.example already exists on the DNS server."), "{err}");
    }
}
