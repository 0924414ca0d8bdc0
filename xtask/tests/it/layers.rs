//! xtask's modules are layers: each imports only the ones below it, and no
//! codegen pass imports another (what they share is in `syn_tree`).

use std::path::{Path, PathBuf};

/// Top-level modules, lowest first. A module may import those before it.
const LAYERS: &[&[&str]] = &[
    &[
        "error",
        "bounded_read",
        "json_pointer",
        "output",
        "paths",
        "spec",
        "transaction",
    ],
    &["spec_diff", "codegen"],
    &["derive"],
    &["spec_update"],
];

/// The codegen passes, which import `syn_tree` but never each other.
const PASSES: &[&str] = &[
    "open_enum",
    "forward_compat",
    "timestamps",
    "client_state",
    "facts",
];

fn source_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

fn rust_files(dir: &Path, into: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("listable") {
        let path = entry.expect("an entry").path();
        if path.is_dir() {
            rust_files(&path, into);
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            into.push(path);
        }
    }
}

/// The top-level module a file of `src/` belongs to.
fn top_module(file: &Path) -> String {
    let relative = file.strip_prefix(source_dir()).expect("under src");
    let first = relative
        .components()
        .next()
        .expect("a component")
        .as_os_str()
        .to_string_lossy()
        .into_owned();
    first.trim_end_matches(".rs").to_string()
}

fn layer(module: &str) -> Option<usize> {
    LAYERS.iter().position(|layer| layer.contains(&module))
}

/// The top-level modules `text` names as `crate::NAME`.
fn crate_imports(text: &str) -> Vec<String> {
    text.match_indices("crate::")
        .filter(|(at, _)| !text[..*at].ends_with('$'))
        .map(|(at, _)| {
            text[at + "crate::".len()..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect()
        })
        .collect()
}

#[test]
fn no_module_imports_one_above_it() {
    let mut files = Vec::new();
    rust_files(&source_dir(), &mut files);
    let mut upward = Vec::new();
    for file in &files {
        let module = top_module(file);
        let Some(own) = layer(&module) else {
            continue; // lib.rs and main.rs sit above every layer
        };
        let text = std::fs::read_to_string(file).expect("readable");
        for imported in crate_imports(&text) {
            if let Some(theirs) = layer(&imported)
                && theirs > own
            {
                upward.push(format!("{} imports crate::{imported}", file.display()));
            }
        }
    }
    assert!(files.len() > 30, "found only {} source files", files.len());
    assert!(upward.is_empty(), "{upward:#?}");
}

#[test]
fn every_top_level_module_has_a_layer() {
    let lib = std::fs::read_to_string(source_dir().join("lib.rs")).expect("readable");
    let modules: Vec<&str> = lib
        .lines()
        .filter_map(|line| line.strip_prefix("pub mod "))
        .map(|name| name.trim_end_matches(';'))
        .collect();
    assert!(!modules.is_empty());
    for module in modules {
        assert!(layer(module).is_some(), "`{module}` has no layer in LAYERS");
    }
}

#[test]
fn no_codegen_pass_imports_another() {
    let dir = source_dir().join("codegen");
    for pass in PASSES {
        let text = std::fs::read_to_string(dir.join(format!("{pass}.rs"))).expect("a pass file");
        for other in PASSES.iter().filter(|other| *other != pass) {
            for spelling in [format!("super::{other}"), format!("codegen::{other}")] {
                assert!(
                    !text.contains(&spelling),
                    "the `{pass}` pass imports `{other}`: share it through syn_tree"
                );
            }
        }
    }
}
