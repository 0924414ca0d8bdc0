//! Where things live in the workspace.

use std::path::{Path, PathBuf};

/// The spec the client is generated from, relative to the workspace root.
pub const SPEC: &str = "openapi/recallr.json";

/// Where the spec came from (`cargo xtask spec update`), relative to the
/// workspace root.
pub const PROVENANCE: &str = "openapi/recallr.provenance.json";

/// The generated source file, relative to the workspace root.
pub const GENERATED: &str = "crates/recallr-api/src/lib.rs";

/// The workspace root: the parent of the `xtask` crate.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| manifest_dir.to_path_buf())
}

/// The committed spec, as an absolute path.
pub fn spec() -> PathBuf {
    workspace_root().join(SPEC)
}

/// The committed generated file, as an absolute path.
pub fn generated() -> PathBuf {
    workspace_root().join(GENERATED)
}

/// The spec's provenance record, as an absolute path.
pub fn provenance() -> PathBuf {
    workspace_root().join(PROVENANCE)
}
