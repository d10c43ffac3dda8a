//! The hybridconfig web service's answer, decided from the LocalStore alone (no socket here, so
//! unit tests drive it directly; `routes` wires it to HTTP). A client reading the service (`remote`)
//! reads the same answer back.

use super::document::{rejection_reason, rejection_xml, DocumentError, HybridConfigDocument};
use super::localstore::LocalStore;

pub const REASON_DISABLED: &str = "media bypass is disabled on this Mediation Server";
pub const REASON_NEVER_CONFIGURED: &str = "media bypass has never been configured on this Mediation Server";

/// What the web service answers: the Mediation Server decides it here and sends it as XML
/// ([`WebServiceReply::body`]); a client or an admin checking the service reads it back the same.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebServiceReply {
    /// 200 with the document, 403 while bypass is off, 404 for a Host the service does not answer for.
    pub status: u16,
    pub answer: WebServiceAnswer,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WebServiceAnswer {
    Served(HybridConfigDocument),
    /// The reason inside a rejection body (read by a client: the raw body when it is not one).
    Rejected(String),
}

impl WebServiceReply {
    fn rejected(status: u16, reason: impl Into<String>) -> WebServiceReply {
        WebServiceReply { status, answer: WebServiceAnswer::Rejected(reason.into()) }
    }

    pub fn document(&self) -> Option<&HybridConfigDocument> {
        match &self.answer {
            WebServiceAnswer::Served(d) => Some(d),
            WebServiceAnswer::Rejected(_) => None,
        }
    }

    pub fn rejection(&self) -> Option<&str> {
        match &self.answer {
            WebServiceAnswer::Served(_) => None,
            WebServiceAnswer::Rejected(r) => Some(r),
        }
    }

    /// The XML body on the wire: the document, or a rejection carrying the reason.
    pub fn body(&self) -> String {
        match &self.answer {
            WebServiceAnswer::Served(d) => d.to_xml(),
            WebServiceAnswer::Rejected(r) => rejection_xml(r),
        }
    }

    /// The reply as a client reads it off the wire; only a 200 must carry a readable document.
    pub fn read(status: u16, body: String) -> Result<WebServiceReply, DocumentError> {
        let answer = if status == 200 {
            WebServiceAnswer::Served(HybridConfigDocument::from_xml(&body)?)
        } else {
            WebServiceAnswer::Rejected(rejection_reason(&body).unwrap_or(body))
        };
        Ok(WebServiceReply { status, answer })
    }
}

/// What a client asking with `host` gets from a Mediation Server installed with the plan's
/// `service_name`.
///
/// The real service is reached by whatever name DNS gives it, so it answers for the host of the
/// URL in its replicated configuration (`HybridConfigServiceInternalUrl`) as well as for the
/// plan's name; any other Host gets a 404 naming both (lab choice, docs/design/mediation.md).
pub fn answer(store: &LocalStore, service_name: &str, host: Option<&str>) -> WebServiceReply {
    let configured = configured_host(store);
    let names: Vec<&str> = std::iter::once(service_name).chain(configured.as_deref()).collect();
    if !host.is_some_and(|h| names.iter().any(|n| host_matches(h, n))) {
        let seen = host.map(|h| format!("Host '{h}'")).unwrap_or_else(|| "no Host header".into());
        let answered = match configured.as_deref() {
            Some(c) if !host_matches(c, service_name) => format!("{service_name} and {c}"),
            _ => service_name.to_string(),
        };
        return WebServiceReply::rejected(
            404,
            format!("this web service answers only for {answered}; the request named {seen}"),
        );
    }
    match &store.configuration {
        Some(c) if c.network.media_bypass_settings.enabled => WebServiceReply {
            status: 200,
            answer: WebServiceAnswer::Served(HybridConfigDocument::from_settings(&c.network.media_bypass_settings)),
        },
        _ if store.bypass_ever_enabled => WebServiceReply::rejected(403, REASON_DISABLED),
        _ => WebServiceReply::rejected(403, REASON_NEVER_CONFIGURED),
    }
}

/// The host of the service URL the LocalStore holds, if any.
fn configured_host(store: &LocalStore) -> Option<String> {
    let url = store.configuration.as_ref()?.hybrid.hybrid_config_service_internal_url.as_deref()?;
    let rest = url.split_once("://").map(|(_, r)| r).unwrap_or(url);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map(|(_, h)| h).unwrap_or(authority);
    (!host.is_empty()).then(|| host.to_string())
}

/// Host names compare case-insensitively; a port (`hybridvoice.adatum.biz:8081`) is ignored.
fn host_matches(host: &str, service_name: &str) -> bool {
    let name = match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => name,
        _ => host,
    };
    name.trim_end_matches('.').eq_ignore_ascii_case(service_name.trim_end_matches('.'))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::{BypassMode, TenantConfiguration};
    use std::time::Duration;
    use uuid::Uuid;

    const SERVICE: &str = "hybridvoice.adatum.biz";

    fn store(enabled: bool, bypass_id: Option<Uuid>) -> LocalStore {
        let mut c = TenantConfiguration { version: 2, ..Default::default() };
        let s = &mut c.network.media_bypass_settings;
        s.enabled = enabled;
        s.always_bypass = enabled;
        s.internal_bypass_mode = if enabled { BypassMode::Any } else { BypassMode::Off };
        s.bypass_id = bypass_id;
        LocalStore::default().replicated(c, Duration::ZERO)
    }

    #[test]
    fn serves_the_document_when_the_localstore_has_bypass_enabled() {
        let id = Uuid::new_v4();
        for host in [SERVICE, "HybridVoice.Adatum.biz:8081", "hybridvoice.adatum.biz."] {
            let a = answer(&store(true, Some(id)), SERVICE, Some(host));
            assert_eq!(a.status, 200, "for Host {host}");
            let doc = HybridConfigDocument::from_xml(&a.body()).unwrap();
            assert!(doc.allows_bypass());
            assert_eq!(doc.bypass_id, Some(id));
        }
    }

    #[test]
    fn rejects_with_a_reason_when_disabled_or_never_configured() {
        let never = answer(&LocalStore::default(), SERVICE, Some(SERVICE));
        assert_eq!(never.status, 403);
        assert_eq!(rejection_reason(&never.body()).as_deref(), Some(REASON_NEVER_CONFIGURED));

        let disabled =
            store(true, Some(Uuid::new_v4())).replicated(TenantConfiguration::default(), Duration::from_secs(1));
        let a = answer(&disabled, SERVICE, Some(SERVICE));
        assert_eq!(a.status, 403);
        assert_eq!(rejection_reason(&a.body()).as_deref(), Some(REASON_DISABLED));

        let synced_never_enabled = answer(&store(false, None), SERVICE, Some(SERVICE));
        assert_eq!(rejection_reason(&synced_never_enabled.body()).as_deref(), Some(REASON_NEVER_CONFIGURED));
    }

    #[test]
    fn answers_for_the_host_of_the_replicated_url_too() {
        let mut s = store(true, Some(Uuid::new_v4()));
        let new_url = "http://media.adatum.biz/hybridconfig/hybridconfigservice.svc";
        s.configuration.as_mut().unwrap().hybrid.hybrid_config_service_internal_url = Some(new_url.into());
        for host in ["media.adatum.biz", "MEDIA.adatum.biz:80", SERVICE] {
            assert_eq!(answer(&s, SERVICE, Some(host)).status, 200, "for Host {host}");
        }
        let other = answer(&s, SERVICE, Some("voice.adatum.biz"));
        assert_eq!(other.status, 404);
        let reason = rejection_reason(&other.body()).unwrap();
        assert!(reason.contains("hybridvoice.adatum.biz and media.adatum.biz"), "{reason}");
    }

    #[test]
    fn a_client_reads_back_the_reply_the_service_sent() {
        let disabled =
            store(true, Some(Uuid::new_v4())).replicated(TenantConfiguration::default(), Duration::from_secs(1));
        for (local_store, host) in [
            (store(true, Some(Uuid::new_v4())), Some(SERVICE)),
            (disabled, Some(SERVICE)),
            (LocalStore::default(), Some(SERVICE)),
            (store(true, None), Some("voice.adatum.biz")),
        ] {
            let sent = answer(&local_store, SERVICE, host);
            assert_eq!(WebServiceReply::read(sent.status, sent.body()), Ok(sent.clone()), "for {host:?}");
        }
        let raw = WebServiceReply::read(502, "Bad Gateway".into()).unwrap();
        assert_eq!(raw.rejection(), Some("Bad Gateway"));
        assert!(WebServiceReply::read(200, "<html/>".into()).is_err());
    }

    #[test]
    fn another_host_name_gets_404_naming_both() {
        for host in [Some("192.168.1.45"), Some("hybridvoice.adatum.biz.evil"), None] {
            let a = answer(&store(true, Some(Uuid::new_v4())), SERVICE, host);
            assert_eq!(a.status, 404);
            let reason = rejection_reason(&a.body()).unwrap();
            assert!(reason.contains(SERVICE), "{reason}");
        }
    }
}
