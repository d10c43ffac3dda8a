//! The deployment being rehearsed: tenant, sites, appliances and where clients live.
//!
//! Pure data: nothing here opens a socket. Backends, the DNS configuration and the features all
//! read the same [`Topology`], so a user's own plan file changes the whole rehearsal at once.

mod model;
mod names;
mod plain_text;
mod population;
mod validate;

pub use model::{Appliance, DnsServerPlan, Outside, Site, TenantPlan, Topology};
pub use names::{dns_name_problem, site_stem};
pub use population::{Population, VpnPool};
pub use validate::{in_sip_domains, TopologyError};

/// The seed's plan (adatum.biz, Amsterdam and Seattle), built into the binary.
pub const SEED_TOML: &str = include_str!("../../topologies/adatum.toml");
