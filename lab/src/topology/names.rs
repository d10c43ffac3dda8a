//! The names a plan hands to DNS and to generated scripts: host names must be DNS names, and
//! the object names derived from site names (client subnets, zone scopes, policies) must not
//! collide, or the DNS start-up script fails on the second site.

use super::model::Topology;
use std::collections::HashMap;

/// The longest name DNS carries, in characters of its text form without the final dot.
const MAX_NAME: usize = 253;
const MAX_LABEL: usize = 63;

/// Why `name` is not a DNS host name, if it is not.
///
/// Labels are letters, digits and '-', 1–63 characters, neither starting nor ending with '-'
/// (RFC 1035 section 2.3.1, with RFC 1123's leading digit); one final dot is allowed.
pub fn dns_name_problem(name: &str) -> Option<String> {
    let bare = name.strip_suffix('.').unwrap_or(name);
    if bare.is_empty() {
        return Some("it is empty".into());
    }
    if bare.len() > MAX_NAME {
        return Some(format!("it is {} characters long; a DNS name has at most {MAX_NAME}", bare.len()));
    }
    bare.split('.').find_map(|label| label_problem(label).map(|p| format!("label '{}' {p}", printable(label))))
}

/// Why `label` is not one DNS label, if it is not.
pub fn label_problem(label: &str) -> Option<&'static str> {
    if label.is_empty() {
        Some("is empty (two dots in a row, or a leading dot)")
    } else if label.len() > MAX_LABEL {
        Some("is longer than 63 characters")
    } else if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        Some("holds a character other than letters, digits and '-'")
    } else if label.starts_with('-') || label.ends_with('-') {
        Some("starts or ends with '-'")
    } else {
        None
    }
}

/// A name as quoted in an error: control characters shown escaped, so the message stays one line.
fn printable(text: &str) -> String {
    text.chars().flat_map(char::escape_debug).collect()
}

/// A site's name as used in the DNS object names generated for it (`Amster dam` →
/// `Amsterdam`, giving `AmsterdamSubnet`, `AmsterdamZoneScope`, `AmsterdamPolicy`).
pub fn site_stem(site: &str) -> String {
    site.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

impl Topology {
    /// Every host name is a DNS name: the domain, the SIP domains, the service name and each
    /// appliance's name and FQDN.
    pub(super) fn check_dns_names(&self) -> Result<(), String> {
        let t = &self.tenant;
        let check = |what: String, name: &str| match dns_name_problem(name) {
            Some(problem) => Err(format!("{what} '{}' is not a DNS name: {problem}", printable(name))),
            None => Ok(()),
        };
        check("[tenant] domain".into(), &t.domain)?;
        for d in &t.sip_domains {
            check("[tenant] sip_domains entry".into(), d)?;
        }
        check("[tenant] service_name".into(), &t.service_name)?;
        for site in &self.sites {
            for a in &site.appliances {
                let who = format!("site {}, appliance {}", printable(&site.name), printable(&a.name));
                if let Some(problem) = label_problem(&a.name) {
                    return Err(format!("{who}: the name is not a DNS label: it {problem}"));
                }
                if let Some(fqdn) = &a.fqdn {
                    check(format!("{who}: fqdn"), fqdn)?;
                }
                check(format!("{who}: the FQDN"), &self.fqdn(a))?;
            }
        }
        Ok(())
    }

    /// The DNS object names derived from site names are non-empty and unique (Windows DNS
    /// compares them without regard to case).
    pub(super) fn check_generated_names(&self) -> Result<(), String> {
        let mut stems: HashMap<String, &str> = HashMap::new();
        for site in &self.sites {
            let stem = site_stem(&site.name);
            if stem.is_empty() {
                return Err(format!(
                    "site '{}': the name gives no DNS object names (client subnet, zone scope, policy): use letters or digits",
                    printable(&site.name)
                ));
            }
            if let Some(first) = stems.insert(stem.to_ascii_lowercase(), &site.name) {
                return Err(format!(
                    "site '{}' and site '{}' both give the DNS object names {stem}Subnet, {stem}ZoneScope and {stem}Policy: rename one",
                    printable(first),
                    printable(&site.name)
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_names_are_letters_digits_and_inner_hyphens() {
        for good in ["adatum.biz", "adatum.biz.", "hybridvoice.adatum.biz", "3com.com", "a-b.c"] {
            assert_eq!(dns_name_problem(good), None, "{good}");
        }
        for bad in ["", ".", "a..b", ".a", "-a.b", "a-.b", "a b.c", "$(Stop-Computer).biz", "a\"b.c", "a'b.c", "é.fr"]
        {
            assert!(dns_name_problem(bad).is_some(), "{bad:?} passed");
        }
        assert!(dns_name_problem(&format!("{}.com", "a".repeat(64))).is_some());
        assert!(dns_name_problem(&vec!["a".repeat(60); 5].join(".")).is_some());
    }

    #[test]
    fn stems_drop_what_object_names_cannot_hold() {
        assert_eq!(site_stem("Amster dam"), "Amsterdam");
        assert_eq!(site_stem("$(Stop-Computer)"), "Stop-Computer");
    }
}

#[cfg(test)]
mod plan_tests {
    use crate::topology::{Topology, TopologyError, SEED_TOML};

    fn problem(text: &str) -> String {
        match Topology::parse(text, None) {
            Err(TopologyError::Invalid { problem, .. }) => problem,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn host_names_with_commands_or_quotes_are_refused() {
        let p = problem(&SEED_TOML.replace("domain = \"adatum.biz\"", "domain = \"$(Stop-Computer).biz\""));
        assert!(
            p.starts_with("[tenant] domain '$(Stop-Computer).biz' is not a DNS name: label '$(Stop-Computer)'"),
            "{p}"
        );
        let p = problem(
            &SEED_TOML
                .replace("service_name = \"hybridvoice.adatum.biz\"", "service_name = \"hybrid\\\"voice.adatum.biz\""),
        );
        assert!(p.starts_with("[tenant] service_name 'hybrid\\\"voice.adatum.biz' is not a DNS name"), "{p}");
        let p = problem(
            &SEED_TOML.replace("sip_domains = [\"adatum.biz\"]", "sip_domains = [\"adatum.biz\", \"a b.com\"]"),
        );
        assert!(p.starts_with("[tenant] sip_domains entry 'a b.com' is not a DNS name"), "{p}");
    }

    #[test]
    fn sites_whose_object_names_collide_are_refused() {
        let text = SEED_TOML.replace("name = \"Seattle\"", "name = \"Amster dam\"");
        let p = problem(&text);
        assert_eq!(
            p,
            "site 'Amsterdam' and site 'Amster dam' both give the DNS object names AmsterdamSubnet, AmsterdamZoneScope and AmsterdamPolicy: rename one"
        );
        let p = problem(&SEED_TOML.replace("name = \"Seattle\"", "name = \"!!!\""));
        assert!(p.starts_with("site '!!!': the name gives no DNS object names"), "{p}");
    }
}
