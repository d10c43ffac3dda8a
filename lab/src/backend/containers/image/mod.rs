//! The lab image: `FROM scratch` around one static `bypass-lab`, built locally (there is no
//! registry to pull from, and no base image is needed by a binary that runs in an empty root).

#[cfg(feature = "containers")]
mod binary;

#[cfg(feature = "containers")]
pub use binary::{hash, is_static, static_binary, StaticBinaryError, STATIC_BINARY_ENV};

#[cfg(feature = "containers")]
use {
    crate::backend::BackendError, bollard::query_parameters::BuildImageOptions, futures::StreamExt,
    std::collections::HashMap,
};

/// The image's name; the tag is the crate version.
pub const IMAGE_NAME: &str = "bypass-lab";
/// Label holding the binary's hash: an image whose hash differs from the binary is stale.
pub const HASH_LABEL: &str = "bypass-lab.binary-hash";

#[cfg(feature = "containers")]
const DOCKERFILE: &str = "FROM scratch\nCOPY bypass-lab /bypass-lab\nENTRYPOINT [\"/bypass-lab\"]\n";

/// `bypass-lab:<crate version>`.
pub fn image_ref() -> String {
    format!("{IMAGE_NAME}:{}", env!("CARGO_PKG_VERSION"))
}

/// What the engine knows of an existing image.
#[cfg(feature = "containers")]
#[derive(Debug, Clone, PartialEq)]
pub struct ImageFacts {
    pub size_bytes: u64,
    pub binary_hash: Option<String>,
}

/// The image as the engine has it, if it has it.
#[cfg(feature = "containers")]
pub async fn inspect(image: &str) -> Result<Option<ImageFacts>, BackendError> {
    let docker = crate::backend::containers::connect().await?;
    match docker.inspect_image(image).await {
        Ok(i) => Ok(Some(ImageFacts {
            size_bytes: i.size.unwrap_or(0).max(0) as u64,
            binary_hash: i.config.and_then(|c| c.labels).and_then(|l| l.get(HASH_LABEL).cloned()),
        })),
        Err(bollard::errors::Error::DockerResponseServerError { status_code: 404, .. }) => Ok(None),
        Err(source) => Err(BackendError::Docker { action: format!("cannot inspect image {image}"), source }),
    }
}

/// Builds `bypass-lab:<version>` unless the engine already has it for the same binary. Once per
/// process: every lab a rehearsal starts afterwards uses the image checked the first time,
/// without asking cargo again.
#[cfg(feature = "containers")]
pub async fn build_image(progress: &(dyn Fn(&str) + Send + Sync)) -> Result<String, BackendError> {
    static BUILT: tokio::sync::OnceCell<String> = tokio::sync::OnceCell::const_new();
    BUILT.get_or_try_init(|| build_or_reuse(progress)).await.cloned()
}

/// [`build_image`] without the once-per-process shortcut: looks at the binary and the engine
/// every time.
#[cfg(feature = "containers")]
pub async fn build_or_reuse(progress: &(dyn Fn(&str) + Send + Sync)) -> Result<String, BackendError> {
    let image = image_ref();
    let binary = static_binary(progress).await?;
    let bytes = std::fs::read(&binary)?;
    let digest = hash(&bytes);
    if let Some(facts) = inspect(&image).await? {
        if facts.binary_hash.as_deref() == Some(digest.as_str()) {
            progress(&format!("image {image} is up to date ({:.1} MB)", facts.size_bytes as f64 / 1e6));
            return Ok(image);
        }
        progress(&format!("image {image} is stale: rebuilding"));
    }
    let docker = crate::backend::containers::connect().await?;
    let context = build_context(&bytes)?;
    let options = BuildImageOptions {
        dockerfile: "Dockerfile".into(),
        t: Some(image.clone()),
        rm: true,
        forcerm: true,
        labels: Some(HashMap::from([(HASH_LABEL.to_string(), digest)])),
        ..Default::default()
    };
    let mut stream = docker.build_image(options, None, Some(bollard::body_full(context.into())));
    while let Some(step) = stream.next().await {
        let step =
            step.map_err(|source| BackendError::Docker { action: format!("cannot build image {image}"), source })?;
        if let Some(message) = step.error_detail.and_then(|d| d.message) {
            return Err(BackendError::ImageBuild { image, message });
        }
        for line in step.stream.iter().flat_map(|s| s.lines()).filter(|l| !l.trim().is_empty()) {
            progress(line.trim());
        }
    }
    let facts = inspect(&image).await?.ok_or_else(|| BackendError::ImageNotListed { image: image.clone() })?;
    progress(&format!("image {image} built ({:.1} MB)", facts.size_bytes as f64 / 1e6));
    Ok(image)
}

/// The build context: the Dockerfile and the binary.
#[cfg(feature = "containers")]
fn build_context(binary: &[u8]) -> Result<Vec<u8>, BackendError> {
    let mut archive = tar::Builder::new(Vec::new());
    for (name, data, mode) in [("Dockerfile", DOCKERFILE.as_bytes(), 0o644), ("bypass-lab", binary, 0o755)] {
        let mut header = tar::Header::new_gnu();
        header.set_size(data.len() as u64);
        header.set_mode(mode);
        header.set_cksum();
        archive.append_data(&mut header, name, data)?;
    }
    Ok(archive.into_inner()?)
}
