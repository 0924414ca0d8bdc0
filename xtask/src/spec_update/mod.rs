//! `cargo xtask spec update`: import the vendor's OpenAPI document in one
//! step.
//!
//! [`plan`] does all the work in memory: fetch, keep the supported
//! operations, convert 3.1 to 3.0.3, normalize, generate the client and diff
//! against the current spec. [`apply`] then writes the spec, the provenance
//! record and the generated code, restoring all three if any write fails.
//! Every path is a parameter ([`Targets`]), so tests work in a temp dir.

pub mod downgrade;
pub mod fetch;
pub mod normalize;
pub mod provenance;
pub mod prune;
mod rollback;

use std::path::{Path, PathBuf};
use std::time::Duration;

use openapiv3::OpenAPI;
use serde_json::Value;

use crate::codegen;
use crate::error::XtaskError;
use crate::output;
use crate::paths;
use crate::spec::{self, Spec};
use crate::spec_diff::{self, Change};
use fetch::Source;
use provenance::Provenance;

/// The files `spec update` reads and writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Targets {
    /// The workspace spec (`openapi/recallr.json`): diffed against, then
    /// replaced.
    pub spec: PathBuf,
    /// The provenance record (`openapi/recallr.provenance.json`).
    pub provenance: PathBuf,
    /// The generated client (`crates/recallr-api/src/lib.rs`).
    pub generated: PathBuf,
}

impl Targets {
    /// The workspace's own files.
    pub fn workspace() -> Self {
        Targets {
            spec: paths::spec(),
            provenance: paths::provenance(),
            generated: paths::generated(),
        }
    }
}

/// What to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// A file path, or an `http://`/`https://` URL.
    pub from: String,
    /// The operationIds to keep; `None` keeps those the current spec has.
    pub keep: Option<Vec<String>>,
    /// How long a download may take.
    pub timeout: Duration,
}

/// Everything `spec update` would write, and the report, computed in memory.
#[derive(Debug, Clone)]
pub struct Plan {
    /// What the new spec changes for a client, against the current spec.
    pub changes: Vec<Change>,
    /// The operationIds kept.
    pub operations: Vec<String>,
    /// The new spec's text.
    pub spec_text: String,
    /// The provenance record's text.
    pub provenance_text: String,
    /// The generated client's text, as `cargo xtask codegen` writes it.
    pub generated_text: String,
}

/// Imports `options.from` and prepares every file, writing nothing.
pub fn plan(options: &Options, targets: &Targets) -> Result<Plan, XtaskError> {
    let source = Source::parse(&options.from)?;
    let label = source.to_string();
    let import_error = |message: String| XtaskError::Import {
        document: label.clone(),
        message,
    };

    let current = load_current(&targets.spec)?;
    let keep = operations_to_keep(options, current.as_ref(), &targets.spec)?;

    let fetched = fetch::fetch(&source, options.timeout)?;
    let text = std::str::from_utf8(&fetched.bytes)
        .map_err(|err| import_error(format!("not UTF-8 text: {err}")))?;
    let mut document: Value = serde_json::from_str(text).map_err(|err| XtaskError::Import {
        document: format!("{label}:{}:{}", err.line(), err.column()),
        message: format!("invalid JSON: {}", spec::message_without_position(&err)),
    })?;
    let version = openapi_version(&document).map_err(import_error)?;

    prune::prune(&mut document, &keep).map_err(import_error)?;
    if version.starts_with("3.1.") {
        downgrade::downgrade(&mut document).map_err(|message| {
            import_error(format!("cannot convert to OpenAPI 3.0.3: {message}"))
        })?;
    }
    let spec_text = normalize::to_text(&document)
        .map_err(|err| import_error(format!("cannot write the converted document: {err}")))?;

    // The converted spec goes through the same parser and generator as the
    // committed one, so a document progenitor cannot use is refused here.
    let converted =
        |err: XtaskError| import_error(format!("the converted document is unusable: {err}"));
    let new_spec = Spec {
        path: targets.spec.clone(),
        document: spec::parse(&targets.spec, &spec_text).map_err(converted)?,
        text: spec_text.clone(),
    };
    let generated_text = codegen::render(&new_spec).map_err(converted)?;

    let old_spec = current.unwrap_or_else(|| Spec {
        path: targets.spec.clone(),
        text: String::new(),
        document: OpenAPI::default(),
    });
    let changes = spec_diff::diff(&old_spec, &new_spec)?;

    let provenance_text = Provenance {
        source: label.clone(),
        fetched_at: fetched.fetched_at,
        sha256: provenance::sha256_hex(&fetched.bytes),
        upstream_openapi: version,
        operations: keep.clone(),
    }
    .to_text()
    .map_err(|err| import_error(format!("cannot write the provenance record: {err}")))?;

    Ok(Plan {
        changes,
        operations: keep,
        spec_text,
        provenance_text,
        generated_text,
    })
}

/// Writes the planned spec and provenance record, then regenerates the
/// client with [`codegen::write`]. If any step fails, all three files get
/// their previous contents back.
pub fn apply(plan: &Plan, targets: &Targets) -> Result<(), XtaskError> {
    let files = [
        targets.spec.as_path(),
        targets.provenance.as_path(),
        targets.generated.as_path(),
    ];
    rollback::write_or_restore(&files, || {
        output::write_atomically(&targets.spec, &plan.spec_text)?;
        output::write_atomically(&targets.provenance, &plan.provenance_text)?;
        codegen::write(&targets.spec, &targets.generated)?;
        // One code path: what codegen wrote must be what was planned.
        let written =
            std::fs::read_to_string(&targets.generated).map_err(|source| XtaskError::Read {
                path: targets.generated.clone(),
                source,
            })?;
        if written != plan.generated_text {
            return Err(XtaskError::Generator {
                path: targets.spec.clone(),
                message: "regenerating from the written spec gave other code than planned"
                    .to_string(),
            });
        }
        Ok(())
    })
}

/// The current workspace spec, or `None` when there is none yet.
fn load_current(path: &Path) -> Result<Option<Spec>, XtaskError> {
    match spec::load(path) {
        Ok(spec) => Ok(Some(spec)),
        Err(XtaskError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

fn operations_to_keep(
    options: &Options,
    current: Option<&Spec>,
    spec_path: &Path,
) -> Result<Vec<String>, XtaskError> {
    let requested: Vec<String> = match (&options.keep, current) {
        (Some(keep), _) => keep.clone(),
        (None, Some(current)) => current
            .document
            .operations()
            .filter_map(|(_, _, operation)| operation.operation_id.clone())
            .collect(),
        (None, None) => {
            return Err(XtaskError::Import {
                document: spec_path.display().to_string(),
                message: "does not exist, so it cannot say which operations to keep; pass --keep"
                    .to_string(),
            });
        }
    };
    let mut keep: Vec<String> = Vec::new();
    for id in requested {
        let id = id.trim().to_string();
        if !id.is_empty() && !keep.contains(&id) {
            keep.push(id);
        }
    }
    if keep.is_empty() {
        return Err(XtaskError::Import {
            document: spec_path.display().to_string(),
            message: "no operations to keep: pass --keep with at least one operationId".to_string(),
        });
    }
    Ok(keep)
}

/// The declared version, if this command can import it (3.0 or 3.1).
fn openapi_version(document: &Value) -> Result<String, String> {
    match spec::declared_version(document)? {
        version if version.starts_with("3.0.") || version.starts_with("3.1.") => {
            Ok(version.to_string())
        }
        version => Err(format!(
            "OpenAPI {version} is not supported: give an OpenAPI 3.0 or 3.1 document"
        )),
    }
}
