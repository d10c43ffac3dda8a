use super::*;
use std::net::IpAddr;

fn ip(s: &str) -> IpAddr {
    s.parse().unwrap()
}

fn q(client: &str, name: &str) -> Query {
    Query::new(ip(client), ip("127.0.0.1"), name, "A", Transport::Udp)
}

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

/// adatum.biz with Amsterdam and Seattle subnets and scopes, records only in the scopes.
fn seed() -> DnsState {
    let mut s = DnsState::default();
    s.add_zone("adatum.biz", None, None).unwrap();
    s.add_client_subnet("AmsterdamSubnet", &strings(&["192.168.1.0/24"]), &strings(&["2001:db8:1::/48"])).unwrap();
    s.add_client_subnet("SeattleSubnet", &strings(&["10.10.1.0/24"]), &[]).unwrap();
    s.add_zone_scope("adatum.biz", "AmsterdamZoneScope").unwrap();
    s.add_zone_scope("adatum.biz", "SeattleZoneScope").unwrap();
    for a in ["192.168.1.45", "192.168.1.46"] {
        s.add_a("adatum.biz", Some("AmsterdamZoneScope"), "hybridvoice", a).unwrap();
    }
    s.add_a("adatum.biz", Some("SeattleZoneScope"), "hybridvoice", "10.10.1.8").unwrap();
    s.add_a("adatum.biz", None, "www", "203.0.113.80").unwrap();
    s
}

fn policy(name: &str, action: &str, criteria: &[(CriterionKind, &str)], scope: Option<&str>, order: Option<i64>) -> NewPolicy {
    NewPolicy {
        name: name.into(),
        zone: Some("adatum.biz".into()),
        action: action.into(),
        condition: None,
        criteria: criteria.iter().map(|(k, t)| (*k, t.to_string())).collect(),
        zone_scope: scope.map(str::to_string),
        processing_order: order,
    }
}

fn a(r: Resolution) -> Vec<String> {
    match r {
        Resolution::Records(a) => a.a.iter().map(|i| i.to_string()).collect(),
        other => panic!("expected records, got {other:?}"),
    }
}

fn geo() -> DnsState {
    let mut s = seed();
    s.add_policy(policy("AmsterdamPolicy", "ALLOW", &[(CriterionKind::ClientSubnet, "EQ,AmsterdamSubnet")], Some("AmsterdamZoneScope,1"), Some(1))).unwrap();
    s.add_policy(policy("SeattlePolicy", "ALLOW", &[(CriterionKind::ClientSubnet, "eq,SeattleSubnet")], Some("SeattleZoneScope,1"), Some(2))).unwrap();
    s
}

#[test]
fn client_subnet_picks_the_site_scope_and_others_get_nxdomain() {
    let s = geo();
    assert_eq!(a(s.resolve(&q("192.168.1.77", "hybridvoice.adatum.biz"))), ["192.168.1.45", "192.168.1.46"]);
    assert_eq!(a(s.resolve(&q("10.10.1.77", "HybridVoice.Adatum.biz."))), ["10.10.1.8"]);
    match s.resolve(&q("203.0.113.5", "hybridvoice.adatum.biz")) {
        Resolution::NxDomain(n) => assert_eq!((n.zone.as_str(), n.scope.as_str()), ("adatum.biz", "adatum.biz")),
        other => panic!("expected NXDOMAIN from the default scope, got {other:?}"),
    }
    // A name only in the default scope is absent from a site scope.
    assert!(matches!(s.resolve(&q("192.168.1.77", "www.adatum.biz")), Resolution::NxDomain(_)));
    assert_eq!(a(s.resolve(&q("203.0.113.5", "www.adatum.biz"))), ["203.0.113.80"]);
}

#[test]
fn ipv6_client_subnets_match() {
    let s = geo();
    assert_eq!(a(s.resolve(&q("2001:db8:1:5::9", "hybridvoice.adatum.biz"))).len(), 2);
    assert!(matches!(s.resolve(&q("2001:db8:2::9", "hybridvoice.adatum.biz")), Resolution::NxDomain(_)));
    // An IPv4 client seen through an IPv6 socket.
    assert_eq!(a(s.resolve(&q("::ffff:10.10.1.7", "hybridvoice.adatum.biz"))), ["10.10.1.8"]);
}

#[test]
fn names_outside_our_zones_are_refused() {
    assert_eq!(geo().resolve(&q("192.168.1.77", "www.contoso.com")), Resolution::Refused);
}

#[test]
fn eq_values_are_ored_and_ne_values_anded() {
    let mut s = seed();
    s.add_client_subnet("Lab", &strings(&["192.168.1.64/26"]), &[]).unwrap();
    s.add_policy(policy("P", "ALLOW", &[(CriterionKind::ClientSubnet, "EQ,AmsterdamSubnet,SeattleSubnet;NE,Lab")], Some("SeattleZoneScope"), None)).unwrap();
    assert_eq!(a(s.resolve(&q("192.168.1.10", "hybridvoice.adatum.biz"))), ["10.10.1.8"]);
    assert_eq!(a(s.resolve(&q("10.10.1.10", "hybridvoice.adatum.biz"))), ["10.10.1.8"]);
    // In an EQ subnet but also in the NE one.
    assert!(matches!(s.resolve(&q("192.168.1.77", "hybridvoice.adatum.biz")), Resolution::NxDomain(_)));
}

#[test]
fn ne_alone_matches_everything_else() {
    let mut s = seed();
    s.add_policy(policy("NotSeattle", "DENY", &[(CriterionKind::ClientSubnet, "NE,SeattleSubnet,AmsterdamSubnet")], None, None)).unwrap();
    assert_eq!(s.resolve(&q("203.0.113.5", "hybridvoice.adatum.biz")), Resolution::Refused);
    assert!(matches!(s.resolve(&q("10.10.1.5", "hybridvoice.adatum.biz")), Resolution::NxDomain(_)));
}

#[test]
fn and_needs_every_criterion_or_needs_one() {
    let both = [(CriterionKind::ClientSubnet, "EQ,SeattleSubnet"), (CriterionKind::Fqdn, "EQ,hybridvoice.adatum.biz")];
    let mut and = seed();
    and.add_policy(policy("P", "DENY", &both, None, None)).unwrap();
    assert_eq!(and.resolve(&q("10.10.1.5", "hybridvoice.adatum.biz")), Resolution::Refused);
    assert!(matches!(and.resolve(&q("10.10.1.5", "www.adatum.biz")), Resolution::Records(_)));
    let mut or = seed();
    or.add_policy(NewPolicy { condition: Some("or".into()), ..policy("P", "DENY", &both, None, None) }).unwrap();
    assert_eq!(or.resolve(&q("10.10.1.5", "www.adatum.biz")), Resolution::Refused);
    assert_eq!(or.resolve(&q("203.0.113.5", "hybridvoice.adatum.biz")), Resolution::Refused);
    assert!(matches!(or.resolve(&q("203.0.113.5", "www.adatum.biz")), Resolution::Records(_)));
}

#[test]
fn wildcard_fqdn_matches_names_below_only() {
    assert!(criteria::fqdn_matches("*.adatum.biz", "hybridvoice.adatum.biz"));
    assert!(criteria::fqdn_matches("*.adatum.biz.", "a.b.ADATUM.biz"));
    assert!(!criteria::fqdn_matches("*.adatum.biz", "adatum.biz"));
    assert!(!criteria::fqdn_matches("*.adatum.biz", "xadatum.biz"));
    let mut s = seed();
    s.add_policy(policy("Block", "IGNORE", &[(CriterionKind::Fqdn, "EQ,*.adatum.biz;NE,www.adatum.biz")], None, None)).unwrap();
    assert_eq!(s.resolve(&q("203.0.113.5", "hybridvoice.adatum.biz")), Resolution::Ignore);
    assert_eq!(a(s.resolve(&q("203.0.113.5", "www.adatum.biz"))), ["203.0.113.80"]);
}

#[test]
fn qtype_server_interface_and_transport_criteria() {
    let mut s = seed();
    s.add_policy(policy("NoAAAA", "DENY", &[(CriterionKind::QType, "EQ,AAAA")], None, Some(1))).unwrap();
    s.add_policy(policy("Iface", "IGNORE", &[(CriterionKind::ServerInterfaceIP, "EQ,127.0.0.2")], None, Some(2))).unwrap();
    s.add_policy(policy("Tcp", "ALLOW", &[(CriterionKind::TransportProtocol, "EQ,TCP")], Some("SeattleZoneScope"), Some(3))).unwrap();
    let mut aaaa = q("203.0.113.5", "www.adatum.biz");
    aaaa.qtype = "AAAA".into();
    assert_eq!(s.resolve(&aaaa), Resolution::Refused);
    let other_iface = Query::new(ip("203.0.113.5"), ip("127.0.0.2"), "www.adatum.biz", "A", Transport::Udp);
    assert_eq!(s.resolve(&other_iface), Resolution::Ignore);
    let tcp = Query::new(ip("203.0.113.5"), ip("127.0.0.1"), "hybridvoice.adatum.biz", "A", Transport::Tcp);
    assert_eq!(a(s.resolve(&tcp)), ["10.10.1.8"]);
    assert!(matches!(s.resolve(&q("203.0.113.5", "hybridvoice.adatum.biz")), Resolution::NxDomain(_)));
}

#[test]
fn lower_processing_order_wins_whatever_the_order_added() {
    let mut s = seed();
    let c = [(CriterionKind::ClientSubnet, "EQ,AmsterdamSubnet")];
    s.add_policy(policy("Second", "ALLOW", &c, Some("SeattleZoneScope"), Some(5))).unwrap();
    s.add_policy(policy("First", "ALLOW", &c, Some("AmsterdamZoneScope"), Some(2))).unwrap();
    assert_eq!(a(s.resolve(&q("192.168.1.9", "hybridvoice.adatum.biz"))).len(), 2);
    s.remove_policy("First", Some("adatum.biz")).unwrap();
    assert_eq!(a(s.resolve(&q("192.168.1.9", "hybridvoice.adatum.biz"))), ["10.10.1.8"]);
}

#[test]
fn deny_answers_refused_or_servfail_and_ignore_stays_silent() {
    let mut s = seed();
    s.add_policy(policy("D", "DENY", &[(CriterionKind::ClientSubnet, "EQ,SeattleSubnet")], None, None)).unwrap();
    s.add_policy(policy("I", "IGNORE", &[(CriterionKind::ClientSubnet, "EQ,AmsterdamSubnet")], None, None)).unwrap();
    assert_eq!(s.resolve(&q("10.10.1.1", "hybridvoice.adatum.biz")), Resolution::Refused);
    s.set_deny_answer(DenyAnswer::ServFail);
    assert_eq!(s.resolve(&q("10.10.1.1", "hybridvoice.adatum.biz")), Resolution::ServFail);
    assert_eq!(s.resolve(&q("192.168.1.1", "hybridvoice.adatum.biz")), Resolution::Ignore);
}

#[test]
fn server_level_policies_apply_to_every_name() {
    let mut s = seed();
    s.add_policy(NewPolicy { zone: None, ..policy("Drop", "IGNORE", &[(CriterionKind::ClientSubnet, "EQ,SeattleSubnet")], None, None) }).unwrap();
    assert_eq!(s.resolve(&q("10.10.1.1", "www.contoso.com")), Resolution::Ignore);
    assert_eq!(s.resolve(&q("203.0.113.1", "www.contoso.com")), Resolution::Refused);
}

#[test]
fn weights_split_answers_deterministically() {
    let build = |seed| {
        let mut s = seed_state(seed);
        s.add_policy(policy("Split", "ALLOW", &[], Some("AmsterdamZoneScope,3;SeattleZoneScope,5"), None)).unwrap();
        s
    };
    fn seed_state(seed: u64) -> DnsState {
        let mut s = DnsState::with_seed(seed);
        s.add_zone("adatum.biz", None, None).unwrap();
        s.add_zone_scope("adatum.biz", "AmsterdamZoneScope").unwrap();
        s.add_zone_scope("adatum.biz", "SeattleZoneScope").unwrap();
        s.add_a("adatum.biz", Some("AmsterdamZoneScope"), "hybridvoice", "192.168.1.45").unwrap();
        s.add_a("adatum.biz", Some("SeattleZoneScope"), "hybridvoice", "10.10.1.8").unwrap();
        s
    }
    let run = |s: &DnsState| (0..8000).map(|_| a(s.resolve(&q("203.0.113.1", "hybridvoice.adatum.biz")))[0].clone()).collect::<Vec<_>>();
    let first = run(&build(7));
    assert_eq!(first, run(&build(7)), "the same seed gives the same answers");
    assert_ne!(first, run(&build(8)));
    let amsterdam = first.iter().filter(|a| *a == "192.168.1.45").count();
    // 3/8 of 8000 = 3000.
    assert!((2800..3200).contains(&amsterdam), "Amsterdam answered {amsterdam} of 8000 times, expected about 3000");
}

#[test]
fn nodata_and_soa_questions() {
    let s = geo();
    let mut aaaa = q("192.168.1.77", "hybridvoice.adatum.biz");
    aaaa.qtype = "AAAA".into();
    match s.resolve(&aaaa) {
        Resolution::Records(r) => assert!(r.a.is_empty() && !r.soa_in_answer),
        other => panic!("expected NODATA, got {other:?}"),
    }
    let mut soa = q("203.0.113.5", "adatum.biz");
    soa.qtype = "SOA".into();
    assert!(matches!(s.resolve(&soa), Resolution::Records(Answered { soa_in_answer: true, .. })));
}

#[test]
fn ecs_scope_prefix_is_the_deciding_subnet() {
    let s = geo();
    match s.resolve(&q("192.168.1.77", "hybridvoice.adatum.biz")) {
        Resolution::Records(r) => assert_eq!(r.deciding_prefix, Some(24)),
        other => panic!("{other:?}"),
    }
    match s.resolve(&q("203.0.113.5", "hybridvoice.adatum.biz")) {
        Resolution::NxDomain(r) => assert_eq!(r.deciding_prefix, None),
        other => panic!("{other:?}"),
    }
}

fn err(r: Result<(), PolicyError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn validation_errors_say_what_was_wrong() {
    let mut s = geo();
    assert_eq!(err(s.add_zone_scope("adatum.biz", "Adatum.biz")), "The zone scope Adatum.biz cannot be added to zone adatum.biz: every zone already has a default scope named after the zone.");
    assert_eq!(err(s.add_zone_scope("adatum.biz", "SeattleZoneScope")), "The zone scope SeattleZoneScope already exists in zone adatum.biz.");
    assert_eq!(err(s.add_zone_scope("contoso.com", "X")), "The zone contoso.com was not found on the DNS server.");
    assert_eq!(err(s.add_zone("adatum.biz", None, None)), "The zone adatum.biz already exists on the DNS server.");
    assert_eq!(err(s.add_client_subnet("SeattleSubnet", &strings(&["10.0.0.0/8"]), &[])), "The client subnet SeattleSubnet already exists on the DNS server.");
    assert_eq!(err(s.add_client_subnet("X", &strings(&["10.10.1.0/33"]), &[])), "'10.10.1.0/33' is not a valid IPv4 subnet: expected an address and a prefix length such as 192.168.1.0/24.");
    assert_eq!(err(s.add_client_subnet("X", &strings(&["10.10.1.5/24"]), &[])), "'10.10.1.5/24' is not a valid IPv4 subnet: expected an address and a prefix length such as 192.168.1.0/24.");
    assert_eq!(err(s.add_client_subnet("X", &[], &strings(&["2001:db8::/129"]))), "'2001:db8::/129' is not a valid IPv6 subnet: expected an address and a prefix length such as 2001:db8:1::/48.");
    assert_eq!(
        err(s.add_policy(policy("P", "ALLOW", &[(CriterionKind::ClientSubnet, "EQ,ParisSubnet")], Some("SeattleZoneScope"), None))),
        "The client subnet ParisSubnet was not found on the DNS server."
    );
    assert_eq!(
        err(s.add_policy(policy("P", "ALLOW", &[(CriterionKind::ClientSubnet, "EQ,SeattleSubnet")], Some("ParisZoneScope,1"), None))),
        "The zone scope ParisZoneScope was not found in zone adatum.biz."
    );
    assert_eq!(
        err(s.add_policy(policy("P", "ALLOW", &[], Some("SeattleZoneScope"), Some(2)))),
        "The processing order 2 is already used by query resolution policy SeattlePolicy in zone adatum.biz: each policy needs its own processing order."
    );
    assert_eq!(err(s.add_policy(policy("seattlepolicy", "DENY", &[], None, Some(9)))), "The query resolution policy seattlepolicy already exists in zone adatum.biz.");
    assert_eq!(
        err(s.add_policy(policy("P", "ALLOW", &[(CriterionKind::ClientSubnet, "XX,SeattleSubnet")], Some("SeattleZoneScope"), None))),
        "The ClientSubnet criteria 'XX,SeattleSubnet' is not valid: part 1 starts with 'XX' where EQ or NE was expected. Expected for example \"EQ,value1,value2;NE,value3\"."
    );
    assert_eq!(
        err(s.add_policy(policy("P", "DENY", &[(CriterionKind::ClientSubnet, "EQ")], None, None))),
        "The ClientSubnet criteria 'EQ' is not valid: part 1 ('EQ') has an empty value. Expected for example \"EQ,value1,value2;NE,value3\"."
    );
    assert_eq!(
        err(s.add_policy(policy("P", "DENY", &[(CriterionKind::QType, "EQ,BOGUS")], None, None))),
        "The QType criteria 'EQ,BOGUS' is not valid: 'BOGUS' is not a record type such as A or AAAA. Expected for example \"EQ,value1,value2;NE,value3\"."
    );
    assert_eq!(
        err(s.add_policy(policy("P", "ALLOW", &[], Some("SeattleZoneScope,0"), None))),
        "The zone scope list 'SeattleZoneScope,0' is not valid: the weight of SeattleZoneScope is '0' where a whole number of 1 or more was expected. Expected for example \"AmsterdamZoneScope,1;SeattleZoneScope,2\"."
    );
    assert_eq!(err(s.add_policy(policy("P", "ALLOW", &[], None, None))), "A query resolution policy with action ALLOW needs -ZoneScope.");
    assert_eq!(err(s.add_policy(NewPolicy { zone: Some("contoso.com".into()), ..policy("P", "DENY", &[], None, None) })), "The zone contoso.com was not found on the DNS server.");
    assert_eq!(err(s.add_policy(policy("P", "PERMIT", &[], None, None))), "'PERMIT' is not a valid Action: expected ALLOW, DENY or IGNORE.");
    assert_eq!(err(s.remove_policy("Nope", Some("adatum.biz"))), "The query resolution policy Nope was not found in zone adatum.biz.");
    assert_eq!(err(s.add_a("adatum.biz", None, "www", "203.0.113.80")), "The A record www.adatum.biz with data 203.0.113.80 already exists in scope adatum.biz of zone adatum.biz.");
    assert_eq!(err(s.add_a("adatum.biz", None, "www", "10.1.2")), "'10.1.2' is not a valid IPv4 address for an A record.");
    assert_eq!(
        s.remove_a("adatum.biz", Some("SeattleZoneScope"), "A", "nothing", None).unwrap_err().to_string(),
        "Failed to find the resource record nothing of type A in scope SeattleZoneScope of zone adatum.biz."
    );
}
