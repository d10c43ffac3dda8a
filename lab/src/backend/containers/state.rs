//! What another process needs to drive a running containers lab (`up` detached, then `status`).

use crate::auth::Secrets;
use crate::backend::Endpoints;
use crate::topology::Topology;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct ContainersState {
    /// The value of the `bypass-lab.lab` label on everything the lab created.
    pub lab: String,
    /// The image the roles run.
    pub image: String,
    /// The online (tenant) network's subnet.
    pub online: String,
    pub topology: Topology,
    pub secrets: Secrets,
    pub endpoints: Endpoints,
    /// Container names by role (`tenant`, `dns`) or appliance name.
    pub containers: BTreeMap<String, String>,
    /// Client hosts' container names by address.
    pub clients: BTreeMap<String, String>,
    /// The owner labels written on every object of the lab, so hosts started later carry them.
    #[serde(default)]
    pub owner: BTreeMap<String, String>,
    /// How the DNS servers started, so one removed is created again as it was.
    #[serde(default)]
    pub dns_start: crate::backend::DnsStart,
}
