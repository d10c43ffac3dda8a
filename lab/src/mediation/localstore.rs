//! The Mediation Server's LocalStore: its copy of the tenant configuration.
//!
//! Clients are served from this copy, never from the tenant, which is why a change takes effect
//! on a Mediation Server only once it has replicated, and why a Mediation Server cut off from the
//! tenant keeps serving what it last received. The file is replaced atomically (temp file +
//! rename) so a restart or a kill -9 finds either the old copy or the new one, never half of one.
//!
//! Most syncs bring nothing new, and replacing the file costs the file system a new file each
//! time: such a sync writes only its time, as an attribute of the file ([`LocalStoreFile::stamp`]).
//!
//! The file and the attribute are sealed ([`crate::seal`]): a copy altered on disk is refused,
//! never served to clients as another configuration.

use crate::seal::{self, SealError, Separator};
use crate::tenant::TenantConfiguration;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use std::time::Duration;

pub const FILE_NAME: &str = "localstore.json";
/// The extended attribute of the file holding the lab time (nanoseconds, decimal) of the last sync
/// that found the copy unchanged. Replacing the file drops it with the old file.
pub const STAMP_ATTRIBUTE: &str = "user.bypass-lab.synced_at";

/// What the LocalStore holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalStore {
    /// The last configuration replicated from the tenant; `None` until the first sync.
    pub configuration: Option<TenantConfiguration>,
    /// Lab time of the sync that wrote it.
    pub synced_at: Option<Duration>,
    /// Whether media bypass was ever enabled here: tells "disabled" from "never configured"
    /// when the web service turns a client away (a disable and a fresh tenant look the same).
    pub bypass_ever_enabled: bool,
}

impl LocalStore {
    /// The store after replicating `configuration` at lab time `at`.
    pub fn replicated(&self, configuration: TenantConfiguration, at: Duration) -> LocalStore {
        let enabled = configuration.network.media_bypass_settings.enabled;
        LocalStore {
            configuration: Some(configuration),
            synced_at: Some(at),
            bypass_ever_enabled: self.bypass_ever_enabled || enabled,
        }
    }

    pub fn bypass_enabled(&self) -> bool {
        self.configuration.as_ref().is_some_and(|c| c.network.media_bypass_settings.enabled)
    }

    pub fn version(&self) -> Option<u64> {
        self.configuration.as_ref().map(|c| c.version)
    }
}

/// What the file's and the stamp's checksums are taken over, beside their content.
const CONTEXT: &str = "localstore";
const STAMP_CONTEXT: &str = "localstore synced_at";

/// Why stored bytes are not a LocalStore.
#[derive(Debug, thiserror::Error)]
pub enum LocalStoreContentError {
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error("its checksum verifies but its content is not the LocalStore's JSON ({0})")]
    Content(#[source] serde_json::Error),
}

impl LocalStore {
    /// The LocalStore in `stored`, the file's bytes, once their checksum verifies (public for
    /// the decoders' harness).
    pub fn decode(stored: &[u8]) -> Result<LocalStore, LocalStoreContentError> {
        serde_json::from_slice(seal::unseal(CONTEXT, Separator::Newline, stored)?)
            .map_err(LocalStoreContentError::Content)
    }

    /// The file's bytes: the checksum's line, then the JSON.
    pub fn encode(&self) -> Vec<u8> {
        let json = serde_json::to_vec_pretty(self).expect("the LocalStore serializes");
        seal::seal(CONTEXT, Separator::Newline, &json)
    }
}

/// Why the LocalStore file could not be used.
#[derive(Debug, thiserror::Error)]
#[error("{path}: {reason}")]
pub struct LocalStoreError {
    pub path: String,
    pub reason: String,
}

/// Where one appliance's LocalStore lives on disk.
#[derive(Debug, Clone)]
pub struct LocalStoreFile {
    path: PathBuf,
}

impl LocalStoreFile {
    pub fn in_dir(data_dir: &Path) -> LocalStoreFile {
        LocalStoreFile { path: data_dir.join(FILE_NAME) }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The stored copy; empty when the appliance has never synced. Its `synced_at` is the later
    /// of the copy's own and the stamp's: a sync that found nothing new wrote only the stamp.
    pub fn load(&self) -> Result<LocalStore, LocalStoreError> {
        let mut store: LocalStore = match std::fs::read(&self.path) {
            Ok(bytes) => {
                LocalStore::decode(&bytes).map_err(|e| self.error(format!("the LocalStore cannot be used: {e}")))?
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(LocalStore::default()),
            Err(e) => return Err(self.error(format!("cannot read it: {e}"))),
        };
        if store.configuration.is_some() {
            store.synced_at = store.synced_at.max(self.stamped());
        }
        Ok(store)
    }

    /// The stamp's time; none when the file has no stamp or it cannot be read or does not
    /// verify (the copy's own time then stands: the time of a sync that brought the same).
    fn stamped(&self) -> Option<Duration> {
        let mut value = [0u8; 64];
        let len = rustix::fs::getxattr(&self.path, STAMP_ATTRIBUTE, &mut value[..]).ok()?;
        let nanos = match seal::unseal(STAMP_CONTEXT, Separator::Space, &value[..len]) {
            Ok(nanos) => nanos,
            Err(e) => {
                tracing::warn!("{}: the sync time stamped on it is ignored: {e}", self.path.display());
                return None;
            }
        };
        std::str::from_utf8(nanos).ok()?.parse::<u64>().ok().map(Duration::from_nanos)
    }

    /// Records that a sync at `at` replicated the copy already stored, without replacing the
    /// file: the time is set as an attribute of the file, which the system replaces whole (a
    /// kill never leaves half of one). Fails where the file system keeps no such attributes;
    /// the caller then saves the copy instead.
    pub fn stamp(&self, at: Duration) -> Result<(), LocalStoreError> {
        let nanos = at.as_nanos().min(u128::from(u64::MAX)).to_string();
        let value = seal::seal(STAMP_CONTEXT, Separator::Space, nanos.as_bytes());
        rustix::fs::setxattr(&self.path, STAMP_ATTRIBUTE, &value, rustix::fs::XattrFlags::empty())
            .map_err(|e| self.error(format!("cannot stamp it with the sync's time: {e}")))
    }

    /// Replaces the stored copy atomically. No fsync: the copy must survive a killed process
    /// (the page cache does), not a lost host, and thousands of appliances sync at once.
    pub fn save(&self, store: &LocalStore) -> Result<(), LocalStoreError> {
        let json = store.encode();
        let temp = self.path.with_extension("json.tmp");
        // The folder is made only when missing (the first save): thousands of appliances save at
        // once, and asking for it on every save cost as much as writing the copy.
        let written = match std::fs::write(&temp, &json) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if let Some(dir) = self.path.parent() {
                    std::fs::create_dir_all(dir).map_err(|e| self.error(format!("cannot create its folder: {e}")))?;
                }
                std::fs::write(&temp, &json)
            }
            written => written,
        };
        written.map_err(|e| self.error(format!("cannot write {}: {e}", temp.display())))?;
        std::fs::rename(&temp, &self.path).map_err(|e| self.error(format!("cannot replace it: {e}")))
    }

    fn error(&self, reason: String) -> LocalStoreError {
        LocalStoreError { path: self.path.display().to_string(), reason }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enabled_configuration(version: u64) -> TenantConfiguration {
        let mut c = TenantConfiguration { version, ..Default::default() };
        c.network.media_bypass_settings.enabled = true;
        c.network.media_bypass_settings.bypass_id = Some(uuid::Uuid::new_v4());
        c
    }

    #[test]
    fn an_absent_file_is_an_empty_localstore() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStoreFile::in_dir(&dir.path().join("never-synced")).load().unwrap();
        assert_eq!(store, LocalStore::default());
        assert!(!store.bypass_enabled());
        assert_eq!(store.version(), None);
    }

    #[test]
    fn a_saved_copy_reloads_and_leaves_no_temp_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalStoreFile::in_dir(&dir.path().join("ams-cce1"));
        let store = LocalStore::default().replicated(enabled_configuration(3), Duration::from_secs(60));
        file.save(&store).unwrap();
        assert_eq!(file.load().unwrap(), store);
        let names: Vec<_> =
            std::fs::read_dir(dir.path().join("ams-cce1")).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)]);

        let newer = store.replicated(TenantConfiguration { version: 4, ..Default::default() }, Duration::from_secs(90));
        file.save(&newer).unwrap();
        let back = file.load().unwrap();
        assert_eq!(back.version(), Some(4));
        assert!(!back.bypass_enabled());
        assert!(back.bypass_ever_enabled, "a disable must remember that bypass was once enabled");
    }

    #[test]
    fn a_leftover_temp_file_from_a_killed_write_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalStoreFile::in_dir(dir.path());
        let store = LocalStore::default().replicated(enabled_configuration(1), Duration::ZERO);
        file.save(&store).unwrap();
        std::fs::write(dir.path().join("localstore.json.tmp"), b"{\"configurat").unwrap();
        assert_eq!(file.load().unwrap(), store);
    }

    #[test]
    fn a_stamp_moves_the_sync_time_and_nothing_else() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalStoreFile::in_dir(dir.path());
        let store = LocalStore::default().replicated(enabled_configuration(5), Duration::from_secs(60));
        file.save(&store).unwrap();
        file.stamp(Duration::from_secs(86_460)).unwrap();
        let back = file.load().unwrap();
        assert_eq!(back, LocalStore { synced_at: Some(Duration::from_secs(86_460)), ..store.clone() });
        let names: Vec<_> = std::fs::read_dir(dir.path()).unwrap().map(|e| e.unwrap().file_name()).collect();
        assert_eq!(names, vec![std::ffi::OsString::from(FILE_NAME)], "no file beside the copy");

        // A shorter time replaces a longer one whole.
        file.stamp(Duration::from_secs(90_000)).unwrap();
        file.stamp(Duration::from_secs(9)).unwrap();
        assert_eq!(file.load().unwrap().synced_at, Some(Duration::from_secs(60)), "the copy's own time is later");

        // A change replaces the copy, and the stamp goes with the old one.
        file.stamp(Duration::from_secs(172_000)).unwrap();
        let newer = store.replicated(enabled_configuration(6), Duration::from_secs(120_000));
        file.save(&newer).unwrap();
        assert_eq!(file.load().unwrap(), newer);
    }

    #[test]
    fn a_stamp_needs_a_copy_and_an_unreadable_one_counts_for_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalStoreFile::in_dir(dir.path());
        assert!(file.stamp(Duration::from_secs(60)).is_err(), "nothing to stamp before the first sync");
        let store = LocalStore::default().replicated(enabled_configuration(1), Duration::from_secs(120));
        file.save(&store).unwrap();
        rustix::fs::setxattr(file.path(), STAMP_ATTRIBUTE, b"not a time", rustix::fs::XattrFlags::empty()).unwrap();
        assert_eq!(file.load().unwrap(), store);
    }

    #[test]
    fn garbage_is_reported_with_the_path() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), b"not json").unwrap();
        let err = LocalStoreFile::in_dir(dir.path()).load().unwrap_err();
        assert!(err.path.ends_with(FILE_NAME));
        assert!(err.reason.contains("it carries no checksum"), "{}", err.reason);
    }

    #[test]
    fn a_copy_written_without_a_checksum_is_refused_not_misread() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::default().replicated(enabled_configuration(4), Duration::from_secs(60));
        std::fs::write(dir.path().join(FILE_NAME), serde_json::to_vec_pretty(&store).unwrap()).unwrap();
        let err = LocalStoreFile::in_dir(dir.path()).load().unwrap_err();
        assert!(err.reason.contains("it carries no checksum (not written by this version"), "{}", err.reason);
    }

    /// Every single-bit flip of a real copy: refused, never read as another copy.
    #[test]
    fn every_bit_flip_of_a_copy_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalStoreFile::in_dir(dir.path());
        let mut c = enabled_configuration(7);
        c.hybrid.hybrid_config_service_internal_url = Some("https://hybridvoice.adatum.biz/hybridconfig/v2".into());
        file.save(&LocalStore::default().replicated(c, Duration::from_secs(3600))).unwrap();
        let bytes = std::fs::read(file.path()).unwrap();
        let mut damaged = bytes.clone();
        for bit in 0..bytes.len() * 8 {
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(LocalStore::decode(&damaged).is_err(), "bit {bit} flipped went unnoticed");
            damaged[bit / 8] ^= 1 << (bit % 8);
        }
        // And the file's load says which file.
        damaged[bytes.len() / 2] ^= 1;
        std::fs::write(file.path(), &damaged).unwrap();
        assert!(file.load().unwrap_err().path.ends_with(FILE_NAME));
    }

    #[test]
    fn a_damaged_stamp_counts_for_nothing() {
        let dir = tempfile::tempdir().unwrap();
        let file = LocalStoreFile::in_dir(dir.path());
        let store = LocalStore::default().replicated(enabled_configuration(1), Duration::from_secs(120));
        file.save(&store).unwrap();
        file.stamp(Duration::from_secs(86_400)).unwrap();
        let mut value = [0u8; 64];
        let len = rustix::fs::getxattr(file.path(), STAMP_ATTRIBUTE, &mut value[..]).unwrap();
        // 86400 s becomes 96400 s: a digit's bit flipped.
        let damaged = String::from_utf8(value[..len].to_vec()).unwrap().replacen(" 864", " 964", 1);
        rustix::fs::setxattr(file.path(), STAMP_ATTRIBUTE, damaged.as_bytes(), rustix::fs::XattrFlags::empty())
            .unwrap();
        assert_eq!(file.load().unwrap(), store, "the copy's own time stands");
    }
}
