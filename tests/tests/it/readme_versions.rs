//! Every version of a workspace crate that a README quotes in a TOML block
//! (`recallr-ext = "0.2"`) is one its `Cargo.toml` satisfies: a user who
//! copies it gets the crate the README describes. `version-sync` does the
//! checking; its macros read the calling crate's name and version (this
//! test crate's), so the test calls its function once per quoted crate.

use std::path::{Path, PathBuf};

use xtask::paths::workspace_root;

/// `(name, version)` of every crate under `crates/`, from its manifest.
fn crate_versions(root: &Path) -> Vec<(String, String)> {
    let mut versions = Vec::new();
    for entry in std::fs::read_dir(root.join("crates")).expect("crates/ lists") {
        let manifest = entry.expect("an entry").path().join("Cargo.toml");
        let Ok(text) = std::fs::read_to_string(&manifest) else {
            continue;
        };
        let value: package_fields::Manifest = package_fields::parse(&text, &manifest);
        versions.push((value.name, value.version));
    }
    assert!(versions.len() >= 4, "{versions:?}");
    versions
}

/// The `[package]` name and version of a manifest, read line by line (the
/// way the test always read them).
mod package_fields {
    use std::path::Path;

    pub struct Manifest {
        pub name: String,
        pub version: String,
    }

    pub fn parse(text: &str, path: &Path) -> Manifest {
        let field = |key: &str| {
            text.lines()
                .skip_while(|line| line.trim() != "[package]")
                .take_while(|line| !line.starts_with('[') || line.trim() == "[package]")
                .find_map(|line| {
                    let (name, value) = line.split_once('=')?;
                    (name.trim() == key).then(|| value.trim().trim_matches('"').to_string())
                })
                .unwrap_or_else(|| panic!("{}: no {key}", path.display()))
        };
        Manifest {
            name: field("name"),
            version: field("version"),
        }
    }
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

/// Checks every README against every crate it quotes in a dependency line;
/// returns how many (README, crate) pairs were checked and the failures.
fn check(root: &Path, crates: &[(String, String)]) -> (usize, Vec<String>) {
    let mut checked = 0;
    let mut wrong = Vec::new();
    for readme in readmes(root) {
        let text = std::fs::read_to_string(&readme).expect("readable");
        for (name, version) in crates {
            if !text
                .lines()
                .any(|line| line.trim_start().starts_with(&format!("{name} =")))
            {
                continue;
            }
            checked += 1;
            let path = readme.to_string_lossy();
            if let Err(err) = version_sync::check_markdown_deps(&path, name, version) {
                wrong.push(format!("{path}: {name} {version}: {err}"));
            }
        }
    }
    (checked, wrong)
}

#[test]
fn readme_versions_match_the_manifests() {
    let root = workspace_root();
    let (checked, wrong) = check(&root, &crate_versions(&root));
    assert!(checked >= 2, "only {checked} quoted versions found");
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_version_check_can_fail() {
    let dir = tempfile::tempdir().expect("a temp dir");
    std::fs::create_dir(dir.path().join("crates")).expect("writable");
    std::fs::write(
        dir.path().join("README.md"),
        "```toml\n[dependencies]\nrecallr-ext = \"0.1\"\n```\n",
    )
    .expect("writable");
    let crates = vec![("recallr-ext".to_string(), "0.2.0".to_string())];
    let (checked, wrong) = check(dir.path(), &crates);
    assert_eq!(checked, 1);
    assert_eq!(wrong.len(), 1, "{wrong:?}");
    let fixed = vec![("recallr-ext".to_string(), "0.1.4".to_string())];
    assert_eq!(check(dir.path(), &fixed), (1, Vec::new()));
}
