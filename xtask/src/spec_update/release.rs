//! The release an update makes: version bumps by Cargo's semver rules, in
//! each crate's manifest, the root manifest's `[workspace.dependencies]` and
//! `Cargo.lock`, and a `CHANGELOG.md` entry in a user's words. Everything is
//! computed as file texts; [`super::apply`] writes them with the update's
//! other files, all or nothing.

use std::path::PathBuf;

use crate::bounded_read;
use crate::error::XtaskError;
use crate::output;
use crate::paths::Workspace;
use crate::spec_diff::{Change, Class};

use super::semver::{Judgement, Level};

/// Manifests, lock file and changelog are small; anything bigger is not one.
const READ_LIMIT: u64 = 8 * 1024 * 1024;

/// The changelog, at the workspace root.
pub const CHANGELOG: &str = "CHANGELOG.md";

/// One crate's new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bump {
    /// The package name.
    pub name: String,
    /// Its version before.
    pub from: String,
    /// Its version after.
    pub to: String,
}

/// The files a release changes, with their new text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Release {
    /// The crates bumped, in the judgement's order.
    pub bumps: Vec<Bump>,
    /// Every file to write.
    pub files: Vec<(PathBuf, String)>,
}

/// The next version after `version` for a change of `level`, by Cargo's
/// rules: below 1.0 the minor number is the breaking one and the patch
/// number takes additions; from 1.0, major and minor.
pub fn next_version(version: &str, level: Level) -> Result<String, String> {
    let numbers: Vec<u64> = version
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| format!("`{version}` is not a plain MAJOR.MINOR.PATCH version"))?;
    let [major, minor, patch] = numbers[..] else {
        return Err(format!(
            "`{version}` is not a plain MAJOR.MINOR.PATCH version"
        ));
    };
    Ok(match (level, major) {
        (Level::None, _) => version.to_string(),
        (Level::Breaking, 0) => format!("0.{}.0", minor + 1),
        (Level::Additive, 0) => format!("0.{minor}.{}", patch + 1),
        (Level::Breaking, _) => format!("{}.0.0", major + 1),
        (Level::Additive, _) => format!("{major}.{}.0", minor + 1),
    })
}

/// The release for `judgement`: `None` when `workspace` is not a Cargo
/// workspace (only its spec layers, as in tests), an empty release when no
/// crate changed.
pub fn prepare(
    workspace: &Workspace,
    judgement: &Judgement,
    changes: &[Change],
    source: &str,
    date: &str,
) -> Result<Option<Release>, XtaskError> {
    let root_manifest = workspace.root.join("Cargo.toml");
    if !root_manifest.is_file() {
        return Ok(None);
    }
    let changed: Vec<_> = judgement
        .crates
        .iter()
        .filter(|krate| krate.level > Level::None)
        .collect();
    if changed.is_empty() {
        return Ok(Some(Release::default()));
    }
    let lock_path = workspace.root.join("Cargo.lock");
    let mut root = bounded_read::read_to_string(&root_manifest, READ_LIMIT)?;
    let mut lock = bounded_read::read_to_string(&lock_path, READ_LIMIT)?;
    let mut release = Release::default();
    for krate in changed {
        let manifest_path = workspace
            .root
            .join("crates")
            .join(&krate.name)
            .join("Cargo.toml");
        let manifest = bounded_read::read_to_string(&manifest_path, READ_LIMIT)?;
        let error = |path: &PathBuf| {
            let path = path.clone();
            move |message| XtaskError::Release { path, message }
        };
        let from = package_version(&manifest).map_err(error(&manifest_path))?;
        let to = next_version(&from, krate.level).map_err(error(&manifest_path))?;
        let manifest = set_package_version(&manifest, &to).map_err(error(&manifest_path))?;
        root = set_dependency_version(&root, &krate.name, &from, &to)
            .map_err(error(&root_manifest))?;
        lock = set_lock_version(&lock, &krate.name, &from, &to).map_err(error(&lock_path))?;
        release.files.push((manifest_path, manifest));
        release.bumps.push(Bump {
            name: krate.name.clone(),
            from,
            to,
        });
    }
    release.files.push((root_manifest, root));
    release.files.push((lock_path, lock));
    let changelog_path = workspace.root.join(CHANGELOG);
    let existing = match changelog_path.is_file() {
        true => Some(bounded_read::read_to_string(&changelog_path, READ_LIMIT)?),
        false => None,
    };
    let entry = changelog_entry(&release.bumps, judgement, changes, source, date);
    release
        .files
        .push((changelog_path, insert_entry(existing.as_deref(), &entry)));
    Ok(Some(release))
}

/// The `version` of a manifest's `[package]` table.
pub fn package_version(manifest: &str) -> Result<String, String> {
    package_version_line(manifest).map(|(_, version)| version)
}

/// The index of the `[package]` table's `version = "..."` line, and the
/// version.
fn package_version_line(manifest: &str) -> Result<(usize, String), String> {
    let mut in_package = false;
    for (index, line) in manifest.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_package = trimmed == "[package]";
            continue;
        }
        if in_package
            && let Some(value) = trimmed.strip_prefix("version")
            && let Some(value) = value.trim_start().strip_prefix('=')
        {
            let value = value.trim();
            return match value.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(version) => Ok((index, version.to_string())),
                None => Err(format!(
                    "the [package] version is `{value}`, not a quoted version this tool can bump"
                )),
            };
        }
    }
    Err("no `version = \"...\"` line in [package]".to_string())
}

/// `manifest` with its `[package]` version set to `to`.
pub fn set_package_version(manifest: &str, to: &str) -> Result<String, String> {
    let (index, _) = package_version_line(manifest)?;
    Ok(replace_line(
        manifest,
        index,
        &format!("version = \"{to}\""),
    ))
}

/// `root` with the `[workspace.dependencies]` entry of `name` requiring
/// `to` instead of `from`.
pub fn set_dependency_version(
    root: &str,
    name: &str,
    from: &str,
    to: &str,
) -> Result<String, String> {
    let mut in_table = false;
    let old = format!("version = \"{from}\"");
    for (index, line) in root.lines().enumerate() {
        let trimmed = line.trim();
        if trimmed.starts_with('[') {
            in_table = trimmed == "[workspace.dependencies]";
            continue;
        }
        let is_entry = trimmed
            .strip_prefix(name)
            .is_some_and(|rest| rest.trim_start().starts_with('='));
        if in_table && is_entry {
            if line.matches(&old).count() != 1 {
                return Err(format!(
                    "the [workspace.dependencies] entry of {name} does not hold `{old}` once: `{trimmed}`"
                ));
            }
            let new = line.replacen(&old, &format!("version = \"{to}\""), 1);
            return Ok(replace_line(root, index, &new));
        }
    }
    Err(format!(
        "no [workspace.dependencies] entry for {name} (`{name} = {{ path = ..., version = \"{from}\" }}`)"
    ))
}

/// `lock` with the `[[package]]` entry of `name` at `to` instead of `from`.
/// Other entries name workspace crates without a version, so this is the
/// only place it appears.
pub fn set_lock_version(lock: &str, name: &str, from: &str, to: &str) -> Result<String, String> {
    let old = format!("[[package]]\nname = \"{name}\"\nversion = \"{from}\"\n");
    match lock.matches(&old).count() {
        1 => Ok(lock.replacen(
            &old,
            &format!("[[package]]\nname = \"{name}\"\nversion = \"{to}\"\n"),
            1,
        )),
        0 => Err(format!(
            "no entry for {name} {from}: run `cargo metadata` (or any build) to bring Cargo.lock up to date"
        )),
        _ => Err(format!("more than one entry for {name} {from}")),
    }
}

fn replace_line(text: &str, index: usize, new: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    for (at, line) in text.split_inclusive('\n').enumerate() {
        if at == index {
            out.push_str(new);
            if line.ends_with('\n') {
                out.push('\n');
            }
        } else {
            out.push_str(line);
        }
    }
    out
}

/// The changelog's opening, for a new file.
const CHANGELOG_HEAD: &str = "# Changelog

Notable changes to the published crates of recallr-rs (`recallr-api`,
`recallr-ext`, `recallr-stub`, `recallr-cli`). The format follows
[Keep a Changelog](https://keepachangelog.com/en/1.1.0/) and versions follow
Cargo's semver rules (below 1.0, the minor number is the breaking one).
`cargo xtask spec update` adds an entry for every update of the vendor's API
it takes in; changes not yet released go under [Unreleased].

## [Unreleased]
";

/// A Keep a Changelog entry for `bumps`: the crates and versions with the
/// date as its heading, then the spec changes in a user's words, grouped as
/// Added, Changed and Removed, breaking ones marked.
pub fn changelog_entry(
    bumps: &[Bump],
    judgement: &Judgement,
    changes: &[Change],
    source: &str,
    date: &str,
) -> String {
    let versions: Vec<String> = bumps
        .iter()
        .map(|bump| format!("{} {}", bump.name, bump.to))
        .collect();
    let judged_by = match judgement.fallback {
        None => "cargo-semver-checks",
        Some(_) => "the spec diff",
    };
    let mut out = format!(
        "## [{}] - {date}\n\nThe vendor's API document was updated from {source}. Rust API change: **{}** (judged by {judged_by}).\n",
        versions.join(", "),
        judgement.level()
    );
    let mut sections: [(&str, Vec<String>); 3] = [
        ("Added", Vec::new()),
        ("Changed", Vec::new()),
        ("Removed", Vec::new()),
    ];
    for change in changes {
        let id = change.rule.id();
        let section = if id.ends_with("-added") {
            0
        } else if id.ends_with("-removed") {
            2
        } else {
            1
        };
        let mark = if change.class() == Class::Breaking {
            "**Breaking:** "
        } else {
            ""
        };
        sections[section].1.push(format!(
            "- {mark}{} (`{id}`)\n",
            output::markdown_text(&change.message)
        ));
    }
    if changes.is_empty() {
        sections[1].1.push(
            "- The generated client changed with no change to the HTTP contract (a renamed type, say).\n"
                .to_string(),
        );
    }
    for (title, lines) in sections {
        if !lines.is_empty() {
            out.push_str(&format!("\n### {title}\n\n{}", lines.concat()));
        }
    }
    out
}

/// `existing` (or a new changelog) with `entry` as the newest release: after
/// the [Unreleased] section, before the previous releases.
pub fn insert_entry(existing: Option<&str>, entry: &str) -> String {
    let text = existing.unwrap_or(CHANGELOG_HEAD);
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        if line.starts_with("## ") && !line.trim_end().eq_ignore_ascii_case("## [Unreleased]") {
            return format!("{}{entry}\n{}", &text[..offset], &text[offset..]);
        }
        offset += line.len();
    }
    let separator = if text.ends_with("\n\n") || text.is_empty() {
        ""
    } else if text.ends_with('\n') {
        "\n"
    } else {
        "\n\n"
    };
    format!("{text}{separator}{entry}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::spec_diff::Rule;
    use crate::spec_update::semver::CrateLevel;

    #[test]
    fn versions_follow_cargos_rules() {
        for (version, level, next) in [
            ("0.1.0", Level::Additive, "0.1.1"),
            ("0.1.7", Level::Breaking, "0.2.0"),
            ("0.9.3", Level::None, "0.9.3"),
            ("1.4.2", Level::Additive, "1.5.0"),
            ("1.4.2", Level::Breaking, "2.0.0"),
        ] {
            assert_eq!(
                next_version(version, level).as_deref(),
                Ok(next),
                "{version} {level}"
            );
        }
        assert!(next_version("0.1.0-alpha.1", Level::Additive).is_err());
        assert!(next_version("0.1", Level::Additive).is_err());
    }

    const ROOT: &str = "[workspace.package]\nversion = \"9.9.9\"\n\n[workspace.dependencies]\n# ours\nrecallr-api = { path = \"crates/recallr-api\", version = \"0.1.0\" }\nrecallr-api-extra = { path = \"x\", version = \"0.1.0\" }\nserde = \"1\"\n";

    #[test]
    fn the_workspace_dependency_is_bumped_and_nothing_else() {
        let bumped = set_dependency_version(ROOT, "recallr-api", "0.1.0", "0.2.0").expect("bumps");
        assert_eq!(
            bumped,
            ROOT.replace(
                "recallr-api\", version = \"0.1.0\"",
                "recallr-api\", version = \"0.2.0\""
            )
        );
        assert!(bumped.contains("version = \"9.9.9\""));
        let error = set_dependency_version(ROOT, "recallr-ext", "0.1.0", "0.2.0").unwrap_err();
        assert!(
            error.contains("no [workspace.dependencies] entry for recallr-ext"),
            "{error}"
        );
        let error = set_dependency_version(ROOT, "recallr-api", "0.3.0", "0.4.0").unwrap_err();
        assert!(
            error.contains("does not hold `version = \"0.3.0\"`"),
            "{error}"
        );
    }

    #[test]
    fn the_package_version_is_bumped_not_a_dependency_version() {
        let manifest = "[package]\nname = \"recallr-api\"\nversion = \"0.1.0\"\n\n[dependencies]\nfoo = { version = \"0.1.0\" }\n";
        assert_eq!(package_version(manifest).as_deref(), Ok("0.1.0"));
        let bumped = set_package_version(manifest, "0.1.1").expect("bumps");
        assert_eq!(
            bumped,
            manifest.replacen("version = \"0.1.0\"\n", "version = \"0.1.1\"\n", 1)
        );
        assert!(package_version("[package]\nversion.workspace = true\n").is_err());
        assert!(package_version("[dependencies]\nversion = \"1\"\n").is_err());
    }

    #[test]
    fn the_lock_entry_is_bumped() {
        let lock = "[[package]]\nname = \"recallr-api\"\nversion = \"0.1.0\"\ndependencies = [\n \"serde\",\n]\n\n[[package]]\nname = \"recallr-ext\"\nversion = \"0.1.0\"\n";
        let bumped = set_lock_version(lock, "recallr-api", "0.1.0", "0.2.0").expect("bumps");
        assert!(bumped.contains("name = \"recallr-api\"\nversion = \"0.2.0\""));
        assert!(bumped.contains("name = \"recallr-ext\"\nversion = \"0.1.0\""));
        assert!(set_lock_version(lock, "recallr-api", "0.3.0", "0.4.0").is_err());
    }

    fn judgement(level: Level, fallback: bool) -> Judgement {
        Judgement {
            crates: vec![CrateLevel {
                name: "recallr-api".into(),
                level,
                reason: String::new(),
            }],
            fallback: fallback.then(|| "not installed".to_string()),
        }
    }

    #[test]
    fn a_changelog_entry_lists_the_changes_in_a_users_words() {
        let bumps = [Bump {
            name: "recallr-api".into(),
            from: "0.1.0".into(),
            to: "0.2.0".into(),
        }];
        let change = |rule, message: &str| Change {
            rule,
            pointer: "/x".into(),
            message: message.into(),
            reach: None,
        };
        let changes = [
            change(
                Rule::ResponsePropertyAdded,
                "A session has a new field `plan`.",
            ),
            change(
                Rule::ResponsePropertyRemoved,
                "A session no longer has `metadata`.",
            ),
        ];
        let entry = changelog_entry(
            &bumps,
            &judgement(Level::Breaking, false),
            &changes,
            "https://example.invalid/openapi.json",
            "2026-12-01",
        );
        assert_eq!(
            entry,
            "## [recallr-api 0.2.0] - 2026-12-01\n\nThe vendor's API document was updated from https://example.invalid/openapi.json. Rust API change: **breaking** (judged by cargo-semver-checks).\n\n### Added\n\n- A session has a new field `plan`. (`response-property-added`)\n\n### Removed\n\n- **Breaking:** A session no longer has `metadata`. (`response-property-removed`)\n"
        );
        let fallback = changelog_entry(&bumps, &judgement(Level::Additive, true), &[], "f", "d");
        assert!(fallback.contains("(judged by the spec diff)"), "{fallback}");
        assert!(
            fallback.contains("### Changed\n\n- The generated client changed"),
            "{fallback}"
        );
    }

    #[test]
    fn entries_go_after_unreleased_and_before_older_releases() {
        let new = insert_entry(None, "## [a 0.1.1] - d\n");
        assert!(new.starts_with("# Changelog\n"), "{new}");
        assert!(
            new.ends_with("## [Unreleased]\n\n## [a 0.1.1] - d\n"),
            "{new}"
        );
        let newer = insert_entry(Some(&new), "## [a 0.2.0] - e\n");
        let (unreleased, second, first) = (
            newer.find("## [Unreleased]"),
            newer.find("## [a 0.2.0]"),
            newer.find("## [a 0.1.1]"),
        );
        assert!(unreleased < second && second < first, "{newer}");
        assert!(
            newer.contains("## [a 0.2.0] - e\n\n## [a 0.1.1] - d\n"),
            "{newer}"
        );
        let bare = insert_entry(Some("# Changelog\n"), "## [a 1.0.0] - f\n");
        assert_eq!(bare, "# Changelog\n\n## [a 1.0.0] - f\n");
    }
}
