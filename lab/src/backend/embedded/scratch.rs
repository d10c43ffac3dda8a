//! Where a lab that keeps nothing puts its roles' data. Every appliance writes a LocalStore and
//! every role a data directory, and a rehearsal starts and removes a lab per scenario: at
//! thousands of appliances, creating and unlinking those files on a disk file system costs more
//! than the scenarios themselves, and none of it outlives the lab. Lab choice: memory-backed
//! `/dev/shm` when the machine has one with room to spare, else the temporary directory.

use std::path::PathBuf;

/// Free space `/dev/shm` must have for a scratch lab to go there: far more than the largest
/// plan's LocalStores, tenant store and journals.
const ROOM: u64 = 1 << 30;

pub(super) fn root() -> PathBuf {
    let shm = PathBuf::from("/dev/shm");
    match rustix::fs::statvfs(&shm) {
        Ok(fs) if fs.f_bavail.saturating_mul(fs.f_frsize) >= ROOM && writable(&shm) => shm,
        _ => std::env::temp_dir(),
    }
}

fn writable(dir: &std::path::Path) -> bool {
    rustix::fs::access(dir, rustix::fs::Access::WRITE_OK).is_ok()
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_scratch_lab_goes_where_it_can_write() {
        let root = super::root();
        let dir = tempfile::Builder::new().prefix("bypass-lab-").tempdir_in(&root).expect("a scratch directory");
        std::fs::write(dir.path().join("probe"), b"x").expect("writable");
    }
}
