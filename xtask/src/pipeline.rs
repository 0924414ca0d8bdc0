//! The one derivation of the effective spec and the client:
//! `recallr.json = downgrade(apply(overlay, trim(upstream)))`, then
//! progenitor. `codegen`, `codegen --check`, the drift test and
//! `spec update` all come through here.

use std::path::Path;

use serde_json::Value;

use crate::codegen;
use crate::error::XtaskError;
use crate::overlay::Overlay;
use crate::paths::Workspace;
use crate::spec::{self, Spec};
use crate::spec_update::provenance::Provenance;
use crate::spec_update::select::{self, OperationKey};
use crate::spec_update::{downgrade, normalize, prune};

/// Upstream documents larger than this are refused: the vendor's whole API
/// is about 100 KiB.
pub const MAX_UPSTREAM_BYTES: u64 = 32 * 1024 * 1024;

/// The effective spec and the client generated from it.
#[derive(Debug, Clone)]
pub struct Derived {
    /// The effective spec (`openapi/recallr.json`), parsed, with its text.
    pub spec: Spec,
    /// The generated client's text.
    pub generated: String,
    /// `recallr-ext`'s generated surface (`ext_surface`).
    pub ext_operations: String,
}

/// Derives the spec and the client from the workspace's committed layers.
pub fn derive(workspace: &Workspace) -> Result<Derived, XtaskError> {
    let upstream_path = workspace.upstream();
    let text = crate::bounded_read::read_to_string(&upstream_path, MAX_UPSTREAM_BYTES)?;
    let upstream = parse_upstream(&upstream_path.display().to_string(), &text)?;
    let provenance_path = workspace.provenance();
    let keep = Provenance::load(&provenance_path)?.kept_operations(&provenance_path, &upstream)?;
    let overlay = Overlay::load(&workspace.overlay())?;
    derive_from(workspace, &upstream, &keep, &overlay)
}

/// Derives the spec and the client from the given layers.
pub fn derive_from(
    workspace: &Workspace,
    upstream: &Value,
    keep: &[OperationKey],
    overlay: &Overlay,
) -> Result<Derived, XtaskError> {
    let spec_path = workspace.spec();
    let text = effective_text(&workspace.upstream(), upstream, keep, overlay)?;
    let spec = Spec {
        document: spec::parse(&spec_path, &text)?,
        path: spec_path,
        text,
    };
    let generated = codegen::render(&spec)?;
    let ext_operations =
        crate::ext_surface::render(&spec, &generated).map_err(|message| XtaskError::Generator {
            path: spec.path.clone(),
            message,
        })?;
    Ok(Derived {
        spec,
        generated,
        ext_operations,
    })
}

/// `downgrade(apply(overlay, trim(upstream)))`, as text in the workspace's
/// style. `upstream_path` names the document in errors.
pub fn effective_text(
    upstream_path: &Path,
    upstream: &Value,
    keep: &[OperationKey],
    overlay: &Overlay,
) -> Result<String, XtaskError> {
    let failed = |message: String| XtaskError::Import {
        document: upstream_path.display().to_string(),
        message,
    };
    let version = openapi_version(upstream).map_err(failed)?;
    // The recorded operations must still exist: matched by method and path.
    let requested: Vec<String> = keep.iter().map(ToString::to_string).collect();
    let keep = select::resolve(upstream, &requested).map_err(failed)?;

    let mut document = upstream.clone();
    prune::prune(&mut document, &keep).map_err(failed)?;
    overlay.apply(&mut document)?;
    if version.starts_with("3.1.") {
        downgrade::downgrade(&mut document)
            .map_err(|message| failed(format!("cannot convert to OpenAPI 3.0.3: {message}")))?;
    }
    normalize::to_text(&document)
        .map_err(|err| failed(format!("cannot write the effective spec: {err}")))
}

/// Parses the upstream document's text (named `label` in errors).
pub fn parse_upstream(label: &str, text: &str) -> Result<Value, XtaskError> {
    let document: Value = serde_json::from_str(text).map_err(|err| XtaskError::Import {
        document: format!("{label}:{}:{}", err.line(), err.column()),
        message: format!("invalid JSON: {}", spec::message_without_position(&err)),
    })?;
    openapi_version(&document).map_err(|message| XtaskError::Import {
        document: label.to_string(),
        message,
    })?;
    Ok(document)
}

/// The upstream document as the workspace stores it: the content untouched,
/// formatted as 2-space indented JSON with a trailing newline.
pub fn upstream_text(upstream: &Value) -> Result<String, serde_json::Error> {
    let mut text = serde_json::to_string_pretty(upstream)?;
    text.push('\n');
    Ok(text)
}

/// The declared version, if it can be imported (3.0 or 3.1).
pub fn openapi_version(document: &Value) -> Result<String, String> {
    match spec::declared_version(document)? {
        version if version.starts_with("3.0.") || version.starts_with("3.1.") => {
            Ok(version.to_string())
        }
        version => Err(format!(
            "OpenAPI {version} is not supported: give an OpenAPI 3.0 or 3.1 document"
        )),
    }
}
