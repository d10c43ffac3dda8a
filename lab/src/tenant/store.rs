//! The tenant's durable state in one embedded redb file, `<data_dir>/tenant.redb`: the
//! configuration under one key, and one key per registered appliance, so an appliance's contact
//! report writes a few hundred bytes rather than every appliance's record again.

use super::model::{ApplianceRecord, TenantConfiguration};
use super::TenantError;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const CONFIGURATION: TableDefinition<&str, &[u8]> = TableDefinition::new("configuration");
const APPLIANCES: TableDefinition<&str, &[u8]> = TableDefinition::new("appliances");
const CURRENT: &str = "current";

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

#[derive(Clone)]
pub struct Store {
    db: Arc<Database>,
    path: PathBuf,
}

impl Store {
    /// Opens (or creates) the store under `data_dir`.
    pub fn open(data_dir: &Path) -> Result<Store, TenantError> {
        let path = data_dir.join("tenant.redb");
        let failed = |reason: String| TenantError::Store { path: path.display().to_string(), reason };
        std::fs::create_dir_all(data_dir).map_err(|e| failed(format!("cannot create {}: {e}", data_dir.display())))?;
        // redb would take an empty file for a new store and silently start over at version 1.
        if std::fs::metadata(&path).is_ok_and(|m| m.len() == 0) {
            return Err(failed(format!("the file is empty, not a tenant store (truncated?); {AFRESH}")));
        }
        let db = Database::create(&path).map_err(|e| failed(format!("cannot open it ({e}); {AFRESH}")))?;
        Ok(Store { db: Arc::new(db), path })
    }

    fn failed(&self, reason: impl Into<String>) -> TenantError {
        TenantError::Store { path: self.path.display().to_string(), reason: reason.into() }
    }

    /// The stored state, or the defaults on first start.
    pub fn load(&self) -> Result<TenantState, TenantError> {
        let mut state = TenantState::default();
        let txn = self.db.begin_read().map_err(|e| self.failed(e.to_string()))?;
        match txn.open_table(CONFIGURATION) {
            Ok(table) => {
                if let Some(bytes) = table.get(CURRENT).map_err(|e| self.failed(e.to_string()))? {
                    state.configuration = serde_json::from_slice(bytes.value())
                        .map_err(|e| self.failed(format!("unreadable configuration: {e}; {AFRESH}")))?;
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(self.failed(e.to_string())),
        }
        match txn.open_table(APPLIANCES) {
            Ok(table) => {
                for entry in table.iter().map_err(|e| self.failed(e.to_string()))? {
                    let (key, bytes) = entry.map_err(|e| self.failed(e.to_string()))?;
                    let record: ApplianceRecord = serde_json::from_slice(bytes.value())
                        .map_err(|e| self.failed(format!("unreadable appliance {}: {e}; {AFRESH}", key.value())))?;
                    state.appliances.insert(key.value().to_string(), record);
                }
            }
            Err(redb::TableError::TableDoesNotExist(_)) => {}
            Err(e) => return Err(self.failed(e.to_string())),
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
                let bytes = serde_json::to_vec(&state.configuration).expect("the configuration serializes");
                let mut table = txn.open_table(CONFIGURATION).map_err(|e| e.to_string())?;
                table.insert(CURRENT, bytes.as_slice()).map_err(|e| e.to_string())?;
                let mut table = txn.open_table(APPLIANCES).map_err(|e| e.to_string())?;
                for (key, record) in &state.appliances {
                    let bytes = serde_json::to_vec(record).expect("an appliance record serializes");
                    table.insert(key.as_str(), bytes.as_slice()).map_err(|e| e.to_string())?;
                }
            }
            txn.commit().map_err(|e| e.to_string())?;
            drop(db);
            std::fs::rename(&staging, &path).map_err(|e| format!("cannot replace it: {e}"))
        };
        write().map_err(failed)
    }

    /// Commits the configuration durably; returns only once it is on disk.
    pub async fn save_configuration(&self, configuration: &TenantConfiguration) -> Result<(), TenantError> {
        let bytes = serde_json::to_vec(configuration).expect("the configuration serializes");
        let db = self.db.clone();
        let write = move || -> Result<(), String> {
            let txn = db.begin_write().map_err(|e| e.to_string())?;
            txn.open_table(CONFIGURATION)
                .map_err(|e| e.to_string())?
                .insert(CURRENT, bytes.as_slice())
                .map_err(|e| e.to_string())?;
            txn.commit().map_err(|e| e.to_string())
        };
        tokio::task::spawn_blocking(write).await.map_err(|e| e.to_string()).and_then(|r| r).map_err(|r| self.failed(r))
    }

    /// Commits appliance records, keyed by lower-case name, durably in one transaction
    /// (blocking: called from the committer).
    pub fn save_appliances(&self, records: &[(String, ApplianceRecord)]) -> Result<(), String> {
        let txn = self.db.begin_write().map_err(|e| e.to_string())?;
        {
            let mut table = txn.open_table(APPLIANCES).map_err(|e| e.to_string())?;
            for (key, record) in records {
                let bytes = serde_json::to_vec(record).expect("an appliance record serializes");
                table.insert(key.as_str(), bytes.as_slice()).map_err(|e| e.to_string())?;
            }
        }
        txn.commit().map_err(|e| e.to_string())
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
        store.save_configuration(&later).await.unwrap();
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
}
