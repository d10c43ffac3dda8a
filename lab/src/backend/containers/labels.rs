//! The labels every Docker object of a lab carries: the engine is asked by them, and the Compose
//! file writes them too.

/// Every container, network and volume of a lab carries this label with the lab's id.
pub const LAB_LABEL: &str = "bypass-lab.lab";
/// The role a container plays: tenant, dns, mediation, client.
pub const ROLE_LABEL: &str = "bypass-lab.role";
/// The appliance a Mediation Server container runs.
pub const APPLIANCE_LABEL: &str = "bypass-lab.appliance";
/// A network's place in the plan (sites' subnets in order, outside, online), so listings show
/// a lab's subnets in plan order whatever order the engine lists its networks in.
pub const ORDER_LABEL: &str = "bypass-lab.order";
/// The topology address of a client host's clients, so any process finds every host.
pub const CLIENT_LABEL: &str = "bypass-lab.client";
