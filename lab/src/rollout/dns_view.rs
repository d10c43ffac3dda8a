//! The internal DNS server's configuration as an admin reads it with the `Get-DnsServer*`
//! cmdlets: client subnets, zones, zone scopes, their A records and the query resolution
//! policies. Findings name their causes from this view, so it is read through the same cmdlets
//! (and the same executor) the admin's runbook used, never from the server's insides.

use crate::runbook::{CmdletOutput, CmdletTable, PsObject, RunbookError, Transcript, Value};
use crate::topology::Topology;
use ipnet::IpNet;
use std::future::Future;
use std::net::IpAddr;
use std::sync::Arc;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct DnsView {
    pub client_subnets: Vec<ClientSubnetView>,
    pub zones: Vec<ZoneView>,
    /// Server-level query resolution policies (DENY or IGNORE only), in processing order.
    pub server_policies: Vec<PolicyView>,
    /// Where it forwards what its zones do not answer (`Get-DnsServerForwarder`, and the zones
    /// of type Forwarder `Get-DnsServerZone` lists).
    pub forwarding: ForwardingView,
}

/// A server's forwarders as its cmdlets print them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ForwardingView {
    pub servers: Vec<IpAddr>,
    /// Conditional forwarder zones (lower case) and their master servers.
    pub zones: Vec<(String, Vec<IpAddr>)>,
}

impl ForwardingView {
    /// Where its server sends a query for `host`: to these forwarders, or (None) nowhere, as
    /// the server itself decides ([`crate::dns::policy::Forwarders::route`]).
    pub fn forwards(&self, host: &str, own_zone: Option<&ZoneView>) -> Option<Vec<IpAddr>> {
        let forwarders = crate::dns::policy::Forwarders {
            servers: self.servers.clone(),
            zones: self.zones.iter().cloned().collect(),
        };
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        match forwarders.route(&host, own_zone.map(|z| z.name.len())) {
            crate::dns::policy::forwarders::Route::Forward(to) => Some(to),
            crate::dns::policy::forwarders::Route::Here => None,
        }
    }
}

/// One DNS server's configuration under its computer name (`dns` for the implicit server), as
/// the pictures of what decides each answer show it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct DnsServerView {
    pub name: String,
    pub view: DnsView,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ClientSubnetView {
    pub name: String,
    pub subnets: Vec<IpNet>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ZoneView {
    /// Lower case, no trailing dot.
    pub name: String,
    /// The default scope (named after the zone) first, as the server lists them.
    pub scopes: Vec<ScopeView>,
    /// Zone-level query resolution policies, in processing order.
    pub policies: Vec<PolicyView>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ScopeView {
    pub name: String,
    /// (host name relative to the zone, `@` for the apex; address).
    pub records: Vec<(String, IpAddr)>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyView {
    pub name: String,
    pub processing_order: i64,
    pub action: String,
    /// The client subnet names of its `ClientSubnet` criterion's `EQ` part.
    pub client_subnets: Vec<String>,
    /// The zone scopes it answers from.
    pub scopes: Vec<String>,
    /// Each scope's weight, in the order of `scopes`.
    pub weights: Vec<u32>,
    /// Every criterion as `(CriteriaType, EQ,a;NE,b)`.
    pub criteria: Vec<(String, String)>,
    /// `AND` or `OR`.
    pub condition: String,
    pub enabled: bool,
}

/// ` -ComputerName "NAME"` when a read must go to one server of several.
fn on(server: Option<&str>) -> String {
    server.map(|s| format!(" -ComputerName \"{s}\"")).unwrap_or_default()
}

/// What to run to read the client subnets alone: what splits a place into regions.
pub fn client_subnets_read(server: Option<&str>) -> String {
    format!("Get-DnsServerClientSubnet{}\n", on(server))
}

/// What to run to read the configuration before the zones are known: client subnets, zones,
/// and the server-level policies.
pub fn first_read(server: Option<&str>) -> String {
    let on = on(server);
    format!(
        "Get-DnsServerClientSubnet{on}\nGet-DnsServerZone{on}\nGet-DnsServerQueryResolutionPolicy{on}\nGet-DnsServerForwarder{on}\n"
    )
}

/// What to run, once the zones are known, to read each one's scopes and policies.
pub fn zone_read(zone: &str, server: Option<&str>) -> String {
    let on = on(server);
    format!(
        "Get-DnsServerQueryResolutionPolicy -ZoneName \"{zone}\"{on}\nGet-DnsServerZoneScope -ZoneName \"{zone}\"{on}\n"
    )
}

/// What to run to read one scope's records.
pub fn records_read(zone: &str, scope: &str, server: Option<&str>) -> String {
    format!("Get-DnsServerResourceRecord -ZoneName \"{zone}\" -ZoneScope \"{scope}\"{}\n", on(server))
}

fn objects(output: &CmdletOutput) -> impl Iterator<Item = &PsObject> {
    output.objects.iter().filter_map(|v| match v {
        Value::Object(o) => Some(o),
        _ => None,
    })
}

fn text(o: &PsObject, name: &str) -> String {
    o.get(name).map(Value::display).unwrap_or_default()
}

fn list(o: &PsObject, name: &str) -> Vec<Value> {
    match o.get(name) {
        Some(Value::List(items)) => items.clone(),
        None | Some(Value::Null) => vec![],
        Some(v) => vec![v.clone()],
    }
}

/// A property holding one address or a list of them.
fn addresses(o: &PsObject, name: &str) -> Vec<IpAddr> {
    list(o, name).iter().filter_map(|v| v.display().trim().parse().ok()).collect()
}

/// The step outputs of a read, in order.
pub fn outputs(transcript: &Transcript) -> Vec<&CmdletOutput> {
    transcript.steps.iter().map(|s| &s.output).collect()
}

/// Reads one DNS server's whole configuration by running the `Get-` scripts above through
/// `run`: a lab's admin session, or a server of its own (see [`planned`]). One reading path, so a
/// picture of the planned policies and the findings of a rehearsal see the same things.
pub async fn read<E, F, Fut>(server: Option<&str>, run: F) -> Result<DnsView, E>
where
    F: Fn(String) -> Fut,
    Fut: Future<Output = Result<Transcript, E>>,
{
    let first = run(first_read(server)).await?;
    let out = outputs(&first);
    let mut view = DnsView::from_first_read(out[0], out[1], out[2]);
    view.add_forwarders(out[3]);
    for zone in view.zones.iter().map(|z| z.name.clone()).collect::<Vec<_>>() {
        let read = run(zone_read(&zone, server)).await?;
        let out = outputs(&read);
        view.add_zone_read(&zone, out[0], out[1]);
        let scopes: Vec<String> =
            view.zone_of(&zone).map(|z| z.scopes.iter().map(|s| s.name.clone()).collect()).unwrap_or_default();
        let script: String = scopes.iter().map(|s| records_read(&zone, s, server)).collect();
        if script.is_empty() {
            continue;
        }
        let read = run(script).await?;
        for (scope, output) in scopes.iter().zip(outputs(&read)) {
            view.add_records(&zone, scope, output);
        }
    }
    Ok(view)
}

/// What a DNS server started with the plan's generated policies (`--dns planned`,
/// `bypass-lab dns-script`) holds, read without starting a lab: the generated script and the
/// reads run on a server of their own.
pub fn planned(topology: &Topology) -> Result<DnsView, RunbookError> {
    let executor = crate::dns::DnsExecutor::new(Default::default());
    let table = CmdletTable::new().with(crate::dns::cmdlets::specs(), Some(Arc::new(executor)));
    let table = &table;
    let run = |script: String| async move { crate::runbook::run(&script, table).await?.into_result() };
    futures::executor::block_on(async {
        run(crate::dns::topology_script(topology)).await?;
        read(None, run).await
    })
}

impl DnsView {
    /// Client subnets from the output of `Get-DnsServerClientSubnet`.
    pub fn client_subnets_of(subnets: &CmdletOutput) -> Vec<ClientSubnetView> {
        objects(subnets)
            .map(|o| ClientSubnetView {
                name: text(o, "Name"),
                subnets: ["IPV4Subnet", "IPV6Subnet"]
                    .iter()
                    .flat_map(|p| list(o, p))
                    .filter_map(|v| v.display().trim().parse().ok())
                    .collect(),
            })
            .collect()
    }

    /// Client subnets, zone names and server-level policies from the output of [`first_read`].
    pub fn from_first_read(subnets: &CmdletOutput, zones: &CmdletOutput, server_policies: &CmdletOutput) -> DnsView {
        let forwarder = |o: &&PsObject| text(o, "ZoneType").eq_ignore_ascii_case("Forwarder");
        let forward_zones = objects(zones)
            .filter(forwarder)
            .map(|o| (text(o, "ZoneName").to_ascii_lowercase(), addresses(o, "MasterServers")))
            .collect();
        let zones = objects(zones)
            .filter(|o| !forwarder(o))
            .map(|o| ZoneView { name: text(o, "ZoneName").to_ascii_lowercase(), ..Default::default() })
            .collect();
        let mut server_policies: Vec<PolicyView> = objects(server_policies).map(policy_of).collect();
        server_policies.sort_by_key(|p| p.processing_order);
        DnsView {
            client_subnets: DnsView::client_subnets_of(subnets),
            zones,
            server_policies,
            forwarding: ForwardingView { servers: vec![], zones: forward_zones },
        }
    }

    /// The server-level forwarders from the output of `Get-DnsServerForwarder`.
    pub fn add_forwarders(&mut self, forwarders: &CmdletOutput) {
        self.forwarding.servers = objects(forwarders).flat_map(|o| addresses(o, "IPAddress")).collect();
    }

    /// Fills a zone's policies and scope names from the output of [`zone_read`].
    pub fn add_zone_read(&mut self, zone: &str, policies: &CmdletOutput, scopes: &CmdletOutput) {
        let Some(z) = self.zones.iter_mut().find(|z| z.name.eq_ignore_ascii_case(zone)) else { return };
        z.policies = objects(policies).map(policy_of).collect();
        z.policies.sort_by_key(|p| p.processing_order);
        z.scopes = objects(scopes).map(|o| ScopeView { name: text(o, "ZoneScope"), records: vec![] }).collect();
    }

    /// Fills one scope's records from the output of [`records_read`].
    pub fn add_records(&mut self, zone: &str, scope: &str, records: &CmdletOutput) {
        let Some(z) = self.zones.iter_mut().find(|z| z.name.eq_ignore_ascii_case(zone)) else { return };
        let Some(s) = z.scopes.iter_mut().find(|s| s.name.eq_ignore_ascii_case(scope)) else { return };
        s.records = objects(records)
            .filter(|o| text(o, "RecordType").eq_ignore_ascii_case("A"))
            .filter_map(|o| Some((text(o, "HostName").to_ascii_lowercase(), text(o, "RecordData").parse().ok()?)))
            .collect();
    }

    /// The zone that answers for `host`: the longest zone name holding it.
    pub fn zone_of(&self, host: &str) -> Option<&ZoneView> {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        self.zones
            .iter()
            .filter(|z| host == z.name || host.ends_with(&format!(".{}", z.name)))
            .max_by_key(|z| z.name.len())
    }

    /// The client subnets that hold `address`.
    pub fn covering(&self, address: IpAddr) -> Vec<&ClientSubnetView> {
        self.client_subnets.iter().filter(|c| c.subnets.iter().any(|n| n.contains(&address))).collect()
    }
}

impl ZoneView {
    /// `host` relative to the zone, as record host names are shown (`@` for the apex).
    pub fn relative(&self, host: &str) -> String {
        let host = host.trim_end_matches('.').to_ascii_lowercase();
        host.strip_suffix(&format!(".{}", self.name)).map(str::to_string).unwrap_or_else(|| "@".into())
    }

    /// The default scope (named after the zone).
    pub fn default_scope(&self) -> Option<&ScopeView> {
        self.scopes.iter().find(|s| s.name.eq_ignore_ascii_case(&self.name))
    }

    pub fn scope(&self, name: &str) -> Option<&ScopeView> {
        self.scopes.iter().find(|s| s.name.eq_ignore_ascii_case(name))
    }

    /// The addresses a scope holds for `host`.
    pub fn records_of(&self, scope: &ScopeView, host: &str) -> Vec<IpAddr> {
        let relative = self.relative(host);
        scope.records.iter().filter(|(h, _)| *h == relative).map(|(_, ip)| *ip).collect()
    }

    /// Whether any scope holds a record for `host`.
    pub fn knows(&self, host: &str) -> bool {
        self.scopes.iter().any(|s| !self.records_of(s, host).is_empty())
    }

    /// The policies, in processing order, whose client subnet criterion names one of `names`.
    pub fn policies_for<'a>(&'a self, names: &[&str]) -> Vec<&'a PolicyView> {
        self.policies
            .iter()
            .filter(|p| p.client_subnets.iter().any(|c| names.iter().any(|n| n.eq_ignore_ascii_case(c))))
            .collect()
    }
}

/// A policy as `Get-DnsServerQueryResolutionPolicy` lists it.
fn policy_of(o: &PsObject) -> PolicyView {
    let criteria: Vec<(String, String)> = list(o, "Criteria")
        .iter()
        .filter_map(|c| match c {
            Value::Object(c) => Some((text(c, "CriteriaType"), text(c, "Criteria"))),
            _ => None,
        })
        .collect();
    let client_subnets = criteria
        .iter()
        .filter(|(kind, _)| kind.eq_ignore_ascii_case("ClientSubnet"))
        .flat_map(|(_, text)| eq_values(text))
        .collect();
    let content: Vec<(String, u32)> = list(o, "Content")
        .iter()
        .filter_map(|c| match c {
            Value::Object(c) => {
                let weight = match c.get("Weight") {
                    Some(Value::Int(n)) => u32::try_from(*n).unwrap_or(1),
                    other => other.map(Value::display).and_then(|t| t.parse().ok()).unwrap_or(1),
                };
                Some((text(c, "ScopeName"), weight))
            }
            _ => None,
        })
        .collect();
    let processing_order = match o.get("ProcessingOrder") {
        Some(Value::Int(n)) => *n,
        other => other.map(Value::display).and_then(|t| t.parse().ok()).unwrap_or(0),
    };
    PolicyView {
        name: text(o, "Name"),
        processing_order,
        action: text(o, "Action"),
        client_subnets,
        scopes: content.iter().map(|(s, _)| s.clone()).collect(),
        weights: content.iter().map(|(_, w)| *w).collect(),
        criteria,
        condition: match text(o, "Condition") {
            c if c.is_empty() => "AND".into(),
            c => c.to_ascii_uppercase(),
        },
        enabled: !matches!(o.get("IsEnabled"), Some(Value::Bool(false))),
    }
}

/// The values of the `EQ` parts of a criterion text `EQ,a,b;NE,c`.
fn eq_values(criteria: &str) -> Vec<String> {
    criteria
        .split(';')
        .filter_map(|part| {
            let mut items = part.split(',').map(str::trim);
            items
                .next()
                .filter(|op| op.eq_ignore_ascii_case("EQ"))
                .map(|_| items.map(str::to_string).collect::<Vec<_>>())
        })
        .flatten()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The view of a server configured with a topology's planned policies.
    pub fn planned_view(t: &Topology) -> DnsView {
        planned(t).expect("the planned policies apply")
    }

    #[test]
    fn the_seed_plan_reads_back_as_an_admin_wrote_it() {
        let t = Topology::seed();
        let view = planned_view(&t);
        assert_eq!(
            view.client_subnets.iter().map(|c| c.name.as_str()).collect::<Vec<_>>(),
            ["AmsterdamSubnet", "SeattleSubnet"]
        );
        let zone = view.zone_of(&t.tenant.service_name).expect("the service zone");
        assert_eq!(zone.relative(&t.tenant.service_name), "hybridvoice");
        assert_eq!(
            zone.policies.iter().map(|p| (p.name.as_str(), p.scopes.clone())).collect::<Vec<_>>(),
            [
                ("AmsterdamPolicy", vec!["AmsterdamZoneScope".to_string()]),
                ("SeattlePolicy", vec!["SeattleZoneScope".to_string()])
            ]
        );
        assert_eq!(zone.policies_for(&["seattlesubnet"])[0].name, "SeattlePolicy");
        assert!(zone.records_of(zone.default_scope().unwrap(), &t.tenant.service_name).is_empty());
        assert_eq!(zone.records_of(zone.scope("SeattleZoneScope").unwrap(), &t.tenant.service_name).len(), 3);
        assert_eq!(view.covering("192.168.1.77".parse().unwrap())[0].name, "AmsterdamSubnet");
        assert!(view.covering("203.0.113.100".parse().unwrap()).is_empty());
    }
}
