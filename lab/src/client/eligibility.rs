//! Which clients may bypass at all (Plan for media bypass in Cloud Connector Edition): only the
//! Skype for Business 2016 Windows client at or above a documented build, and on a VPN only with
//! split tunnelling. A client that fails any of these never holds a bypass ID.

use serde::{Deserialize, Serialize};
use std::fmt;

/// The first client build the plan document names as supporting media bypass.
pub const MINIMUM_VERSION: ClientVersion = ClientVersion([16, 0, 7870, 2020]);

/// A four-part client build number, e.g. `16.0.7870.2020`; compared part by part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ClientVersion(pub [u32; 4]);

impl ClientVersion {
    /// Accepts two to four dot-separated numbers; missing parts count as 0.
    pub fn parse(text: &str) -> Result<ClientVersion, String> {
        let parts: Vec<&str> = text.trim().split('.').collect();
        let bad = || format!("'{}' is not a client version (expected numbers like {MINIMUM_VERSION})", text.trim());
        if !(2..=4).contains(&parts.len()) {
            return Err(bad());
        }
        let mut numbers = [0u32; 4];
        for (slot, part) in numbers.iter_mut().zip(&parts) {
            *slot = part.parse().map_err(|_| bad())?;
        }
        Ok(ClientVersion(numbers))
    }

    pub fn supports_bypass(self) -> bool {
        self >= MINIMUM_VERSION
    }
}

impl fmt::Display for ClientVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let [a, b, c, d] = self.0;
        write!(f, "{a}.{b}.{c}.{d}")
    }
}

impl TryFrom<String> for ClientVersion {
    type Error = String;
    fn try_from(text: String) -> Result<Self, String> {
        ClientVersion::parse(&text)
    }
}

impl From<ClientVersion> for String {
    fn from(v: ClientVersion) -> String {
        v.to_string()
    }
}

/// How a client on a VPN tunnels its traffic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vpn {
    /// Everything through the tunnel: media bypass is not supported; the client counts as external.
    Full,
    /// Only corporate traffic through the tunnel: supported.
    Split,
}

impl Vpn {
    pub fn parse(text: &str) -> Result<Vpn, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "full" => Ok(Vpn::Full),
            "split" => Ok(Vpn::Split),
            other => Err(format!("'{other}' is not a VPN mode (full or split)")),
        }
    }
}

/// The operating system a Skype for Business client runs on: the Plan page supports media bypass
/// on the Windows client only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Platform {
    #[default]
    Windows,
    /// Skype for Business on Mac: never bypasses.
    Mac,
}

impl Platform {
    pub fn parse(text: &str) -> Result<Platform, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "windows" => Ok(Platform::Windows),
            "mac" => Ok(Platform::Mac),
            other => Err(format!("'{other}' is not a client platform (windows or mac)")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Windows => "windows",
            Platform::Mac => "mac",
        }
    }
}

/// What kind of client a user signs in with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClientKind {
    pub version: ClientVersion,
    pub vpn: Option<Vpn>,
    #[serde(default)]
    pub platform: Platform,
}

impl Default for ClientKind {
    /// A supported client on the corporate network (lab choice: the plan's minimum build).
    fn default() -> Self {
        ClientKind { version: MINIMUM_VERSION, vpn: None, platform: Platform::Windows }
    }
}

impl ClientKind {
    /// Media goes as for an external client: a full-tunnel VPN.
    pub fn external_for_media(self) -> bool {
        self.vpn == Some(Vpn::Full)
    }

    /// Whether the Plan page supports media bypass for this client: the Windows client at or
    /// above the documented build, on the corporate network or a split-tunnel VPN.
    pub fn supported(self) -> bool {
        self.platform == Platform::Windows && self.version.supports_bypass() && !self.external_for_media()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_documented_build_and_later_support_bypass() {
        assert!(ClientVersion::parse("16.0.7870.2020").unwrap().supports_bypass());
        assert!(ClientVersion::parse("16.0.8201.2102").unwrap().supports_bypass());
        assert!(ClientVersion::parse("16.1").unwrap().supports_bypass());
        assert!(!ClientVersion::parse("16.0.7870.2019").unwrap().supports_bypass());
        assert!(!ClientVersion::parse("15.0.4937.1000").unwrap().supports_bypass());
    }

    #[test]
    fn versions_read_strictly() {
        assert_eq!(
            ClientVersion::parse("16").unwrap_err(),
            "'16' is not a client version (expected numbers like 16.0.7870.2020)"
        );
        assert!(ClientVersion::parse("16.x").is_err());
        assert_eq!(serde_json::to_value(MINIMUM_VERSION).unwrap(), "16.0.7870.2020");
        assert_eq!(Vpn::parse("Full"), Ok(Vpn::Full));
        assert!(Vpn::parse("none").is_err());
        assert!(ClientKind { vpn: Some(Vpn::Full), ..Default::default() }.external_for_media());
        assert!(!ClientKind { vpn: Some(Vpn::Split), ..Default::default() }.external_for_media());
        assert_eq!(Platform::parse("Mac"), Ok(Platform::Mac));
        assert_eq!(Platform::parse("linux").unwrap_err(), "'linux' is not a client platform (windows or mac)");
        assert!(ClientKind::default().supported());
        assert!(!ClientKind { platform: Platform::Mac, ..Default::default() }.supported());
        assert!(!ClientKind { vpn: Some(Vpn::Full), ..Default::default() }.supported());
        assert!(ClientKind { vpn: Some(Vpn::Split), ..Default::default() }.supported());
    }
}
