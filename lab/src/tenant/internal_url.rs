//! What `Set-CsTenantHybridConfiguration` checks on a web service URL. The cmdlet reference
//! documents no check at all; the lab refuses only what no client could use (not http or https,
//! no host) and turns the deployment guide's "a SIP domain registered for hybrid voice" into a
//! warning (docs/design/tenant.md).

use crate::topology::in_sip_domains;

/// `Ok` when `url` may be stored as the parameter `parameter`; the error is the reason relayed
/// to the administrator.
pub fn validate_url(parameter: &str, url: &str) -> Result<(), String> {
    let not_http = || format!("{parameter} '{url}' is not an http or https URL.");
    let parsed = reqwest::Url::parse(url).map_err(|_| not_http())?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(not_http());
    }
    parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(not_http)?;
    Ok(())
}

/// `Ok` when `url` may be stored as HybridConfigServiceInternalUrl.
pub fn validate_internal_url(url: &str) -> Result<(), String> {
    validate_url("HybridConfigServiceInternalUrl", url)
}

/// The warning for an internal URL whose host lies outside every SIP domain registered for
/// hybrid voice; `None` when it lies inside one (or is no URL, which validation refuses).
pub fn sip_domain_warning(url: &str, sip_domains: &[String]) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let host = parsed.host_str()?;
    (!in_sip_domains(host, sip_domains)).then(|| {
        format!(
            "The host '{host}' of HybridConfigServiceInternalUrl is not in a SIP domain registered for hybrid voice ({}): clients may not trust or resolve it.",
            sip_domains.join(", ")
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adatum() -> Vec<String> {
        vec!["adatum.biz".into()]
    }

    #[test]
    fn accepts_the_seed_url_and_https_without_a_warning() {
        for url in
            ["http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc", "https://HybridVoice.Adatum.biz/x"]
        {
            validate_internal_url(url).unwrap();
            assert_eq!(sip_domain_warning(url, &adatum()), None);
        }
    }

    #[test]
    fn a_host_outside_the_sip_domains_is_accepted_with_a_warning() {
        let url = "http://hybridvoice.contoso.com/hybridconfig/hybridconfigservice.svc";
        validate_internal_url(url).unwrap();
        let warning = sip_domain_warning(url, &adatum()).expect("a warning");
        assert!(
            warning.starts_with("The host 'hybridvoice.contoso.com' of HybridConfigServiceInternalUrl is not in a SIP domain registered for hybrid voice (adatum.biz)"),
            "{warning}"
        );
    }

    #[test]
    fn refuses_other_schemes_and_non_urls() {
        assert_eq!(
            validate_internal_url("ftp://x").unwrap_err(),
            "HybridConfigServiceInternalUrl 'ftp://x' is not an http or https URL."
        );
        assert_eq!(
            validate_internal_url("hybridvoice").unwrap_err(),
            "HybridConfigServiceInternalUrl 'hybridvoice' is not an http or https URL."
        );
        assert_eq!(
            validate_url("HybridConfigServiceExternalUrl", "x").unwrap_err(),
            "HybridConfigServiceExternalUrl 'x' is not an http or https URL."
        );
    }
}
