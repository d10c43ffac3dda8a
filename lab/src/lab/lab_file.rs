//! `.bypass-lab/lab.json`: how later commands find a running lab (its endpoints and
//! credentials), written with owner-only permissions.

use crate::auth::Secrets;
use crate::backend::{Endpoints, SavedBackend};
use crate::topology::Topology;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

pub const DEFAULT_STATE_DIR: &str = ".bypass-lab";
const FILE: &str = "lab.json";
/// The layout of the file: a file of another layout was written by another bypass-lab.
const FORMAT: u32 = 2;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct LabFile {
    /// The layout `FORMAT` when written by this bypass-lab.
    pub format: u32,
    /// The topology as text, so every command sees the plan the lab was started with.
    pub topology: String,
    pub topology_origin: Option<PathBuf>,
    pub secrets: Secrets,
    pub endpoints: Endpoints,
    /// What the backend needs to drive, check and remove the lab from another process.
    pub backend: SavedBackend,
    /// When `up` wrote the file (seconds since 1970): after a crash it tells the user which lab
    /// the data left in the folder belongs to. Absent from files written before it was kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub started: Option<u64>,
}

/// Why a lab file could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum LabFileError {
    /// No lab file: no lab was started here, or it was stopped.
    #[error("{} does not exist", path.display())]
    Missing { path: PathBuf },
    #[error("cannot read {}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{} is not a lab file", path.display())]
    Malformed {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    /// Written by an earlier bypass-lab, whose labs this one cannot drive.
    #[error(
        "{} was written by another version of bypass-lab (format {found}, this one reads {FORMAT}); stop that lab with the bypass-lab that started it, or remove the file",
        path.display()
    )]
    OtherFormat { path: PathBuf, found: String },
    #[error("cannot write {}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write the topology into the lab file")]
    Topology(#[source] toml::ser::Error),
}

impl LabFile {
    /// The lab file of a lab of `topology` whose backend saved `backend`.
    pub fn new(
        topology: &Topology,
        secrets: Secrets,
        endpoints: Endpoints,
        backend: SavedBackend,
    ) -> Result<LabFile, LabFileError> {
        Ok(LabFile {
            format: FORMAT,
            topology: toml::to_string(topology).map_err(LabFileError::Topology)?,
            topology_origin: topology.origin.clone(),
            secrets,
            endpoints,
            backend,
            started: std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).ok().map(|d| d.as_secs()),
        })
    }

    pub fn path(dir: &Path) -> PathBuf {
        dir.join(FILE)
    }

    pub fn write(&self, dir: &Path) -> Result<(), LabFileError> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let path = Self::path(dir);
        let failed = |source| LabFileError::Write { path: path.clone(), source };
        std::fs::create_dir_all(dir).map_err(failed)?;
        let tmp = dir.join(format!("{FILE}.tmp"));
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(&tmp)
            .map_err(failed)?;
        f.write_all(serde_json::to_string_pretty(self).expect("serializable").as_bytes()).map_err(failed)?;
        f.sync_all().map_err(failed)?;
        std::fs::rename(tmp, &path).map_err(failed)
    }

    pub fn read(dir: &Path) -> Result<LabFile, LabFileError> {
        let path = Self::path(dir);
        let text = std::fs::read_to_string(&path).map_err(|source| match source.kind() {
            std::io::ErrorKind::NotFound => LabFileError::Missing { path: path.clone() },
            _ => LabFileError::Unreadable { path: path.clone(), source },
        })?;
        let value: serde_json::Value =
            serde_json::from_str(&text).map_err(|source| LabFileError::Malformed { path: path.clone(), source })?;
        match value.get("format").and_then(serde_json::Value::as_u64) {
            Some(f) if f == u64::from(FORMAT) => {}
            other => {
                let found = other.map_or_else(|| "1".to_string(), |f| f.to_string());
                return Err(LabFileError::OtherFormat { path, found });
            }
        }
        serde_json::from_value(value).map_err(|source| LabFileError::Malformed { path, source })
    }

    pub fn remove(dir: &Path) {
        let _ = std::fs::remove_file(Self::path(dir));
    }

    /// The id of the containers lab this file describes.
    pub fn containers_lab(&self) -> Option<String> {
        self.backend.containers_lab().map(str::to_string)
    }

    /// The lab file of the Compose lab of `topology`: what lets every command drive it.
    pub fn for_compose(topology: &Topology) -> Result<LabFile, super::LabError> {
        let state =
            crate::backend::containers::compose_state(topology).ok_or(crate::backend::BackendError::NoDnsSubnet)?;
        let (secrets, endpoints) = (state.secrets.clone(), state.endpoints.clone());
        Ok(LabFile::new(topology, secrets, endpoints, SavedBackend::Containers(Box::new(state)))?)
    }
}

impl super::Lab {
    /// Records in `<dir>/lab.json` what this process added to the lab (client hosts), keeping
    /// the rest of the file as `up` wrote it.
    pub fn record(&self, dir: &Path) -> Result<(), super::LabError> {
        let mut file =
            LabFile::read(dir).map_err(|source| super::LabError::NoLab { dir: dir.display().to_string(), source })?;
        file.endpoints = (*self.backend.endpoints()).clone();
        file.backend = self.backend.saved();
        Ok(file.write(dir)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    fn embedded_file() -> LabFile {
        let topology = Topology::seed();
        let endpoints = Endpoints {
            tenant: "http://127.0.0.1:1".into(),
            dns: "127.0.0.1:2".parse().unwrap(),
            dns_admin: "http://127.0.0.1:3".into(),
            appliances: BTreeMap::new(),
            clocks: vec!["http://127.0.0.1:4".into()],
            clients: BTreeMap::new(),
            control: Some("http://127.0.0.1:4".into()),
            dns_servers: vec![],
        };
        let dial = BTreeMap::from([("10.10.1.5".parse().unwrap(), "127.0.0.1:5".parse().unwrap())]);
        let saved = SavedBackend::Embedded { dial, pid: 4242 };
        LabFile::new(&topology, Secrets::generate(&topology), endpoints, saved).unwrap()
    }

    #[test]
    fn the_saved_backend_comes_back_as_it_was_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = embedded_file();
        file.write(dir.path()).unwrap();
        let read = LabFile::read(dir.path()).unwrap();
        assert_eq!(read.backend, file.backend);
        assert_eq!(read.endpoints, file.endpoints);
        assert_eq!(read.containers_lab(), None, "an embedded lab has no containers lab id");
    }

    #[test]
    fn a_containers_lab_file_names_its_lab_where_owners_look_for_it() {
        let topology = Topology::seed();
        let state = crate::backend::containers::compose_state(&topology).expect("the seed has a DNS subnet");
        let id = state.lab.clone();
        let (secrets, endpoints) = (state.secrets.clone(), state.endpoints.clone());
        let file = LabFile::new(&topology, secrets, endpoints, SavedBackend::Containers(Box::new(state))).unwrap();
        let written = serde_json::to_value(&file).unwrap();
        let named = written.pointer(crate::backend::containers::LAB_ID_IN_FILE).and_then(|v| v.as_str());
        assert_eq!(named, Some(id.as_str()), "a lab started by `up` is held by its lab file: {written}");
    }

    #[test]
    fn a_file_of_an_earlier_layout_is_refused_saying_so() {
        let dir = tempfile::tempdir().unwrap();
        let mut old = serde_json::to_value(embedded_file()).unwrap();
        let object = old.as_object_mut().unwrap();
        object.remove("format");
        object.insert("backend".into(), "embedded".into());
        std::fs::write(LabFile::path(dir.path()), old.to_string()).unwrap();
        let refused = LabFile::read(dir.path()).unwrap_err();
        assert!(matches!(refused, LabFileError::OtherFormat { ref found, .. } if found == "1"), "{refused:?}");
        assert!(refused.to_string().contains("another version of bypass-lab"), "{refused}");
    }

    #[test]
    fn no_file_and_a_garbled_file_are_told_apart() {
        let dir = tempfile::tempdir().unwrap();
        assert!(matches!(LabFile::read(dir.path()), Err(LabFileError::Missing { .. })));
        std::fs::write(LabFile::path(dir.path()), "{not json").unwrap();
        assert!(matches!(LabFile::read(dir.path()), Err(LabFileError::Malformed { .. })));
    }
}
