//! `cargo xtask codegen`: spec in, formatted Rust out.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use sha2::{Digest, Sha256};

use crate::cli_commands;
use crate::client_state;
use crate::error::XtaskError;
use crate::facts;
use crate::forward_compat;
use crate::open_enum::{self, OpenEnum};
use crate::output;
use crate::paths::Workspace;
use crate::pipeline;
use crate::progenitor_input;
use crate::spec::{self, Spec};
use crate::timestamps;
use crate::transaction::{self, FileSet, Recovery};

/// Whether the committed generated file matches the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// The committed file is exactly what the generator produces.
    Fresh,
    /// The committed file differs; `diff` is a unified diff to the fresh output.
    Stale {
        /// Unified diff from the committed file to the generated one.
        diff: String,
    },
}

/// What `write` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Written {
    /// The file already held the generated code and was left alone.
    Unchanged,
    /// The file was (re)written.
    Updated,
}

/// Generates the full text of the client crate's source from the spec file.
pub fn generate(spec_path: &Path) -> Result<String, XtaskError> {
    render(&spec::load(spec_path)?)
}

/// Generates the client source and writes it to `generated_path`, unless it
/// already holds exactly that text. Nothing is written when generation fails.
pub fn write(spec_path: &Path, generated_path: &Path) -> Result<Written, XtaskError> {
    let generated = generate(spec_path)?;
    if read_if_exists(generated_path)?.as_deref() == Some(generated.as_str()) {
        return Ok(Written::Unchanged);
    }
    output::write_atomically(generated_path, &generated)?;
    Ok(Written::Updated)
}

/// Generates in memory and compares with the committed file.
pub fn check(spec_path: &Path, generated_path: &Path) -> Result<Freshness, XtaskError> {
    let generated = generate(spec_path)?;
    let committed = read_if_exists(generated_path)?.unwrap_or_default();
    if committed == generated {
        return Ok(Freshness::Fresh);
    }
    let label = generated_path.display().to_string();
    Ok(Freshness::Stale {
        diff: output::unified_diff(&label, &committed, &generated),
    })
}

/// Derives `openapi/recallr.json` from the layers and regenerates the
/// client, writing both (together, see [`transaction`]) unless they already
/// hold exactly that. First repairs what an interrupted write left.
pub fn write_workspace(workspace: &Workspace) -> Result<(Recovery, Written), XtaskError> {
    let recovery = recover(workspace)?;
    let derived = pipeline::derive(workspace)?;
    let spec_path = workspace.spec();
    let generated_path = workspace.generated();
    let spec_same = read_if_exists(&spec_path)?.as_deref() == Some(derived.spec.text.as_str());
    let generated_same =
        read_if_exists(&generated_path)?.as_deref() == Some(derived.generated.as_str());
    // The CLI's command table is derived from the same spec.
    let commands_path = workspace.root.join(cli_commands::CLI_COMMANDS);
    let commands = cli_commands::render(&derived.spec)?;
    let commands_same = read_if_exists(&commands_path)?.as_deref() == Some(commands.as_str());
    if spec_same && generated_same && commands_same {
        return Ok((recovery, Written::Unchanged));
    }
    let mut files = FileSet::new(&workspace.openapi_dir());
    files.add(&spec_path, derived.spec.text);
    files.add(&generated_path, derived.generated);
    files.add(&commands_path, commands);
    files.commit()?;
    Ok((recovery, Written::Updated))
}

/// Derives the spec and the client in memory and compares both with the
/// committed files.
pub fn check_workspace(workspace: &Workspace) -> Result<Freshness, XtaskError> {
    let derived = pipeline::derive(workspace)?;
    let commands = cli_commands::render(&derived.spec)?;
    let mut diff = String::new();
    for (path, fresh) in [
        (workspace.spec(), &derived.spec.text),
        (workspace.generated(), &derived.generated),
        (workspace.root.join(cli_commands::CLI_COMMANDS), &commands),
    ] {
        let committed = read_if_exists(&path)?.unwrap_or_default();
        if &committed != fresh {
            diff.push_str(&output::unified_diff(
                &path.display().to_string(),
                &committed,
                fresh,
            ));
        }
    }
    Ok(if diff.is_empty() {
        Freshness::Fresh
    } else {
        Freshness::Stale { diff }
    })
}

/// Repairs what an interrupted write of the workspace's files left behind.
pub fn recover(workspace: &Workspace) -> Result<Recovery, XtaskError> {
    let files = workspace.written_files();
    let files: Vec<&Path> = files.iter().map(PathBuf::as_path).collect();
    transaction::recover(&workspace.openapi_dir(), &files)
}

/// The file's text, or `None` when it does not exist.
pub(crate) fn read_if_exists(path: &Path) -> Result<Option<String>, XtaskError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(XtaskError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// The generator settings: every choice about the generated code is here.
fn settings(open_enums: &[OpenEnum]) -> GenerationSettings {
    let mut settings = GenerationSettings::new();
    settings
        .with_interface(InterfaceStyle::Builder)
        .with_tag(TagStyle::Merged)
        // As oxide.rs does: callers (and our tests) can get the JSON Schema
        // of every request and response type.
        .with_derive("schemars::JsonSchema")
        // Per-client headers (credentials, user agent) live in the generated
        // client and are added to every request by the pre-hook, so they are
        // set once and work with any caller-supplied `reqwest::Client`.
        .with_inner_type(client_state::inner_type())
        .with_pre_hook(client_state::pre_hook());
    for open_enum in open_enums {
        settings.with_replacement(
            &open_enum.name,
            open_enum.replacement_path(),
            [TypeImpl::FromStr, TypeImpl::Display].into_iter(),
        );
    }
    settings
}

/// Turns a loaded spec into the generated file's text.
pub fn render(spec: &Spec) -> Result<String, XtaskError> {
    let generator_error = |message: String| XtaskError::Generator {
        path: spec.path.clone(),
        message,
    };
    let document = progenitor_input::prepare(&spec.document);
    let open_enums = open_enum::find(&document);

    let mut generator = Generator::new(&settings(&open_enums));
    let tokens = run_without_panicking(|| generator.generate_tokens(&document))
        .map_err(generator_error)?
        .map_err(|err| generator_error(err.to_string()))?;

    let mut file: syn::File = syn::parse2(tokens).map_err(|err| XtaskError::Unparsable {
        path: spec.path.clone(),
        message: err.to_string(),
    })?;
    let tokens = open_enum::all_tokens(&open_enums).map_err(generator_error)?;
    let parsed: syn::File = syn::parse2(tokens).map_err(|err| XtaskError::Unparsable {
        path: spec.path.clone(),
        message: err.to_string(),
    })?;
    add_to_types_module(&mut file, parsed.items).map_err(generator_error)?;
    forward_compat::apply(&mut file).map_err(generator_error)?;
    timestamps::apply(&mut file).map_err(generator_error)?;
    // The client's shared state and the body-capping hook replace
    // progenitor's empty hooks impl.
    let before = file.items.len();
    file.items
        .retain(|item| !client_state::is_default_hooks_impl(item));
    if file.items.len() + 1 != before {
        return Err(generator_error(
            "progenitor's output has no single empty `impl ClientHooks` to replace".to_string(),
        ));
    }
    let state: syn::File =
        syn::parse2(client_state::items()).map_err(|err| XtaskError::Unparsable {
            path: spec.path.clone(),
            message: err.to_string(),
        })?;
    file.items.extend(state.items);
    // Facts come from the committed spec's own document: it keeps the error
    // responses progenitor is not given, and every bound and default.
    let facts: syn::File =
        syn::parse2(facts::tokens(&spec.document)).map_err(|err| XtaskError::Unparsable {
            path: spec.path.clone(),
            message: err.to_string(),
        })?;
    file.items.extend(facts.items);
    file.attrs.extend(crate_attributes(spec));

    Ok(format!("{}{}", header(spec), prettyplease::unparse(&file)))
}

std::thread_local! {
    /// Set while this thread runs the generator, whose panics are reported
    /// as errors rather than printed.
    static GENERATING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// progenitor and typify `assert!`, `unwrap` and `todo!` on documents they do
/// not support. A panic there is a property of the input, so it is reported
/// as a generator error naming the spec instead of a crash.
fn run_without_panicking<T>(generate: impl FnOnce() -> T) -> Result<T, String> {
    // One process-wide hook, installed once, that stays quiet only on a
    // thread inside the generator: swapping hooks per call would race with
    // other threads (tests run in parallel) and could hide their panics.
    static QUIET_HOOK: std::sync::Once = std::sync::Once::new();
    QUIET_HOOK.call_once(|| {
        let previous_hook = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !GENERATING.with(std::cell::Cell::get) {
                previous_hook(info);
            }
        }));
    });
    GENERATING.with(|flag| flag.set(true));
    let result = catch_unwind(AssertUnwindSafe(generate));
    GENERATING.with(|flag| flag.set(false));
    result.map_err(|payload| {
        let reason = payload
            .downcast_ref::<&str>()
            .map(|text| text.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown reason".to_string());
        format!("progenitor failed on an unsupported construct ({reason})")
    })
}

fn add_to_types_module(file: &mut syn::File, items: Vec<syn::Item>) -> Result<(), String> {
    if !items.is_empty() {
        types_module(file)?.1.extend(items);
    }
    Ok(())
}

/// The attributes and items of progenitor's `types` module in `file`, which
/// the syn passes edit.
pub(crate) fn types_module(
    file: &mut syn::File,
) -> Result<(&mut Vec<syn::Attribute>, &mut Vec<syn::Item>), String> {
    file.items
        .iter_mut()
        .find_map(|item| match item {
            syn::Item::Mod(syn::ItemMod {
                ident,
                attrs,
                content: Some((_, items)),
                ..
            }) if ident == "types" => Some((attrs, items)),
            _ => None,
        })
        .ok_or_else(|| "progenitor's output has no `types` module with a body".to_string())
}

fn crate_attributes(spec: &Spec) -> Vec<syn::Attribute> {
    let info = &spec.document.info;
    let doc = format!(
        "Generated client for the {} (version {}).\n\nDo not use this crate directly: `recallr-ext` wraps it with configuration, typed errors, retries and pagination.",
        info.title, info.version
    );
    // prettyplease, not rustfmt, lays this file out; `cargo fmt` must not
    // reformat it or `codegen --check` would see a difference.
    syn::parse_quote! {
        #![doc = #doc]
        #![cfg_attr(rustfmt, rustfmt::skip)]
    }
}

fn header(spec: &Spec) -> String {
    let file_name = spec
        .path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let digest = Sha256::digest(spec.text.as_bytes());
    let hex: String = digest.iter().map(|byte| format!("{byte:02x}")).collect();
    format!(
        "// @generated by cargo xtask codegen from openapi/{file_name} — do not edit\n// spec sha256: {hex}\n\n"
    )
}
