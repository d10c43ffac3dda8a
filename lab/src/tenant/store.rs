//! The tenant's durable state in one embedded redb file, `<data_dir>/tenant.redb`.
//!
//! The whole state is one JSON document under one key: it is small (a configuration and at most
//! 3200 appliances), and one write transaction per change makes "committed before acknowledged"
//! trivially true.

use super::model::{ApplianceRecord, TenantConfiguration};
use super::TenantError;
use redb::{Database, ReadableDatabase, TableDefinition};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

const TABLE: TableDefinition<&str, &[u8]> = TableDefinition::new("tenant");
const KEY: &str = "state";

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
        let db = Database::create(&path).map_err(|e| failed(e.to_string()))?;
        Ok(Store { db: Arc::new(db), path })
    }

    /// The stored state, or the defaults on first start.
    pub fn load(&self) -> Result<TenantState, TenantError> {
        let read = || -> Result<Option<Vec<u8>>, String> {
            let txn = self.db.begin_read().map_err(|e| e.to_string())?;
            let table = match txn.open_table(TABLE) {
                Ok(t) => t,
                Err(redb::TableError::TableDoesNotExist(_)) => return Ok(None),
                Err(e) => return Err(e.to_string()),
            };
            Ok(table.get(KEY).map_err(|e| e.to_string())?.map(|v| v.value().to_vec()))
        };
        let failed = |reason: String| TenantError::Store { path: self.path.display().to_string(), reason };
        match read().map_err(failed)? {
            None => Ok(TenantState::default()),
            Some(bytes) => serde_json::from_slice(&bytes).map_err(|e| failed(format!("unreadable state: {e}"))),
        }
    }

    /// Commits `state` durably; returns only once it is on disk.
    pub async fn save(&self, state: &TenantState) -> Result<(), TenantError> {
        let bytes = serde_json::to_vec(state).expect("tenant state serializes");
        let db = self.db.clone();
        let write = move || -> Result<(), String> {
            let txn = db.begin_write().map_err(|e| e.to_string())?;
            {
                let mut table = txn.open_table(TABLE).map_err(|e| e.to_string())?;
                table.insert(KEY, bytes.as_slice()).map_err(|e| e.to_string())?;
            }
            txn.commit().map_err(|e| e.to_string())
        };
        let outcome = tokio::task::spawn_blocking(write).await.map_err(|e| e.to_string()).and_then(|r| r);
        outcome.map_err(|reason| TenantError::Store { path: self.path.display().to_string(), reason })
    }
}
