//! The PSTN call a client places through a Mediation Server, and the media path it gets.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Where a call's media flows. Signalling always goes through the Mediation Server.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum MediaPath {
    /// Media bypass: the client's bypass ID matched the gateway's.
    #[serde(rename = "client <-> gateway")]
    Bypass,
    /// An internal client without a matching bypass ID.
    #[serde(rename = "client <-> Mediation Server <-> gateway")]
    ThroughMediationServer,
    /// An external client: media reaches the site through the Edge.
    #[serde(rename = "client <-> Edge <-> Mediation Server <-> gateway")]
    ThroughEdge,
}

impl MediaPath {
    pub fn as_str(self) -> &'static str {
        match self {
            MediaPath::Bypass => "client <-> gateway",
            MediaPath::ThroughMediationServer => "client <-> Mediation Server <-> gateway",
            MediaPath::ThroughEdge => "client <-> Edge <-> Mediation Server <-> gateway",
        }
    }
}

/// `POST /call` on a Mediation Server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CallRequest {
    pub user: String,
    /// The number dialled.
    pub number: String,
    /// The bypass ID the client holds from its last successful fetch, if any.
    pub bypass_id: Option<Uuid>,
    /// Whether the client is outside the internal network (media through the Edge).
    pub external: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CallResult {
    pub mediation_server: String,
    pub gateway: String,
    pub media_path: MediaPath,
    /// Why this path (e.g. "bypass IDs match", "client holds no bypass ID").
    pub reason: String,
}
