//! The DNS Server cmdlets the runbook runner accepts, and the executor that applies a bound
//! call to the server's configuration (used by the management API and the start-up script).

use super::lookup::{self, Answer, Transport};
use super::policy::{CriterionKind, DnsState, NewPolicy, PolicyError};
use crate::runbook::{CmdletError, CmdletOutput, CmdletSpec, Executor, Invocation, ParamKind, ParamSpec, PsObject, Target, Value};
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use ParamKind::{Int, String as Str, StringList, Switch};

const ACTIONS: &[&str] = &["ALLOW", "DENY", "IGNORE"];
const CONDITIONS: &[&str] = &["AND", "OR"];

pub const SPECS: &[CmdletSpec] = &[
    CmdletSpec {
        name: "Add-DnsServerPrimaryZone",
        target: Target::Dns,
        params: &[
            ParamSpec::named("Name", Str).required(),
            ParamSpec::named("ZoneFile", Str),
            ParamSpec::named("ReplicationScope", Str),
        ],
    },
    CmdletSpec {
        name: "Add-DnsServerClientSubnet",
        target: Target::Dns,
        params: &[
            ParamSpec::named("Name", Str).required(),
            ParamSpec::named("IPv4Subnet", StringList),
            ParamSpec::named("IPv6Subnet", StringList),
        ],
    },
    CmdletSpec {
        name: "Add-DnsServerZoneScope",
        target: Target::Dns,
        params: &[ParamSpec::named("ZoneName", Str).required(), ParamSpec::named("Name", Str).required()],
    },
    CmdletSpec {
        name: "Add-DnsServerResourceRecord",
        target: Target::Dns,
        params: &[
            ParamSpec::named("ZoneName", Str).required(),
            ParamSpec::named("A", Switch).required(),
            ParamSpec::named("Name", Str).required(),
            ParamSpec::named("IPv4Address", Str).required(),
            ParamSpec::named("ZoneScope", Str),
        ],
    },
    CmdletSpec {
        name: "Add-DnsServerQueryResolutionPolicy",
        target: Target::Dns,
        params: &[
            ParamSpec::named("Name", Str).required(),
            ParamSpec::named("Action", ParamKind::Enum(ACTIONS)),
            ParamSpec::named("ClientSubnet", Str),
            ParamSpec::named("Fqdn", Str),
            ParamSpec::named("QType", Str),
            ParamSpec::named("ServerInterfaceIP", Str),
            ParamSpec::named("TransportProtocol", Str),
            ParamSpec::named("Condition", ParamKind::Enum(CONDITIONS)),
            ParamSpec::named("ZoneScope", Str),
            ParamSpec::named("ProcessingOrder", Int),
            ParamSpec::named("ZoneName", Str),
        ],
    },
    CmdletSpec {
        name: "Remove-DnsServerResourceRecord",
        target: Target::Dns,
        params: &[
            ParamSpec::named("ZoneName", Str).required(),
            ParamSpec::named("RRType", Str).required(),
            ParamSpec::named("Name", Str).required(),
            ParamSpec::named("RecordData", StringList),
            ParamSpec::named("ZoneScope", Str),
            ParamSpec::named("Force", Switch),
        ],
    },
    CmdletSpec {
        name: "Remove-DnsServerQueryResolutionPolicy",
        target: Target::Dns,
        params: &[ParamSpec::named("Name", Str).required(), ParamSpec::named("ZoneName", Str), ParamSpec::named("Force", Switch)],
    },
    CmdletSpec {
        name: "Get-DnsServerResourceRecord",
        target: Target::Dns,
        params: &[ParamSpec::named("ZoneName", Str).required(), ParamSpec::named("Name", Str), ParamSpec::named("ZoneScope", Str)],
    },
    CmdletSpec {
        name: "Get-DnsServerQueryResolutionPolicy",
        target: Target::Dns,
        params: &[ParamSpec::named("ZoneName", Str)],
    },
    CmdletSpec {
        name: "Get-DnsServerZone",
        target: Target::Dns,
        params: &[ParamSpec::named("Name", Str)],
    },
    CmdletSpec {
        name: "Get-DnsServerZoneScope",
        target: Target::Dns,
        params: &[ParamSpec::named("ZoneName", Str).required(), ParamSpec::named("Name", Str)],
    },
    CmdletSpec {
        name: "Get-DnsServerClientSubnet",
        target: Target::Dns,
        params: &[ParamSpec::named("Name", Str)],
    },
    CmdletSpec {
        name: "Resolve-DnsName",
        target: Target::Dns,
        params: &[
            ParamSpec::named("Name", Str).required().at(0),
            ParamSpec::named("Server", Str),
            ParamSpec::named("Type", Str),
            ParamSpec::named("DnsOnly", Switch),
        ],
    },
];

/// The spec of a DNS cmdlet, by name (case-insensitive).
pub fn spec(name: &str) -> Option<&'static CmdletSpec> {
    SPECS.iter().find(|s| s.name.eq_ignore_ascii_case(name))
}

/// Runs DNS cmdlets against the server's own configuration.
#[derive(Clone)]
pub struct DnsExecutor {
    pub state: Arc<RwLock<DnsState>>,
    /// Where this server answers DNS, for `Resolve-DnsName` run on the server itself.
    pub answers_on: Option<SocketAddr>,
}

impl DnsExecutor {
    pub fn new(state: Arc<RwLock<DnsState>>) -> DnsExecutor {
        DnsExecutor { state, answers_on: None }
    }

    /// Applies one configuration cmdlet; `Resolve-DnsName` goes through [`Executor::execute`].
    pub fn apply(&self, call: &Invocation) -> Result<CmdletOutput, CmdletError> {
        let fail = |e: PolicyError| CmdletError::new(format!("{}: {e}", canonical(&call.cmdlet)));
        let args = Args(call);
        let name = canonical(&call.cmdlet);
        if name.starts_with("Get-DnsServer") {
            let state = self.state.read().expect("DNS state lock");
            return super::cmdlets_output::get(&state, name, &args).map_err(fail);
        }
        let mut state = self.state.write().expect("DNS state lock");
        match name {
            "Add-DnsServerPrimaryZone" => state.add_zone(&args.req("Name")?, args.opt("ZoneFile"), args.opt("ReplicationScope")),
            "Add-DnsServerClientSubnet" => state.add_client_subnet(&args.req("Name")?, &args.list("IPv4Subnet"), &args.list("IPv6Subnet")),
            "Add-DnsServerZoneScope" => state.add_zone_scope(&args.req("ZoneName")?, &args.req("Name")?),
            "Add-DnsServerResourceRecord" => {
                if !call.switch("A") {
                    return Err(CmdletError::new(format!("{name}: only A records are supported: add -A")));
                }
                state.add_a(&args.req("ZoneName")?, args.opt("ZoneScope").as_deref(), &args.req("Name")?, &args.req("IPv4Address")?)
            }
            "Add-DnsServerQueryResolutionPolicy" => {
                let criteria = [
                    ("ClientSubnet", CriterionKind::ClientSubnet),
                    ("Fqdn", CriterionKind::Fqdn),
                    ("QType", CriterionKind::QType),
                    ("ServerInterfaceIP", CriterionKind::ServerInterfaceIP),
                    ("TransportProtocol", CriterionKind::TransportProtocol),
                ]
                .into_iter()
                .filter_map(|(param, kind)| args.opt(param).map(|text| (kind, text)))
                .collect();
                state.add_policy(NewPolicy {
                    name: args.req("Name")?,
                    zone: args.opt("ZoneName"),
                    action: args.opt("Action"),
                    condition: args.opt("Condition"),
                    criteria,
                    zone_scope: args.opt("ZoneScope"),
                    processing_order: args.int("ProcessingOrder")?,
                    disabled: false,
                })
                .map(|_| ())
            }
            "Remove-DnsServerResourceRecord" => state
                .remove_records(&args.req("ZoneName")?, args.opt("ZoneScope").as_deref(), &args.req("RRType")?, &args.req("Name")?, &args.list("RecordData"))
                .map(|_| ()),
            "Remove-DnsServerQueryResolutionPolicy" => state.remove_policy(&args.req("Name")?, args.opt("ZoneName").as_deref()),
            _ => return Err(CmdletError::new(format!("{}: not a DNS Server cmdlet this server runs", call.cmdlet))),
        }
        .map_err(fail)?;
        Ok(CmdletOutput::nothing())
    }
}

#[async_trait::async_trait]
impl Executor for DnsExecutor {
    async fn execute(&self, call: &Invocation) -> Result<CmdletOutput, CmdletError> {
        if canonical(&call.cmdlet) != "Resolve-DnsName" {
            return self.apply(call);
        }
        let Some(server) = self.answers_on else {
            return Err(CmdletError::new("Resolve-DnsName: this DNS server does not know its own DNS address"));
        };
        resolve_dns_name(call, server, None).await
    }
}

/// `Resolve-DnsName` by a real query to `server`, optionally as from `as_from` (ECS).
pub async fn resolve_dns_name(call: &Invocation, server: SocketAddr, as_from: Option<std::net::IpAddr>) -> Result<CmdletOutput, CmdletError> {
    let args = Args(call);
    let name = args.req("Name")?;
    if let Some(t) = args.opt("Type") {
        if !t.eq_ignore_ascii_case("A") {
            return Err(CmdletError::new(format!("Resolve-DnsName: the lab resolves A records only, not -Type {t}")));
        }
    }
    let answer = lookup::lookup(server, &name, as_from, Transport::Udp)
        .await
        .map_err(|e| CmdletError::new(format!("Resolve-DnsName: {e}")))?;
    match answer {
        Answer::Addresses(ips) => Ok(CmdletOutput {
            objects: ips
                .into_iter()
                .map(|ip| {
                    Value::Object(PsObject {
                        type_name: "Microsoft.DnsClient.Commands.DnsRecord_A".into(),
                        properties: vec![
                            ("Name".into(), Value::String(name.trim_end_matches('.').to_string())),
                            ("Type".into(), Value::String("A".into())),
                            ("TTL".into(), Value::Int(i64::from(super::handler::RECORD_TTL))),
                            ("Section".into(), Value::String("Answer".into())),
                            ("IPAddress".into(), Value::String(ip.to_string())),
                        ],
                    })
                })
                .collect(),
            warnings: vec![],
        }),
        Answer::NxDomain => Err(CmdletError::new(format!("Resolve-DnsName: {name} : DNS name does not exist"))),
        Answer::Refused => Err(CmdletError::new(format!("Resolve-DnsName: {name} : DNS operation refused"))),
        Answer::ServFail => Err(CmdletError::new(format!("Resolve-DnsName: {name} : DNS server failure"))),
        Answer::NoAnswer => Err(CmdletError::new(format!(
            "Resolve-DnsName: {name} : This operation returned because the timeout period expired (or the server had no A record for it)"
        ))),
    }
}

/// The spec's spelling of a cmdlet name; unknown names are returned as given.
pub fn canonical(cmdlet: &str) -> &str {
    spec(cmdlet).map(|s| s.name).unwrap_or(cmdlet)
}

/// Typed access to a bound call's arguments, with messages naming the parameter.
pub(super) struct Args<'a>(pub &'a Invocation);

impl Args<'_> {
    pub fn opt(&self, name: &str) -> Option<String> {
        match self.0.get(name)? {
            Value::Null => None,
            Value::List(items) => Some(items.iter().map(Value::display).collect::<Vec<_>>().join(",")),
            v => Some(v.display()),
        }
    }

    pub fn req(&self, name: &str) -> Result<String, CmdletError> {
        self.opt(name).ok_or_else(|| {
            CmdletError::new(format!("{}: missing an argument for parameter '{name}'", canonical(&self.0.cmdlet)))
        })
    }

    pub fn list(&self, name: &str) -> Vec<String> {
        match self.0.get(name) {
            None | Some(Value::Null) => vec![],
            Some(Value::List(items)) => items.iter().map(Value::display).collect(),
            Some(Value::String(s)) => s.split(',').map(|p| p.trim().to_string()).filter(|p| !p.is_empty()).collect(),
            Some(v) => vec![v.display()],
        }
    }

    pub fn int(&self, name: &str) -> Result<Option<i64>, CmdletError> {
        match self.0.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Int(n)) => Ok(Some(*n)),
            Some(v) => v.display().trim().parse().map(Some).map_err(|_| {
                CmdletError::new(format!(
                    "{}: cannot bind parameter '{name}': '{}' is not a whole number",
                    canonical(&self.0.cmdlet),
                    v.display()
                ))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::topology::Topology;

    fn call(cmdlet: &str, args: &[(&str, Value)]) -> Invocation {
        Invocation { cmdlet: cmdlet.into(), args: args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(), line: 1, column: 1 }
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn seeded() -> DnsExecutor {
        let e = DnsExecutor::new(Arc::default());
        for c in super::super::plan::topology_invocations(&Topology::seed()) {
            e.apply(&c).unwrap();
        }
        e
    }

    #[test]
    fn every_spec_targets_the_dns_server() {
        assert!(SPECS.iter().all(|s| s.target == Target::Dns));
        assert_eq!(spec("resolve-dnsname").unwrap().params[0].position, Some(0));
    }

    #[test]
    fn errors_name_the_cmdlet() {
        let e = seeded();
        let err = e.apply(&call("Add-DnsServerZoneScope", &[("ZoneName", s("adatum.biz")), ("Name", s("adatum.biz"))])).unwrap_err();
        assert_eq!(err.message, "Add-DnsServerZoneScope: The zone scope adatum.biz cannot be added to zone adatum.biz: every zone already has a default scope named after the zone.");
        let err = e
            .apply(&call("Add-DnsServerClientSubnet", &[("Name", s("Paris")), ("IPv4Subnet", Value::List(vec![s("10.20.0.0/16"), s("10.30.0.0/99")]))]))
            .unwrap_err();
        assert_eq!(err.message, "Add-DnsServerClientSubnet: '10.30.0.0/99' is not a valid IPv4 subnet: expected an address and a prefix length such as 192.168.1.0/24.");
        let err = e.apply(&call("Add-DnsServerQueryResolutionPolicy", &[("Name", s("X")), ("Action", s("ALLOW")), ("ProcessingOrder", s("first")), ("ZoneScope", s("SeattleZoneScope")), ("ZoneName", s("adatum.biz"))])).unwrap_err();
        assert_eq!(err.message, "Add-DnsServerQueryResolutionPolicy: cannot bind parameter 'ProcessingOrder': 'first' is not a whole number");
    }

    #[test]
    fn gets_print_windows_property_names() {
        let e = seeded();
        let out = e.apply(&call("Get-DnsServerQueryResolutionPolicy", &[("ZoneName", s("adatum.biz"))])).unwrap();
        let names: Vec<String> = out.objects.iter().map(|o| match o { Value::Object(o) => o.get("Name").unwrap().display(), _ => unreachable!() }).collect();
        assert_eq!(names, ["AmsterdamPolicy", "SeattlePolicy"]);
        let out = e.apply(&call("Get-DnsServerClientSubnet", &[("Name", s("amsterdamsubnet"))])).unwrap();
        match &out.objects[..] {
            [Value::Object(o)] => assert_eq!(o.get("IPV4Subnet").unwrap().display(), "{192.168.1.0/24}"),
            other => panic!("{other:?}"),
        }
        let out = e.apply(&call("Get-DnsServerResourceRecord", &[("ZoneName", s("adatum.biz"))])).unwrap();
        assert!(out.objects.is_empty(), "the default scope must not hold the service name");
        let out = e.apply(&call("Get-DnsServerResourceRecord", &[("ZoneName", s("adatum.biz")), ("Name", s("hybridvoice")), ("ZoneScope", s("AmsterdamZoneScope"))])).unwrap();
        assert_eq!(out.objects.len(), 4);
    }

    #[test]
    fn zones_and_zone_scopes_are_listed() {
        let e = seeded();
        let out = e.apply(&call("Get-DnsServerZone", &[])).unwrap();
        let zones: Vec<String> = out.objects.iter().map(|o| match o { Value::Object(o) => o.get("ZoneName").unwrap().display(), _ => unreachable!() }).collect();
        assert_eq!(zones, ["adatum.biz"]);
        let out = e.apply(&call("Get-DnsServerZoneScope", &[("ZoneName", s("adatum.biz"))])).unwrap();
        let scopes: Vec<String> = out.objects.iter().map(|o| match o { Value::Object(o) => o.get("ZoneScope").unwrap().display(), _ => unreachable!() }).collect();
        assert_eq!(scopes, ["adatum.biz", "AmsterdamZoneScope", "SeattleZoneScope"]);
        let err = e.apply(&call("Get-DnsServerZoneScope", &[("ZoneName", s("contoso.com"))])).unwrap_err();
        assert!(err.message.starts_with("Get-DnsServerZoneScope: "), "{}", err.message);
    }

    #[test]
    fn the_topology_script_is_what_an_admin_would_type() {
        let script = super::super::plan::topology_script(&Topology::seed());
        for line in [
            "Add-DnsServerPrimaryZone -Name 'adatum.biz' -ReplicationScope 'Forest'",
            "Add-DnsServerClientSubnet -Name 'AmsterdamSubnet' -IPv4Subnet '192.168.1.0/24'",
            "Add-DnsServerZoneScope -ZoneName 'adatum.biz' -Name 'SeattleZoneScope'",
            "Add-DnsServerResourceRecord -ZoneName 'adatum.biz' -A -Name 'hybridvoice' -IPv4Address '10.10.1.10' -ZoneScope 'SeattleZoneScope'",
            "Add-DnsServerQueryResolutionPolicy -Name 'AmsterdamPolicy' -Action 'ALLOW' -ClientSubnet 'eq,AmsterdamSubnet' -ZoneScope 'AmsterdamZoneScope,1' -ProcessingOrder 1 -ZoneName 'adatum.biz'",
        ] {
            assert!(script.lines().any(|l| l == line), "missing line:\n{line}\nin:\n{script}");
        }
        assert_eq!(script.lines().filter(|l| l.starts_with("Add-DnsServerResourceRecord")).count(), 7);
    }
}
