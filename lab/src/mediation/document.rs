//! The hybridconfig web service's wire format (lab choice; see docs/DESIGN.md §Web service).
//!
//! A served document:
//! ```xml
//! <?xml version="1.0" encoding="utf-8"?>
//! <HybridConfig xmlns="urn:bypass-lab:hybridconfig">
//!   <bypassEnabled>true</bypassEnabled>
//!   <internalBypassMode>Any</internalBypassMode>
//!   <externalBypassMode>Off</externalBypassMode>
//!   <bypassID>2c4e6f8a-0000-4000-8000-000000000001</bypassID>
//! </HybridConfig>
//! ```
//! A rejection is HTTP 403 with `<HybridConfigRejected><reason>…</reason></HybridConfigRejected>`.

use crate::tenant::{BypassMode, MediaBypassSettings};
use uuid::Uuid;

pub const SERVICE_PATH: &str = "/hybridconfig/hybridconfigservice.svc";
pub const NAMESPACE: &str = "urn:bypass-lab:hybridconfig";

/// What a client receives from a Mediation Server's web service.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HybridConfigDocument {
    pub bypass_enabled: bool,
    pub internal_bypass_mode: BypassMode,
    pub external_bypass_mode: BypassMode,
    pub bypass_id: Option<Uuid>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum DocumentError {
    #[error("the hybridconfig document has no <{0}> element")]
    Missing(&'static str),
    #[error("the hybridconfig document's <{element}> holds '{value}', which is not valid there")]
    Invalid { element: &'static str, value: String },
}

impl HybridConfigDocument {
    pub fn from_settings(s: &MediaBypassSettings) -> HybridConfigDocument {
        HybridConfigDocument {
            bypass_enabled: s.enabled,
            internal_bypass_mode: s.internal_bypass_mode,
            external_bypass_mode: s.external_bypass_mode,
            bypass_id: s.bypass_id,
        }
    }

    /// The client's rule: bypass only when enabled, some mode is Any, and there is a bypass ID.
    pub fn allows_bypass(&self) -> bool {
        self.bypass_enabled
            && (self.internal_bypass_mode == BypassMode::Any || self.external_bypass_mode == BypassMode::Any)
            && self.bypass_id.is_some()
    }

    pub fn to_xml(&self) -> String {
        format!(
            "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<HybridConfig xmlns=\"{NAMESPACE}\">\n  <bypassEnabled>{}</bypassEnabled>\n  <internalBypassMode>{}</internalBypassMode>\n  <externalBypassMode>{}</externalBypassMode>\n  <bypassID>{}</bypassID>\n</HybridConfig>\n",
            self.bypass_enabled,
            self.internal_bypass_mode.as_str(),
            self.external_bypass_mode.as_str(),
            self.bypass_id.map(|u| u.to_string()).unwrap_or_default(),
        )
    }

    pub fn from_xml(xml: &str) -> Result<HybridConfigDocument, DocumentError> {
        let enabled = element(xml, "bypassEnabled").ok_or(DocumentError::Missing("bypassEnabled"))?;
        let bypass_enabled = match enabled.as_str() {
            "true" => true,
            "false" => false,
            _ => return Err(DocumentError::Invalid { element: "bypassEnabled", value: enabled }),
        };
        let mode = |name: &'static str| -> Result<BypassMode, DocumentError> {
            let text = element(xml, name).ok_or(DocumentError::Missing(name))?;
            BypassMode::parse(&text).ok_or(DocumentError::Invalid { element: name, value: text })
        };
        let id = element(xml, "bypassID").unwrap_or_default();
        let bypass_id = if id.is_empty() {
            None
        } else {
            Some(Uuid::parse_str(&id).map_err(|_| DocumentError::Invalid { element: "bypassID", value: id.clone() })?)
        };
        Ok(HybridConfigDocument {
            bypass_enabled,
            internal_bypass_mode: mode("internalBypassMode")?,
            external_bypass_mode: mode("externalBypassMode")?,
            bypass_id,
        })
    }
}

/// The body of a rejection.
pub fn rejection_xml(reason: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<HybridConfigRejected xmlns=\"{NAMESPACE}\">\n  <reason>{}</reason>\n</HybridConfigRejected>\n",
        escape(reason)
    )
}

/// The reason inside a rejection body, if it is one.
pub fn rejection_reason(xml: &str) -> Option<String> {
    xml.contains("<HybridConfigRejected").then(|| element(xml, "reason").unwrap_or_default())
}

/// Text of the first `<name>` or `<name/>` element; `<name/>` is empty text.
fn element(xml: &str, name: &str) -> Option<String> {
    if xml.contains(&format!("<{name}/>")) {
        return Some(String::new());
    }
    let open = format!("<{name}>");
    let start = xml.find(&open)? + open.len();
    let end = xml[start..].find(&format!("</{name}>"))? + start;
    Some(unescape(xml[start..end].trim()))
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_applies_the_client_rule() {
        let doc = HybridConfigDocument {
            bypass_enabled: true,
            internal_bypass_mode: BypassMode::Any,
            external_bypass_mode: BypassMode::Off,
            bypass_id: Some(Uuid::new_v4()),
        };
        let back = HybridConfigDocument::from_xml(&doc.to_xml()).unwrap();
        assert_eq!(back, doc);
        assert!(back.allows_bypass());
        assert!(!HybridConfigDocument { bypass_id: None, ..doc.clone() }.allows_bypass());
        assert!(!HybridConfigDocument { internal_bypass_mode: BypassMode::Ice, ..doc.clone() }.allows_bypass());
        assert!(!HybridConfigDocument { bypass_enabled: false, ..doc }.allows_bypass());
    }

    #[test]
    fn reads_a_rejection() {
        assert_eq!(
            rejection_reason(&rejection_xml("media bypass is disabled")).as_deref(),
            Some("media bypass is disabled")
        );
        assert_eq!(HybridConfigDocument::from_xml("<x/>"), Err(DocumentError::Missing("bypassEnabled")));
    }
}
