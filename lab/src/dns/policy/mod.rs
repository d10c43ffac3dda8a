//! The DNS server's data and its Windows Server 2016 DNS policies, without sockets: zones and
//! zone scopes, client subnets, query resolution policies, and the answer a query gets.
//!
//! The transport (`super::handler`) turns a packet into a [`Query`] and a [`Resolution`] into a
//! packet; everything a policy decides is decided here, so unit tests drive it directly.
//!
//! Layout: `server.rs` the server's state ([`DnsState`]) and the answer to a query; `query.rs`
//! the question; `rules.rs` a policy's action, condition and DENY answer; `zone.rs` zones, scopes
//! and record data; `directory.rs` AD-integrated zones shared by domain controllers; `subnet.rs`
//! client subnets; `criteria.rs` the `EQ,a;NE,b` criteria; `weights.rs` the `-ZoneScope` list and
//! its round robin; `policies.rs` adding, editing, enabling and removing policies; `records.rs` the
//! record verbs; `answer.rs` the answer from a scope (CNAME, wildcards, NODATA, NXDOMAIN);
//! `forwarders.rs` where the queries its zones do not answer go.

mod answer;
pub mod criteria;
pub mod directory;
pub mod error;
pub mod forwarders;
mod policies;
mod query;
mod records;
mod rules;
mod server;
pub mod subnet;
pub mod weights;
pub mod zone;

#[cfg(test)]
mod tests;

pub use answer::{AnswerRecord, Answered, Resolution};
pub use criteria::{Criterion, CriterionKind};
pub use directory::Directory;
pub use error::PolicyError;
pub use forwarders::Forwarders;
pub use policies::{NewPolicy, PolicyEdit};
pub use query::Query;
pub use rules::{Action, Condition, QueryResolutionPolicy};
pub use server::DnsState;
pub use subnet::{ClientSubnet, SubnetAction};
pub use zone::{RecordData, Zone, ZoneScope};
