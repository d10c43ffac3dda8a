//! The tenant's durable state in one embedded redb file, `<data_dir>/tenant.redb`: the
//! configuration under one key, and one key per registered appliance, so an appliance's contact
//! report writes a few hundred bytes rather than every appliance's record again.

use super::model::{ApplianceRecord, TenantConfiguration};
use super::record::{
    decode, decode_appliance, decode_configuration, encode, record_name, stamp, stamped, Manifest, CURRENT, MANIFEST,
};
use super::TenantError;
use crate::seal::{self, Separator};
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::panic::AssertUnwindSafe;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const CONFIGURATION: TableDefinition<&str, &[u8]> = TableDefinition::new("configuration");
const APPLIANCES: TableDefinition<&str, &[u8]> = TableDefinition::new("appliances");

/// How to get past a store that cannot be read, said with every such refusal.
const AFRESH: &str = "to start the tenant afresh, move the file away (all tenant data starts over at version 1)";

/// Everything the tenant must not forget.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct TenantState {
    pub configuration: TenantConfiguration,
    /// Registered appliances by lower-case name, so a re-registration keeps its identity.
    pub appliances: BTreeMap<String, ApplianceRecord>,
}

impl Default for TenantState {
    /// The first configuration is version 1 (lab choice), so an appliance that has never
    /// replicated (`None`/0) is always behind.
    fn default() -> Self {
        TenantState {
            configuration: TenantConfiguration { version: 1, ..Default::default() },
            appliances: BTreeMap::new(),
        }
    }
}

/// The store's file could not be opened or read: the reason, and the record when one is to blame.
type Refusal = (Option<String>, String);

fn refused(record: &str, e: impl std::fmt::Display) -> Refusal {
    (Some(record.to_string()), e.to_string())
}

fn broken(e: impl std::fmt::Display) -> Refusal {
    (None, e.to_string())
}

#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    path: PathBuf,
    /// The last commit number stamped on the file: concurrent commits stamp in order.
    stamped: Arc<std::sync::Mutex<u64>>,
}

impl Store {
    /// Opens (or creates) the store under `data_dir`. redb verifies every page of the file
    /// first. A last commit that does not verify is one a kill tore (never acknowledged) or one
    /// damaged since: redb falls back to the commit before it, and [`Store::load`] refuses the
    /// fallback when the commit stamp says the lost one had been acknowledged.
    pub fn open(data_dir: &Path) -> Result<Store, TenantError> {
        let path = data_dir.join("tenant.redb");
        let failed = |reason: String| TenantError::Store { path: path.display().to_string(), reason };
        std::fs::create_dir_all(data_dir).map_err(|e| failed(format!("cannot create {}: {e}", data_dir.display())))?;
        // redb would take an empty file for a new store and silently start over at version 1.
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
            return Err(failed(format!("the file is empty, not a tenant store (truncated?); {AFRESH}")));
        }
        let mut builder = Database::builder();
        builder.set_check_integrity_on_open(true);
        let opened = std::panic::catch_unwind(AssertUnwindSafe(|| builder.create(&path)));
        let db = match opened {
            Ok(Ok(db)) => db,
            Ok(Err(e)) => return Err(failed(format!("cannot open it ({e}); {AFRESH}"))),
            Err(panic) => {
                let message = crate::role_tasks::panic_message(panic.as_ref());
                return Err(failed(format!("cannot open it (reading it failed: {message}); {AFRESH}")));
            }
        };
        Ok(Store { db: Arc::new(db), path, stamped: Default::default() })
    }

    fn failed(&self, reason: impl Into<String>) -> TenantError {
        TenantError::Store { path: self.path.display().to_string(), reason: reason.into() }
    }

    fn refusal(&self, (record, reason): Refusal) -> TenantError {
        match record {
            Some(record) => TenantError::Record { path: self.path.display().to_string(), record, reason },
            None => self.failed(format!("{reason}; {AFRESH}")),
        }
    }

    /// The stored state, or the defaults on first start; every record's checksum verified,
    /// and the records counted against the manifest.
    pub fn load(&self) -> Result<TenantState, TenantError> {
        match std::panic::catch_unwind(AssertUnwindSafe(|| self.read())) {
            Ok(read) => read.map_err(|refusal| self.refusal(refusal)),
            Err(panic) => Err(self
                .failed(format!("reading it failed ({}); {AFRESH}", crate::role_tasks::panic_message(panic.as_ref())))),
        }
    }

    fn read(&self) -> Result<TenantState, Refusal> {
        let mut state = TenantState::default();
        let txn = self.db.begin_read().map_err(broken)?;
        let mut manifest = None;
        let mut configured = false;
        match txn.open_table(CONFIGURATION) {
            Ok(table) => {
                let name = record_name("configuration", MANIFEST);
                if let Some(bytes) = table.get(MANIFEST).map_err(broken)? {
                    manifest = Some(decode::<Manifest>(&name, bytes.value()).map_err(|e| refused(&name, e))?);
                }
                let name = record_name("configuration", CURRENT);
                if let Some(bytes) = table.get(CURRENT).map_err(broken)? {
                    state.configuration = decode_configuration(bytes.value()).map_err(|e| refused(&name, e))?;
                    configured = true;
                }
                for entry in table.iter().map_err(broken)? {
                    let (key, _) = entry.map_err(broken)?;
                    if key.value() != CURRENT && key.value() != MANIFEST {
                        return Err(refused(
                            &record_name("configuration", key.value()),
                            "no such record is ever written (a damaged key?)",
                        ));
                    }
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(broken(e)),
        }
        let mut found = Manifest { configuration: configured, ..Default::default() };
        match txn.open_table(APPLIANCES) {
            Ok(table) => {
                for entry in table.iter().map_err(broken)? {
                    let (key, bytes) = entry.map_err(broken)?;
                    let name = record_name("appliances", key.value());
                    let record = decode_appliance(key.value(), bytes.value()).map_err(|e| refused(&name, e))?;
                    found.appliances += 1;
                    found.digest ^=
                        seal::stored_checksum(Separator::Space, bytes.value()).map_err(|e| refused(&name, e))?;
                    state.appliances.insert(key.value().to_string(), record);
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(broken(e)),
        }
        let name = record_name("configuration", MANIFEST);
        match manifest {
            // Nothing was ever committed: a new store.
            None if found == Manifest::default() => {}
            None => return Err(refused(&name, "it is missing while the store holds records (a store written before records carried checksums, or damaged)")),
            Some(manifest) if (manifest.configuration, manifest.appliances, manifest.digest) != (found.configuration, found.appliances, found.digest) => {
                return Err(refused(
                    &name,
                    format!(
                        "the store does not hold what it lists (listed: configuration {}, {} appliance records; found: configuration {}, {} appliance records{}): a record was lost or altered",
                        manifest.configuration,
                        manifest.appliances,
                        found.configuration,
                        found.appliances,
                        if manifest.appliances == found.appliances && manifest.configuration == found.configuration { ", with other checksums" } else { "" }
                    ),
                ))
            }
            Some(manifest) => {
                if let Some(last) = stamped(&self.path).filter(|last| *last > manifest.commit) {
                    return Err(refused(
                        &name,
                        format!("the file holds commit {} but commit {last} was made after it (its header is damaged, and the commit before the last was read): the last changes are missing", manifest.commit),
                    ));
                }
                *self.stamped.lock().unwrap() = manifest.commit;
            }
        }
        Ok(state)
    }

    /// Makes `state` the whole store under `data_dir`, replacing the file at once: a lab reset
    /// puts a stopped tenant back as the lab's checkpoint held it, and the next start reads it.
    pub fn replace_with(data_dir: &Path, state: &TenantState) -> Result<(), TenantError> {
        let path = data_dir.join("tenant.redb");
        let staging = data_dir.join("tenant.redb.restoring");
        let failed = |reason: String| TenantError::Store { path: path.display().to_string(), reason };
        let write = || -> Result<(), String> {
            std::fs::create_dir_all(data_dir).map_err(|e| format!("cannot create {}: {e}", data_dir.display()))?;
            match std::fs::remove_file(&staging) {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(e.to_string()),
                _ => {}
            }
            let db = Database::create(&staging).map_err(|e| e.to_string())?;
            let txn = db.begin_write().map_err(|e| e.to_string())?;
            {
                let mut manifest = Manifest { configuration: true, commit: 1, ..Default::default() };
                let mut table = txn.open_table(APPLIANCES).map_err(|e| e.to_string())?;
                for (key, record) in &state.appliances {
                    let bytes = encode(&record_name("appliances", key), record);
                    manifest.appliances += 1;
                    manifest.digest ^= seal::stored_checksum(Separator::Space, &bytes).map_err(|e| e.to_string())?;
                    table.insert(key.as_str(), bytes.as_slice()).map_err(|e| e.to_string())?;
                }
                let mut table = txn.open_table(CONFIGURATION).map_err(|e| e.to_string())?;
                let bytes = encode(&record_name("configuration", CURRENT), &state.configuration);
                table.insert(CURRENT, bytes.as_slice()).map_err(|e| e.to_string())?;
                let bytes = encode(&record_name("configuration", MANIFEST), &manifest);
                table.insert(MANIFEST, bytes.as_slice()).map_err(|e| e.to_string())?;
            }
            txn.commit().map_err(|e| e.to_string())?;
            drop(db);
            // Best effort, as every stamp: without it the check is skipped.
            let _ = stamp(&staging, 1);
            std::fs::rename(&staging, &path).map_err(|e| format!("cannot replace it: {e}"))
        };
        write().map_err(failed)
    }

    /// Commits the configuration durably; returns only once it is on disk (blocking: the
    /// tenant runs it on the blocking pool).
    pub fn save_configuration(&self, configuration: &TenantConfiguration) -> Result<(), TenantError> {
        let bytes = encode(&record_name("configuration", CURRENT), configuration);
        let write = || -> Result<u64, String> {
            let txn = self.db.begin_write().map_err(|e| e.to_string())?;
            let commit;
            {
                let mut table = txn.open_table(CONFIGURATION).map_err(|e| e.to_string())?;
                let mut manifest = manifest_in(&table)?;
                manifest.configuration = true;
                manifest.commit += 1;
                commit = manifest.commit;
                table.insert(CURRENT, bytes.as_slice()).map_err(|e| e.to_string())?;
                let manifest = encode(&record_name("configuration", MANIFEST), &manifest);
                table.insert(MANIFEST, manifest.as_slice()).map_err(|e| e.to_string())?;
            }
            txn.commit().map_err(|e| e.to_string())?;
            Ok(commit)
        };
        let commit = write().map_err(|r| self.failed(r))?;
        self.stamp(commit);
        Ok(())
    }

    /// Commits appliance records, keyed by lower-case name, durably in one transaction
    /// (blocking: called from the committer).
    pub fn save_appliances(&self, records: &[(String, ApplianceRecord)]) -> Result<(), String> {
        let commit;
        let txn = self.db.begin_write().map_err(|e| e.to_string())?;
        {
            let mut configuration = txn.open_table(CONFIGURATION).map_err(|e| e.to_string())?;
            let mut manifest = manifest_in(&configuration)?;
            manifest.commit += 1;
            commit = manifest.commit;
            let mut table = txn.open_table(APPLIANCES).map_err(|e| e.to_string())?;
            for (key, record) in records {
                let name = record_name("appliances", key);
                let bytes = encode(&name, record);
                manifest.digest ^= seal::stored_checksum(Separator::Space, &bytes).map_err(|e| e.to_string())?;
                match table.insert(key.as_str(), bytes.as_slice()).map_err(|e| e.to_string())? {
                    Some(old) => {
                        manifest.digest ^= seal::stored_checksum(Separator::Space, old.value())
                            .map_err(|e| format!("record {name}: {e}"))?
                    }
                    None => manifest.appliances += 1,
                }
            }
            let manifest = encode(&record_name("configuration", MANIFEST), &manifest);
            configuration.insert(MANIFEST, manifest.as_slice()).map_err(|e| e.to_string())?;
        }
        txn.commit().map_err(|e| e.to_string())?;
        self.stamp(commit);
        Ok(())
    }

    /// Stamps the file with `commit`, now durable, unless a later one is stamped already.
    fn stamp(&self, commit: u64) {
        let mut stamped = self.stamped.lock().unwrap();
        if commit > *stamped {
            match stamp(&self.path, commit) {
                Ok(()) => *stamped = commit,
                Err(e) => tracing::debug!(
                    "{}: cannot stamp commit {commit} ({e}); a lost last commit goes unnoticed",
                    self.path.display()
                ),
            }
        }
    }
}

/// The manifest as a write transaction finds it (the defaults in a new store).
fn manifest_in(table: &redb::Table<&str, &[u8]>) -> Result<Manifest, String> {
    let name = record_name("configuration", MANIFEST);
    match table.get(MANIFEST).map_err(|e| e.to_string())? {
        Some(bytes) => decode(&name, bytes.value()).map_err(|e| format!("record {name}: {e}")),
        None => Ok(Manifest::default()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn record(name: &str, contact_secs: u64) -> ApplianceRecord {
        ApplianceRecord {
            identity: uuid::Uuid::new_v4(),
            name: name.into(),
            site_name: "Seattle".into(),
            mediation_server_fqdn: format!("{name}.adatum.biz"),
            mediation_server_ip_address: "10.10.1.8".parse().unwrap(),
            last_contact: Some(Duration::from_secs(contact_secs)),
            replicated_version: Some(1),
            maintenance_mode: false,
            registered: true,
        }
    }

    #[tokio::test]
    async fn a_replaced_store_holds_exactly_the_state_it_was_given() {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(data.path()).unwrap();
        let mut later = TenantConfiguration { version: 7, ..Default::default() };
        later.network.media_bypass_settings.enabled = true;
        store.save_configuration(&later).unwrap();
        store
            .save_appliances(&[("sea-cce1".into(), record("sea-cce1", 90_000)), ("late".into(), record("late", 5))])
            .unwrap();
        drop(store);

        let checkpoint = TenantState {
            configuration: TenantConfiguration { version: 1, ..Default::default() },
            appliances: BTreeMap::from([("sea-cce1".to_string(), record("sea-cce1", 0))]),
        };
        Store::replace_with(data.path(), &checkpoint).unwrap();
        let back = Store::open(data.path()).unwrap().load().unwrap();
        assert_eq!(back, checkpoint, "nothing written after the checkpoint survives, nothing of it is lost");
        assert!(!data.path().join("tenant.redb.restoring").exists(), "the staging file is gone");
    }

    /// Writes `value` under `key` of `table` as a version without checksums would have.
    fn write_raw(data: &Path, table: TableDefinition<&str, &[u8]>, key: &str, value: &[u8]) {
        let db = Database::create(data.join("tenant.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(table).unwrap().insert(key, value).unwrap();
        txn.commit().unwrap();
    }

    #[test]
    fn a_store_without_checksums_is_refused_not_misread() {
        let data = tempfile::tempdir().unwrap();
        let old = serde_json::to_vec(&TenantConfiguration { version: 9, ..Default::default() }).unwrap();
        write_raw(data.path(), CONFIGURATION, CURRENT, &old);
        let err = Store::open(data.path()).unwrap().load().unwrap_err().to_string();
        assert!(err.contains("tenant.redb: record configuration/current: it carries no checksum"), "{err}");
        assert!(err.contains("afresh"), "{err}");
    }

    #[test]
    fn an_altered_record_is_refused_by_name() {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(data.path()).unwrap();
        store.save_appliances(&[("sea-cce1".into(), record("sea-cce1", 60))]).unwrap();
        let stored = encode(&record_name("appliances", "sea-cce1"), &record("sea-cce1", 60));
        drop(store);
        let altered = String::from_utf8(stored).unwrap().replace("10.10.1.8", "10.10.1.9");
        write_raw(data.path(), APPLIANCES, "sea-cce1", altered.as_bytes());
        let err = Store::open(data.path()).unwrap().load().unwrap_err().to_string();
        assert!(err.contains("record appliances/sea-cce1: its checksum does not match its content"), "{err}");
    }

    #[tokio::test]
    async fn a_record_lost_whole_is_noticed_by_the_manifest() {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(data.path()).unwrap();
        store
            .save_appliances(&[("sea-cce1".into(), record("sea-cce1", 60)), ("ams-cce1".into(), record("ams-cce1", 5))])
            .unwrap();
        drop(store);
        let db = Database::create(data.path().join("tenant.redb")).unwrap();
        let txn = db.begin_write().unwrap();
        txn.open_table(APPLIANCES).unwrap().remove("ams-cce1").unwrap();
        txn.commit().unwrap();
        drop(db);
        let err = Store::open(data.path()).unwrap().load().unwrap_err().to_string();
        assert!(err.contains("record configuration/manifest: the store does not hold what it lists"), "{err}");
        assert!(
            err.contains("listed: configuration false, 2 appliance records; found: configuration false, 1"),
            "{err}"
        );
    }

    #[tokio::test]
    async fn a_file_missing_its_last_commit_is_refused() {
        let data = tempfile::tempdir().unwrap();
        let store = Store::open(data.path()).unwrap();
        store.save_configuration(&TenantConfiguration { version: 2, ..Default::default() }).unwrap();
        let path = data.path().join("tenant.redb");
        let at_commit_one = std::fs::read(&path).unwrap();
        store.save_configuration(&TenantConfiguration { version: 3, ..Default::default() }).unwrap();
        drop(store);
        assert_eq!(stamped(&path), Some(2));
        // The file as it was one commit earlier, with the stamp of the later one.
        std::fs::write(&path, at_commit_one).unwrap();
        let err = Store::open(data.path()).unwrap().load().unwrap_err().to_string();
        assert!(err.contains("the file holds commit 1 but commit 2 was made after it"), "{err}");
    }
}
