//! Where things live in the workspace.

use std::path::{Path, PathBuf};

/// The vendor's whole document as fetched, relative to the workspace root.
pub const UPSTREAM: &str = "openapi/upstream.json";

/// Where the upstream document came from and which operations the client
/// keeps, relative to the workspace root.
pub const PROVENANCE: &str = "openapi/upstream.provenance.json";

/// The project's local choices, an OpenAPI Overlay, relative to the root.
pub const OVERLAY: &str = "openapi/overlay.yaml";

/// The effective spec, derived from the three files above.
pub const SPEC: &str = "openapi/recallr.json";

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

/// The committed effective spec, as an absolute path.
pub fn spec() -> PathBuf {
    workspace_root().join(SPEC)
}

/// The committed generated file, as an absolute path.
pub fn generated() -> PathBuf {
    workspace_root().join(GENERATED)
}

/// The files of one workspace (the real one, or a copy in tests).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Workspace {
    /// The workspace root.
    pub root: PathBuf,
}

impl Workspace {
    /// The workspace this xtask belongs to.
    pub fn current() -> Workspace {
        Workspace {
            root: workspace_root(),
        }
    }

    /// A workspace rooted at `root`.
    pub fn at(root: impl Into<PathBuf>) -> Workspace {
        Workspace { root: root.into() }
    }

    /// `openapi/upstream.json`.
    pub fn upstream(&self) -> PathBuf {
        self.root.join(UPSTREAM)
    }

    /// `openapi/upstream.provenance.json`.
    pub fn provenance(&self) -> PathBuf {
        self.root.join(PROVENANCE)
    }

    /// `openapi/overlay.yaml`.
    pub fn overlay(&self) -> PathBuf {
        self.root.join(OVERLAY)
    }

    /// `openapi/recallr.json`.
    pub fn spec(&self) -> PathBuf {
        self.root.join(SPEC)
    }

    /// `crates/recallr-api/src/lib.rs`.
    pub fn generated(&self) -> PathBuf {
        self.root.join(GENERATED)
    }

    /// `openapi/`, where a multi-file write keeps its journal.
    pub fn openapi_dir(&self) -> PathBuf {
        self.root.join("openapi")
    }

    /// Every file a derivation writes or may write, for recovery.
    pub fn written_files(&self) -> Vec<PathBuf> {
        vec![
            self.upstream(),
            self.provenance(),
            self.spec(),
            self.generated(),
            self.root.join(crate::cli_commands::CLI_COMMANDS),
        ]
    }
}
