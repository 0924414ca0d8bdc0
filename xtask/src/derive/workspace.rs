//! The workspace commands: `cargo xtask codegen` writes the effective spec
//! and the client derived from the layers, `codegen --check` (and the drift
//! test) compares them with the committed files, and `recover` repairs what
//! an interrupted write left.

use std::path::{Path, PathBuf};

use super::pipeline;
use crate::codegen::{Freshness, Written};
use crate::error::XtaskError;
use crate::output::{self, read_if_exists};
use crate::paths::{self, Workspace};
use crate::transaction::{self, FileSet, Recovery};

/// Derives `openapi/recallr.json` from the layers and regenerates the
/// client, writing both (together, see [`transaction`]) unless they already
/// hold exactly that. First repairs what an interrupted write left. Also
/// returns what the derivation mended in the upstream document (warnings).
pub fn write_workspace(
    workspace: &Workspace,
) -> Result<(Recovery, Written, Vec<String>), XtaskError> {
    let recovery = recover(workspace)?;
    let derived = pipeline::derive(workspace)?;
    let mut same = true;
    for (path, text) in derived.files(workspace) {
        same &= read_if_exists(&path)?.as_deref() == Some(text);
    }
    if same {
        return Ok((recovery, Written::Unchanged, derived.warnings.clone()));
    }
    let mut files = FileSet::new(&workspace.openapi_dir());
    for (path, text) in derived.files(workspace) {
        files.add(&path, text.to_string());
    }
    files.commit()?;
    Ok((recovery, Written::Updated, derived.warnings.clone()))
}

/// Derives the spec and the client in memory and compares both with the
/// committed files.
pub fn check_workspace(workspace: &Workspace) -> Result<Freshness, XtaskError> {
    let derived = pipeline::derive(workspace)?;
    let mut diff = String::new();
    let mut stale = Vec::new();
    for (path, fresh) in derived.files(workspace) {
        let committed = read_if_exists(&path)?.unwrap_or_default();
        if committed != fresh {
            diff.push_str(&output::unified_diff(
                &path.display().to_string(),
                &committed,
                fresh,
            ));
            stale.push(path);
        }
    }
    Ok(if diff.is_empty() {
        Freshness::Fresh
    } else {
        Freshness::Stale { diff, stale }
    })
}

/// What to tell someone whose `stale` files (of [`check_workspace`]) no
/// longer match the layers they derive from.
pub fn stale_message(workspace: &Workspace, stale: &[PathBuf]) -> String {
    let named: Vec<String> = stale
        .iter()
        .map(|path| {
            path.strip_prefix(&workspace.root)
                .unwrap_or(path)
                .display()
                .to_string()
        })
        .collect();
    format!(
        "{} {} stale: {} no longer derive{} from {}, {} and {}; run `cargo xtask codegen` to update",
        named.join(" and "),
        if named.len() == 1 { "is" } else { "are" },
        if named.len() == 1 { "it" } else { "they" },
        if named.len() == 1 { "s" } else { "" },
        paths::UPSTREAM,
        paths::PROVENANCE,
        paths::OVERLAY,
    )
}

/// Repairs what an interrupted write of the workspace's files left behind.
pub fn recover(workspace: &Workspace) -> Result<Recovery, XtaskError> {
    let files = workspace.written_files();
    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    transaction::recover(&workspace.openapi_dir(), &files)
}
