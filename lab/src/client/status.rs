//! `ClientStatus`: what the control API says about one simulated user (field names are a lab
//! choice, see docs/design/client.md).

use super::outcome::FetchOutcome;
use serde::{Deserialize, Serialize};
use std::net::IpAddr;
use uuid::Uuid;

/// The place name of a client that is in no site's subnets.
pub const OUTSIDE: &str = "outside";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientStatus {
    pub user: String,
    /// Where the client lives: decides what DNS answers it and which Mediation Server its calls use.
    pub address: IpAddr,
    /// The site whose subnets hold `address`, or `outside`.
    pub site: String,
    pub signed_in: bool,
    /// From the last provisioning; absent while signed out.
    pub voice_deployment_mode: Option<String>,
    /// The URL held since the last sign-in; a change on the tenant shows here only after the next one.
    pub hybrid_config_service_internal_url: Option<String>,
    pub last_fetch: Option<FetchRecord>,
    /// Whether the client would bypass now: it holds a bypass ID from a bypass decision.
    pub bypass: bool,
    pub bypass_id: Option<Uuid>,
    /// Lab time (ms) of the next scheduled re-fetch; absent without a URL or while signed out.
    pub next_fetch_ms: Option<u64>,
    /// The client build signed in with.
    #[serde(default)]
    pub client_version: String,
    /// The VPN mode signed in with, if on a VPN.
    #[serde(default)]
    pub vpn: Option<super::eligibility::Vpn>,
    /// The platform signed in with.
    #[serde(default)]
    pub platform: super::eligibility::Platform,
}

/// One fetch and when (lab time) it happened.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FetchRecord {
    pub at_ms: u64,
    #[serde(flatten)]
    pub outcome: FetchOutcome,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fetch_record_reads_flat() {
        let record = FetchRecord {
            at_ms: 28_800_000,
            outcome: FetchOutcome::Rejected {
                mediation_server: "ams-cce2".into(),
                address: "192.168.1.46".parse().unwrap(),
                status: 403,
                reason: "media bypass is disabled".into(),
            },
        };
        let json = serde_json::to_value(&record).unwrap();
        assert_eq!(json["outcome"], "rejected");
        assert_eq!(json["at_ms"], 28_800_000);
        assert_eq!(json["status"], 403);
        assert_eq!(serde_json::from_value::<FetchRecord>(json).unwrap(), record);
    }
}
