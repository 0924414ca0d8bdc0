//! `cargo xtask spec update`: take in the vendor's OpenAPI document in one
//! step.
//!
//! [`plan`] does all the work in memory: fetch, choose the operations
//! (matched by method and path), derive the effective spec through the same
//! [`pipeline`] as `codegen` (trim, overlay, 3.1 to 3.0.3), generate the
//! client, and diff the old effective spec against the new one, so only real
//! upstream changes show. [`apply`] writes the set of files all or nothing
//! ([`crate::transaction`]); when nothing changed, nothing is written.

pub mod downgrade;
pub mod fetch;
pub mod normalize;
pub mod provenance;
pub mod prune;
pub mod release;
pub mod select;
pub mod semver;
pub mod summary;

use std::path::Path;
use std::time::Duration;

use openapiv3::OpenAPI;
use serde_json::Value;

use crate::error::XtaskError;
use crate::overlay::Overlay;
use crate::paths::Workspace;
use crate::pipeline;
use crate::spec::{self, Spec};
use crate::spec_diff::{self, Change};
use crate::transaction::FileSet;
use fetch::Source;
use provenance::Provenance;
use select::OperationKey;

/// What to import.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Options {
    /// A file path, or an `http://`/`https://` URL.
    pub from: String,
    /// `--keep`: operationIds of the upstream document, `METHOD /path`, or
    /// `all`; `None` keeps the operations the effective spec has now.
    pub keep: Option<Vec<String>>,
    /// How long a download may take.
    pub timeout: Duration,
}

/// Everything `spec update` would write, and the report, computed in memory.
#[derive(Debug, Clone)]
pub struct Plan {
    /// `--from`, with any credentials removed.
    pub source: String,
    /// What the new effective spec changes for a client, against the
    /// current one.
    pub changes: Vec<Change>,
    /// The operations kept.
    pub operations: Vec<OperationKey>,
    /// Whether the upstream document, the kept operations, the effective
    /// spec and the client are all as committed: then nothing is written.
    pub unchanged: bool,
    /// The upstream document's text, as stored.
    pub upstream_text: String,
    /// The provenance record's text.
    pub provenance_text: String,
    /// The new effective spec.
    pub spec: Spec,
    /// The effective spec before the update (empty if there was none).
    pub previous_spec: Spec,
    /// The generated client's text, as `cargo xtask codegen` writes it.
    pub generated_text: String,
    /// The generated client before the update, if there was one.
    pub previous_generated: Option<String>,
    /// The CLI's command table, derived from the new spec.
    pub cli_commands_text: String,
}

/// Imports `options.from` and prepares every file, writing nothing.
pub fn plan(options: &Options, workspace: &Workspace) -> Result<Plan, XtaskError> {
    let source = Source::parse(&options.from)?;
    let label = source.to_string();
    let current = load_current(&workspace.spec())?;

    let fetched = fetch::fetch(&source, options.timeout)?;
    let text = std::str::from_utf8(&fetched.bytes).map_err(|err| XtaskError::Import {
        document: label.clone(),
        message: format!("not UTF-8 text: {err}"),
    })?;
    let upstream = pipeline::parse_upstream(&label, text)?;
    let version = pipeline::openapi_version(&upstream).map_err(|message| XtaskError::Import {
        document: label.clone(),
        message,
    })?;

    let previous_provenance = Provenance::load(&workspace.provenance()).ok();
    let requested = match (&options.keep, &previous_provenance, &current) {
        (Some(keep), _, _) => keep.clone(),
        // The recorded rule, so an operation the vendor added is adopted.
        (None, Some(previous), _) => previous.keep.clone(),
        (None, None, Some(current)) => current_operations(current),
        (None, None, None) => {
            return Err(XtaskError::Import {
                document: workspace.spec().display().to_string(),
                message: "does not exist, so it cannot say which operations to keep; pass --keep"
                    .to_string(),
            });
        }
    };
    let operations =
        select::resolve(&upstream, &requested).map_err(|message| XtaskError::Import {
            document: label.clone(),
            message,
        })?;

    let overlay = Overlay::load(&workspace.overlay())?;
    let derived = pipeline::derive_from(workspace, &upstream, &operations, &overlay)?;

    let previous_spec = current.unwrap_or_else(|| Spec {
        path: workspace.spec(),
        text: String::new(),
        document: OpenAPI::default(),
    });
    let changes = spec_diff::diff(&previous_spec, &derived.spec)?;

    let previous_upstream = crate::codegen::read_if_exists(&workspace.upstream())?
        .and_then(|text| serde_json::from_str::<Value>(&text).ok());
    let excluded = previous_provenance
        .as_ref()
        .map(|previous| previous.reasons_for(&requested))
        .unwrap_or_default();
    let previous_generated = crate::codegen::read_if_exists(&workspace.generated())?;
    let cli_commands_text = crate::cli_commands::render(&derived.spec)?;
    let cli_commands_same =
        crate::codegen::read_if_exists(&workspace.root.join(crate::cli_commands::CLI_COMMANDS))?
            .as_deref()
            == Some(cli_commands_text.as_str());
    let unchanged = cli_commands_same
        && previous_upstream.as_ref() == Some(&upstream)
        && previous_provenance.as_ref().map(|previous| &previous.keep) == Some(&requested)
        && previous_spec.text == derived.spec.text
        && previous_generated.as_deref() == Some(derived.generated.as_str());

    let provenance_text = Provenance {
        source: label.clone(),
        fetched_at: fetched.fetched_at,
        sha256: provenance::sha256_hex(&fetched.bytes),
        upstream_openapi: version,
        keep: requested,
        excluded,
    }
    .to_text()
    .map_err(|err| XtaskError::Import {
        document: label.clone(),
        message: format!("cannot write the provenance record: {err}"),
    })?;
    let upstream_text = pipeline::upstream_text(&upstream).map_err(|err| XtaskError::Import {
        document: label.clone(),
        message: format!("cannot write the document: {err}"),
    })?;

    Ok(Plan {
        source: label,
        changes,
        operations,
        unchanged,
        upstream_text,
        provenance_text,
        spec: derived.spec,
        previous_spec,
        generated_text: derived.generated,
        previous_generated,
        cli_commands_text,
    })
}

/// Writes the upstream document, its provenance, the effective spec and the
/// client as one set (see [`crate::transaction`]), plus `extra` files (the
/// version bumps and changelog of a release). Writes nothing for an
/// unchanged plan.
pub fn apply(
    plan: &Plan,
    workspace: &Workspace,
    extra: &[(std::path::PathBuf, String)],
) -> Result<Vec<std::path::PathBuf>, XtaskError> {
    if plan.unchanged {
        return Ok(Vec::new());
    }
    let mut files = FileSet::new(&workspace.openapi_dir());
    let mut written = Vec::new();
    for (path, text) in [
        (workspace.upstream(), &plan.upstream_text),
        (workspace.provenance(), &plan.provenance_text),
        (workspace.spec(), &plan.spec.text),
        (workspace.generated(), &plan.generated_text),
        (
            workspace.root.join(crate::cli_commands::CLI_COMMANDS),
            &plan.cli_commands_text,
        ),
    ]
    .into_iter()
    .chain(extra.iter().map(|(path, text)| (path.clone(), text)))
    {
        files.add(&path, text.clone());
        written.push(path);
    }
    files.commit()?;
    Ok(written)
}

/// The current effective spec, or `None` when there is none yet.
fn load_current(path: &Path) -> Result<Option<Spec>, XtaskError> {
    match spec::load(path) {
        Ok(spec) => Ok(Some(spec)),
        Err(XtaskError::Read { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
            Ok(None)
        }
        Err(err) => Err(err),
    }
}

/// `METHOD /path` of every operation of the current effective spec.
fn current_operations(current: &Spec) -> Vec<String> {
    current
        .document
        .paths
        .paths
        .iter()
        .flat_map(|(path, item)| {
            let methods: Vec<&str> = match item.as_item() {
                Some(item) => item.iter().map(|(method, _)| method).collect(),
                None => Vec::new(),
            };
            methods
                .into_iter()
                .map(move |method| format!("{} {path}", method.to_ascii_uppercase()))
        })
        .collect()
}
