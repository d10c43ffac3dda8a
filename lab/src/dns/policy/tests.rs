use super::rules::DenyAnswer;
use super::*;
use crate::dns::lookup::Transport;
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

fn policy(
    name: &str,
    action: &str,
    criteria: &[(CriterionKind, &str)],
    scope: Option<&str>,
    order: Option<i64>,
) -> NewPolicy {
    NewPolicy {
        name: name.into(),
        zone: Some("adatum.biz".into()),
        action: Some(action.into()),
        criteria: criteria.iter().map(|(k, t)| (*k, t.to_string())).collect(),
        zone_scope: scope.map(str::to_string),
        processing_order: order,
        ..NewPolicy::default()
    }
}

fn a(r: Resolution) -> Vec<String> {
    match r {
        Resolution::Records(a) => a.records.iter().map(|r| r.data.text()).collect(),
        other => panic!("expected records, got {other:?}"),
    }
}

fn geo() -> DnsState {
    let mut s = seed();
    s.add_policy(policy(
        "AmsterdamPolicy",
        "ALLOW",
        &[(CriterionKind::ClientSubnet, "EQ,AmsterdamSubnet")],
        Some("AmsterdamZoneScope,1"),
        Some(1),
    ))
    .unwrap();
    s.add_policy(policy(
        "SeattlePolicy",
        "ALLOW",
        &[(CriterionKind::ClientSubnet, "eq,SeattleSubnet")],
        Some("SeattleZoneScope,1"),
        Some(2),
    ))
    .unwrap();
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
    s.add_policy(policy(
        "P",
        "ALLOW",
        &[(CriterionKind::ClientSubnet, "EQ,AmsterdamSubnet,SeattleSubnet;NE,Lab")],
        Some("SeattleZoneScope"),
        None,
    ))
    .unwrap();
    assert_eq!(a(s.resolve(&q("192.168.1.10", "hybridvoice.adatum.biz"))), ["10.10.1.8"]);
    assert_eq!(a(s.resolve(&q("10.10.1.10", "hybridvoice.adatum.biz"))), ["10.10.1.8"]);
    // In an EQ subnet but also in the NE one.
    assert!(matches!(s.resolve(&q("192.168.1.77", "hybridvoice.adatum.biz")), Resolution::NxDomain(_)));
}

#[test]
fn ne_alone_matches_everything_else() {
    let mut s = seed();
    s.add_policy(policy(
        "NotSeattle",
        "DENY",
        &[(CriterionKind::ClientSubnet, "NE,SeattleSubnet,AmsterdamSubnet")],
        None,
        None,
    ))
    .unwrap();
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

/// "MS-DNSP 3.1.8.2 DNS Policy Criteria": `EQ,*.contoso.com` matches anything in contoso.com,
/// including contoso.com itself.
#[test]
fn wildcard_fqdn_matches_the_apex_and_names_below() {
    assert!(criteria::fqdn_matches("*.adatum.biz", "hybridvoice.adatum.biz"));
    assert!(criteria::fqdn_matches("*.adatum.biz.", "a.b.ADATUM.biz"));
    assert!(criteria::fqdn_matches("*.adatum.biz", "adatum.biz"));
    assert!(!criteria::fqdn_matches("*.adatum.biz", "xadatum.biz"));
    let mut s = seed();
    s.add_policy(policy("Block", "IGNORE", &[(CriterionKind::Fqdn, "EQ,*.adatum.biz;NE,www.adatum.biz")], None, None))
        .unwrap();
    assert_eq!(s.resolve(&q("203.0.113.5", "hybridvoice.adatum.biz")), Resolution::Ignore);
    assert_eq!(s.resolve(&q("203.0.113.5", "adatum.biz")), Resolution::Ignore);
    assert_eq!(a(s.resolve(&q("203.0.113.5", "www.adatum.biz"))), ["203.0.113.80"]);
}

#[test]
fn qtype_server_interface_and_transport_criteria() {
    let mut s = seed();
    s.add_policy(policy("NoAAAA", "DENY", &[(CriterionKind::QType, "EQ,AAAA")], None, Some(1))).unwrap();
    s.add_policy(policy("Iface", "IGNORE", &[(CriterionKind::ServerInterfaceIP, "EQ,127.0.0.2")], None, Some(2)))
        .unwrap();
    s.add_policy(policy(
        "Tcp",
        "ALLOW",
        &[(CriterionKind::TransportProtocol, "EQ,TCP")],
        Some("SeattleZoneScope"),
        Some(3),
    ))
    .unwrap();
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
    s.add_policy(NewPolicy {
        zone: None,
        ..policy("Drop", "IGNORE", &[(CriterionKind::ClientSubnet, "EQ,SeattleSubnet")], None, None)
    })
    .unwrap();
    assert_eq!(s.resolve(&q("10.10.1.1", "www.contoso.com")), Resolution::Ignore);
    assert_eq!(s.resolve(&q("203.0.113.1", "www.contoso.com")), Resolution::Refused);
}

fn split(weights: &str) -> DnsState {
    let mut s = DnsState::default();
    s.add_zone("adatum.biz", None, None).unwrap();
    s.add_zone_scope("adatum.biz", "AmsterdamZoneScope").unwrap();
    s.add_zone_scope("adatum.biz", "SeattleZoneScope").unwrap();
    s.add_a("adatum.biz", Some("AmsterdamZoneScope"), "hybridvoice", "192.168.1.45").unwrap();
    s.add_a("adatum.biz", Some("SeattleZoneScope"), "hybridvoice", "10.10.1.8").unwrap();
    s.add_policy(policy("Split", "ALLOW", &[], Some(weights), None)).unwrap();
    s
}

fn amsterdam_answers(s: &DnsState, queries: usize) -> usize {
    (0..queries).filter(|_| a(s.resolve(&q("203.0.113.1", "hybridvoice.adatum.biz")))[0] == "192.168.1.45").count()
}

/// "Add-DnsServerQueryResolutionPolicy" example 2: weights 7 and 3 share the answers in that
/// ratio; the lab makes the ratio exact in every round (weighted round robin).
#[test]
fn weights_split_answers_exactly() {
    assert_eq!(amsterdam_answers(&split("AmsterdamZoneScope,1;SeattleZoneScope,3"), 40), 10);
    let s = split("AmsterdamZoneScope,3;SeattleZoneScope,5");
    for round in 0..5 {
        assert_eq!(amsterdam_answers(&s, 8), 3, "round {round}: three of every eight answers come from Amsterdam");
    }
    // The same configuration and the same queries give the same answers.
    let order = |s: &DnsState| {
        (0..16).map(|_| a(s.resolve(&q("203.0.113.1", "hybridvoice.adatum.biz")))[0].clone()).collect::<Vec<_>>()
    };
    assert_eq!(
        order(&split("AmsterdamZoneScope,1;SeattleZoneScope,3")),
        order(&split("AmsterdamZoneScope,1;SeattleZoneScope,3"))
    );
}

#[test]
fn nodata_and_soa_questions() {
    let s = geo();
    let mut aaaa = q("192.168.1.77", "hybridvoice.adatum.biz");
    aaaa.qtype = "AAAA".into();
    match s.resolve(&aaaa) {
        Resolution::Records(r) => assert!(r.records.is_empty() && !r.soa_in_answer),
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

fn err<T: std::fmt::Debug>(r: Result<T, PolicyError>) -> String {
    r.unwrap_err().to_string()
}

#[test]
fn validation_errors_say_what_was_wrong() {
    let mut s = geo();
    assert_eq!(err(s.add_zone_scope("adatum.biz", "Adatum.biz")), "The zone scope Adatum.biz cannot be added to zone adatum.biz: every zone already has a default scope named after the zone.");
    assert_eq!(
        err(s.add_zone_scope("adatum.biz", "SeattleZoneScope")),
        "The zone scope SeattleZoneScope already exists in zone adatum.biz."
    );
    assert_eq!(err(s.add_zone_scope("contoso.com", "X")), "The zone contoso.com was not found on the DNS server.");
    assert_eq!(err(s.add_zone("adatum.biz", None, None)), "The zone adatum.biz already exists on the DNS server.");
    assert_eq!(
        err(s.add_client_subnet("SeattleSubnet", &strings(&["10.0.0.0/8"]), &[])),
        "The client subnet SeattleSubnet already exists on the DNS server."
    );
    assert_eq!(
        err(s.add_client_subnet("X", &strings(&["10.10.1.0/33"]), &[])),
        "'10.10.1.0/33' is not a valid IPv4 subnet: expected an address and a prefix length such as 192.168.1.0/24."
    );
    assert_eq!(
        err(s.add_client_subnet("X", &[], &strings(&["2001:db8::/129"]))),
        "'2001:db8::/129' is not a valid IPv6 subnet: expected an address and a prefix length such as 2001:db8:1::/48."
    );
    assert_eq!(
        err(s.add_policy(policy(
            "P",
            "ALLOW",
            &[(CriterionKind::ClientSubnet, "EQ,ParisSubnet")],
            Some("SeattleZoneScope"),
            None
        ))),
        "The client subnet ParisSubnet was not found on the DNS server."
    );
    assert_eq!(
        err(s.add_policy(policy(
            "P",
            "ALLOW",
            &[(CriterionKind::ClientSubnet, "EQ,SeattleSubnet")],
            Some("ParisZoneScope,1"),
            None
        ))),
        "The zone scope ParisZoneScope was not found in zone adatum.biz."
    );
    assert_eq!(
        err(s.add_policy(policy("seattlepolicy", "DENY", &[], None, Some(9)))),
        "The query resolution policy seattlepolicy already exists in zone adatum.biz."
    );
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
    assert_eq!(
        err(s.add_policy(policy("P", "ALLOW", &[], None, None))),
        "A query resolution policy with action ALLOW needs -ZoneScope."
    );
    assert_eq!(
        err(s.add_policy(NewPolicy { zone: Some("contoso.com".into()), ..policy("P", "DENY", &[], None, None) })),
        "The zone contoso.com was not found on the DNS server."
    );
    assert_eq!(
        err(s.add_policy(policy("P", "PERMIT", &[], None, None))),
        "'PERMIT' is not a valid Action: expected ALLOW, DENY or IGNORE."
    );
    assert_eq!(
        err(s.remove_policy("Nope", Some("adatum.biz"))),
        "The query resolution policy Nope was not found in zone adatum.biz."
    );
    assert_eq!(
        err(s.add_a("adatum.biz", None, "www", "203.0.113.80")),
        "The A record www.adatum.biz with data 203.0.113.80 already exists in scope adatum.biz of zone adatum.biz."
    );
    assert_eq!(
        err(s.add_a("adatum.biz", None, "www", "10.1.2")),
        "'10.1.2' is not a valid IPv4 address for an A record."
    );
    assert_eq!(
        s.remove_records("adatum.biz", Some("SeattleZoneScope"), "A", "nothing", &[]).unwrap_err().to_string(),
        "Failed to find the resource record nothing of type A in scope SeattleZoneScope of zone adatum.biz."
    );
}

fn no_action(name: &str, zone: Option<&str>, scope: Option<&str>) -> NewPolicy {
    NewPolicy {
        name: name.into(),
        zone: zone.map(str::to_string),
        zone_scope: scope.map(str::to_string),
        ..NewPolicy::default()
    }
}

/// "Add-DnsServerQueryResolutionPolicy": -Action is optional. Lab choice for the default: the
/// only action each level takes for queries that still answers ("MS-DNSP 3.1.8.3 DNS Policy
/// Validation": ALLOW with zone scopes at zone level, DENY or IGNORE at server level).
#[test]
fn action_defaults_to_allow_at_zone_level_and_deny_at_server_level() {
    let mut s = seed();
    assert_eq!(
        s.add_policy(no_action("Z", Some("adatum.biz"), Some("SeattleZoneScope"))).unwrap().action,
        Action::Allow
    );
    assert_eq!(a(s.resolve(&q("203.0.113.5", "hybridvoice.adatum.biz"))), ["10.10.1.8"]);
    let mut s = seed();
    assert_eq!(s.add_policy(no_action("S", None, None)).unwrap().action, Action::Deny);
    assert_eq!(s.resolve(&q("203.0.113.5", "www.adatum.biz")), Resolution::Refused);
}

/// "MS-DNSP 3.1.8.3 DNS Policy Validation": a zone-level DENY or IGNORE and any server-level
/// query policy carry no policy content (zone scopes).
#[test]
fn zone_scopes_go_with_zone_level_allow_only() {
    let mut s = seed();
    for action in ["DENY", "IGNORE"] {
        assert_eq!(
            err(s.add_policy(policy("P", action, &[], Some("SeattleZoneScope"), None))),
            format!("A query resolution policy with action {action} answers from no zone scope: -ZoneScope goes with ALLOW only.")
        );
    }
    assert_eq!(
        err(s.add_policy(NewPolicy { zone: None, ..policy("P", "DENY", &[], Some("SeattleZoneScope"), None) })),
        "A server-level query resolution policy (no -ZoneName) has no zone scopes: -ZoneScope needs -ZoneName."
    );
    assert!(s.policies().is_empty(), "a refused policy leaves nothing behind");
}

/// "Add-DnsServerClientSubnet": -IPv4Subnet and -IPv6Subnet are both optional lists; its own
/// examples write prefixes with host bits (172.21.33.0/16), which are kept as written.
#[test]
fn client_subnets_take_either_list_and_host_bits() {
    let mut s = seed();
    s.add_client_subnet("V6Only", &[], &strings(&["2001:db8:9::/48", "2001:db8:a::/48"])).unwrap();
    s.add_client_subnet("Loose", &strings(&["172.21.33.0/16"]), &[]).unwrap();
    let loose = s.subnets().get("loose").unwrap();
    assert_eq!(loose.ipv4[0].to_string(), "172.21.33.0/16");
    assert!(loose.contains(ip("172.21.200.1")));
    assert_eq!(
        err(s.add_client_subnet("Empty", &[], &[])),
        "A client subnet needs at least one IPv4Subnet or IPv6Subnet."
    );
}

/// "Set-DnsServerClientSubnet" ADD, REMOVE and REPLACE; "Remove-DnsServerClientSubnet".
#[test]
fn client_subnets_are_edited_and_removed() {
    let mut s = geo();
    s.set_client_subnet("SeattleSubnet", SubnetAction::Add, &strings(&["10.20.0.0/16"]), &[]).unwrap();
    assert_eq!(a(s.resolve(&q("10.20.3.4", "hybridvoice.adatum.biz"))), ["10.10.1.8"]);
    s.set_client_subnet("SeattleSubnet", SubnetAction::Remove, &strings(&["10.10.1.0/24"]), &[]).unwrap();
    assert!(matches!(s.resolve(&q("10.10.1.4", "hybridvoice.adatum.biz")), Resolution::NxDomain(_)));
    s.set_client_subnet("SeattleSubnet", SubnetAction::Replace, &strings(&["10.30.0.0/16"]), &[]).unwrap();
    assert_eq!(
        s.subnets().get("SeattleSubnet").unwrap().ipv4.iter().map(|n| n.to_string()).collect::<Vec<_>>(),
        ["10.30.0.0/16"]
    );
    assert_eq!(
        err(s.set_client_subnet("SeattleSubnet", SubnetAction::Remove, &strings(&["10.99.0.0/16"]), &[])),
        "The client subnet SeattleSubnet does not contain 10.99.0.0/16."
    );
    assert_eq!(err(s.remove_client_subnet("SeattleSubnet")), "The client subnet SeattleSubnet is used by query resolution policy SeattlePolicy: change or remove the policy first.");
    s.remove_policy("SeattlePolicy", Some("adatum.biz")).unwrap();
    s.remove_client_subnet("seattlesubnet").unwrap();
    assert!(s.subnets().get("SeattleSubnet").is_none());
}

/// "Add-DnsServerQueryResolutionPolicy" -TimeOfDay `EQ,10:00-12:00,22:00-23:00`, on the lab
/// clock (lab choices: start inclusive, end exclusive, a window may run over midnight).
#[test]
fn time_of_day_windows() {
    let mut s = seed();
    s.add_policy(policy(
        "Day",
        "ALLOW",
        &[(CriterionKind::TimeOfDay, "EQ,08:00-18:00")],
        Some("AmsterdamZoneScope"),
        Some(1),
    ))
    .unwrap();
    s.add_policy(policy(
        "Night",
        "ALLOW",
        &[(CriterionKind::TimeOfDay, "EQ,22:00-02:00")],
        Some("SeattleZoneScope"),
        Some(2),
    ))
    .unwrap();
    let at = |t: &str| s.resolve_at(&q("203.0.113.5", "hybridvoice.adatum.biz"), t.parse().unwrap());
    assert_eq!(a(at("08:00")).len(), 2);
    assert_eq!(a(at("17:59")).len(), 2);
    assert!(matches!(at("18:00"), Resolution::NxDomain(_)));
    assert_eq!(a(at("23:30")), ["10.10.1.8"]);
    assert_eq!(a(at("01:59")), ["10.10.1.8"]);
    assert!(matches!(at("02:00"), Resolution::NxDomain(_)));
    assert!(err(s.add_policy(policy("Bad", "DENY", &[(CriterionKind::TimeOfDay, "EQ,8-18")], None, None)))
        .contains("'8-18' is not a time window such as 08:00-18:00"));
}

#[tokio::test]
async fn time_of_day_follows_the_lab_clock_from_the_topology_start() {
    let clock = crate::clock::Clock::new();
    let mut s = seed();
    s.set_clock(clock.clone(), "07:30".parse().unwrap());
    s.add_policy(policy("Day", "DENY", &[(CriterionKind::TimeOfDay, "EQ,08:00-18:00")], None, None)).unwrap();
    assert_eq!(a(s.resolve(&q("203.0.113.5", "www.adatum.biz"))), ["203.0.113.80"]);
    clock.advance(std::time::Duration::from_secs(30 * 60)).await.unwrap();
    assert_eq!(s.time_of_day().to_string(), "08:00");
    assert_eq!(s.resolve(&q("203.0.113.5", "www.adatum.biz")), Resolution::Refused);
}

/// "Add-DnsServerQueryResolutionPolicy" -InternetProtocol `EQ,IPv4` / `EQ,IPv6`, and the full
/// QType list of the DnsServer cmdlets.
#[test]
fn internet_protocol_and_qtypes() {
    let mut s = seed();
    s.add_policy(policy("V6", "IGNORE", &[(CriterionKind::InternetProtocol, "EQ,IPv6")], None, Some(1))).unwrap();
    s.add_policy(policy("Types", "DENY", &[(CriterionKind::QType, "EQ,NAPTR,TLSA,SRV")], None, Some(2))).unwrap();
    assert_eq!(s.resolve(&q("2001:db8:5::1", "www.adatum.biz")), Resolution::Ignore);
    assert_eq!(a(s.resolve(&q("::ffff:203.0.113.5", "www.adatum.biz"))), ["203.0.113.80"]);
    let mut naptr = q("203.0.113.5", "www.adatum.biz");
    naptr.qtype = "NAPTR".into();
    assert_eq!(s.resolve(&naptr), Resolution::Refused);
    assert!(err(s.add_policy(policy("Bad", "DENY", &[(CriterionKind::InternetProtocol, "EQ,IPX")], None, None)))
        .contains("'IPX' is neither IPv4 nor IPv6"));
}

/// "Add-DnsServerQueryResolutionPolicy" -Disable, "Enable-DnsServerPolicy",
/// "Disable-DnsServerPolicy" (one by name, or all of a level).
#[test]
fn disabled_policies_are_skipped_until_enabled() {
    let mut s = seed();
    s.add_policy(NewPolicy { disabled: true, ..policy("Block", "DENY", &[], None, None) }).unwrap();
    assert_eq!(a(s.resolve(&q("203.0.113.5", "www.adatum.biz"))), ["203.0.113.80"]);
    assert_eq!(s.set_enabled(Some("adatum.biz"), Some("block"), true).unwrap(), 1);
    assert_eq!(s.resolve(&q("203.0.113.5", "www.adatum.biz")), Resolution::Refused);
    assert_eq!(s.set_enabled(Some("adatum.biz"), None, false).unwrap(), 1);
    assert_eq!(a(s.resolve(&q("203.0.113.5", "www.adatum.biz"))), ["203.0.113.80"]);
    assert_eq!(
        err(s.set_enabled(None, Some("Block"), true)),
        "The query resolution policy Block was not found at server level."
    );
}

/// "Set-DnsServerQueryResolutionPolicy": criteria, zone scopes and processing order change;
/// a criterion not given stays.
#[test]
fn set_changes_criteria_scopes_and_order() {
    let mut s = geo();
    s.set_policy(
        "AmsterdamPolicy",
        Some("adatum.biz"),
        PolicyEdit {
            zone_scope: Some("SeattleZoneScope,1".into()),
            criteria: vec![(CriterionKind::Fqdn, "EQ,hybridvoice.adatum.biz".into())],
            ..PolicyEdit::default()
        },
    )
    .unwrap();
    assert_eq!(a(s.resolve(&q("192.168.1.5", "hybridvoice.adatum.biz"))), ["10.10.1.8"]);
    let p = s.policy("AmsterdamPolicy", Some("adatum.biz")).unwrap();
    assert_eq!(p.criteria.len(), 2, "the ClientSubnet criterion stays");
    // The page: "the DNS server updates the processing order of the existing policies".
    s.set_policy(
        "AmsterdamPolicy",
        Some("adatum.biz"),
        PolicyEdit { processing_order: Some(2), ..PolicyEdit::default() },
    )
    .unwrap();
    let orders = |s: &DnsState| s.policies().iter().map(|p| (p.name.clone(), p.processing_order)).collect::<Vec<_>>();
    assert_eq!(orders(&s), [("AmsterdamPolicy".to_string(), 2), ("SeattlePolicy".to_string(), 3)]);
    s.set_policy(
        "AmsterdamPolicy",
        Some("adatum.biz"),
        PolicyEdit { processing_order: Some(7), ..PolicyEdit::default() },
    )
    .unwrap();
    assert_eq!(s.policies().iter().map(|p| p.name.as_str()).collect::<Vec<_>>(), ["SeattlePolicy", "AmsterdamPolicy"]);
}

/// Adding at a processing order in use puts the new policy first: the one holding it and those
/// right after it move down, a gap further down stays.
#[test]
fn a_processing_order_in_use_is_made_room_for() {
    let mut s = geo();
    s.set_policy(
        "SeattlePolicy",
        Some("adatum.biz"),
        PolicyEdit { processing_order: Some(5), ..PolicyEdit::default() },
    )
    .unwrap();
    s.add_policy(policy("P", "ALLOW", &[], Some("SeattleZoneScope"), Some(1))).unwrap();
    let orders: Vec<(String, u32)> = s.policies().iter().map(|p| (p.name.clone(), p.processing_order)).collect();
    assert_eq!(orders, [("P".to_string(), 1), ("AmsterdamPolicy".to_string(), 2), ("SeattlePolicy".to_string(), 5)]);
}

/// "Remove-DnsServerZoneScope" (the default scope stays) and "Add-DnsServerQueryResolutionPolicy":
/// removing a zone deletes its zone-level policies.
#[test]
fn zone_scopes_and_zones_are_removed() {
    let mut s = geo();
    assert_eq!(
        err(s.remove_zone_scope("adatum.biz", "adatum.biz")),
        "The default zone scope of zone adatum.biz cannot be removed: remove the zone instead."
    );
    assert_eq!(err(s.remove_zone_scope("adatum.biz", "SeattleZoneScope")), "The zone scope SeattleZoneScope of zone adatum.biz is used by query resolution policy SeattlePolicy: change or remove the policy first.");
    s.remove_policy("SeattlePolicy", Some("adatum.biz")).unwrap();
    s.remove_zone_scope("adatum.biz", "seattlezonescope").unwrap();
    assert!(s.zone("adatum.biz").unwrap().scope(Some("SeattleZoneScope")).is_err());
    s.remove_zone("ADATUM.biz").unwrap();
    assert!(s.policies().is_empty());
    assert_eq!(s.resolve(&q("192.168.1.5", "hybridvoice.adatum.biz")), Resolution::Refused);
}

fn data(r: Resolution) -> Vec<(String, String)> {
    match r {
        Resolution::Records(a) => a.records.iter().map(|r| (r.owner.clone(), r.data.text())).collect(),
        other => panic!("expected records, got {other:?}"),
    }
}

/// "Add-DnsServerResourceRecord" -AAAA and -CName; a CNAME is followed within the answering
/// scope (RFC 1034 §3.6.2), and a CNAME shares its name with nothing else.
#[test]
fn aaaa_and_cname_records() {
    let mut s = geo();
    s.add_record(
        "adatum.biz",
        Some("AmsterdamZoneScope"),
        "hybridvoice",
        RecordData::Aaaa("2001:db8:1::45".parse().unwrap()),
    )
    .unwrap();
    s.add_record("adatum.biz", Some("AmsterdamZoneScope"), "voice", RecordData::Cname("hybridvoice.adatum.biz".into()))
        .unwrap();
    s.add_record("adatum.biz", Some("SeattleZoneScope"), "voice", RecordData::Cname("hybridvoice.adatum.biz".into()))
        .unwrap();
    let mut aaaa = q("192.168.1.5", "hybridvoice.adatum.biz");
    aaaa.qtype = "AAAA".into();
    assert_eq!(data(s.resolve(&aaaa)), [("hybridvoice.adatum.biz".to_string(), "2001:db8:1::45".to_string())]);
    let chain = data(s.resolve(&q("10.10.1.5", "voice.adatum.biz")));
    assert_eq!(
        chain,
        [
            ("voice.adatum.biz".into(), "hybridvoice.adatum.biz.".into()),
            ("hybridvoice.adatum.biz".into(), "10.10.1.8".into())
        ]
    );
    assert_eq!(
        err(s.add_a("adatum.biz", Some("SeattleZoneScope"), "voice", "10.10.1.9")),
        "The name voice.adatum.biz in zone adatum.biz cannot hold a CNAME record together with other records."
    );
    assert_eq!(s.remove_records("adatum.biz", Some("AmsterdamZoneScope"), "CNAME", "voice", &[]).unwrap(), 1);
}

/// RFC 4592: a wildcard answers for names that do not exist below its closest encloser, never
/// for names that exist (even without the asked type) or lie below another existing name.
#[test]
fn wildcard_records_follow_rfc_4592() {
    let mut s = seed();
    s.add_a("adatum.biz", None, "*", "203.0.113.99").unwrap();
    s.add_a("adatum.biz", None, "host.sub", "203.0.113.7").unwrap();
    assert_eq!(
        data(s.resolve(&q("203.0.113.5", "anything.adatum.biz"))),
        [("anything.adatum.biz".into(), "203.0.113.99".into())]
    );
    assert_eq!(a(s.resolve(&q("203.0.113.5", "a.b.adatum.biz"))), ["203.0.113.99"]);
    assert_eq!(a(s.resolve(&q("203.0.113.5", "www.adatum.biz"))), ["203.0.113.80"]);
    // sub.adatum.biz exists (an empty non-terminal): NODATA, and names below it do not match *.adatum.biz.
    assert!(a(s.resolve(&q("203.0.113.5", "sub.adatum.biz"))).is_empty());
    assert!(matches!(s.resolve(&q("203.0.113.5", "x.sub.adatum.biz")), Resolution::NxDomain(_)));
}

/// "Remove-DnsServerResourceRecord" -RecordData is a list; "Set-DnsServerResourceRecord"
/// replaces one record's data.
#[test]
fn records_are_removed_by_list_and_replaced() {
    let mut s = seed();
    s.add_a("adatum.biz", None, "www", "203.0.113.81").unwrap();
    s.add_a("adatum.biz", None, "www", "203.0.113.82").unwrap();
    assert_eq!(
        s.remove_records("adatum.biz", None, "A", "www", &strings(&["203.0.113.80", "203.0.113.81"])).unwrap(),
        2
    );
    s.set_record(
        "adatum.biz",
        None,
        "www",
        &RecordData::A("203.0.113.82".parse().unwrap()),
        RecordData::A("203.0.113.90".parse().unwrap()),
    )
    .unwrap();
    assert_eq!(a(s.resolve(&q("203.0.113.5", "www.adatum.biz"))), ["203.0.113.90"]);
    assert_eq!(
        err(s.remove_records("adatum.biz", None, "A", "www", &strings(&["203.0.113.1"]))),
        "Failed to find the resource record www with data 203.0.113.1 of type A in scope adatum.biz of zone adatum.biz."
    );
}

/// The topology's default AD replication delay.
const AD_REPLICATION_DELAY: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// "DNS Policies for split-brain with Active Directory": an AD-integrated zone, its zone scopes
/// and their records replicate to every domain controller; client subnets and query resolution
/// policies stay on the server they were added on. Lab choice: after the replication delay on
/// the lab clock.
#[tokio::test]
async fn ad_integrated_zones_replicate_but_subnets_and_policies_do_not() {
    let clock = crate::clock::Clock::new();
    let directory = Directory::new(AD_REPLICATION_DELAY);
    let server = |name: &str| {
        let mut s = DnsState::default();
        s.set_clock(clock.clone(), crate::clock::TimeOfDay::MIDNIGHT);
        s.join_directory(directory.clone(), name);
        s
    };
    let (mut dc1, mut dc2) = (server("dc1"), server("dc2"));
    dc1.add_zone("adatum.biz", None, Some("Forest".into())).unwrap();
    dc1.add_zone("local.test", None, None).unwrap();
    dc1.add_client_subnet("AmsterdamSubnet", &strings(&["192.168.1.0/24"]), &[]).unwrap();
    dc1.add_zone_scope("adatum.biz", "AmsterdamZoneScope").unwrap();
    dc1.add_a("adatum.biz", Some("AmsterdamZoneScope"), "hybridvoice", "192.168.1.45").unwrap();
    dc1.add_policy(policy(
        "AmsterdamPolicy",
        "ALLOW",
        &[(CriterionKind::ClientSubnet, "EQ,AmsterdamSubnet")],
        Some("AmsterdamZoneScope,1"),
        None,
    ))
    .unwrap();
    assert_eq!(a(dc1.resolve(&q("192.168.1.7", "hybridvoice.adatum.biz"))), ["192.168.1.45"]);
    assert_eq!(dc2.resolve(&q("192.168.1.7", "hybridvoice.adatum.biz")), Resolution::Refused, "not replicated yet");

    clock.advance(std::time::Duration::from_secs(14 * 60)).await.unwrap();
    assert!(dc2.zone("adatum.biz").is_err(), "14 minutes: still not there");
    clock.advance(std::time::Duration::from_secs(60)).await.unwrap();
    let zone = dc2.zone("adatum.biz").unwrap();
    assert!(zone.scope(Some("AmsterdamZoneScope")).is_ok(), "the zone scope came with the zone");
    assert!(dc2.zone("local.test").is_err(), "a file-backed zone stays on its server");
    assert!(dc2.subnets().get("AmsterdamSubnet").is_none() && dc2.policies().is_empty());
    // The failure the rollout must catch: dc2's clients get the default scope's answer.
    assert!(matches!(dc2.resolve(&q("192.168.1.7", "hybridvoice.adatum.biz")), Resolution::NxDomain(_)));

    // The documented copy: the same subnet and policy added on dc2.
    dc2.add_client_subnet("AmsterdamSubnet", &strings(&["192.168.1.0/24"]), &[]).unwrap();
    dc2.add_policy(policy(
        "AmsterdamPolicy",
        "ALLOW",
        &[(CriterionKind::ClientSubnet, "EQ,AmsterdamSubnet")],
        Some("AmsterdamZoneScope,1"),
        None,
    ))
    .unwrap();
    assert_eq!(a(dc2.resolve(&q("192.168.1.7", "hybridvoice.adatum.biz"))), ["192.168.1.45"]);

    // A record added on dc2 reaches dc1 after the delay; the later write wins.
    dc2.add_a("adatum.biz", Some("AmsterdamZoneScope"), "hybridvoice", "192.168.1.46").unwrap();
    assert_eq!(a(dc1.resolve(&q("192.168.1.7", "hybridvoice.adatum.biz"))), ["192.168.1.45"]);
    clock.advance(directory.delay()).await.unwrap();
    assert_eq!(a(dc1.resolve(&q("192.168.1.7", "hybridvoice.adatum.biz"))), ["192.168.1.45", "192.168.1.46"]);
}
