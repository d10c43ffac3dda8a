//! The tenant's model as PowerShell objects. The tenant's cmdlets print them, and so do a
//! Mediation Server's cmdlets reading the LocalStore's copy, so both print one shape.

use super::model::{ApplianceRecord, NetworkConfiguration};
use crate::clock::TimeOfDay;
use crate::runbook::{FormatData, PsObject, Value, View};

/// How the console shows the tenant's objects: as lists, as the Skype for Business cmdlets show
/// their configuration objects (the lab's objects carry fewer properties than the service's, so
/// counting them would turn the documented lists into tables).
pub const FORMAT: FormatData = &[
    ("TenantHybridConfiguration", View::List),
    ("NetworkConfiguration", View::List),
    ("MediaBypassSettings", View::List),
    ("HybridPSTNAppliance", View::List),
    ("HybridPSTNSite", View::List),
    ("UserPstnSettings", View::List),
    ("TenantInfo", View::List),
];

/// The network configuration as an object whose bypass settings keep their type name, so
/// they print expanded and can be handed back to `Set-CsNetworkConfiguration`.
pub fn network_object(network: &NetworkConfiguration) -> PsObject {
    let mut object = PsObject::from_serialize("NetworkConfiguration", network);
    for (key, value) in object.properties.iter_mut() {
        if let (true, Value::Object(nested)) = (key == "MediaBypassSettings", value) {
            nested.type_name = "MediaBypassSettings".into();
        }
    }
    object
}

/// One `Get-CsHybridPSTNAppliance` row; LastContact as a clock reading (`day 2 09:14`) on the
/// clock of a lab that started at `start`.
pub fn appliance_object(record: &ApplianceRecord, start: TimeOfDay) -> PsObject {
    let mut object = PsObject::from_serialize("HybridPSTNAppliance", record);
    for (name, value) in &mut object.properties {
        if name == "LastContact" {
            *value = match record.last_contact {
                Some(at) => Value::String(start.reading(at)),
                None => Value::Null,
            };
        }
    }
    object
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tenant::model::MediaBypassSettings;

    #[test]
    fn the_bypass_settings_keep_their_type_and_read_back() {
        let mut network = NetworkConfiguration::default();
        network.media_bypass_settings.enabled = true;
        network.media_bypass_settings.always_bypass = true;
        let object = network_object(&network);
        assert_eq!(object.type_name, "NetworkConfiguration");
        let Some(Value::Object(settings)) = object.get("MediaBypassSettings") else {
            panic!("expected MediaBypassSettings to be a nested object, got {:?}", object.get("MediaBypassSettings"));
        };
        assert_eq!(settings.type_name, "MediaBypassSettings");
        assert_eq!(settings.to_deserialize::<MediaBypassSettings>().unwrap(), network.media_bypass_settings);
    }
}
