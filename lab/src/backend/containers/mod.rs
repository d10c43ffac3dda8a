//! The containers backend: one container per role, on Docker networks with the topology's
//! subnets and fixed addresses. The lab host has a leg on every network (the networks'
//! gateways), so it reaches each role at its real address. See `docs/design/containers.md`.
//!
//! What drives the Docker engine is built with the `containers` feature. The plan of a lab's
//! networks, its Compose file and what a role container runs inside are always built: reports
//! draw the plan, lab files name it, and `bypass-lab serve` runs in the image.

#[cfg(feature = "containers")]
mod census;
mod compose;
#[cfg(feature = "containers")]
mod damage;
#[cfg(feature = "containers")]
mod dns_servers;
#[cfg(feature = "containers")]
mod docker;
#[cfg(feature = "containers")]
mod host_networks;
pub mod image;
mod labels;
mod owner;
mod plan;
#[cfg(feature = "containers")]
pub mod queue;
mod reset;
#[cfg(feature = "containers")]
mod role;
#[cfg(feature = "containers")]
mod route;
#[cfg(feature = "containers")]
mod running;
mod state;
#[cfg(feature = "containers")]
mod teardown;
#[cfg(feature = "containers")]
mod time;
#[cfg(feature = "containers")]
mod turn;

#[cfg(feature = "containers")]
pub use census::{labs, sweep_abandoned, sweep_this_process, LabEntry};
pub use compose::{compose_file, compose_state, COMPOSE_LAB};
#[cfg(feature = "containers")]
pub use docker::{connect, remove_lab, Swept};
pub use labels::{APPLIANCE_LABEL, CLIENT_LABEL, LAB_LABEL, ORDER_LABEL, ROLE_LABEL};
pub use owner::{boot_id, Liveness, Owner, COMMAND_LABEL, LAB_ID_IN_FILE};
pub use plan::{
    fixed_subnets, LabPlan, LanPlan, NetworkPlan, CLIENT_PORT, DATA_DIR, DEFAULT_ONLINE, DNS_ADMIN_PORT, DNS_PORT,
    MEDIATION_PORT, TENANT_PORT, TOPOLOGY_PATH,
};
pub use reset::{ResetDone, RESET_DEADLINE, SUPERVISOR_ENV, SUPERVISOR_PORT};
#[cfg(feature = "containers")]
pub use running::Containers;
pub use state::ContainersState;
#[cfg(feature = "containers")]
pub use turn::{take_turn, Turn};
