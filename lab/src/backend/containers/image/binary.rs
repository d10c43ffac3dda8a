//! The statically linked `bypass-lab` binary the image is made of.

use std::path::{Path, PathBuf};
use tokio::io::AsyncBufReadExt;

/// The target triple of the static build.
pub const TARGET: &str = "x86_64-unknown-linux-gnu";
/// The cargo profile of the static build (release, stripped).
pub const PROFILE: &str = "image";

/// Names a static `bypass-lab` to put in the image instead of looking for one: for hosts that
/// build it once (CI, an offline machine) and for runs that must not rebuild it.
pub const STATIC_BINARY_ENV: &str = "BYPASS_LAB_STATIC_BINARY";

/// Why no static binary is at hand for the image.
#[derive(Debug, thiserror::Error)]
pub enum StaticBinaryError {
    #[error("{STATIC_BINARY_ENV}={}", path.display())]
    Unreadable {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{STATIC_BINARY_ENV}={} is not statically linked (it has an ELF interpreter)", path.display())]
    Dynamic { path: PathBuf },
    #[error(
        "this bypass-lab is not statically linked and its source tree ({}) is gone: run a static bypass-lab to build the image",
        workspace.display()
    )]
    NoSource { workspace: PathBuf },
    #[error("cannot run cargo to build a static bypass-lab")]
    Cargo(#[source] std::io::Error),
    #[error("the static build failed ({status}):\n{tail}")]
    BuildFailed { status: std::process::ExitStatus, tail: String },
    #[error("{} was expected to be static but has an ELF interpreter", path.display())]
    NotStatic { path: PathBuf },
    #[error("the static build")]
    Io(#[from] std::io::Error),
}

/// A static binary to put in the image: the one [`STATIC_BINARY_ENV`] names, else this
/// executable when it is one, else a static `bypass-lab` built beside it (a test run built with
/// `crt-static`: the test harness lives in `deps/`, the binary one folder up), else a fresh
/// static build of the source tree this library was compiled from.
pub async fn static_binary(progress: &(dyn Fn(&str) + Send + Sync)) -> Result<PathBuf, StaticBinaryError> {
    if let Some(named) = std::env::var_os(STATIC_BINARY_ENV).filter(|v| !v.is_empty()).map(PathBuf::from) {
        let elf =
            std::fs::read(&named).map_err(|source| StaticBinaryError::Unreadable { path: named.clone(), source })?;
        if !is_static(&elf) {
            return Err(StaticBinaryError::Dynamic { path: named });
        }
        progress(&format!("using the statically linked {} ({STATIC_BINARY_ENV})", named.display()));
        return Ok(named);
    }
    if let Ok(exe) = std::env::current_exe() {
        let beside = exe.parent().map(|dir| [dir.join("bypass-lab"), dir.join("../bypass-lab")]);
        let candidates = std::iter::once(exe.clone()).chain(beside.into_iter().flatten());
        for candidate in candidates {
            let named_right = candidate.file_name().is_some_and(|n| n.to_string_lossy().starts_with("bypass-lab"));
            if named_right && std::fs::read(&candidate).is_ok_and(|elf| is_static(&elf)) {
                progress(&format!("using the statically linked {}", candidate.display()));
                return Ok(candidate);
            }
        }
    }
    build_static(progress).await
}

/// True when the ELF file has no program interpreter (PT_INTERP): it runs in an empty root.
pub fn is_static(elf: &[u8]) -> bool {
    const PT_INTERP: u32 = 3;
    if elf.len() < 64 || &elf[..4] != b"\x7fELF" || elf[4] != 2 {
        return false;
    }
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let phoff = u64::from_le_bytes(elf[0x20..0x28].try_into().unwrap()) as usize;
    let (size, count) = (u16_at(0x36), u16_at(0x38));
    (0..count).all(|i| {
        let at = phoff + i * size;
        elf.get(at..at + 4).map(|t| u32::from_le_bytes(t.try_into().unwrap()) != PT_INTERP).unwrap_or(false)
    })
}

/// `cargo build --profile image --target x86_64-unknown-linux-gnu` with a static C runtime,
/// into its own target directory so it never invalidates the ordinary builds. Without the
/// `rehearsal` feature: roles never run the features, so the image carries no cucumber.
async fn build_static(progress: &(dyn Fn(&str) + Send + Sync)) -> Result<PathBuf, StaticBinaryError> {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let workspace = crate_dir.parent().unwrap_or(crate_dir);
    if !workspace.join("Cargo.toml").exists() {
        return Err(StaticBinaryError::NoSource { workspace: workspace.to_path_buf() });
    }
    let target_dir = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.join("target"))
        .join("image");
    progress(&format!("building a static bypass-lab into {} (minutes the first time)", target_dir.display()));
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut child = tokio::process::Command::new(cargo)
        .args(["build", "--profile", PROFILE, "--target", TARGET, "-p", "bypass-lab", "--bin", "bypass-lab"])
        .arg("--no-default-features")
        .current_dir(workspace)
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .env_remove("CARGO_ENCODED_RUSTFLAGS")
        .env("CARGO_TARGET_DIR", &target_dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        // A start abandoned at its deadline must not leave a build running.
        .kill_on_drop(true)
        .spawn()
        .map_err(StaticBinaryError::Cargo)?;
    let mut lines = tokio::io::BufReader::new(child.stderr.take().expect("piped stderr")).lines();
    let mut tail = Vec::new();
    while let Some(line) = lines.next_line().await? {
        progress(line.trim());
        tail.push(line);
        if tail.len() > 20 {
            tail.remove(0);
        }
    }
    let status = child.wait().await?;
    if !status.success() {
        return Err(StaticBinaryError::BuildFailed { status, tail: tail.join("\n") });
    }
    let binary = target_dir.join(TARGET).join(PROFILE).join("bypass-lab");
    if !is_static(&std::fs::read(&binary)?) {
        return Err(StaticBinaryError::NotStatic { path: binary });
    }
    Ok(binary)
}

/// FNV-1a over the binary: the image's label, compared to tell a stale image.
pub fn hash(bytes: &[u8]) -> String {
    format!("{:016x}", crate::fnv::fnv1a(bytes.iter().copied()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tells_static_executables_from_dynamic_ones() {
        let exe = std::fs::read(std::env::current_exe().unwrap()).unwrap();
        assert_eq!(is_static(&exe), cfg!(target_feature = "crt-static"), "this test harness's own linking");
        assert!(!is_static(b"not an elf file at all, just text padding it out to length 64+....."));
    }

    #[test]
    fn hash_tells_binaries_apart() {
        assert_eq!(hash(b""), "cbf29ce484222325");
        assert_ne!(hash(b"a"), hash(b"b"));
    }
}
