//! How each role of a lab is launched, computed once from the topology: which role, its name,
//! its arguments, where it sits and where it answers when ready. The embedded backend turns a
//! spec into a configuration and runs it in process; the containers backend renders it as the
//! container's command; the Compose file renders the same list; `bypass-lab serve` parses what
//! was rendered. Pure data, so a fact about launching a role is written once.

use super::containers::{
    LabPlan, CLIENT_PORT, DATA_DIR, DNS_ADMIN_PORT, DNS_PORT, MEDIATION_PORT, TENANT_PORT, TOPOLOGY_PATH,
};
use super::DnsStart;
use crate::client::ClientArgs;
use crate::dns::{DnsArgs, ReplicaArgs};
use crate::mediation::MediationArgs;
use crate::tenant::TenantArgs;
use crate::topology::Topology;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

/// Where a role reads the lab's plan and credentials from, when it runs in its own process.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct Sources {
    /// The deployment plan (default: the seed's adatum.biz).
    #[arg(long)]
    pub topology: Option<PathBuf>,
    /// Credentials as JSON (default: $BYPASS_LAB_SECRETS, else the well-known lab credentials).
    #[arg(long)]
    pub secrets: Option<PathBuf>,
}

impl Sources {
    /// A containers lab's roles read the topology the backend places in every container.
    pub fn in_container() -> Sources {
        Sources { topology: Some(TOPOLOGY_PATH.into()), secrets: None }
    }

    fn argv(&self) -> Vec<String> {
        let flags = [("--topology", &self.topology), ("--secrets", &self.secrets)];
        flags
            .into_iter()
            .filter_map(|(flag, path)| Some([flag.to_string(), path.as_ref()?.to_string_lossy().into_owned()]))
            .flatten()
            .collect()
    }
}

/// `bypass-lab serve <role>`: one role and how it starts.
#[derive(Debug, Clone, PartialEq, Eq, clap::Subcommand)]
pub enum RoleArgs {
    /// The mock Skype for Business Online tenant.
    Tenant {
        #[command(flatten)]
        args: TenantArgs,
        #[command(flatten)]
        sources: Sources,
    },
    /// The internal DNS server.
    Dns {
        #[command(flatten)]
        args: DnsArgs,
        #[command(flatten)]
        sources: Sources,
    },
    /// One appliance's Mediation Server.
    Mediation {
        #[command(flatten)]
        args: MediationArgs,
        #[command(flatten)]
        sources: Sources,
    },
    /// A host of simulated Skype for Business clients.
    Client {
        #[command(flatten)]
        args: ClientArgs,
        #[command(flatten)]
        sources: Sources,
    },
}

impl RoleArgs {
    /// tenant, dns, mediation or client: the `serve` subcommand and the role's label.
    pub fn role(&self) -> &'static str {
        match self {
            RoleArgs::Tenant { .. } => "tenant",
            RoleArgs::Dns { .. } => "dns",
            RoleArgs::Mediation { .. } => "mediation",
            RoleArgs::Client { .. } => "client",
        }
    }

    pub fn sources(&self) -> &Sources {
        match self {
            RoleArgs::Tenant { sources, .. }
            | RoleArgs::Dns { sources, .. }
            | RoleArgs::Mediation { sources, .. }
            | RoleArgs::Client { sources, .. } => sources,
        }
    }

    /// Where the role answers: HTTP, or DNS for the DNS server (its management API is `admin`).
    pub fn listen(&self) -> SocketAddr {
        match self {
            RoleArgs::Tenant { args, .. } => args.listen,
            RoleArgs::Dns { args, .. } => args.listen,
            RoleArgs::Mediation { args, .. } => args.listen,
            RoleArgs::Client { args, .. } => args.listen,
        }
    }

    /// The same role on other sockets (those a start on port 0 was given).
    pub fn listening_on(mut self, listen: SocketAddr, admin: Option<SocketAddr>) -> RoleArgs {
        match &mut self {
            RoleArgs::Tenant { args, .. } => args.listen = listen,
            RoleArgs::Mediation { args, .. } => args.listen = listen,
            RoleArgs::Client { args, .. } => args.listen = listen,
            RoleArgs::Dns { args, .. } => {
                args.listen = listen;
                args.admin = admin.unwrap_or(args.admin);
            }
        }
        self
    }

    /// The command line `bypass-lab` is given to run this role: `serve <role> ...`.
    pub fn argv(&self) -> Vec<String> {
        let args = match self {
            RoleArgs::Tenant { args, .. } => args.argv(),
            RoleArgs::Dns { args, .. } => args.argv(),
            RoleArgs::Mediation { args, .. } => args.argv(),
            RoleArgs::Client { args, .. } => args.argv(),
        };
        ["serve".to_string(), self.role().to_string()].into_iter().chain(args).chain(self.sources().argv()).collect()
    }
}

impl From<TenantArgs> for RoleArgs {
    fn from(args: TenantArgs) -> RoleArgs {
        RoleArgs::Tenant { args, sources: Sources::default() }
    }
}

impl From<DnsArgs> for RoleArgs {
    fn from(args: DnsArgs) -> RoleArgs {
        RoleArgs::Dns { args, sources: Sources::default() }
    }
}

impl From<MediationArgs> for RoleArgs {
    fn from(args: MediationArgs) -> RoleArgs {
        RoleArgs::Mediation { args, sources: Sources::default() }
    }
}

impl From<ClientArgs> for RoleArgs {
    fn from(args: ClientArgs) -> RoleArgs {
        RoleArgs::Client { args, sources: Sources::default() }
    }
}

/// One network a role has a leg on, with its fixed address there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Leg {
    /// The network's short name in the lab plan: a site's, `online` or `outside`.
    pub network: String,
    pub address: IpAddr,
}

/// One role of a lab, as every backend launches it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleSpec {
    /// Its name in the lab: `tenant`, `dns` (or the DNS server's computer name), the appliance's
    /// name, or `client-<address>`. A container and its volume are named after it.
    pub name: String,
    pub args: RoleArgs,
    /// The networks it sits on, the first one given at creation. None in process (loopback).
    pub legs: Vec<Leg>,
    /// Its data directory must outlive its process (a container mounts a volume there).
    pub keeps_data: bool,
    /// Where `GET /healthz` answers once the role is ready; None when the plan gives the role no
    /// address the lab host reaches.
    pub health: Option<SocketAddr>,
}

impl RoleSpec {
    /// A role alone in this process, on loopback: named after its role (or its appliance).
    pub fn in_process(args: impl Into<RoleArgs>) -> RoleSpec {
        let args = args.into();
        let health = match &args {
            RoleArgs::Dns { args, .. } => args.admin,
            other => other.listen(),
        };
        let name = match &args {
            RoleArgs::Mediation { args, .. } => args.appliance.clone(),
            other => other.role().to_string(),
        };
        // A DNS server's configuration lives in memory (and, on Windows, in AD): no data directory.
        let keeps_data = !matches!(args, RoleArgs::Dns { .. });
        RoleSpec { name, args, legs: vec![], keeps_data, health: Some(health) }
    }

    pub fn role(&self) -> &'static str {
        self.args.role()
    }

    /// The appliance a Mediation Server serves.
    pub fn appliance(&self) -> Option<&str> {
        match &self.args {
            RoleArgs::Mediation { args, .. } => Some(&args.appliance),
            _ => None,
        }
    }
}

fn any(port: u16) -> SocketAddr {
    SocketAddr::from(([0, 0, 0, 0], port))
}

/// The roles of a lab on `plan`'s networks, tenant first (appliances register with it as they
/// start): the containers backend's, and the Compose file's with the seed's `sources` empty.
pub fn on_networks(plan: &LabPlan, dns_start: DnsStart, sources: &Sources) -> Vec<RoleSpec> {
    let tenant_url = format!("http://{}", SocketAddr::new(plan.tenant, TENANT_PORT));
    let leg = |network: &str, address: IpAddr| Leg { network: network.to_string(), address };
    let mut roles = vec![RoleSpec {
        name: "tenant".into(),
        args: RoleArgs::Tenant {
            args: TenantArgs { listen: any(TENANT_PORT), data: DATA_DIR.into() },
            sources: sources.clone(),
        },
        legs: vec![leg("online", plan.tenant)],
        keeps_data: true,
        health: Some(SocketAddr::new(plan.tenant, TENANT_PORT)),
    }];
    roles.extend(dns_on_networks(plan, dns_start, sources));
    roles.extend(plan.appliances.iter().map(|a| {
        RoleSpec {
            name: a.name.clone(),
            args: RoleArgs::Mediation {
                args: MediationArgs {
                    appliance: a.name.clone(),
                    listen: any(MEDIATION_PORT),
                    tenant: tenant_url.clone(),
                    data: Some(DATA_DIR.into()),
                },
                sources: sources.clone(),
            },
            // Its own subnet first (the address it is created with), then its site's other subnets.
            legs: std::iter::once(leg(&a.network, a.address))
                .chain(a.lan_legs.iter().map(|(network, address)| leg(network, *address)))
                .chain([leg("online", a.online)])
                .collect(),
            keeps_data: true,
            health: Some(SocketAddr::new(a.address, MEDIATION_PORT)),
        }
    }));
    roles
}

/// One container per DNS server, at its legs on the networks it serves (and the one holding its
/// declared address). With `[[dns_server]]`s, each also has a leg on the online network, where
/// it sends the other domain controllers its AD writes; every server keeps a journal of its
/// configuration in its volume, so a restart keeps it.
fn dns_on_networks<'a>(
    plan: &'a LabPlan,
    dns_start: DnsStart,
    sources: &'a Sources,
) -> impl Iterator<Item = RoleSpec> + 'a {
    let admin_at = |address: IpAddr| format!("http://{}", SocketAddr::new(address, DNS_ADMIN_PORT));
    plan.dns_servers.iter().map(move |server| {
        let peers = plan.dns_servers.iter().filter(|d| d.name != server.name).filter_map(|d| d.online).map(admin_at);
        let replica = ReplicaArgs {
            data: Some(DATA_DIR.into()),
            computer_name: server.declared.map(|_| server.name.clone()),
            peers: peers.collect(),
        };
        let legs = server.legs.iter().map(|(network, address)| Leg { network: network.clone(), address: *address });
        let online = server.online.map(|address| Leg { network: "online".into(), address });
        RoleSpec {
            name: server.name.clone(),
            args: RoleArgs::Dns {
                args: DnsArgs {
                    listen: any(DNS_PORT),
                    admin: any(DNS_ADMIN_PORT),
                    script: None,
                    empty: dns_start == DnsStart::Empty,
                    replica,
                },
                sources: sources.clone(),
            },
            legs: legs.chain(online).collect(),
            keeps_data: true,
            health: server.reach.map(|reach| SocketAddr::new(reach, DNS_ADMIN_PORT)),
        }
    })
}

/// Where a client host of a lab on networks sits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientPlace {
    /// Its clients' address, on the network `network` (a site's, or `outside`).
    pub at: IpAddr,
    pub network: String,
    /// The DNS server's address on that network.
    pub dns: IpAddr,
    /// Its leg on the online network, to reach the tenant.
    pub online: IpAddr,
}

/// `client-<address>`: a client host is named after the address its clients live at.
pub fn client_name(at: IpAddr) -> String {
    format!("client-{}", at.to_string().replace([':', '.'], "-"))
}

/// A client host of a lab on `plan`'s networks.
pub fn client_on_networks(plan: &LabPlan, topology: &Topology, place: &ClientPlace, sources: &Sources) -> RoleSpec {
    // Its own site's Mediation Servers are on its site's LAN: on its own subnet's network, at
    // their address there when the subnet holds it, else at their leg on that network (the
    // site's router, as the lab places it). Every other one is across the WAN (an internal
    // client at another site, e.g. a travelling user's PSTN site) or behind the Edge (an
    // external client): the lab carries both over the online side, so the client reaches such
    // a Mediation Server at the appliance's online leg.
    let own_site = topology.site_of(place.at).map(|s| s.name.as_str());
    let site_of = |appliance: &str| topology.find_appliance(appliance).map(|(s, _)| s.name.as_str());
    let dial = plan
        .appliances
        .iter()
        .filter(|a| a.network != place.network)
        .map(|a| {
            let on_lan = a.lan_legs.iter().find(|(network, _)| *network == place.network).map(|(_, at)| *at);
            let reach = on_lan.filter(|_| own_site.is_some() && site_of(&a.name) == own_site).unwrap_or(a.online);
            (a.address, SocketAddr::new(reach, MEDIATION_PORT))
        })
        // Lab choice: a client asks its own site's DNS server only, at that server's leg on its
        // network, as in the embedded lab; the topology's other servers are no alternates.
        .chain(topology.dns_servers.iter().map(|d| (d.address, SocketAddr::new(place.dns, DNS_PORT))))
        .collect();
    RoleSpec {
        name: client_name(place.at),
        args: RoleArgs::Client {
            args: ClientArgs {
                listen: any(CLIENT_PORT),
                tenant: format!("http://{}", SocketAddr::new(plan.tenant, TENANT_PORT)),
                dns: SocketAddr::new(place.dns, DNS_PORT),
                ecs: false,
                dial,
                data: DATA_DIR.into(),
            },
            sources: sources.clone(),
        },
        legs: vec![
            Leg { network: place.network.clone(), address: place.at },
            Leg { network: "online".into(), address: place.online },
        ],
        keeps_data: true,
        health: Some(SocketAddr::new(place.at, CLIENT_PORT)),
    }
}

/// The loopback sockets an embedded lab's roles were given, bound before the plan is made so
/// that every role names the others' real ports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loopback {
    pub tenant: SocketAddr,
    /// Each DNS server of the topology, in its order: (DNS, management API).
    pub dns: Vec<(SocketAddr, SocketAddr)>,
    /// Each appliance's listener, in topology order.
    pub appliances: Vec<SocketAddr>,
    pub client: SocketAddr,
}

/// The roles of an embedded lab, in the order they start: tenant, the DNS servers, the
/// appliances, and one client host for clients at any address. Topology addresses are virtual here: clients
/// dial each Mediation Server's and DNS server's loopback listener and state their address by
/// EDNS Client Subnet.
pub fn on_loopback(topology: &Topology, data: &Path, dns_start: DnsStart, at: &Loopback) -> Vec<RoleSpec> {
    let tenant_url = format!("http://{}", at.tenant);
    let mut roles = vec![RoleSpec::in_process(TenantArgs { listen: at.tenant, data: data.join("tenant") })];
    let dns_servers = topology.dns_server_plans();
    for (server, (listen, admin)) in dns_servers.iter().zip(&at.dns) {
        let args = DnsArgs {
            listen: *listen,
            admin: *admin,
            script: None,
            empty: dns_start == DnsStart::Empty,
            replica: ReplicaArgs::default(),
        };
        roles.push(RoleSpec { name: server.name.clone(), ..RoleSpec::in_process(args) });
    }
    let appliances: Vec<_> = topology.appliances().map(|(_, a)| a).zip(&at.appliances).collect();
    for (appliance, listen) in &appliances {
        roles.push(RoleSpec::in_process(MediationArgs {
            appliance: appliance.name.clone(),
            listen: **listen,
            tenant: tenant_url.clone(),
            data: Some(data.join("appliances").join(&appliance.name)),
        }));
    }
    // Clients reach their site's DNS server at its topology address, like every address.
    let dial = appliances
        .iter()
        .map(|(a, listen)| (a.address, **listen))
        .chain(dns_servers.iter().zip(&at.dns).map(|(server, (dns, _))| (server.address, *dns)))
        .collect();
    roles.push(RoleSpec::in_process(ClientArgs {
        listen: at.client,
        tenant: tenant_url,
        dns: at.dns.first().map(|(dns, _)| *dns).expect("every topology plans a DNS server"),
        ecs: true,
        dial,
        data: data.join("clients"),
    }));
    roles
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    /// `bypass-lab serve`, as the binary parses it.
    #[derive(Parser)]
    #[command(no_binary_name = true)]
    struct Serve {
        #[command(subcommand)]
        role: RoleArgs,
    }

    fn parsed(argv: &[String]) -> RoleArgs {
        assert_eq!(argv[0], "serve");
        Serve::try_parse_from(&argv[1..]).unwrap_or_else(|e| panic!("{argv:?} does not parse: {e}")).role
    }

    fn seed_plan() -> LabPlan {
        LabPlan::new(&Topology::seed(), "172.30.0.0/24".parse().unwrap())
    }

    #[test]
    fn every_rendered_role_parses_back_to_the_same_args() {
        let topology = Topology::seed();
        let plan = seed_plan();
        let loopback = Loopback {
            tenant: "127.0.0.1:41000".parse().unwrap(),
            dns: vec![("127.0.0.1:41001".parse().unwrap(), "127.0.0.1:41002".parse().unwrap())],
            appliances: (0..7).map(|n| SocketAddr::from(([127, 0, 0, 1], 41010 + n))).collect(),
            client: "127.0.0.1:41003".parse().unwrap(),
        };
        let place = ClientPlace {
            at: "203.0.113.100".parse().unwrap(),
            network: "outside".into(),
            dns: "203.0.113.1".parse().unwrap(),
            online: "172.30.0.100".parse().unwrap(),
        };
        let scripted = RoleArgs::Dns {
            args: DnsArgs {
                listen: "127.0.0.1:0".parse().unwrap(),
                admin: "127.0.0.1:0".parse().unwrap(),
                script: Some("/tmp/a script.ps1".into()),
                empty: true,
                replica: ReplicaArgs {
                    data: Some("/data".into()),
                    computer_name: Some("dc-oslo".into()),
                    peers: vec!["http://172.30.0.3:8053".into(), "http://172.30.0.5:8053".into()],
                },
            },
            sources: Sources { topology: Some("/plan.toml".into()), secrets: Some("/secrets.json".into()) },
        };
        let roles = on_networks(&plan, DnsStart::Empty, &Sources::in_container())
            .into_iter()
            .chain(on_networks(&plan, DnsStart::Planned, &Sources::default()))
            .chain([client_on_networks(&plan, &topology, &place, &Sources::in_container())])
            .chain(on_loopback(&topology, Path::new("/tmp/lab"), DnsStart::Planned, &loopback))
            .map(|spec| spec.args)
            .chain([scripted]);
        let mut seen = 0;
        for args in roles {
            assert_eq!(parsed(&args.argv()), args);
            seen += 1;
        }
        assert_eq!(seen, 2 * 9 + 1 + 10 + 1);
    }

    #[test]
    fn a_containers_lab_starts_the_tenant_first_and_every_role_at_its_fixed_address() {
        let roles = on_networks(&seed_plan(), DnsStart::Planned, &Sources::in_container());
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names[..3], ["tenant", "dns", "ams-cce1"]);
        assert_eq!(roles.len(), 9);
        let sea = roles.iter().find(|r| r.appliance() == Some("sea-cce1")).unwrap();
        assert_eq!(
            sea.legs,
            [
                Leg { network: "seattle".into(), address: "10.10.1.8".parse().unwrap() },
                Leg { network: "online".into(), address: "172.30.0.14".parse().unwrap() }
            ]
        );
        assert_eq!(sea.health, Some("10.10.1.8:80".parse().unwrap()));
        assert_eq!(
            sea.args.argv().join(" "),
            "serve mediation --appliance sea-cce1 --listen 0.0.0.0:80 --tenant http://172.30.0.2:8080 --data /data \
             --topology /topology.toml"
        );
        let dns = &roles[1];
        assert!(dns.keeps_data, "its journal survives a restart");
        assert!(dns.args.argv().join(" ").contains("--data /data"));
        assert!(!dns.args.argv().contains(&"--peer".to_string()), "one server has no peers");
        assert_eq!(dns.health, Some("192.168.1.1:8053".parse().unwrap()), "asked on the first site's network");
        assert_eq!(
            dns.legs.iter().map(|l| l.network.as_str()).collect::<Vec<_>>(),
            ["amsterdam", "seattle", "outside"]
        );
    }

    fn two_servers() -> Topology {
        Topology::parse(include_str!("../../tests/fixtures/two-dns-servers.toml"), None).unwrap()
    }

    #[test]
    fn each_dns_server_is_its_own_container_at_its_address_with_its_peers() {
        let topology = two_servers();
        let plan = LabPlan::new(&topology, "172.30.0.0/24".parse().unwrap());
        let roles = on_networks(&plan, DnsStart::Planned, &Sources::in_container());
        let names: Vec<&str> = roles.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, ["tenant", "dc-lisbon", "dc-oslo", "lis-cce1", "osl-cce1"]);
        let legs =
            |spec: &RoleSpec| spec.legs.iter().map(|l| format!("{} {}", l.network, l.address)).collect::<Vec<_>>();
        assert_eq!(legs(&roles[1]), ["lisbon 10.61.1.5", "outside 198.51.100.1", "online 172.30.0.3"]);
        assert_eq!(legs(&roles[2]), ["oslo 10.62.1.5", "online 172.30.0.4"]);
        assert_eq!(roles[2].health, Some("10.62.1.5:8053".parse().unwrap()));
        let argv = roles[2].args.argv().join(" ");
        assert!(argv.contains("--computer-name dc-oslo --peer http://172.30.0.3:8053"), "{argv}");
        assert_eq!(plan.network_of("10.62.1.77".parse().unwrap()).unwrap().dns, Some("10.62.1.5".parse().unwrap()));
        let endpoints = plan.endpoints().unwrap();
        let servers: Vec<String> =
            endpoints.dns_servers.iter().map(|d| format!("{} {} {}", d.name, d.address, d.admin)).collect();
        assert_eq!(servers, ["dc-lisbon 10.61.1.5 http://10.61.1.5:8053", "dc-oslo 10.62.1.5 http://10.62.1.5:8053"]);
        assert!(endpoints.clocks.contains(&"http://10.62.1.5:8053".to_string()));
    }

    #[test]
    fn a_client_asks_only_its_own_sites_dns_server() {
        let topology = two_servers();
        let plan = LabPlan::new(&topology, "172.30.0.0/24".parse().unwrap());
        let place = ClientPlace {
            at: "10.62.1.77".parse().unwrap(),
            network: "oslo".into(),
            dns: "10.62.1.5".parse().unwrap(),
            online: "172.30.0.100".parse().unwrap(),
        };
        let spec = client_on_networks(&plan, &topology, &place, &Sources::in_container());
        let RoleArgs::Client { args, .. } = &spec.args else { panic!("a client host: {spec:?}") };
        for server in ["10.61.1.5", "10.62.1.5"] {
            let server: IpAddr = server.parse().unwrap();
            let dialled = args.dial.iter().find(|(at, _)| *at == server).map(|(_, to)| *to);
            assert_eq!(dialled, Some("10.62.1.5:53".parse().unwrap()), "{server}");
        }
    }

    #[test]
    fn a_client_host_dials_other_sites_mediation_servers_at_their_online_leg() {
        let topology = Topology::seed();
        let plan = seed_plan();
        let place = ClientPlace {
            at: "192.168.1.77".parse().unwrap(),
            network: "amsterdam".into(),
            dns: "192.168.1.1".parse().unwrap(),
            online: "172.30.0.100".parse().unwrap(),
        };
        let spec = client_on_networks(&plan, &topology, &place, &Sources::in_container());
        assert_eq!(spec.name, "client-192-168-1-77");
        let RoleArgs::Client { args, .. } = &spec.args else { panic!("a client host: {spec:?}") };
        let dialled: Vec<String> = args.dial.iter().map(|(from, _)| from.to_string()).collect();
        assert_eq!(dialled, ["10.10.1.8", "10.10.1.9", "10.10.1.10"], "Seattle's, not Amsterdam's");
        assert_eq!(args.dns, "192.168.1.1:53".parse().unwrap());
    }

    #[test]
    fn a_client_on_a_sites_second_subnet_reaches_its_sites_mediation_servers_there() {
        let topology = Topology::parse(include_str!("../../topologies/fabrikam.toml"), None).unwrap();
        let plan = LabPlan::new(&topology, "172.30.0.0/24".parse().unwrap());
        let par = on_networks(&plan, DnsStart::Planned, &Sources::in_container())
            .into_iter()
            .find(|r| r.name == "par-cce1")
            .unwrap();
        let legs: Vec<String> = par.legs.iter().map(|l| format!("{} {}", l.network, l.address)).collect();
        assert_eq!(legs, ["paris 172.20.20.21", "paris_2 172.20.21.2", "online 172.30.0.12"]);
        let place = ClientPlace {
            at: "172.20.21.253".parse().unwrap(),
            network: "paris_2".into(),
            dns: "172.20.21.1".parse().unwrap(),
            online: "172.30.0.100".parse().unwrap(),
        };
        let spec = client_on_networks(&plan, &topology, &place, &Sources::in_container());
        let RoleArgs::Client { args, .. } = &spec.args else { panic!("a client host: {spec:?}") };
        let dialled = |at: &str| args.dial.iter().find(|(a, _)| *a == at.parse::<IpAddr>().unwrap()).map(|(_, to)| *to);
        assert_eq!(dialled("172.20.20.21"), Some("172.20.21.2:80".parse().unwrap()), "on its own subnet");
        assert_eq!(dialled("172.20.10.21"), Some("172.30.0.10:80".parse().unwrap()), "London, across the WAN");
        assert_eq!(args.dns, "172.20.21.1:53".parse().unwrap());
        let outside = ClientPlace {
            at: "198.51.100.100".parse().unwrap(),
            network: "outside".into(),
            dns: "198.51.100.1".parse().unwrap(),
            online: "172.30.0.101".parse().unwrap(),
        };
        let spec = client_on_networks(&plan, &topology, &outside, &Sources::in_container());
        let RoleArgs::Client { args, .. } = &spec.args else { panic!("a client host: {spec:?}") };
        let to_paris = args.dial.iter().find(|(a, _)| a.to_string() == "172.20.20.21").map(|(_, to)| *to);
        assert_eq!(to_paris, Some("172.30.0.12:80".parse().unwrap()), "outside: through the Edge, as before");
    }

    #[test]
    fn an_embedded_client_dials_every_role_on_loopback() {
        let topology = Topology::seed();
        let loopback = Loopback {
            tenant: "127.0.0.1:41000".parse().unwrap(),
            dns: vec![("127.0.0.1:41001".parse().unwrap(), "127.0.0.1:41002".parse().unwrap())],
            appliances: (0..7).map(|n| SocketAddr::from(([127, 0, 0, 1], 41010 + n))).collect(),
            client: "127.0.0.1:41003".parse().unwrap(),
        };
        let roles = on_loopback(&topology, Path::new("/lab"), DnsStart::Planned, &loopback);
        let RoleArgs::Client { args, .. } = &roles.last().unwrap().args else { panic!("the client host is last") };
        assert!(args.ecs);
        assert_eq!(args.dial.len(), 7 + topology.dns_server_plans().len());
        assert!(args.dial.contains(&("10.10.1.8".parse().unwrap(), "127.0.0.1:41014".parse().unwrap())));
        let RoleArgs::Mediation { args, .. } = &roles[2].args else { panic!("appliances follow the DNS server") };
        assert_eq!(
            (args.tenant.as_str(), args.data.as_deref()),
            ("http://127.0.0.1:41000", Some(Path::new("/lab/appliances/ams-cce1")))
        );
    }
}
