//! Text of the upstream document never becomes a doctest: a hostile
//! document with code blocks in every kind of text is imported, and
//! rustdoc finds no test in the generated client's docs, where the same
//! text copied verbatim gives it tests that run.

use std::path::Path;
use std::process::Command;

use proc_macro2::{Delimiter, TokenStream, TokenTree};
use serde_json::{Value, json};

use crate::common::TempWorkspace;

const LIST: &str = "/api/v1/users/{custom_user_id}/sessions";

/// Code blocks rustdoc would run, each writing `marker` when it runs:
/// fenced (backticks, tildes, unlabelled), indented, in a list item and in
/// a quote, and after a bare carriage return.
fn payloads(marker: &Path) -> Vec<String> {
    let run = format!(
        "std::fs::write({:?}, \"ran\").unwrap();",
        marker.display().to_string()
    );
    vec![
        format!("Lists sessions.\n\n```rust\n{run}\n```"),
        format!("Fenced:\n\n~~~\n{run}\n~~~\n"),
        format!("Indented:\n\n    {run}\n"),
        format!("- a list item\n\n      {run}\n"),
        format!("> ```\n> {run}\n> ```"),
        format!("Carriage return.\r\r    {run}"),
        format!("\n\n```\n{run}\n```\nunclosed:\n```"),
    ]
}

fn hostile(document: &mut Value, payloads: &[String]) {
    document["info"]["title"] = json!(format!("RecallrAI API\n\n{}", payloads[0]));
    document["info"]["version"] = json!(format!("0.1.0\n\n{}", payloads[2]));
    let list = &mut document["paths"][LIST]["get"];
    list["description"] = json!(payloads[0]);
    list["summary"] = json!(payloads[6]);
    for parameter in list["parameters"].as_array_mut().expect("parameters") {
        if parameter["name"] == "limit" {
            parameter["description"] = json!(payloads[2]);
        }
    }
    let schemas = &mut document["components"]["schemas"];
    schemas["SessionInfo"]["description"] = json!(payloads[1]);
    schemas["SessionInfo"]["properties"]["session_id"]["description"] = json!(payloads[3]);
    schemas["ProjectUserSessionStatus"]["description"] = json!(payloads[4]);
    schemas["SessionMemory"]["description"] = json!(payloads[5]);
}

/// The doc strings of each item of `tokens` (a parsed file), as string
/// literal tokens, one list per run of attributes.
fn doc_groups(tokens: TokenStream, groups: &mut Vec<Vec<String>>) {
    let mut current: Vec<String> = Vec::new();
    let mut in_attributes = false;
    let trees: Vec<TokenTree> = tokens.into_iter().collect();
    let mut index = 0;
    while index < trees.len() {
        match &trees[index] {
            TokenTree::Punct(punct) if punct.as_char() == '#' => {
                in_attributes = true;
                index += 1;
                continue;
            }
            TokenTree::Punct(punct) if punct.as_char() == '!' && in_attributes => {
                index += 1;
                continue;
            }
            TokenTree::Group(group) if group.delimiter() == Delimiter::Bracket && in_attributes => {
                let inner: Vec<TokenTree> = group.stream().into_iter().collect();
                if let [
                    TokenTree::Ident(ident),
                    TokenTree::Punct(_),
                    TokenTree::Literal(text),
                ] = inner.as_slice()
                    && ident == "doc"
                {
                    current.push(text.to_string());
                }
                index += 1;
                continue;
            }
            TokenTree::Group(group) => {
                doc_groups(group.stream(), groups);
            }
            _ => {}
        }
        in_attributes = false;
        if !current.is_empty() {
            groups.push(std::mem::take(&mut current));
        }
        index += 1;
    }
    if !current.is_empty() {
        groups.push(current);
    }
}

/// Runs `rustdoc --test` on a crate whose items carry `docs`; returns how
/// many of the tests it found ran (passed or failed; `ignore` blocks, such
/// as progenitor's own examples, do not run).
fn rustdoc_tests_run(dir: &Path, docs: &[Vec<String>]) -> usize {
    let mut source = String::new();
    for (index, group) in docs.iter().enumerate() {
        for text in group {
            source.push_str(&format!("#[doc = {text}]\n"));
        }
        source.push_str(&format!("pub struct Item{index};\n"));
    }
    let file = dir.join("docs.rs");
    std::fs::write(&file, source).expect("writable");
    let rustdoc = std::env::var_os("RUSTDOC").unwrap_or_else(|| "rustdoc".into());
    let output = Command::new(rustdoc)
        .args([
            "--test",
            "--edition",
            "2021",
            "--crate-name",
            "document_text",
        ])
        .arg(&file)
        .current_dir(dir)
        .output()
        .expect("rustdoc runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let result = stdout
        .lines()
        .find_map(|line| line.strip_prefix("test result: "))
        .unwrap_or_else(|| {
            panic!(
                "no test result from rustdoc:\n{stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            )
        });
    let count = |what: &str| -> usize {
        result
            .split(';')
            .find_map(|part| {
                part.trim()
                    .trim_start_matches("ok. ")
                    .trim_start_matches("FAILED. ")
                    .strip_suffix(what)
            })
            .and_then(|number| number.trim().parse().ok())
            .unwrap_or_else(|| panic!("no `{what}` in {result}"))
    };
    count(" passed") + count(" failed")
}

#[test]
fn document_text_never_becomes_a_doctest() {
    let workspace = TempWorkspace::new();
    let marker = workspace.dir.path().join("doctest-ran");
    let payloads = payloads(&marker);
    let from = workspace.changed_upstream(|document| hostile(document, &payloads));
    let stdout = workspace.update_ok(&from, &["--no-semver-checks"]);

    // The report lists the changed text, escaped.
    assert!(stdout.contains("document text changed ("), "{stdout}");
    assert!(
        stdout.contains("/info/title: \"RecallrAI API\\n\\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("/components/schemas/SessionMemory/description: \"Carriage return.\\n\\n "),
        "{stdout}"
    );
    assert!(!stdout.contains("\n```rust\n"), "{stdout}");

    let generated = workspace.read(xtask::paths::GENERATED);
    let file = syn::parse_file(&generated).expect("the generated client parses");
    let mut docs = Vec::new();
    doc_groups(quote::ToTokens::to_token_stream(&file), &mut docs);
    assert!(docs.len() > 50, "only {} documented items", docs.len());
    // Every payload reached the docs, disarmed.
    let all_docs: String = docs.iter().flatten().cloned().collect();
    assert!(
        all_docs.contains("doctest-ran"),
        "no payload reached the docs"
    );

    let dir = tempfile::tempdir().expect("a temp dir");
    assert_eq!(
        rustdoc_tests_run(dir.path(), &docs),
        0,
        "rustdoc found doctests in {all_docs}"
    );
    assert!(!marker.exists(), "a doctest ran");

    // The same text copied verbatim, as before: rustdoc runs it.
    let verbatim: Vec<Vec<String>> = payloads
        .iter()
        .map(|payload| vec![format!("{payload:?}")])
        .collect();
    assert!(rustdoc_tests_run(dir.path(), &verbatim) >= payloads.len());
    assert!(marker.exists(), "the verbatim payload did not run");
}

#[test]
fn the_generated_crate_runs_no_doctests() {
    let manifest = std::fs::read_to_string(
        xtask::paths::workspace_root().join("crates/recallr-api/Cargo.toml"),
    )
    .expect("readable");
    let lib = manifest
        .split("\n[")
        .find(|section| section.starts_with("lib]"))
        .expect("a [lib] section");
    assert!(
        lib.lines()
            .any(|line| line.replace(' ', "") == "doctest=false"),
        "{lib}"
    );
}
