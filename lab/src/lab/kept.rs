//! States kept during a scenario and put back in later ones (docs/design/backends.md, "Kept
//! states"): a state many scenarios open with is reached once per lab, not once per scenario.

use super::{Lab, LabError};
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// What the driver remembered with each kept state, by label.
pub(super) type Memos = Mutex<BTreeMap<String, Arc<dyn Any + Send + Sync>>>;

impl Lab {
    /// Keeps the lab as it stands now under `label`, with `memo`: what the caller must remember
    /// of how the lab got there (a runbook's transcript), since only the lab is put back. The
    /// tenant, the appliances and lab time are kept; DNS servers and client hosts are put back
    /// as the plan starts them, so keep a state only where they are still as the last start or
    /// reset left them. False (nothing kept) where the backend keeps no states (containers), or
    /// a fault has acted on the lab.
    pub async fn keep<M: Any + Send + Sync>(&self, label: &str, memo: M) -> Result<bool, LabError> {
        if !self.reusable() || !self.backend.keep(label).await? {
            return Ok(false);
        }
        self.kept.lock().unwrap().insert(label.to_string(), Arc::new(memo));
        Ok(true)
    }

    /// Puts the lab back as it was kept under `label`, ready as [`Lab::reset`] leaves it, and
    /// returns the memo kept with it. None, the lab untouched, when nothing of this memo's type
    /// is kept under `label`.
    pub async fn put_back<M: Any + Clone>(&self, label: &str) -> Result<Option<M>, LabError> {
        if let Some(fault) = self.fault.lock().unwrap().clone() {
            return Err(LabError::NotReusable { why: fault });
        }
        let memo = self.kept.lock().unwrap().get(label).and_then(|m| m.downcast_ref::<M>().cloned());
        let Some(memo) = memo else { return Ok(None) };
        if !self.backend.put_back(label).await? {
            return Ok(None);
        }
        self.wait_ready().await?;
        Ok(Some(memo))
    }
}
