//! The DNS Server cmdlets the runbook runner accepts, and the executor that applies a bound
//! call to the server's configuration (used by the management API and the start-up script).

use super::cmdlets_forwarders as forwarders;
use super::cmdlets_output as output;
use super::lookup::{self, Answer, Transport};
use super::policy::{CriterionKind, DnsState, NewPolicy, PolicyEdit, PolicyError, RecordData, SubnetAction};
use crate::runbook::{
    find, Cmdlet, CmdletError, CmdletOutput, CmdletSpec, Executor, Invocation, ParamKind, ParamSpec, PsObject, Target,
    Value,
};
use std::net::SocketAddr;
use std::sync::{Arc, RwLock};

use ParamKind::{Int, Object, String as Str, StringList, Switch};

const ACTIONS: &[&str] = &["ALLOW", "DENY", "IGNORE"];
const CONDITIONS: &[&str] = &["AND", "OR"];
const SUBNET_ACTIONS: &[&str] = &["ADD", "REMOVE", "REPLACE"];
const LEVELS: &[&str] = &["Zone", "Server"];

const COMPUTER: ParamSpec = ParamSpec::named("ComputerName", Str).alias(&["Cn"]);
const PASS_THRU: ParamSpec = ParamSpec::named("PassThru", Switch);
const FORCE: ParamSpec = ParamSpec::named("Force", Switch);

/// The criteria parameters of the query resolution policy cmdlets, by property name from a
/// pipeline as the cmdlet pages say.
macro_rules! criteria_params {
    () => {
        [
            ParamSpec::named("ClientSubnet", Str).by_property_name(),
            ParamSpec::named("Fqdn", Str).by_property_name(),
            ParamSpec::named("QType", Str).by_property_name(),
            ParamSpec::named("ServerInterfaceIP", Str).by_property_name(),
            ParamSpec::named("TransportProtocol", Str).by_property_name(),
            ParamSpec::named("InternetProtocol", Str).by_property_name(),
            ParamSpec::named("TimeOfDay", Str).by_property_name(),
        ]
    };
}

const CRITERIA: [ParamSpec; 7] = criteria_params!();

/// Positions are the cmdlet pages' "Position" values; pipeline input their "Accept pipeline
/// input". Parameters the lab accepts without effect (`-ComputerName` with one server,
/// `-Force`, `-AllowUpdateAny`, ...) are listed so scripts pasted from the pages bind.
/// `Enable-` and `Disable-DnsServerPolicy` take the same parameters, in the same positions.
const POLICY_STATE: &[ParamSpec] = &[
    ParamSpec::named("Level", ParamKind::Enum(LEVELS)).required().at(1),
    ParamSpec::named("Name", Str).at(2),
    ParamSpec::named("ZoneName", Str).at(3),
    FORCE,
    COMPUTER,
];

/// What the DNS server does for one cmdlet.
#[derive(Clone, Copy)]
enum Handler {
    /// Reads the configuration and prints what it finds (the `Get-` cmdlets).
    Read(fn(&DnsState, &Args) -> Result<Vec<Value>, PolicyError>),
    /// Changes the configuration; what it returns is printed with `-PassThru`.
    Change(fn(&mut DnsState, &Args) -> Result<Vec<Value>, Refusal>),
    /// A real DNS query (`Resolve-DnsName`), not a configuration call.
    Query,
}

const CMDLETS: &[Cmdlet<Handler>] = &[
    Cmdlet {
        spec: CmdletSpec {
            name: "Add-DnsServerPrimaryZone",
            target: Target::Dns,
            params: &[
                ParamSpec::named("Name", Str).required().at(1).by_property_name().alias(&["ZoneName"]),
                ParamSpec::named("ZoneFile", Str).at(2).by_property_name(),
                ParamSpec::named("ReplicationScope", Str).by_property_name(),
                PASS_THRU,
                COMPUTER,
            ],
        },
        handler: Handler::Change(add_zone),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-DnsServerZone",
            target: Target::Dns,
            params: &[ParamSpec::named("Name", Str).at(1).alias(&["ZoneName"]), COMPUTER],
        },
        handler: Handler::Read(output::zones),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Remove-DnsServerZone",
            target: Target::Dns,
            params: &[
                ParamSpec::named("Name", Str).required().at(1).by_property_name().alias(&["ZoneName"]),
                PASS_THRU,
                FORCE,
                COMPUTER,
            ],
        },
        handler: Handler::Change(remove_zone),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Add-DnsServerClientSubnet",
            target: Target::Dns,
            params: &[
                ParamSpec::named("Name", Str).required().at(1).by_property_name(),
                ParamSpec::named("IPv4Subnet", StringList).at(2).by_property_name(),
                ParamSpec::named("IPv6Subnet", StringList).at(3).by_property_name(),
                PASS_THRU,
                COMPUTER,
            ],
        },
        handler: Handler::Change(add_client_subnet),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Set-DnsServerClientSubnet",
            target: Target::Dns,
            params: &[
                ParamSpec::named("Name", Str).required().at(1).by_property_name(),
                ParamSpec::named("Action", ParamKind::Enum(SUBNET_ACTIONS)).required().at(2),
                ParamSpec::named("IPv4Subnet", StringList).at(3).by_property_name(),
                ParamSpec::named("IPv6Subnet", StringList).at(4).by_property_name(),
                PASS_THRU,
                COMPUTER,
            ],
        },
        handler: Handler::Change(set_client_subnet),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Remove-DnsServerClientSubnet",
            target: Target::Dns,
            params: &[ParamSpec::named("Name", Str).required().at(1).by_property_name(), PASS_THRU, FORCE, COMPUTER],
        },
        handler: Handler::Change(remove_client_subnet),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-DnsServerClientSubnet",
            target: Target::Dns,
            params: &[ParamSpec::named("Name", Str).at(1), COMPUTER],
        },
        handler: Handler::Read(output::client_subnets),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Add-DnsServerZoneScope",
            target: Target::Dns,
            params: &[
                ParamSpec::named("ZoneName", Str).required().at(1).by_property_name(),
                ParamSpec::named("Name", Str).required().at(2).by_property_name().alias(&["ZoneScope"]),
                ParamSpec::named("LoadExisting", Switch),
                PASS_THRU,
                COMPUTER,
            ],
        },
        handler: Handler::Change(add_zone_scope),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-DnsServerZoneScope",
            target: Target::Dns,
            params: &[
                ParamSpec::named("ZoneName", Str).required().at(1),
                ParamSpec::named("Name", Str).at(2).alias(&["ZoneScope"]),
                COMPUTER,
            ],
        },
        handler: Handler::Read(output::zone_scopes),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Remove-DnsServerZoneScope",
            target: Target::Dns,
            params: &[
                ParamSpec::named("ZoneName", Str).required().at(1).by_property_name(),
                ParamSpec::named("Name", Str).required().at(2).by_property_name().alias(&["ZoneScope"]),
                PASS_THRU,
                FORCE,
                COMPUTER,
            ],
        },
        handler: Handler::Change(remove_zone_scope),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Add-DnsServerResourceRecord",
            target: Target::Dns,
            params: &[
                ParamSpec::named("ZoneName", Str).required().at(1).by_property_name(),
                ParamSpec::named("A", Switch),
                ParamSpec::named("AAAA", Switch),
                ParamSpec::named("CName", Switch),
                ParamSpec::named("Name", Str).at(2).by_property_name(),
                ParamSpec::named("IPv4Address", Str).by_property_name(),
                ParamSpec::named("IPv6Address", Str).by_property_name(),
                ParamSpec::named("HostNameAlias", Str).by_property_name(),
                ParamSpec::named("ZoneScope", Str).by_property_name(),
                ParamSpec::named("InputObject", Object("DnsServerResourceRecord")).by_value(),
                ParamSpec::named("TimeToLive", Str),
                ParamSpec::named("AllowUpdateAny", Switch),
                ParamSpec::named("AgeRecord", Switch),
                ParamSpec::named("CreatePtr", Switch),
                PASS_THRU,
                COMPUTER,
            ],
        },
        handler: Handler::Change(add_record),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Set-DnsServerResourceRecord",
            target: Target::Dns,
            params: &[
                ParamSpec::named("ZoneName", Str).required().at(1),
                ParamSpec::named("OldInputObject", Object("DnsServerResourceRecord")).required(),
                ParamSpec::named("NewInputObject", Object("DnsServerResourceRecord")).required(),
                ParamSpec::named("ZoneScope", Str),
                PASS_THRU,
                COMPUTER,
            ],
        },
        handler: Handler::Change(set_record),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Remove-DnsServerResourceRecord",
            target: Target::Dns,
            params: &[
                ParamSpec::named("ZoneName", Str).required().at(1).by_property_name(),
                ParamSpec::named("Name", Str).at(2).by_property_name().alias(&["RecordName"]),
                ParamSpec::named("RRType", Str).at(3).by_property_name(),
                ParamSpec::named("RecordData", StringList),
                ParamSpec::named("ZoneScope", Str).by_property_name(),
                ParamSpec::named("InputObject", Object("DnsServerResourceRecord")).by_value(),
                PASS_THRU,
                FORCE,
                COMPUTER,
            ],
        },
        handler: Handler::Change(remove_records),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-DnsServerResourceRecord",
            target: Target::Dns,
            params: &[
                ParamSpec::named("ZoneName", Str).required().at(1),
                ParamSpec::named("Name", Str).at(2),
                ParamSpec::named("RRType", Str),
                ParamSpec::named("ZoneScope", Str),
                COMPUTER,
            ],
        },
        handler: Handler::Read(output::records),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Add-DnsServerQueryResolutionPolicy",
            target: Target::Dns,
            // In the order the lab's own scripts write them (`script::render`); positions decide binding.
            params: &[
                ParamSpec::named("Name", Str).at(1).by_property_name(),
                ParamSpec::named("Action", ParamKind::Enum(ACTIONS)).at(3).by_property_name(),
                CRITERIA[0],
                CRITERIA[1],
                CRITERIA[2],
                CRITERIA[3],
                CRITERIA[4],
                CRITERIA[5],
                CRITERIA[6],
                ParamSpec::named("Condition", ParamKind::Enum(CONDITIONS)).at(4).by_property_name(),
                ParamSpec::named("ZoneScope", Str).by_property_name(),
                ParamSpec::named("ProcessingOrder", Int).by_property_name(),
                ParamSpec::named("ZoneName", Str).at(2).by_property_name(),
                ParamSpec::named("Disable", Switch),
                ParamSpec::named("InputObject", Object("DnsServerPolicy")).by_value(),
                PASS_THRU,
                COMPUTER,
            ],
        },
        handler: Handler::Change(add_policy),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Set-DnsServerQueryResolutionPolicy",
            target: Target::Dns,
            params: &[
                ParamSpec::named("ZoneName", Str).at(1).by_property_name(),
                ParamSpec::named("Name", Str).required().by_property_name(),
                ParamSpec::named("Condition", ParamKind::Enum(CONDITIONS)).by_property_name(),
                CRITERIA[0],
                CRITERIA[1],
                CRITERIA[2],
                CRITERIA[3],
                CRITERIA[4],
                CRITERIA[5],
                CRITERIA[6],
                ParamSpec::named("ZoneScope", Str).by_property_name(),
                ParamSpec::named("ProcessingOrder", Int).by_property_name(),
                PASS_THRU,
                COMPUTER,
            ],
        },
        handler: Handler::Change(set_policy),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Remove-DnsServerQueryResolutionPolicy",
            target: Target::Dns,
            params: &[
                ParamSpec::named("Name", Str).required().at(1).by_property_name(),
                ParamSpec::named("ZoneName", Str).at(2).by_property_name(),
                PASS_THRU,
                FORCE,
                COMPUTER,
            ],
        },
        handler: Handler::Change(remove_policy),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Get-DnsServerQueryResolutionPolicy",
            target: Target::Dns,
            params: &[ParamSpec::named("Name", Str).at(1), ParamSpec::named("ZoneName", Str).at(2), COMPUTER],
        },
        handler: Handler::Read(output::policies),
    },
    Cmdlet {
        spec: CmdletSpec { name: "Enable-DnsServerPolicy", target: Target::Dns, params: POLICY_STATE },
        handler: Handler::Change(enable_policy),
    },
    Cmdlet {
        spec: CmdletSpec { name: "Disable-DnsServerPolicy", target: Target::Dns, params: POLICY_STATE },
        handler: Handler::Change(disable_policy),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Add-DnsServerForwarder",
            target: Target::Dns,
            params: &[ParamSpec::named("IPAddress", StringList).required().at(1), PASS_THRU, COMPUTER],
        },
        handler: Handler::Change(forwarders::add_forwarder),
    },
    Cmdlet {
        spec: CmdletSpec { name: "Get-DnsServerForwarder", target: Target::Dns, params: &[COMPUTER] },
        handler: Handler::Read(forwarders::get_forwarder),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Remove-DnsServerForwarder",
            target: Target::Dns,
            params: &[ParamSpec::named("IPAddress", StringList).required().at(1), PASS_THRU, FORCE, COMPUTER],
        },
        handler: Handler::Change(forwarders::remove_forwarder),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Add-DnsServerConditionalForwarderZone",
            target: Target::Dns,
            // Positions as the page gives them: -Name 1, -MasterServers 2, -ForwarderTimeout 3.
            params: &[
                ParamSpec::named("Name", Str).required().at(1).by_property_name().alias(&["ZoneName"]),
                ParamSpec::named("MasterServers", StringList).required().at(2).by_property_name(),
                ParamSpec::named("ForwarderTimeout", Int).at(3).by_property_name(),
                ParamSpec::named("UseRecursion", Switch),
                ParamSpec::named("LoadExisting", Switch),
                PASS_THRU,
                COMPUTER,
            ],
        },
        handler: Handler::Change(forwarders::add_conditional_forwarder),
    },
    Cmdlet {
        spec: CmdletSpec {
            name: "Resolve-DnsName",
            target: Target::Dns,
            params: &[
                ParamSpec::named("Name", Str).required().at(1),
                ParamSpec::named("Type", Str).at(2),
                ParamSpec::named("Server", Str),
                ParamSpec::named("DnsOnly", Switch),
            ],
        },
        handler: Handler::Query,
    },
];

/// The DNS server's cmdlets' specs, for a run's cmdlet table.
pub fn specs() -> impl Iterator<Item = &'static CmdletSpec> + Clone {
    crate::runbook::specs(CMDLETS)
}

/// Whether the cmdlet is a real DNS query that the caller makes itself (`Resolve-DnsName`),
/// rather than a configuration call the server applies.
pub fn is_query(cmdlet: &str) -> bool {
    matches!(find(CMDLETS, cmdlet).map(|c| c.handler), Some(Handler::Query))
}

/// The spec of a DNS cmdlet, by name (case-insensitive).
pub fn spec(name: &str) -> Option<&'static CmdletSpec> {
    find(CMDLETS, name).map(|c| &c.spec)
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
        let name = canonical(&call.cmdlet);
        let fail = |e: PolicyError| CmdletError::new(format!("{name}: {e}"));
        let args = Args(call);
        let printed = match find(CMDLETS, name).map(|c| c.handler) {
            Some(Handler::Read(read)) => {
                let state = self.state.read().expect("DNS state lock");
                let objects = read(&state, &args).map_err(fail)?;
                return Ok(CmdletOutput { objects, warnings: vec![], verbose: vec![] });
            }
            Some(Handler::Change(change)) => {
                let mut state = self.state.write().expect("DNS state lock");
                state.note_change();
                change(&mut state, &args).map_err(|refusal| match refusal {
                    Refusal::Policy(e) => fail(e),
                    Refusal::Cmdlet(e) => e,
                })?
            }
            Some(Handler::Query) | None => {
                return Err(CmdletError::new(format!("{}: not a DNS Server cmdlet this server runs", call.cmdlet)))
            }
        };
        Ok(CmdletOutput {
            objects: if call.switch("PassThru") { printed } else { vec![] },
            warnings: vec![],
            verbose: verbose(name, &args).into_iter().collect(),
        })
    }
}

/// Why a change was refused: the server's reason (printed after the cmdlet's name), or a message
/// already in PowerShell's words.
pub(super) enum Refusal {
    Policy(PolicyError),
    Cmdlet(CmdletError),
}

impl From<PolicyError> for Refusal {
    fn from(e: PolicyError) -> Refusal {
        Refusal::Policy(e)
    }
}

impl From<CmdletError> for Refusal {
    fn from(e: CmdletError) -> Refusal {
        Refusal::Cmdlet(e)
    }
}

fn add_zone(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let zone = args.req("Name")?;
    state.add_zone(&zone, args.opt("ZoneFile"), args.opt("ReplicationScope"))?;
    Ok(vec![output::zone(&*state.zone(&zone)?)])
}

fn remove_zone(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let name = args.req("Name")?;
    // A conditional forwarder is a zone too, removed the same way.
    if let Some((forwarded, masters)) = state.forwarders().zone(&name) {
        let shown = forwarders::forwarder_zone(forwarded, masters);
        state.remove_zone(&name)?;
        return Ok(vec![shown]);
    }
    let zone = state.zone(&name)?;
    state.remove_zone(&zone.name)?;
    Ok(vec![output::zone(&zone)])
}

fn add_client_subnet(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let subnet = args.req("Name")?;
    state.add_client_subnet(&subnet, &args.list("IPv4Subnet"), &args.list("IPv6Subnet"))?;
    Ok(vec![output::subnet(state.subnets().get(subnet.trim()).expect("just added"))])
}

fn set_client_subnet(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let subnet = args.req("Name")?;
    let action = SubnetAction::parse(&args.req("Action")?)?;
    state.set_client_subnet(&subnet, action, &args.list("IPv4Subnet"), &args.list("IPv6Subnet"))?;
    Ok(vec![output::subnet(state.subnets().get(subnet.trim()).expect("just set"))])
}

fn remove_client_subnet(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let subnet = args.req("Name")?;
    let before = state.subnets().get(subnet.trim()).cloned();
    state.remove_client_subnet(&subnet)?;
    Ok(before.iter().map(output::subnet).collect())
}

fn add_zone_scope(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let (zone, scope) = (args.req("ZoneName")?, args.req("Name")?);
    state.add_zone_scope(&zone, &scope)?;
    let z = state.zone(&zone)?;
    Ok(vec![output::zone_scope(&z, z.scope(Some(&scope))?)])
}

fn remove_zone_scope(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let (zone, scope) = (args.req("ZoneName")?, args.req("Name")?);
    let z = state.zone(&zone)?;
    let shown = output::zone_scope(&z, z.scope(Some(&scope))?);
    state.remove_zone_scope(&zone, &scope)?;
    Ok(vec![shown])
}

fn add_record(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let zone = args.req("ZoneName")?;
    let (owner, data) = record_to_add(args.0, args)?;
    let scope = args.opt("ZoneScope");
    state.add_record(&zone, scope.as_deref(), &owner, data.clone())?;
    let z = state.zone(&zone)?;
    Ok(vec![output::record(&z, &z.owner(&owner)?, &data)])
}

fn set_record(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let zone = args.req("ZoneName")?;
    let (owner, old) = record_of(args.0, "OldInputObject")?;
    let (new_owner, new) = record_of(args.0, "NewInputObject")?;
    let z = state.zone(&zone)?;
    if z.owner(&owner)? != z.owner(&new_owner)? {
        return Err(CmdletError::new(format!(
            "{}: the old and new records must have the same HostName ({owner} and {new_owner})",
            args.name()
        ))
        .into());
    }
    state.set_record(&zone, args.opt("ZoneScope").as_deref(), &owner, &old, new.clone())?;
    let z = state.zone(&zone)?;
    Ok(vec![output::record(&z, &z.owner(&owner)?, &new)])
}

fn remove_records(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let zone = args.req("ZoneName")?;
    let (owner, rrtype, data) = match args.0.get("InputObject") {
        Some(Value::Object(_)) => {
            let (owner, data) = record_of(args.0, "InputObject")?;
            (owner, data.rrtype().to_string(), vec![data.text()])
        }
        _ => (args.req("Name")?, args.req("RRType")?, args.list("RecordData")),
    };
    state.remove_records(&zone, args.opt("ZoneScope").as_deref(), &rrtype, &owner, &data)?;
    Ok(vec![])
}

fn add_policy(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let new = new_policy(args.0, args)?;
    Ok(vec![output::policy(state.add_policy(new)?)])
}

fn set_policy(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let edit = PolicyEdit {
        condition: args.opt("Condition"),
        criteria: criteria_of(args),
        zone_scope: args.opt("ZoneScope"),
        processing_order: args.int("ProcessingOrder")?,
    };
    Ok(vec![output::policy(state.set_policy(&args.req("Name")?, args.opt("ZoneName").as_deref(), edit)?)])
}

fn remove_policy(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    let (policy, zone) = (args.req("Name")?, args.opt("ZoneName"));
    let shown = output::policy(state.policy(&policy, zone.as_deref())?);
    state.remove_policy(&policy, zone.as_deref())?;
    Ok(vec![shown])
}

fn enable_policy(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    set_policy_state(state, args, true)
}

fn disable_policy(state: &mut DnsState, args: &Args) -> Result<Vec<Value>, Refusal> {
    set_policy_state(state, args, false)
}

/// `Enable-` and `Disable-DnsServerPolicy`: they print nothing, `-PassThru` or not.
fn set_policy_state(state: &mut DnsState, args: &Args, enabled: bool) -> Result<Vec<Value>, Refusal> {
    let name = args.name();
    let zone = match (args.req("Level")?.as_str(), args.opt("ZoneName")) {
        ("Zone", None) => return Err(CmdletError::new(format!("{name}: -Level Zone needs -ZoneName")).into()),
        ("Zone", Some(z)) => Some(z),
        (_, Some(_)) => {
            return Err(CmdletError::new(format!("{name}: -ZoneName goes with -Level Zone, not -Level Server")).into())
        }
        (_, None) => None,
    };
    state.set_enabled(zone.as_deref(), args.opt("Name").as_deref(), enabled)?;
    Ok(vec![])
}

/// The criteria parameters given, by kind.
fn criteria_of(args: &Args) -> Vec<(CriterionKind, String)> {
    CRITERION_PARAMS.iter().filter_map(|(param, kind)| args.opt(param).map(|text| (*kind, text))).collect()
}

const CRITERION_PARAMS: [(&str, CriterionKind); 7] = [
    ("ClientSubnet", CriterionKind::ClientSubnet),
    ("Fqdn", CriterionKind::Fqdn),
    ("QType", CriterionKind::QType),
    ("ServerInterfaceIP", CriterionKind::ServerInterfaceIP),
    ("TransportProtocol", CriterionKind::TransportProtocol),
    ("InternetProtocol", CriterionKind::InternetProtocol),
    ("TimeOfDay", CriterionKind::TimeOfDay),
];

/// `Add-DnsServerQueryResolutionPolicy` from its parameters, or from a `DnsServerPolicy`
/// object (`-InputObject`, or piped from `Get-DnsServerQueryResolutionPolicy`) with the written
/// parameters taking precedence.
fn new_policy(call: &Invocation, args: &Args) -> Result<NewPolicy, CmdletError> {
    let name = canonical(&call.cmdlet);
    let mut new = match call.get("InputObject") {
        Some(Value::Object(o)) => {
            output::policy_from_object(o).map_err(|e| CmdletError::new(format!("{name}: {e}")))?
        }
        _ => NewPolicy::default(),
    };
    if let Some(n) = args.opt("Name") {
        new.name = n;
    }
    if new.name.trim().is_empty() {
        return Err(CmdletError::new(format!("{name}: missing an argument for parameter 'Name'")));
    }
    new.zone = args.opt("ZoneName").or(new.zone);
    new.action = args.opt("Action").or(new.action);
    new.condition = args.opt("Condition").or(new.condition);
    for (kind, text) in criteria_of(args) {
        new.criteria.retain(|(k, _)| *k != kind);
        new.criteria.push((kind, text));
    }
    new.zone_scope = args.opt("ZoneScope").or(new.zone_scope);
    new.processing_order = args.int("ProcessingOrder")?.or(new.processing_order);
    new.disabled |= call.switch("Disable");
    Ok(new)
}

/// The record `Add-DnsServerResourceRecord` adds: from `-A -IPv4Address`, `-AAAA -IPv6Address`,
/// `-CName -HostNameAlias`, or a piped record object.
fn record_to_add(call: &Invocation, args: &Args) -> Result<(String, RecordData), CmdletError> {
    let name = canonical(&call.cmdlet);
    if matches!(call.get("InputObject"), Some(Value::Object(_))) {
        return record_of(call, "InputObject");
    }
    let owner = args.req("Name")?;
    let chosen: Vec<&str> = ["A", "AAAA", "CName"].into_iter().filter(|s| call.switch(s)).collect();
    let (rrtype, param) = match chosen.as_slice() {
        ["A"] => ("A", "IPv4Address"),
        ["AAAA"] => ("AAAA", "IPv6Address"),
        ["CName"] => ("CNAME", "HostNameAlias"),
        [] => {
            return Err(CmdletError::new(format!(
                "{name}: say which record to add: -A, -AAAA or -CName (the lab's zones hold these types)"
            )))
        }
        _ => return Err(CmdletError::new(format!("{name}: only one of -A, -AAAA and -CName at a time"))),
    };
    let text = args.req(param)?;
    let data = RecordData::parse(rrtype, &text).ok_or_else(|| {
        CmdletError::new(format!("{name}: {}", PolicyError::BadRecordData { rrtype: rrtype.into(), text }))
    })?;
    Ok((owner, data))
}

/// A `DnsServerResourceRecord` object's HostName and data.
fn record_of(call: &Invocation, param: &str) -> Result<(String, RecordData), CmdletError> {
    let name = canonical(&call.cmdlet);
    match call.get(param) {
        Some(Value::Object(o)) => {
            output::record_from_object(o).map_err(|e| CmdletError::new(format!("{name}: -{param}: {e}")))
        }
        _ => Err(CmdletError::new(format!("{name}: missing an argument for parameter '{param}'"))),
    }
}

#[async_trait::async_trait]
impl Executor for DnsExecutor {
    async fn execute(&self, call: &Invocation) -> Result<CmdletOutput, CmdletError> {
        if !is_query(&call.cmdlet) {
            return self.apply(call);
        }
        let Some(server) = self.answers_on else {
            return Err(CmdletError::new("Resolve-DnsName: this DNS server does not know its own DNS address"));
        };
        resolve_dns_name(call, server, None).await
    }
}

/// `Resolve-DnsName` by a real query to `server`, optionally as from `as_from` (ECS).
pub async fn resolve_dns_name(
    call: &Invocation,
    server: SocketAddr,
    as_from: Option<std::net::IpAddr>,
) -> Result<CmdletOutput, CmdletError> {
    let args = Args(call);
    let name = args.req("Name")?;
    let rtype = match args.opt("Type").map(|t| t.trim().to_ascii_uppercase()).as_deref() {
        None | Some("A") => hickory_proto::rr::RecordType::A,
        Some("AAAA") => hickory_proto::rr::RecordType::AAAA,
        Some(_) => {
            return Err(CmdletError::new(format!(
                "Resolve-DnsName: the lab resolves A and AAAA records, not -Type {}",
                args.opt("Type").unwrap_or_default()
            )));
        }
    };
    let answer = lookup::lookup_type(server, &name, rtype, as_from, Transport::Udp)
        .await
        .map_err(|e| CmdletError::new(format!("Resolve-DnsName: {e}")))?;
    match answer {
        Answer::Addresses(ips) => Ok(CmdletOutput {
            verbose: vec![],
            objects: ips
                .into_iter()
                .map(|ip| {
                    let kind = if ip.is_ipv4() { "A" } else { "AAAA" };
                    Value::Object(PsObject {
                        type_name: format!("Microsoft.DnsClient.Commands.DnsRecord_{kind}"),
                        properties: vec![
                            ("Name".into(), Value::String(name.trim_end_matches('.').to_string())),
                            ("Type".into(), Value::String(kind.into())),
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
/// The VERBOSE line a change's page shows under `-Verbose` (Add-DnsServerResourceRecord,
/// Add-DnsServerZoneScope, Remove-DnsServerZoneScope). **Lab choice:** the server is the
/// `-ComputerName` written, else `localhost`.
fn verbose(cmdlet: &str, args: &Args) -> Option<String> {
    let server = args.opt("ComputerName").unwrap_or_else(|| "localhost".into());
    let zone = args.opt("ZoneName").unwrap_or_default();
    let name = args.opt("Name").unwrap_or_default();
    match cmdlet {
        "Add-DnsServerResourceRecord" => {
            let kind = ["A", "AAAA", "CName"].into_iter().find(|k| args.0.switch(k)).unwrap_or("A");
            Some(format!("Adding DNS resource record {name} of type {kind} in zone {zone} on {server} server."))
        }
        "Add-DnsServerZoneScope" => {
            Some(format!("A scope {name} will be added for the zone {zone} on server {server}."))
        }
        "Remove-DnsServerZoneScope" => {
            Some(format!("The scope {name} will be removed from the zone {zone} on server {server}."))
        }
        _ => None,
    }
}

pub fn canonical(cmdlet: &str) -> &str {
    spec(cmdlet).map(|s| s.name).unwrap_or(cmdlet)
}

/// Typed access to a bound call's arguments, with messages naming the parameter.
pub(super) struct Args<'a>(pub &'a Invocation);

impl Args<'_> {
    /// The cmdlet's name as its spec spells it, for messages.
    pub fn name(&self) -> &str {
        canonical(&self.0.cmdlet)
    }

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
pub(super) mod tests {
    use super::*;
    use crate::topology::Topology;

    fn call(cmdlet: &str, args: &[(&str, Value)]) -> Invocation {
        Invocation {
            cmdlet: cmdlet.into(),
            args: args.iter().map(|(k, v)| (k.to_string(), v.clone())).collect(),
            line: 1,
            column: 1,
        }
    }

    fn s(v: &str) -> Value {
        Value::String(v.into())
    }

    fn seeded() -> DnsExecutor {
        let e = DnsExecutor::new(Arc::default());
        for c in super::super::script::topology_invocations(&Topology::seed()) {
            e.apply(&c).unwrap();
        }
        e
    }

    #[test]
    fn every_spec_targets_the_dns_server() {
        assert!(specs().all(|s| s.target == Target::Dns));
        assert_eq!(spec("resolve-dnsname").unwrap().params[0].position, Some(1));
    }

    #[test]
    fn errors_name_the_cmdlet() {
        let e = seeded();
        let err = e
            .apply(&call("Add-DnsServerZoneScope", &[("ZoneName", s("adatum.biz")), ("Name", s("adatum.biz"))]))
            .unwrap_err();
        assert_eq!(err.message, "Add-DnsServerZoneScope: The zone scope adatum.biz cannot be added to zone adatum.biz: every zone already has a default scope named after the zone.");
        let err = e
            .apply(&call(
                "Add-DnsServerClientSubnet",
                &[("Name", s("Paris")), ("IPv4Subnet", Value::List(vec![s("10.20.0.0/16"), s("10.30.0.0/99")]))],
            ))
            .unwrap_err();
        assert_eq!(err.message, "Add-DnsServerClientSubnet: '10.30.0.0/99' is not a valid IPv4 subnet: expected an address and a prefix length such as 192.168.1.0/24.");
        let err = e
            .apply(&call(
                "Add-DnsServerQueryResolutionPolicy",
                &[
                    ("Name", s("X")),
                    ("Action", s("ALLOW")),
                    ("ProcessingOrder", s("first")),
                    ("ZoneScope", s("SeattleZoneScope")),
                    ("ZoneName", s("adatum.biz")),
                ],
            ))
            .unwrap_err();
        assert_eq!(err.message, "Add-DnsServerQueryResolutionPolicy: cannot bind parameter 'ProcessingOrder': 'first' is not a whole number");
    }

    #[test]
    fn gets_print_windows_property_names() {
        let e = seeded();
        let out = e.apply(&call("Get-DnsServerQueryResolutionPolicy", &[("ZoneName", s("adatum.biz"))])).unwrap();
        let names: Vec<String> = out
            .objects
            .iter()
            .map(|o| match o {
                Value::Object(o) => o.get("Name").unwrap().display(),
                _ => unreachable!(),
            })
            .collect();
        assert_eq!(names, ["AmsterdamPolicy", "SeattlePolicy"]);
        let out = e.apply(&call("Get-DnsServerClientSubnet", &[("Name", s("amsterdamsubnet"))])).unwrap();
        match &out.objects[..] {
            [Value::Object(o)] => assert_eq!(o.get("IPV4Subnet").unwrap().display(), "{192.168.1.0/24}"),
            other => panic!("{other:?}"),
        }
        let out = e.apply(&call("Get-DnsServerResourceRecord", &[("ZoneName", s("adatum.biz"))])).unwrap();
        assert!(out.objects.is_empty(), "the default scope must not hold the service name");
        let out = e
            .apply(&call(
                "Get-DnsServerResourceRecord",
                &[("ZoneName", s("adatum.biz")), ("Name", s("hybridvoice")), ("ZoneScope", s("AmsterdamZoneScope"))],
            ))
            .unwrap();
        assert_eq!(out.objects.len(), 4);
    }

    #[test]
    fn the_topology_script_is_what_an_admin_would_type() {
        let script = super::super::script::topology_script(&Topology::seed());
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

    /// Runs `script` against `e` alone, as a runbook would.
    pub(in crate::dns) fn run(
        e: &DnsExecutor,
        script: &str,
    ) -> Result<crate::runbook::Transcript, crate::runbook::RunbookError> {
        let table = crate::runbook::CmdletTable::new().with(specs(), Some(Arc::new(e.clone())));
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(crate::runbook::run(script, &table))
            .and_then(crate::runbook::Transcript::into_result)
    }

    fn printed(t: &crate::runbook::Transcript, step: usize, property: &str) -> Vec<String> {
        t.steps[step]
            .output
            .objects
            .iter()
            .map(|o| match o {
                Value::Object(o) => o.get(property).map(Value::display).unwrap_or_default(),
                other => panic!("{other:?}"),
            })
            .collect()
    }

    fn answer(e: &DnsExecutor, client: &str, name: &str) -> Vec<String> {
        let q = super::super::policy::Query::new(
            client.parse().unwrap(),
            "127.0.0.1".parse().unwrap(),
            name,
            "A",
            Transport::Udp,
        );
        match e.state.read().unwrap().resolve(&q) {
            super::super::policy::Resolution::Records(a) => a.records.iter().map(|r| r.data.text()).collect(),
            super::super::policy::Resolution::NxDomain(_) => vec!["NxDomain".into()],
            other => vec![format!("{other:?}")],
        }
    }

    /// Positions as the cmdlet pages number them: "Add-DnsServerClientSubnet" Name (1) then
    /// IPv4Subnet (2); "Remove-DnsServerResourceRecord" ZoneName (1), Name (2), RRType (3);
    /// "Add-DnsServerQueryResolutionPolicy" Name (1), ZoneName (2), Action (3).
    #[test]
    fn positional_parameters_bind_as_documented() {
        let e = seeded();
        run(&e, "Add-DnsServerClientSubnet AmsterdamNet 192.168.7.0/24,192.168.8.0/24\nAdd-DnsServerResourceRecord adatum.biz www -A -IPv4Address 203.0.113.80\nRemove-DnsServerResourceRecord adatum.biz www A\nAdd-DnsServerQueryResolutionPolicy Lab adatum.biz DENY -ClientSubnet \"EQ,AmsterdamNet\"").unwrap();
        let state = e.state.read().unwrap();
        assert_eq!(state.subnets().get("AmsterdamNet").unwrap().ipv4.len(), 2);
        assert!(state.zone("adatum.biz").unwrap().scope(None).unwrap().records.is_empty());
        let p = state.policy("Lab", Some("adatum.biz")).unwrap();
        assert_eq!(p.action.name(), "Deny");
    }

    /// "-PassThru: Returns an object representing the item with which you are working. By
    /// default, this cmdlet does not generate any output."
    #[test]
    fn pass_thru_prints_the_created_object() {
        let e = seeded();
        let t = run(&e, "Add-DnsServerClientSubnet -Name Paris -IPv4Subnet 10.77.0.0/16 -PassThru\nAdd-DnsServerClientSubnet -Name Oslo -IPv4Subnet 10.78.0.0/16\nAdd-DnsServerZoneScope adatum.biz ParisZoneScope -PassThru\nAdd-DnsServerQueryResolutionPolicy -Name ParisPolicy -ClientSubnet \"EQ,Paris\" -ZoneScope \"ParisZoneScope,1\" -ZoneName adatum.biz -PassThru").unwrap();
        assert_eq!(printed(&t, 0, "IPV4Subnet"), ["{10.77.0.0/16}"]);
        assert!(t.steps[1].output.objects.is_empty());
        assert_eq!(printed(&t, 2, "ZoneScope"), ["ParisZoneScope"]);
        assert_eq!(printed(&t, 3, "Action"), ["Allow"], "ALLOW is the zone-level default");
        assert_eq!(printed(&t, 3, "ProcessingOrder"), ["3"]);
    }

    #[test]
    fn disable_set_and_enable_through_the_runbook() {
        let e = seeded();
        run(&e, "Add-DnsServerQueryResolutionPolicy -Name Hold -ZoneName adatum.biz -Action DENY -ClientSubnet \"EQ,AmsterdamSubnet\" -ProcessingOrder 9 -Disable").unwrap();
        assert_eq!(answer(&e, "192.168.1.7", "hybridvoice.adatum.biz").len(), 4);
        run(&e, "Set-DnsServerQueryResolutionPolicy -ZoneName adatum.biz -Name Hold -ProcessingOrder 0").unwrap_err();
        run(
            &e,
            "Set-DnsServerQueryResolutionPolicy adatum.biz -Name Hold -ProcessingOrder 1 -Fqdn \"XX,*.adatum.biz\"",
        )
        .unwrap_err();
        // The refused edit moved no policy to make room for it.
        let t = run(&e, "Get-DnsServerQueryResolutionPolicy -ZoneName adatum.biz").unwrap();
        assert_eq!(printed(&t, 0, "ProcessingOrder"), ["1", "2", "9"]);
        run(&e, "Set-DnsServerQueryResolutionPolicy -ZoneName adatum.biz -Name AmsterdamPolicy -ProcessingOrder 10\nSet-DnsServerQueryResolutionPolicy adatum.biz -Name Hold -ProcessingOrder 1\nEnable-DnsServerPolicy Zone Hold adatum.biz").unwrap();
        assert_eq!(answer(&e, "192.168.1.7", "hybridvoice.adatum.biz"), ["Refused"]);
        let err = run(&e, "Disable-DnsServerPolicy -Level Zone -Name Hold").unwrap_err();
        assert_eq!(err.message, "Disable-DnsServerPolicy : -Level Zone needs -ZoneName");
        run(&e, "Disable-DnsServerPolicy -Level Zone -ZoneName adatum.biz").unwrap();
        assert_eq!(
            answer(&e, "192.168.1.7", "hybridvoice.adatum.biz"),
            ["NxDomain"],
            "every zone policy is off: the default scope answers"
        );
    }

    /// "Add-DnsServerQueryResolutionPolicy" example 3 copies policies with a pipeline; the other
    /// verbs of each noun take the objects by property name.
    #[test]
    fn pipelines_within_one_noun_pass_the_objects() {
        let e = seeded();
        let t = run(&e, "$policies = Get-DnsServerQueryResolutionPolicy -ZoneName adatum.biz\nGet-DnsServerQueryResolutionPolicy -ZoneName adatum.biz | Remove-DnsServerQueryResolutionPolicy -PassThru\nGet-DnsServerQueryResolutionPolicy -ZoneName adatum.biz\n$policies |\n  Add-DnsServerQueryResolutionPolicy -ComputerName dns -PassThru").unwrap();
        assert_eq!(printed(&t, 1, "Name"), ["AmsterdamPolicy", "SeattlePolicy"]);
        assert!(t.steps[2].output.objects.is_empty(), "both policies were removed");
        assert_eq!(printed(&t, 3, "Content"), ["{DnsServerPolicyContent}", "{DnsServerPolicyContent}"]);
        assert_eq!(answer(&e, "192.168.1.7", "hybridvoice.adatum.biz").len(), 4, "the copied policy answers again");
        run(&e, "Add-DnsServerZoneScope adatum.biz Copy\nGet-DnsServerResourceRecord -ZoneName adatum.biz -ZoneScope SeattleZoneScope | Add-DnsServerResourceRecord -ZoneName adatum.biz -ZoneScope Copy").unwrap();
        assert_eq!(
            e.state
                .read()
                .unwrap()
                .zone("adatum.biz")
                .unwrap()
                .scope(Some("Copy"))
                .unwrap()
                .records
                .values()
                .map(Vec::len)
                .sum::<usize>(),
            3
        );
        run(&e, "Add-DnsServerPrimaryZone copy.test\nGet-DnsServerZoneScope adatum.biz | Where-Nothing").unwrap_err();
        let t = run(
            &e,
            "Get-DnsServerClientSubnet -Name SeattleSubnet | Set-DnsServerClientSubnet -Action REPLACE -PassThru",
        )
        .unwrap();
        assert_eq!(printed(&t, 0, "IPV4Subnet"), ["{10.10.1.0/24}"]);
    }

    /// "Remove-DnsServerZoneScope" example 2: `Get-DnsServerZoneScope -ZoneName contoso.com |
    /// Remove-DnsServerZoneScope -Force -PassThru` removes the zone's scopes. The default scope
    /// cannot go: its refusal is written and the other scopes are still removed.
    #[test]
    fn every_zone_scope_but_the_default_is_removed_down_a_pipeline() {
        let e = seeded();
        run(&e, "Get-DnsServerQueryResolutionPolicy -ZoneName adatum.biz | Remove-DnsServerQueryResolutionPolicy")
            .unwrap();
        let table = crate::runbook::CmdletTable::new().with(specs(), Some(Arc::new(e.clone())));
        let t = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(crate::runbook::run(
                "Get-DnsServerZoneScope -ZoneName adatum.biz | Remove-DnsServerZoneScope -Force -PassThru",
                &table,
            ))
            .unwrap();
        let failures: Vec<&str> = t.failures().map(|f| f.message.as_str()).collect();
        assert_eq!(failures.len(), 1, "{failures:?}");
        assert!(failures[0].contains("default zone scope"), "{failures:?}");
        assert_eq!(printed(&t, 0, "ZoneScope"), ["AmsterdamZoneScope", "SeattleZoneScope"]);
        let t = run(&e, "Get-DnsServerZoneScope -ZoneName adatum.biz").unwrap();
        assert_eq!(printed(&t, 0, "ZoneScope"), ["adatum.biz"]);
    }

    /// The Add-DnsServerZoneScope and Remove-DnsServerZoneScope pages show a VERBOSE line under
    /// `-Verbose`; without it nothing is said.
    #[test]
    fn verbose_prints_the_pages_verbose_lines() {
        let e = seeded();
        let t = run(&e, "Add-DnsServerZoneScope -ZoneName adatum.biz -Name contoso_NorthAmerica -Verbose -PassThru\nAdd-DnsServerZoneScope -ZoneName adatum.biz -Name Quiet\n$VerbosePreference = 'Continue'\nRemove-DnsServerZoneScope -ZoneName adatum.biz -Name Quiet -ComputerName dc1").unwrap();
        assert_eq!(
            t.steps[0].host,
            ["VERBOSE: A scope contoso_NorthAmerica will be added for the zone adatum.biz on server localhost."]
        );
        assert!(t.steps[1].host.is_empty());
        assert_eq!(
            t.steps[3].host,
            ["VERBOSE: The scope Quiet will be removed from the zone adatum.biz on server dc1."]
        );
        assert!(t.render().contains("\nVERBOSE: A scope contoso_NorthAmerica will be added"), "{}", t.render());
    }

    #[test]
    fn other_pipelines_are_refused_before_anything_runs() {
        let e = seeded();
        let script = "Get-DnsServerClientSubnet | Add-DnsServerZoneScope -ZoneName adatum.biz";
        let err = run(&e, script).unwrap_err();
        assert!(
            err.message.contains("does not pipe Get-DnsServerClientSubnet into Add-DnsServerZoneScope"),
            "{}",
            err.message
        );
        assert_eq!(err.column, script.find('|').unwrap() + 1);
        let err = run(&e, "$x = \"text\"\n$x | Add-DnsServerClientSubnet").unwrap_err();
        assert_eq!((err.line, err.column), (2, 6));
        assert!(err.message.starts_with("The input object cannot be bound"), "{}", err.message);
    }
}
