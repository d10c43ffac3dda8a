//! The tenant store's records as bytes: each value sealed JSON ([`crate::seal`], its context the
//! record's name `<table>/<key>`), and the manifest that lists them (docs/design/tenant.md#integrity).

use super::model::{ApplianceRecord, TenantConfiguration};
use crate::seal::{self, SealError, Separator};
use serde::{Deserialize, Serialize};
use std::path::Path;

/// The configuration's key in its table.
pub(super) const CURRENT: &str = "current";
/// Beside the configuration: what the store holds, rewritten by every transaction.
pub(super) const MANIFEST: &str = "manifest";

/// What the store holds, so that a record lost whole (not only one altered) is noticed: each
/// record's checksum covers only itself.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct Manifest {
    /// Whether a configuration was ever committed (none: the defaults, version 1).
    pub configuration: bool,
    /// How many appliance records there are.
    pub appliances: u64,
    /// The XOR of their checksums: kept up to date from each replaced record alone.
    pub digest: u64,
    /// How many transactions wrote the store: the file's [`COMMIT_ATTRIBUTE`] says how many
    /// there were, so a file whose last commit was lost (redb fell back to the one before it)
    /// is refused rather than read as older data.
    pub commit: u64,
}

/// The extended attribute of `tenant.redb` holding the number of the last commit (decimal),
/// set once the commit is durable. Absent (a file system without user attributes, a copy that
/// dropped it): the check it allows is skipped.
pub const COMMIT_ATTRIBUTE: &str = "user.bypass-lab.commit";

pub(super) fn stamp(path: &Path, commit: u64) -> Result<(), String> {
    rustix::fs::setxattr(path, COMMIT_ATTRIBUTE, commit.to_string().as_bytes(), rustix::fs::XattrFlags::empty())
        .map_err(|e| e.to_string())
}

pub(super) fn stamped(path: &Path) -> Option<u64> {
    let mut value = [0u8; 24];
    let len = rustix::fs::getxattr(path, COMMIT_ATTRIBUTE, &mut value[..]).ok()?;
    std::str::from_utf8(&value[..len]).ok()?.parse().ok()
}

/// Why one record of the store cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum RecordError {
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error("its checksum verifies but its content is not the record's JSON ({0})")]
    Content(#[source] serde_json::Error),
}

/// The name of a record in refusals and in its checksum's context: `<table>/<key>`.
pub(super) fn record_name(table: &str, key: &str) -> String {
    format!("{table}/{key}")
}

pub(super) fn encode<T: Serialize>(name: &str, value: &T) -> Vec<u8> {
    seal::seal(name, Separator::Space, &serde_json::to_vec(value).expect("a tenant record serializes"))
}

pub(super) fn decode<T: serde::de::DeserializeOwned>(name: &str, stored: &[u8]) -> Result<T, RecordError> {
    serde_json::from_slice(seal::unseal(name, Separator::Space, stored)?).map_err(RecordError::Content)
}

/// The configuration record as the store holds it, decoded (public for the decoders' harness).
pub fn decode_configuration(stored: &[u8]) -> Result<TenantConfiguration, RecordError> {
    decode(&record_name("configuration", CURRENT), stored)
}

/// The record of the appliance keyed `key` as the store holds it, decoded.
pub fn decode_appliance(key: &str, stored: &[u8]) -> Result<ApplianceRecord, RecordError> {
    decode(&record_name("appliances", key), stored)
}
