//! Where a server sends the queries it cannot answer from its own zones: its server-level
//! forwarders (`Add-DnsServerForwarder`) and its conditional forwarders, which Windows stores as
//! zones of type Forwarder (`Add-DnsServerConditionalForwarderZone`). A branch office's DNS
//! server that forwards to the hub's domain controller is how the hub's query resolution
//! policies come to see the branch server's address rather than its clients'.

use super::error::PolicyError;
use super::zone::Zone;
use std::collections::BTreeMap;
use std::net::IpAddr;

/// A server's forwarders, in the order it tries them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Forwarders {
    /// Server-level forwarders: every name outside the server's own zones.
    pub servers: Vec<IpAddr>,
    /// Conditional forwarder zones by name (lower case, no trailing dot): their master servers.
    pub zones: BTreeMap<String, Vec<IpAddr>>,
}

/// Where a query goes: the server answers it, or forwards it to these servers in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    /// From the server's own zones (or refused when none holds the name).
    Here,
    Forward(Vec<IpAddr>),
}

fn parse(text: &str) -> Result<IpAddr, PolicyError> {
    text.trim().parse().map_err(|_| PolicyError::BadValue {
        what: "forwarder address",
        text: text.trim().to_string(),
        expected: "an IPv4 or IPv6 address such as 10.1.0.53",
    })
}

impl Forwarders {
    pub fn is_empty(&self) -> bool {
        self.servers.is_empty() && self.zones.is_empty()
    }

    /// `Add-DnsServerForwarder`: appends the addresses not yet listed, in order.
    pub fn add(&mut self, addresses: &[String]) -> Result<(), PolicyError> {
        let parsed = addresses.iter().map(|a| parse(a)).collect::<Result<Vec<_>, _>>()?;
        if parsed.is_empty() {
            return Err(PolicyError::BadValue {
                what: "forwarder list",
                text: String::new(),
                expected: "at least one -IPAddress",
            });
        }
        for ip in parsed {
            if !self.servers.contains(&ip) {
                self.servers.push(ip);
            }
        }
        Ok(())
    }

    /// `Remove-DnsServerForwarder`: an address the list does not hold is refused, so a
    /// mistyped removal does not pass unnoticed.
    pub fn remove(&mut self, addresses: &[String]) -> Result<(), PolicyError> {
        let parsed = addresses.iter().map(|a| parse(a)).collect::<Result<Vec<_>, _>>()?;
        if let Some(missing) = parsed.iter().find(|ip| !self.servers.contains(ip)) {
            return Err(PolicyError::UnknownForwarder { address: missing.to_string() });
        }
        self.servers.retain(|ip| !parsed.contains(ip));
        Ok(())
    }

    /// `Add-DnsServerConditionalForwarderZone`; refused when the server already holds a zone of
    /// that name (`existing`) or a conditional forwarder for it.
    pub fn add_zone(&mut self, name: &str, masters: &[String], existing: bool) -> Result<String, PolicyError> {
        // The same name rules as a primary zone's.
        let name = Zone::new(name, None, None)?.name;
        if existing || self.zones.contains_key(&name) {
            return Err(PolicyError::DuplicateZone { zone: name });
        }
        let masters = masters.iter().map(|a| parse(a)).collect::<Result<Vec<_>, _>>()?;
        if masters.is_empty() {
            return Err(PolicyError::BadValue {
                what: "master server list",
                text: String::new(),
                expected: "at least one address in -MasterServers",
            });
        }
        self.zones.insert(name.clone(), masters);
        Ok(name)
    }

    /// The conditional forwarder zone of `name`, if the server holds one.
    pub fn zone(&self, name: &str) -> Option<(&str, &[IpAddr])> {
        let key = name.trim().trim_end_matches('.').to_ascii_lowercase();
        self.zones.get_key_value(&key).map(|(k, v)| (k.as_str(), v.as_slice()))
    }

    /// Where a query for `qname` goes when the longest of the server's own zones holding it is
    /// `own` (its name's length): the most specific of that zone and the conditional forwarders
    /// wins, as in Windows, where conditional forwarders are zones; a name no zone holds goes
    /// to the server-level forwarders, if any.
    pub fn route(&self, qname: &str, own: Option<usize>) -> Route {
        let conditional = self
            .zones
            .iter()
            .filter(|(name, _)| qname == name.as_str() || qname.ends_with(&format!(".{name}")))
            .max_by_key(|(name, _)| name.len());
        match (own, conditional) {
            (Some(len), Some((name, masters))) if name.len() > len => Route::Forward(masters.clone()),
            (Some(_), _) => Route::Here,
            (None, Some((_, masters))) => Route::Forward(masters.clone()),
            (None, None) if !self.servers.is_empty() => Route::Forward(self.servers.clone()),
            (None, None) => Route::Here,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ips(list: &[&str]) -> Vec<IpAddr> {
        list.iter().map(|s| s.parse().unwrap()).collect()
    }

    fn strings(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn the_most_specific_zone_decides_and_the_rest_goes_to_the_server_forwarders() {
        let mut f = Forwarders::default();
        assert_eq!(f.route("mb.globex.example", None), Route::Here, "nothing configured: answered (refused) here");
        f.add(&strings(&["10.1.0.53", "10.1.0.54"])).unwrap();
        f.add(&strings(&["10.1.0.53"])).unwrap();
        assert_eq!(f.servers, ips(&["10.1.0.53", "10.1.0.54"]), "appended once, in order");
        assert_eq!(f.route("mb.globex.example", None), Route::Forward(ips(&["10.1.0.53", "10.1.0.54"])));
        assert_eq!(f.route("mb.globex.example", Some("globex.example".len())), Route::Here, "its own zone answers");
        f.add_zone("Voice.Globex.Example.", &strings(&["10.9.0.5"]), false).unwrap();
        assert_eq!(
            f.route("mb.voice.globex.example", Some("globex.example".len())),
            Route::Forward(ips(&["10.9.0.5"]))
        );
        assert_eq!(
            f.add_zone("voice.globex.example", &strings(&["10.9.0.6"]), false),
            Err(PolicyError::DuplicateZone { zone: "voice.globex.example".into() })
        );
        assert!(f.add_zone("globex.example", &strings(&["10.9.0.6"]), true).is_err(), "a primary zone holds the name");
        assert!(f
            .add(&strings(&["ten.one"]))
            .unwrap_err()
            .to_string()
            .contains("'ten.one' is not a valid forwarder address"));
        f.remove(&strings(&["10.1.0.54"])).unwrap();
        assert_eq!(f.servers, ips(&["10.1.0.53"]));
        assert_eq!(
            f.remove(&strings(&["10.1.0.99"])).unwrap_err().to_string(),
            "The forwarder 10.1.0.99 was not found on the DNS server."
        );
    }
}
