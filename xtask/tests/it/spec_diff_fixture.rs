//! The `spec diff` fixtures: one base document, `tests/fixtures/diff/base.json`,
//! and per rule one `<rule-id>.json` that shows its change as RFC 6902 JSON
//! Patches, so a rule's case reads in a few lines:
//!
//! ```json
//! {
//!   "rule": "path-added",
//!   "class": "info",
//!   "old": [...],      // optional: patch to base that gives the old document
//!   "new": [...],      // patch to base that gives the new document
//!   "expect": [...]    // the `--format json` report of old -> new
//! }
//! ```
//!
//! `UPDATE_EXPECT=1 cargo test -p xtask --test it spec_diff_rules` rewrites
//! `expect` from what the diff reports.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One rule's fixture file. Field order is the file's key order.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fixture {
    /// The rule id the fixture is for, also the file's name.
    pub rule: String,
    /// The rule's class (`breaking`, `warning` or `info`).
    pub class: String,
    /// The patch to the base document that gives the old document; none
    /// means the base itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub old: Option<json_patch::Patch>,
    /// The patch to the base document that gives the new document.
    pub new: json_patch::Patch,
    /// The report of `spec diff --format json` from old to new.
    pub expect: Vec<Entry>,
}

/// One entry of the JSON report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Entry {
    pub rule: String,
    pub class: String,
    pub pointer: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reach: Option<Reach>,
}

/// The reach of a change reported once for a shared component.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reach {
    pub count: u64,
    pub places: Vec<String>,
}

pub fn directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/diff")
}

fn base() -> Value {
    let path = directory().join("base.json");
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

/// The path of the fixture for `rule`.
pub fn path(rule: &str) -> PathBuf {
    directory().join(format!("{rule}.json"))
}

/// The ids of every fixture file (all `*.json` but the base), sorted.
pub fn rules() -> Vec<String> {
    let mut rules: Vec<String> = std::fs::read_dir(directory())
        .expect("the fixtures directory exists")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| {
            path.extension()
                .is_some_and(|extension| extension == "json")
        })
        .filter_map(|path| Some(path.file_stem()?.to_string_lossy().into_owned()))
        .filter(|stem| stem != "base")
        .collect();
    rules.sort();
    rules
}

/// The fixture for `rule`.
pub fn load(rule: &str) -> Fixture {
    let path = path(rule);
    let text =
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|err| {
        panic!(
            "{}: not a fixture ({{rule, class, old?, new, expect}}): {err}",
            path.display()
        )
    })
}

impl Fixture {
    /// The old and the new document: the base with each patch applied.
    pub fn documents(&self) -> (Value, Value) {
        let apply = |side: &str, patch: Option<&json_patch::Patch>| {
            let mut document = base();
            if let Some(patch) = patch {
                json_patch::patch(&mut document, patch).unwrap_or_else(|err| {
                    panic!("{}: the `{side}` patch does not apply: {err}", self.rule)
                });
            }
            document
        };
        (
            apply("old", self.old.as_ref()),
            apply("new", Some(&self.new)),
        )
    }

    /// Writes the two documents as `old.json` and `new.json` into `dir`.
    pub fn write_documents(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let (old, new) = self.documents();
        let write = |name: &str, document: &Value| {
            let path = dir.join(name);
            let text = serde_json::to_string_pretty(document).expect("JSON serializes");
            std::fs::write(&path, text).expect("the directory is writable");
            path
        };
        (write("old.json", &old), write("new.json", &new))
    }

    /// Rewrites the fixture's file (for `UPDATE_EXPECT=1`).
    pub fn save(&self) {
        let mut text = serde_json::to_string_pretty(self).expect("JSON serializes");
        text.push('\n');
        let path = path(&self.rule);
        std::fs::write(&path, text).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    }
}
