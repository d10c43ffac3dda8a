//! Which users the tenant has. A runbook names users by `-Identity`, and the service answers
//! "not found" for one it does not have; the lab has no directory of its own, so the plan says
//! (docs/design/tenant.md, "Users"): the users of `[tenant] users` when the plan lists them,
//! otherwise every user of the tenant's own domains.

use super::model::user_key;
use crate::topology::Topology;

/// The error Skype for Business cmdlets give for an identity they cannot find.
pub fn not_found(identity: &str) -> String {
    format!("Management object not found for identity \"{}\".", identity.trim())
}

/// The user `identity` names (its [`user_key`]), when the tenant has that user; otherwise the
/// service's "not found". An identity is a user name, `user@domain` or `sip:user@domain`.
pub fn find(topology: &Topology, identity: &str) -> Result<String, String> {
    let written = identity.trim();
    let address = strip_sip(written);
    let (user, domain) = match address.split_once('@') {
        Some((user, domain)) => (user, Some(domain)),
        None => (address, None),
    };
    let key = user_key(user);
    let ours = |d: &str| {
        let t = &topology.tenant;
        std::iter::once(&t.domain).chain(&t.sip_domains).any(|own| own.eq_ignore_ascii_case(d))
    };
    let listed =
        |key: &str| topology.tenant.users.is_empty() || topology.tenant.users.iter().any(|u| user_key(u) == key);
    if key.is_empty() || domain.is_some_and(|d| !ours(d)) || !listed(&key) {
        return Err(not_found(written));
    }
    Ok(key)
}

/// `sip:alice@adatum.biz` is `alice@adatum.biz`, as the cmdlets take SIP addresses.
fn strip_sip(identity: &str) -> &str {
    match identity.get(..4) {
        Some(prefix) if prefix.eq_ignore_ascii_case("sip:") => &identity[4..],
        _ => identity,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(users: &[&str]) -> Topology {
        let mut t = Topology::seed();
        t.tenant.sip_domains.push("voice.adatum.biz".into());
        t.tenant.users = users.iter().map(|u| u.to_string()).collect();
        t
    }

    #[test]
    fn without_a_list_every_user_of_the_tenants_domains_exists() {
        let t = plan(&[]);
        for identity in ["alice", "Alice@adatum.biz", "sip:alice@ADATUM.biz", " alice@voice.adatum.biz "] {
            assert_eq!(find(&t, identity), Ok("alice".to_string()), "{identity}");
        }
        for identity in ["someone@fabrikam.com", "sip:bob@adatum.com", "", "@adatum.biz"] {
            assert_eq!(find(&t, identity), Err(not_found(identity)), "{identity}");
        }
        assert_eq!(
            find(&t, "someone@fabrikam.com").unwrap_err(),
            "Management object not found for identity \"someone@fabrikam.com\"."
        );
    }

    #[test]
    fn with_a_list_only_the_listed_users_exist() {
        let t = plan(&["alice", "Bob@adatum.biz"]);
        assert_eq!(find(&t, "bob"), Ok("bob".to_string()));
        assert_eq!(find(&t, "ALICE@voice.adatum.biz"), Ok("alice".to_string()));
        assert_eq!(find(&t, "carol@adatum.biz"), Err(not_found("carol@adatum.biz")));
        assert_eq!(find(&t, "alice@fabrikam.com"), Err(not_found("alice@fabrikam.com")));
    }
}
