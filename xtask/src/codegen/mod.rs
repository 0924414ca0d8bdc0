//! The client generator: an effective spec in, formatted Rust out.
//!
//! progenitor generates from [`progenitor_input`]'s copy of the spec, then
//! every pass of [`PASSES`] edits the syn tree in order, and prettyplease
//! prints it. A pass is a plain function ([`syn_tree::Pass`]); what passes
//! share lives in [`syn_tree`], never in another pass.

pub mod cli_commands;
pub(crate) mod client_builders;
pub mod client_state;
pub mod event_stream;
pub mod ext_surface;
pub mod facts;
pub mod field_names;
pub mod forward_compat;
pub mod open_enum;
pub mod progenitor_input;
pub mod syn_tree;
pub mod timestamps;

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
use sha2::{Digest, Sha256};

use crate::error::XtaskError;
use crate::output::{self, read_if_exists};
use crate::spec::{self, Spec};
use open_enum::OpenEnum;
use syn_tree::{Pass, PassInput};

/// The passes over progenitor's output, in the order they run: each one's
/// name (in errors) and function.
pub const PASSES: &[(&str, Pass)] = &[
    ("open_enum", open_enum::apply),
    ("forward_compat", forward_compat::apply),
    ("timestamps", timestamps::apply),
    ("event_stream", event_stream::apply),
    ("client_state", client_state::apply),
    ("facts", facts::apply),
    ("field_names", field_names::apply),
    ("crate_attributes", crate_attributes),
];

/// Whether the committed generated file matches the spec.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Freshness {
    /// The committed file is exactly what the generator produces.
    Fresh,
    /// The committed file differs; `diff` is a unified diff to the fresh output.
    Stale {
        /// Unified diff from the committed file to the generated one.
        diff: String,
        /// The committed files that differ from what is generated.
        stale: Vec<PathBuf>,
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
        stale: vec![generated_path.to_path_buf()],
    })
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

/// The files generated for the hand-written crates from the spec and the
/// client's text, by workspace-relative path ([`crate::paths::SURFACES`]):
/// recallr-ext's surface. They are written, checked and recovered with the
/// client.
pub fn render_surfaces(
    spec: &Spec,
    client: &str,
) -> Result<Vec<(&'static str, String)>, XtaskError> {
    let failed = |message: String| XtaskError::Generator {
        path: spec.path.clone(),
        message,
    };
    Ok(vec![
        (
            crate::paths::EXT_OPERATIONS,
            ext_surface::render(spec, client).map_err(failed)?,
        ),
        (
            crate::paths::CLI_COMMANDS,
            cli_commands::render(spec, client)?,
        ),
        (crate::paths::STUB_SPEC, spec.text.clone()),
    ])
}

/// Turns a loaded spec into the generated file's text.
pub fn render(spec: &Spec) -> Result<String, XtaskError> {
    let generator_error = |message: String| XtaskError::Generator {
        path: spec.path.clone(),
        message,
    };
    let document = progenitor_input::prepare(&spec.document).map_err(generator_error)?;
    let open_enums = open_enum::find(&document);

    let mut generator = Generator::new(&settings(&open_enums));
    let tokens = run_without_panicking(|| generator.generate_tokens(&document))
        .map_err(generator_error)?
        .map_err(|err| generator_error(err.to_string()))?;

    let mut file: syn::File = syn::parse2(tokens).map_err(|err| XtaskError::Unparsable {
        path: spec.path.clone(),
        message: err.to_string(),
    })?;
    let input = PassInput {
        document: &spec.document,
        prepared: &document,
    };
    for (name, pass) in PASSES {
        pass(&mut file, &input)
            .map_err(|message| generator_error(format!("the `{name}` pass: {message}")))?;
    }

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

/// The pass that gives the crate its docs and keeps rustfmt off it.
fn crate_attributes(file: &mut syn::File, input: &PassInput<'_>) -> Result<(), String> {
    let info = &input.document.info;
    let doc = format!(
        "Generated client for the {} (version {}).\n\nDo not use this crate directly: `recallr-ext` wraps it with configuration, typed errors, retries and pagination.",
        info.title, info.version
    );
    // prettyplease, not rustfmt, lays this file out; `cargo fmt` must not
    // reformat it or `codegen --check` would see a difference.
    let attributes: Vec<syn::Attribute> = syn::parse_quote! {
        #![doc = #doc]
        #![cfg_attr(rustfmt, rustfmt::skip)]
    };
    file.attrs.extend(attributes);
    Ok(())
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
