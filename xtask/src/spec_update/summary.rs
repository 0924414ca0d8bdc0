//! The pull request a scheduled sync opens (`spec update --pr-summary DIR`):
//! its title, its label and its body, written as three files the workflow
//! reads (`title`, `label`, `body.md`).

use std::path::{Path, PathBuf};

use crate::error::XtaskError;
use crate::output;

use super::release::Bump;
use super::semver::Level;

/// GitHub refuses a pull request body over 65,536 characters; the report is
/// cut well below that.
const BODY_LIMIT: usize = 60_000;

/// A pull request's title, label and body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrSummary {
    /// One line; starts with `BREAKING:` for a breaking update.
    pub title: String,
    /// `semver: none`, `semver: additive` or `semver: breaking`.
    pub label: String,
    /// Markdown: what the sync is, then the report verbatim.
    pub body: String,
}

/// The pull request for an update judged `level`, with `bumps`, whose
/// report is `report`.
pub fn pr_summary(level: Level, bumps: &[Bump], report: &str) -> PrSummary {
    let versions = if bumps.is_empty() {
        String::new()
    } else {
        let list: Vec<String> = bumps
            .iter()
            .map(|bump| format!("{} {}", bump.name, bump.to))
            .collect();
        format!(": {}", list.join(", "))
    };
    let flag = if level == Level::Breaking {
        "BREAKING: "
    } else {
        ""
    };
    let title = format!("{flag}Sync the RecallrAI OpenAPI spec{versions} (semver: {level})");
    let mut shown = report;
    let mut cut = "";
    if shown.len() > BODY_LIMIT {
        let mut end = BODY_LIMIT;
        while !shown.is_char_boundary(end) {
            end -= 1;
        }
        shown = &shown[..end];
        cut = "\n[report cut here: run the command below to see all of it]";
    }
    let body = format!(
        "The scheduled spec sync took in the vendor's current OpenAPI document with `cargo xtask spec update`. Its report:\n\n```text\n{}{cut}\n```\n\nTo reproduce, run the same command with `--dry-run` on this branch's parent. Review `CHANGELOG.md` and the version bumps before merging.\n",
        shown.trim_end().replace("```", "'''")
    );
    PrSummary {
        title,
        label: format!("semver: {level}"),
        body,
    }
}

impl PrSummary {
    /// Writes `title`, `label` and `body.md` into `dir` (created if need
    /// be) and returns their paths.
    pub fn write(&self, dir: &Path) -> Result<Vec<PathBuf>, XtaskError> {
        std::fs::create_dir_all(dir).map_err(|source| XtaskError::Write {
            path: dir.to_path_buf(),
            source,
        })?;
        let mut written = Vec::new();
        for (name, text) in [
            ("title", format!("{}\n", self.title)),
            ("label", format!("{}\n", self.label)),
            ("body.md", self.body.clone()),
        ] {
            let path = dir.join(name);
            output::write_atomically(&path, &text)?;
            written.push(path);
        }
        Ok(written)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bump(to: &str) -> Bump {
        Bump {
            name: "recallr-api".into(),
            from: "0.1.0".into(),
            to: to.into(),
        }
    }

    #[test]
    fn a_breaking_update_is_flagged_in_the_title() {
        let summary = pr_summary(
            Level::Breaking,
            &[bump("0.2.0")],
            "report\nsemver: breaking\n",
        );
        assert_eq!(
            summary.title,
            "BREAKING: Sync the RecallrAI OpenAPI spec: recallr-api 0.2.0 (semver: breaking)"
        );
        assert_eq!(summary.label, "semver: breaking");
        assert!(
            summary
                .body
                .contains("```text\nreport\nsemver: breaking\n```"),
            "{}",
            summary.body
        );
    }

    #[test]
    fn an_additive_update_is_not_flagged() {
        let summary = pr_summary(Level::Additive, &[bump("0.1.1")], "r");
        assert_eq!(
            summary.title,
            "Sync the RecallrAI OpenAPI spec: recallr-api 0.1.1 (semver: additive)"
        );
        assert_eq!(summary.label, "semver: additive");
    }

    #[test]
    fn a_long_report_is_cut_and_fences_in_it_cannot_end_the_block() {
        let report = format!("```\n{}", "é".repeat(BODY_LIMIT));
        let summary = pr_summary(Level::None, &[], &report);
        assert!(summary.body.len() < BODY_LIMIT + 1_000);
        assert!(summary.body.contains("[report cut here"));
        assert_eq!(summary.body.matches("```").count(), 2);
        assert_eq!(
            summary.title,
            "Sync the RecallrAI OpenAPI spec (semver: none)"
        );
    }
}
