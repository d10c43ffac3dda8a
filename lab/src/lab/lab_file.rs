//! `.bypass-lab/lab.json`: how later commands find a running lab (its endpoints and
//! credentials), written with owner-only permissions.

use crate::auth::Secrets;
use crate::backend::{BackendKind, Endpoints};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};

pub const DEFAULT_STATE_DIR: &str = ".bypass-lab";
const FILE: &str = "lab.json";

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabFile {
    pub backend: BackendKind,
    /// The topology as text, so every command sees the plan the lab was started with.
    pub topology: String,
    pub topology_origin: Option<PathBuf>,
    pub secrets: Secrets,
    pub endpoints: Endpoints,
    /// Embedded: topology address → loopback listener.
    #[serde(default)]
    pub dial: BTreeMap<IpAddr, SocketAddr>,
    /// The process serving an embedded lab.
    pub pid: Option<u32>,
    /// What the containers backend needs to re-attach.
    #[serde(default)]
    pub containers: Option<serde_json::Value>,
}

impl LabFile {
    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    pub fn write(&self, dir: &Path) -> std::io::Result<()> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join(format!("{FILE}.tmp"));
        let mut f = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&tmp)?;
        f.write_all(serde_json::to_string_pretty(self).expect("serializable").as_bytes())?;
        f.sync_all()?;
        std::fs::rename(tmp, Self::path(dir))
    }

    pub fn read(dir: &Path) -> Result<LabFile, String> {
        let path = Self::path(dir);
        let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
    }

    pub fn remove(dir: &Path) {
        let _ = std::fs::remove_file(Self::path(dir));
    }
}

impl LabFile {
    /// The id of the containers lab this file describes.
    pub fn containers_lab(&self) -> Option<String> {
        self.containers.as_ref()?.get("lab")?.as_str().map(str::to_string)
    }
}

impl super::Lab {
    /// Records in `<dir>/lab.json` what this process added to the lab (client hosts), keeping
    /// the rest of the file as `up` wrote it.
    pub fn record(&self, dir: &Path) -> Result<(), super::LabError> {
        let mut file =
            LabFile::read(dir).map_err(|reason| super::LabError::NoLab { dir: dir.display().to_string(), reason })?;
        file.endpoints = self.backend.endpoints();
        if let Some(saved) = self.backend.saved_state() {
            file.containers = Some(saved);
        }
        file.write(dir)
            .map_err(|e| super::LabError::Invalid(format!("cannot write {}: {e}", LabFile::path(dir).display())))
    }
}

impl LabFile {
    /// The lab file of the Compose lab of `topology`: what lets every command drive it.
    pub fn for_compose(topology: &crate::topology::Topology) -> Result<LabFile, super::LabError> {
        let state = crate::backend::containers::compose_state(topology)
            .ok_or_else(|| super::LabError::Invalid("the topology has no subnet for the DNS server".into()))?;
        Ok(LabFile {
            backend: BackendKind::Containers,
            topology: toml::to_string(topology).map_err(|e| super::LabError::Invalid(e.to_string()))?,
            topology_origin: topology.origin.clone(),
            secrets: state.secrets.clone(),
            endpoints: state.endpoints.clone(),
            dial: BTreeMap::new(),
            pid: None,
            containers: Some(serde_json::to_value(&state).map_err(|e| super::LabError::Invalid(e.to_string()))?),
        })
    }
}
