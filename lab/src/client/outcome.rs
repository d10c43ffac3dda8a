//! What one hybridconfig fetch ended in, and the client's bypass decision from a served document.
//!
//! Every reason a client ends up *not* bypassing has its own variant, because telling them apart
//! ("the name does not resolve here" versus "the service rejected me") is the whole point of the
//! rehearsal.

use crate::mediation::{rejection_reason, HybridConfigDocument};
use crate::tenant::BypassMode;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use uuid::Uuid;

/// The DNS answers that leave a client without an address for the service name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum DnsFailure {
    #[serde(rename = "NXDOMAIN")]
    NxDomain,
    #[serde(rename = "REFUSED")]
    Refused,
    #[serde(rename = "SERVFAIL")]
    ServFail,
    /// Silence (an IGNORE policy) or NOERROR without records.
    #[serde(rename = "no answer")]
    NoAnswer,
}

impl DnsFailure {
    pub fn as_str(self) -> &'static str {
        match self {
            DnsFailure::NxDomain => "NXDOMAIN",
            DnsFailure::Refused => "REFUSED",
            DnsFailure::ServFail => "SERVFAIL",
            DnsFailure::NoAnswer => "no answer",
        }
    }
}

/// The outcome of a fetch; only [`FetchOutcome::Bypass`] lets the client keep a bypass ID.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum FetchOutcome {
    /// The service served a document that allows bypass.
    Bypass {
        /// The appliance whose Mediation Server answered (its name, or its address when the
        /// topology does not know it).
        mediation_server: String,
        address: IpAddr,
        bypass_id: Uuid,
    },
    /// The user is not signed in: a client fetches only with a URL from provisioning.
    NotSignedIn,
    /// The client build is below the first that supports media bypass.
    UnsupportedClient { version: String, minimum: String },
    /// A client on another platform than Windows (Skype for Business on Mac).
    UnsupportedPlatform { platform: String },
    /// A VPN without split tunnelling: the client counts as external.
    FullTunnelVpn,
    /// Signed in, but provisioning carried no web service URL (bypass permanently disabled).
    NoUrlProvisioned,
    /// The provisioned URL cannot be used at all.
    BadUrl { url: String, reason: String },
    /// The internal DNS server gave no address for the service name (the external-client case).
    NameDoesNotResolve { host: String, answer: DnsFailure },
    /// The internal DNS server itself could not be asked.
    DnsUnreachable { server: String, reason: String },
    /// The name resolved but nothing answered HTTP there.
    ServiceUnreachable { host: String, address: IpAddr, reason: String },
    /// The service answered with an error status (after a disable has replicated: 403).
    Rejected { mediation_server: String, address: IpAddr, status: u16, reason: String },
    /// The document says `bypassEnabled` false.
    BypassDisabled { mediation_server: String, address: IpAddr },
    /// Neither `internalBypassMode` nor `externalBypassMode` is Any.
    NoModeAny { mediation_server: String, address: IpAddr, internal: BypassMode, external: BypassMode },
    /// Enabled with a mode Any, but no `bypassID`.
    NoBypassId { mediation_server: String, address: IpAddr },
    /// A 200 answer that is not a hybridconfig document.
    MalformedDocument { mediation_server: String, address: IpAddr, reason: String },
}

impl FetchOutcome {
    /// The bypass ID the client may keep: present only when the decision is bypass.
    pub fn bypass_id(&self) -> Option<Uuid> {
        match self {
            FetchOutcome::Bypass { bypass_id, .. } => Some(*bypass_id),
            _ => None,
        }
    }

    pub fn is_bypass(&self) -> bool {
        self.bypass_id().is_some()
    }

    /// The serialized name of the outcome, e.g. `rejected`.
    pub fn name(&self) -> &'static str {
        match self {
            FetchOutcome::Bypass { .. } => "bypass",
            FetchOutcome::NotSignedIn => "not_signed_in",
            FetchOutcome::UnsupportedClient { .. } => "unsupported_client",
            FetchOutcome::UnsupportedPlatform { .. } => "unsupported_platform",
            FetchOutcome::FullTunnelVpn => "full_tunnel_vpn",
            FetchOutcome::NoUrlProvisioned => "no_url_provisioned",
            FetchOutcome::BadUrl { .. } => "bad_url",
            FetchOutcome::NameDoesNotResolve { .. } => "name_does_not_resolve",
            FetchOutcome::DnsUnreachable { .. } => "dns_unreachable",
            FetchOutcome::ServiceUnreachable { .. } => "service_unreachable",
            FetchOutcome::Rejected { .. } => "rejected",
            FetchOutcome::BypassDisabled { .. } => "bypass_disabled",
            FetchOutcome::NoModeAny { .. } => "no_mode_any",
            FetchOutcome::NoBypassId { .. } => "no_bypass_id",
            FetchOutcome::MalformedDocument { .. } => "malformed_document",
        }
    }

    /// One line for the UccApi log and for people.
    pub fn describe(&self) -> String {
        match self {
            FetchOutcome::Bypass { mediation_server, address, bypass_id } => {
                format!("media bypass on: {mediation_server} ({address}) served bypassID={bypass_id}")
            }
            FetchOutcome::NotSignedIn => "no media bypass: not signed in".into(),
            FetchOutcome::UnsupportedClient { version, minimum } => format!(
                "no media bypass: client version {version} is below {minimum}, the first Skype for Business 2016 build that supports it"
            ),
            FetchOutcome::UnsupportedPlatform { platform } => format!(
                "no media bypass: Skype for Business on {platform} does not support it; only the Windows client, {} and later, does",
                super::eligibility::MINIMUM_VERSION
            ),
            FetchOutcome::FullTunnelVpn => {
                "no media bypass: the client is on a VPN without split tunnelling, so it counts as external".into()
            }
            FetchOutcome::NoUrlProvisioned => {
                "no media bypass: no hybridconfigserviceinternalurl was provisioned".into()
            }
            FetchOutcome::BadUrl { url, reason } => format!("no media bypass: cannot use the URL '{url}': {reason}"),
            FetchOutcome::NameDoesNotResolve { host, answer } => {
                format!("no media bypass: {host} does not resolve ({})", answer.as_str())
            }
            FetchOutcome::DnsUnreachable { server, reason } => {
                format!("no media bypass: cannot ask the DNS server {server}: {reason}")
            }
            FetchOutcome::ServiceUnreachable { host, address, reason } => {
                format!("no media bypass: the web service of {host} at {address} is unreachable: {reason}")
            }
            FetchOutcome::Rejected { mediation_server, address, status, reason } => {
                format!("no media bypass: {mediation_server} ({address}) rejected the request ({status}): {reason}")
            }
            FetchOutcome::BypassDisabled { mediation_server, address } => {
                format!("no media bypass: {mediation_server} ({address}) served bypassEnabled=false")
            }
            FetchOutcome::NoModeAny { mediation_server, address, internal, external } => format!(
                "no media bypass: {mediation_server} ({address}) served internalBypassMode={} externalBypassMode={}, neither is Any",
                internal.as_str(),
                external.as_str()
            ),
            FetchOutcome::NoBypassId { mediation_server, address } => {
                format!("no media bypass: {mediation_server} ({address}) served no bypassID")
            }
            FetchOutcome::MalformedDocument { mediation_server, address, reason } => {
                format!("no media bypass: {mediation_server} ({address}) served an unreadable document: {reason}")
            }
        }
    }
}

/// Decides from a web service's HTTP answer, as the client does.
pub fn decide(mediation_server: &str, address: IpAddr, status: u16, body: &str) -> FetchOutcome {
    let mediation_server = mediation_server.to_string();
    if !(200..300).contains(&status) {
        let reason = rejection_reason(body).unwrap_or_else(|| {
            let text: String = body.trim().chars().take(200).collect();
            if text.is_empty() {
                "the answer held no rejection document".into()
            } else {
                format!("the answer held no rejection document: {text}")
            }
        });
        return FetchOutcome::Rejected { mediation_server, address, status, reason };
    }
    let doc = match HybridConfigDocument::from_xml(body) {
        Ok(doc) => doc,
        Err(e) => return FetchOutcome::MalformedDocument { mediation_server, address, reason: e.to_string() },
    };
    let outcome = if !doc.bypass_enabled {
        FetchOutcome::BypassDisabled { mediation_server, address }
    } else if doc.internal_bypass_mode != BypassMode::Any && doc.external_bypass_mode != BypassMode::Any {
        FetchOutcome::NoModeAny {
            mediation_server,
            address,
            internal: doc.internal_bypass_mode,
            external: doc.external_bypass_mode,
        }
    } else {
        match doc.bypass_id {
            Some(bypass_id) => FetchOutcome::Bypass { mediation_server, address, bypass_id },
            None => FetchOutcome::NoBypassId { mediation_server, address },
        }
    };
    debug_assert_eq!(outcome.is_bypass(), doc.allows_bypass());
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mediation::rejection_xml;

    const ID: &str = "2c4e6f8a-0000-4000-8000-000000000001";

    fn ip() -> IpAddr {
        "192.168.1.45".parse().unwrap()
    }

    fn doc(enabled: bool, internal: BypassMode, external: BypassMode, id: Option<&str>) -> String {
        HybridConfigDocument {
            bypass_enabled: enabled,
            internal_bypass_mode: internal,
            external_bypass_mode: external,
            bypass_id: id.map(|s| s.parse().unwrap()),
        }
        .to_xml()
    }

    #[test]
    fn an_enabled_document_with_mode_any_and_an_id_means_bypass() {
        let out = decide("ams-cce1", ip(), 200, &doc(true, BypassMode::Any, BypassMode::Off, Some(ID)));
        assert_eq!(
            out,
            FetchOutcome::Bypass { mediation_server: "ams-cce1".into(), address: ip(), bypass_id: ID.parse().unwrap() }
        );
        assert_eq!(out.bypass_id(), Some(ID.parse().unwrap()));
        let external_any = decide("ams-cce1", ip(), 200, &doc(true, BypassMode::Off, BypassMode::Any, Some(ID)));
        assert!(external_any.is_bypass(), "externalBypassMode Any is enough: {external_any:?}");
    }

    #[test]
    fn bypass_enabled_false_means_no_bypass_even_with_an_id() {
        let out = decide("ams-cce1", ip(), 200, &doc(false, BypassMode::Any, BypassMode::Any, Some(ID)));
        assert_eq!(out, FetchOutcome::BypassDisabled { mediation_server: "ams-cce1".into(), address: ip() });
        assert_eq!(out.bypass_id(), None);
    }

    #[test]
    fn no_mode_any_means_no_bypass() {
        let out = decide("x", ip(), 200, &doc(true, BypassMode::Ice, BypassMode::Off, Some(ID)));
        assert_eq!(out.name(), "no_mode_any");
        assert!(out.describe().contains("internalBypassMode=ICE externalBypassMode=Off"), "{}", out.describe());
        assert_eq!(out.bypass_id(), None);
    }

    #[test]
    fn a_missing_bypass_id_means_no_bypass() {
        let out = decide("x", ip(), 200, &doc(true, BypassMode::Any, BypassMode::Off, None));
        assert_eq!(out, FetchOutcome::NoBypassId { mediation_server: "x".into(), address: ip() });
    }

    #[test]
    fn a_403_with_a_rejection_document_is_rejected_with_its_reason() {
        let out = decide("sea-cce2", ip(), 403, &rejection_xml("media bypass is disabled"));
        assert_eq!(
            out,
            FetchOutcome::Rejected {
                mediation_server: "sea-cce2".into(),
                address: ip(),
                status: 403,
                reason: "media bypass is disabled".into()
            }
        );
    }

    #[test]
    fn an_error_without_a_rejection_document_says_so() {
        let out = decide("x", ip(), 404, "Not Found");
        match out {
            FetchOutcome::Rejected { status: 404, reason, .. } => {
                assert_eq!(reason, "the answer held no rejection document: Not Found")
            }
            other => panic!("expected a 404 rejection, got {other:?}"),
        }
    }

    #[test]
    fn a_200_that_is_not_a_document_is_malformed() {
        let out = decide("x", ip(), 200, "<html/>");
        assert_eq!(out.name(), "malformed_document");
        assert!(out.describe().contains("bypassEnabled"), "{}", out.describe());
    }

    #[test]
    fn outcomes_serialize_with_their_names() {
        let out =
            FetchOutcome::NameDoesNotResolve { host: "hybridvoice.adatum.biz".into(), answer: DnsFailure::NxDomain };
        let json = serde_json::to_value(&out).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"outcome": "name_does_not_resolve", "host": "hybridvoice.adatum.biz", "answer": "NXDOMAIN"})
        );
        assert_eq!(
            serde_json::to_value(FetchOutcome::NotSignedIn).unwrap(),
            serde_json::json!({"outcome": "not_signed_in"})
        );
        let back: FetchOutcome = serde_json::from_value(json).unwrap();
        assert_eq!(back, out);
    }
}
