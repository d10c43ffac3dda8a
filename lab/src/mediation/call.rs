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

/// Which way a PSTN call goes. Always Bypass covers both: calls with an internal client as
/// origin or destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// The client dials out to the PSTN: the Mediation Server compares bypass IDs.
    #[default]
    Outbound,
    /// A PSTN caller rings the client: the client compares bypass IDs.
    Inbound,
}

impl Direction {
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Outbound => "outbound",
            Direction::Inbound => "inbound",
        }
    }
}

/// The codec between a bypassing client and the gateway (Plan for media bypass in Cloud
/// Connector Edition: G.711).
pub const BYPASS_CODEC: &str = "G.711";

/// The codec line for a call whose media goes through the Mediation Server (lab choice: the
/// gateway leg stays G.711, the client leg is the Mediation Server's to transcode).
pub const TRANSCODED_CODEC: &str = "G.711 to the gateway, transcoded by the Mediation Server";

/// `POST /call` on a Mediation Server.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq, Default)]
pub struct CallRequest {
    pub user: String,
    /// The number dialled (outbound) or calling in (inbound).
    pub number: String,
    /// The bypass ID the client holds from its last successful fetch, if any.
    pub bypass_id: Option<Uuid>,
    /// Whether the client is outside the internal network (media through the Edge).
    pub external: bool,
    #[serde(default)]
    pub direction: Direction,
    /// The site the client is in (none when outside), to tell whether media crosses the WAN.
    #[serde(default)]
    pub client_site: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct CallResult {
    pub mediation_server: String,
    pub gateway: String,
    pub media_path: MediaPath,
    /// Why this path (e.g. "bypass IDs match", "client holds no bypass ID").
    pub reason: String,
    /// The appliance whose Mediation Server signalled the call.
    #[serde(default)]
    pub appliance: String,
    /// That appliance's PSTN site.
    #[serde(default)]
    pub site: String,
    #[serde(default)]
    pub codec: String,
    #[serde(default)]
    pub direction: Direction,
    /// Media between an internal client at one site and a gateway or Mediation Server of
    /// another (the travelling user).
    #[serde(default)]
    pub crosses_wan: bool,
    /// Gateways tried first that were down: the call failed over past them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failed_over_from: Vec<String>,
}
