//! The one derivation of the effective spec and the client:
//! `recallr.json = downgrade(trim(apply(overlay, upstream)))`, then
//! progenitor. `codegen`, `codegen --check`, the drift test and
//! `spec update` all come through here.

use std::path::PathBuf;

use serde_json::Value;

use super::overlay::Overlay;
use super::provenance::Provenance;
use super::select::{self, OperationKey};
use super::{bounds, doc_text, downgrade, normalize, prune, structure, trust};
use crate::codegen;
use crate::error::XtaskError;
use crate::paths::Workspace;
use crate::spec::{self, Spec};

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
    /// The files generated for the hand-written crates, by
    /// workspace-relative path (see [`codegen::render_surfaces`]).
    pub surfaces: Vec<(&'static str, String)>,
    /// What the derivation mended in the upstream document, one line each.
    pub warnings: Vec<String>,
}

/// Derives the spec and the client from the workspace's committed layers.
pub fn derive(workspace: &Workspace) -> Result<Derived, XtaskError> {
    let upstream_path = workspace.upstream();
    let text = crate::bounded_read::read_to_string(&upstream_path, MAX_UPSTREAM_BYTES)?;
    let upstream = parse_upstream(&upstream_path.display().to_string(), &text)?;
    let provenance_path = workspace.provenance();
    let keep = Provenance::load(&provenance_path)?.kept_operations(&provenance_path, &upstream)?;
    let overlay = Overlay::load(&workspace.overlay())?;
    derive_from(
        workspace,
        &upstream_path.display().to_string(),
        &upstream,
        &keep,
        &overlay,
    )
}

/// Derives the spec and the client from the given layers. `upstream_label`
/// names the upstream document in errors (its file, or the URL it was
/// fetched from).
pub fn derive_from(
    workspace: &Workspace,
    upstream_label: &str,
    upstream: &Value,
    keep: &[OperationKey],
    overlay: &Overlay,
) -> Result<Derived, XtaskError> {
    let spec_path = workspace.spec();
    let Effective { text, warnings } = effective(upstream_label, upstream, keep, overlay)?;
    let spec = Spec {
        document: spec::parse(&spec_path, &text)?,
        path: spec_path,
        text,
    };
    let generated = codegen::render(&spec)?;
    let surfaces = codegen::render_surfaces(&spec, &generated)?;
    Ok(Derived {
        spec,
        generated,
        surfaces,
        warnings,
    })
}

/// The effective spec's text, and what the derivation mended on the way.
#[derive(Debug, Clone)]
pub struct Effective {
    /// The effective spec, as text in the workspace's style.
    pub text: String,
    /// One line per mistake of the upstream document that was mended
    /// (see [`downgrade::examples_arrays`]), naming its pointer.
    pub warnings: Vec<String>,
}

/// `downgrade(trim(apply(overlay, upstream)))`. The overlay applies to the
/// whole document, so every action is checked against all the vendor
/// publishes and an action for an operation that `keep` leaves out is no
/// error; the kept part alone is checked before it. Each stage's output is
/// checked, and an error names the stage: the upstream document (checked
/// as OpenAPI 3.1, with a JSON pointer into it), the overlay action that
/// broke the document, or the 3.1→3.0.3 conversion.
pub fn effective(
    upstream_label: &str,
    upstream: &Value,
    keep: &[OperationKey],
    overlay: &Overlay,
) -> Result<Effective, XtaskError> {
    let failed = |message: String| XtaskError::Import {
        document: upstream_label.to_string(),
        message,
    };
    let version = openapi_version(upstream).map_err(failed)?;
    let is_3_1 = version.starts_with("3.1.");
    // The recorded operations must still exist: matched by method and path.
    let requested: Vec<String> = keep.iter().map(ToString::to_string).collect();
    let keep = select::resolve(upstream, &requested).map_err(failed)?;

    let mut trimmed = upstream.clone();
    prune::prune(&mut trimmed, &keep).map_err(failed)?;
    // Before anything costly: the generator's memory grows with the size.
    bounds::check_size(&trimmed).map_err(failed)?;
    trust::refuse_private_extensions(&trimmed).map_err(failed)?;
    // What is kept of the upstream document must be a valid document of its
    // version: checked (after conversion, for 3.1) before the overlay, so
    // its errors point into the upstream document.
    let as_3_0 = |document: &Value| -> Result<Converted, String> {
        let mut converted = document.clone();
        let warnings = if is_3_1 {
            downgrade::downgrade(&mut converted)
                .map_err(|message| format!("cannot convert to OpenAPI 3.0.3: {message}"))?
        } else {
            Vec::new()
        };
        Ok((converted, warnings))
    };
    // Its mended mistakes are reported here, where pointers still point
    // into the upstream document (trimming moves nothing).
    let (checked, mut warnings) = as_3_0(&trimmed).map_err(failed)?;
    warnings.extend(trust::lookalike_names(&trimmed));
    structure::check(&checked).map_err(|(pointer, message)| {
        failed(format!(
            "`{pointer}`: {message} (checked as OpenAPI {version})"
        ))
    })?;
    bounds::check(&checked).map_err(failed)?;

    let mut document = upstream.clone();
    overlay.apply(&mut document)?;
    prune::prune(&mut document, &keep).map_err(failed)?;
    let (mut document, _) = as_3_0(&document).map_err(|message| XtaskError::Overlay {
        path: overlay.path().to_path_buf(),
        message: format!("after the overlay, {message}"),
    })?;
    if let Err((pointer, message)) = structure::check(&document) {
        return Err(blame(
            upstream_label,
            upstream,
            &keep,
            overlay,
            &as_3_0,
            &pointer,
            &message,
        ));
    }
    bounds::check(&document).map_err(|message| XtaskError::Overlay {
        path: overlay.path().to_path_buf(),
        message: format!("after the overlay, {message}"),
    })?;
    // Last, so that no stage can bring back text rustdoc would run.
    doc_text::neutralise(&mut document);
    let text = normalize::to_text(&document)
        .map_err(|err| failed(format!("cannot write the effective spec: {err}")))?;
    Ok(Effective { text, warnings })
}

/// A document converted to OpenAPI 3.0, with the conversion's warnings.
type Converted = (Value, Vec<String>);

/// The error for a derived document that fails the structural check
/// although the upstream one passed: the first overlay action after which
/// it fails, or else the 3.1→3.0.3 conversion.
fn blame(
    upstream_label: &str,
    upstream: &Value,
    keep: &[OperationKey],
    overlay: &Overlay,
    as_3_0: &dyn Fn(&Value) -> Result<Converted, String>,
    pointer: &str,
    message: &str,
) -> XtaskError {
    for count in 1..=overlay.len() {
        let mut document = upstream.clone();
        let broken = match overlay.apply_first(&mut document, count).and_then(|()| {
            prune::prune(&mut document, keep).map_err(|message| XtaskError::Import {
                document: upstream_label.to_string(),
                message,
            })
        }) {
            Err(_) => true,
            Ok(()) => as_3_0(&document)
                .map(|(converted, _)| structure::check(&converted).is_err())
                .unwrap_or(true),
        };
        if broken {
            return XtaskError::Overlay {
                path: overlay.path().to_path_buf(),
                message: format!(
                    "{} leaves the document invalid (as OpenAPI 3.0, after the overlay) at `{pointer}`: {message}",
                    overlay.action_name(count - 1)
                ),
            };
        }
    }
    XtaskError::Import {
        document: upstream_label.to_string(),
        message: format!("the conversion to OpenAPI 3.0.3 left `{pointer}` invalid: {message}"),
    }
}

impl Derived {
    /// Every file of the derivation with its text: the spec, the client and
    /// the surfaces, as `workspace` places them.
    pub fn files(&self, workspace: &Workspace) -> Vec<(PathBuf, &str)> {
        let mut files = vec![
            (workspace.spec(), self.spec.text.as_str()),
            (workspace.generated(), self.generated.as_str()),
        ];
        files.extend(
            self.surfaces
                .iter()
                .map(|(path, text)| (workspace.root.join(path), text.as_str())),
        );
        files
    }
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
