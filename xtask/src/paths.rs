//! Where things live in the workspace.

use std::path::{Path, PathBuf};

use crate::bounded_read;
use crate::error::XtaskError;

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

/// `recallr-ext`'s generated surface, relative to the workspace root.
pub const EXT_OPERATIONS: &str = "crates/recallr-ext/src/generated/operations.rs";

/// The `recallr` command's table and its one `send`
/// (`codegen::cli_commands`).
pub const CLI_COMMANDS: &str = "crates/recallr-cli/src/commands.rs";

/// The stub's copy of the effective spec, which it embeds (a crate packaged
/// alone cannot reach `openapi/`): byte for byte `openapi/recallr.json`.
pub const STUB_SPEC: &str = "crates/recallr-stub/spec/recallr.json";

/// The files generated for the hand-written crates from the spec and the
/// client (see `codegen::render_surfaces`), relative to the workspace root:
/// written, checked and recovered with the client.
pub const SURFACES: &[&str] = &[EXT_OPERATIONS, CLI_COMMANDS, STUB_SPEC];

/// The most bytes of a `Cargo.toml` read while looking for the workspace.
const MAX_MANIFEST_BYTES: u64 = 1024 * 1024;

/// The workspace to work on, found at run time (never where xtask was
/// compiled: one build serves every checkout that shares a target
/// directory). The search starts at `CARGO_MANIFEST_DIR` when cargo set it
/// for this process (`cargo xtask`, `cargo test`), else at the current
/// directory, and walks up to the first `Cargo.toml` with a `[workspace]`
/// table beside an `openapi/` directory.
pub fn find_workspace_root() -> Result<PathBuf, XtaskError> {
    let start = match std::env::var_os("CARGO_MANIFEST_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir),
        _ => std::env::current_dir().map_err(|source| XtaskError::Read {
            path: PathBuf::from("."),
            source,
        })?,
    };
    workspace_root_above(&start)
}

/// The first directory from `start` up that is a recallr-rs workspace root.
pub fn workspace_root_above(start: &Path) -> Result<PathBuf, XtaskError> {
    for dir in start.ancestors() {
        let manifest = dir.join("Cargo.toml");
        if !manifest.is_file() || !dir.join("openapi").is_dir() {
            continue;
        }
        let text = bounded_read::read_to_string(&manifest, MAX_MANIFEST_BYTES)?;
        if text.lines().any(|line| line.trim() == "[workspace]") {
            return Ok(dir.to_path_buf());
        }
    }
    Err(XtaskError::NoWorkspace {
        start: start.to_path_buf(),
    })
}

/// [`find_workspace_root`], or the directory the search started from when
/// there is none (so that what is then not found is named in its own
/// error). For tests and defaults; the binary reports the failure itself.
pub fn workspace_root() -> PathBuf {
    find_workspace_root().unwrap_or_else(|err| match err {
        XtaskError::NoWorkspace { start } => start,
        _ => PathBuf::from("."),
    })
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

    /// `crates/recallr-ext/src/generated/operations.rs`.
    pub fn ext_operations(&self) -> PathBuf {
        self.root.join(EXT_OPERATIONS)
    }

    /// The derived files `codegen` writes and `codegen --check` compares:
    /// the effective spec, the client and every surface, in that order.
    pub fn derived_files(&self) -> Vec<PathBuf> {
        let mut files = vec![self.spec(), self.generated()];
        files.extend(SURFACES.iter().map(|surface| self.root.join(surface)));
        files
    }

    /// Every file a derivation writes or may write, for recovery.
    pub fn written_files(&self) -> Vec<PathBuf> {
        let mut files = vec![
            self.upstream(),
            self.provenance(),
            self.spec(),
            self.generated(),
        ];
        files.extend(SURFACES.iter().map(|surface| self.root.join(surface)));
        files
    }
}
