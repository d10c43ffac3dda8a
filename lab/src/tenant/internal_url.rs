//! The rule `Set-CsTenantHybridConfiguration` enforces on the web service URL: http(s), and a
//! host inside a SIP domain registered for hybrid voice (the same name serves every site).

use crate::topology::in_sip_domains;

/// `Ok` when `url` may be stored as HybridConfigServiceInternalUrl; the error is the reason
/// relayed to the administrator.
pub fn validate_internal_url(url: &str, sip_domains: &[String]) -> Result<(), String> {
    let not_http = || format!("HybridConfigServiceInternalUrl '{url}' is not an http or https URL.");
    let parsed = reqwest::Url::parse(url).map_err(|_| not_http())?;
    if parsed.scheme() != "http" && parsed.scheme() != "https" {
        return Err(not_http());
    }
    let host = parsed.host_str().filter(|h| !h.is_empty()).ok_or_else(not_http)?;
    if !in_sip_domains(host, sip_domains) {
        return Err(format!(
            "The host '{host}' of HybridConfigServiceInternalUrl is not in a SIP domain registered for hybrid voice ({}).",
            sip_domains.join(", ")
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn adatum() -> Vec<String> {
        vec!["adatum.biz".into()]
    }

    #[test]
    fn accepts_the_seed_url_and_https() {
        validate_internal_url("http://hybridvoice.adatum.biz/hybridconfig/hybridconfigservice.svc", &adatum()).unwrap();
        validate_internal_url("https://HybridVoice.Adatum.biz/x", &adatum()).unwrap();
    }

    #[test]
    fn refuses_a_host_outside_the_sip_domains() {
        let err = validate_internal_url("http://hybridvoice.contoso.com/hybridconfig/hybridconfigservice.svc", &adatum()).unwrap_err();
        assert_eq!(err, "The host 'hybridvoice.contoso.com' of HybridConfigServiceInternalUrl is not in a SIP domain registered for hybrid voice (adatum.biz).");
    }

    #[test]
    fn refuses_other_schemes_and_non_urls() {
        assert_eq!(validate_internal_url("ftp://x", &adatum()).unwrap_err(), "HybridConfigServiceInternalUrl 'ftp://x' is not an http or https URL.");
        assert_eq!(validate_internal_url("hybridvoice", &adatum()).unwrap_err(), "HybridConfigServiceInternalUrl 'hybridvoice' is not an http or https URL.");
    }
}
