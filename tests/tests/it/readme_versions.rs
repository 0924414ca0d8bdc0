//! Every version of a workspace crate that a README quotes in a TOML block
//! (`recallr-ext = "0.2"`) is one its `Cargo.toml` satisfies: a user who
//! copies it gets the crate the README describes.

use std::path::{Path, PathBuf};

use xtask::paths::workspace_root;

/// `(name, version)` of every crate under `crates/`.
fn crate_versions(root: &Path) -> Vec<(String, String)> {
    let mut versions = Vec::new();
    for entry in std::fs::read_dir(root.join("crates")).expect("crates/ lists") {
        let manifest = entry.expect("an entry").path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let field = |key: &str| {
            text.lines()
                .skip_while(|line| line.trim() != "[package]")
                .take_while(|line| !line.starts_with('[') || line.trim() == "[package]")
                .find_map(|line| {
                    let (name, value) = line.split_once('=')?;
                    (name.trim() == key).then(|| value.trim().trim_matches('"').to_string())
                })
                .unwrap_or_else(|| panic!("{}: no {key}", manifest.display()))
        };
        versions.push((field("name"), field("version")));
    }
    assert!(versions.len() >= 4, "{versions:?}");
    versions
}

/// The workspace's READMEs: the root one and each crate's.
fn readmes(root: &Path) -> Vec<PathBuf> {
    let mut found = vec![root.join("README.md")];
    for entry in std::fs::read_dir(root.join("crates")).expect("crates/ lists") {
        let readme = entry.expect("an entry").path().join("README.md");
        if readme.is_file() {
            found.push(readme);
        }
    }
    found
}

/// `(line number, crate, requirement)` of every dependency line of a
/// workspace crate inside a ```toml block of `text`.
fn quoted_versions<'a>(
    text: &'a str,
    crates: &[(String, String)],
) -> Vec<(usize, String, &'a str)> {
    let mut quoted = Vec::new();
    let mut in_toml = false;
    for (index, line) in text.lines().enumerate() {
        let trimmed = line.trim();
        if let Some(info) = trimmed.strip_prefix("```") {
            in_toml = !in_toml && info.trim() == "toml";
            continue;
        }
        let Some((name, value)) = trimmed.split_once('=').filter(|_| in_toml) else {
            continue;
        };
        let name = name.trim();
        if !crates.iter().any(|(known, _)| known == name) {
            continue;
        }
        let value = value.trim();
        let requirement = match value.strip_prefix('{') {
            Some(table) => table
                .split(',')
                .find_map(|pair| {
                    let (key, value) = pair.split_once('=')?;
                    (key.trim() == "version").then(|| value.trim().trim_matches(['"', '}', ' ']))
                })
                .unwrap_or(""),
            None => value.trim_matches('"'),
        };
        quoted.push((index + 1, name.to_string(), requirement));
    }
    quoted
}

/// Whether `version` meets the caret requirement `requirement` as a README
/// spells it (`0.2`, `0.2.0`, `^0.2`): the same leading components.
fn satisfies(version: &str, requirement: &str) -> bool {
    let requirement = requirement.trim_start_matches('^');
    let wanted: Vec<&str> = requirement.split('.').collect();
    let have: Vec<&str> = version.split('.').collect();
    // Caret semantics: 0.x pins the minor version, x.y (x > 0) the major.
    let significant = if have.first() == Some(&"0") { 2 } else { 1 };
    !requirement.is_empty()
        && wanted.len() <= have.len()
        && wanted.iter().zip(&have).all(|(want, have)| want == have)
        && wanted.len() >= significant.min(have.len())
}

#[test]
fn readme_versions_match_the_manifests() {
    let root = workspace_root();
    let crates = crate_versions(&root);
    let mut checked = 0;
    let mut wrong = Vec::new();
    for readme in readmes(&root) {
        let text = std::fs::read_to_string(&readme).expect("readable");
        for (line, name, requirement) in quoted_versions(&text, &crates) {
            checked += 1;
            let version = &crates
                .iter()
                .find(|(known, _)| *known == name)
                .expect("a known crate")
                .1;
            if !satisfies(version, requirement) {
                wrong.push(format!(
                    "{}:{line}: `{name} = \"{requirement}\"`, but {name} is at {version}",
                    readme.display()
                ));
            }
        }
    }
    assert!(checked >= 2, "only {checked} quoted versions found");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_version_check_can_fail() {
    assert!(satisfies("0.2.0", "0.2"));
    assert!(satisfies("0.2.3", "0.2.3"));
    assert!(satisfies("1.4.0", "1"));
    assert!(!satisfies("0.2.0", "0.1"));
    assert!(!satisfies("0.2.0", "0"));
    assert!(!satisfies("0.2.0", ""));
    let crates = vec![("recallr-ext".to_string(), "0.2.0".to_string())];
    let text = "```toml\nrecallr-ext = { version = \"0.1\", features = [] }\nother = \"1\"\n```\nrecallr-ext = \"9\"\n";
    assert_eq!(
        quoted_versions(text, &crates),
        vec![(2, "recallr-ext".to_string(), "0.1")]
    );
}
