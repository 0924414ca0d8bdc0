//! BENCHMARKS.md has two parts: what `bench/run` measures and writes, above
//! [`MARKER`], and what people measured by hand (callgrind profiles, build
//! times, the CLI's start-up), below it. A run rewrites the first part and
//! keeps the second as it is.

use std::fmt;

/// The line that separates the generated part from the hand-kept one.
pub const MARKER: &str = "<!-- hand-kept: bench/run writes everything above this line and keeps everything below it as it is -->";

/// What a report without a hand-kept part gets below the marker.
const EMPTY: &str = "\n\n## Measured by hand\n\nNothing yet: add hand measurements below the marker above; `bench/run` keeps them.\n";

/// A report file that exists but has no marker: rewriting it would lose
/// whatever was written there by hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NoMarker;

impl fmt::Display for NoMarker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "it has no line `{MARKER}`: add that line above the part written by hand (or delete the file)"
        )
    }
}

/// The new report: `generated`, the marker, and the hand-kept part of
/// `existing` (the file being replaced, if there is one). A file without
/// the marker is refused unless `overwrite_unmarked` (scratch reports).
pub fn splice(
    generated: &str,
    existing: Option<&str>,
    overwrite_unmarked: bool,
) -> Result<String, NoMarker> {
    let kept = match existing.map(|text| text.split_once(MARKER)) {
        Some(Some((_, kept))) => kept,
        Some(None) if !overwrite_unmarked => return Err(NoMarker),
        Some(None) | None => EMPTY,
    };
    let mut out = generated.trim_end().to_string();
    out.push_str("\n\n");
    out.push_str(MARKER);
    out.push('\n');
    out.push_str(kept.strip_prefix('\n').unwrap_or(kept));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_hand_kept_part_survives_a_rewrite() {
        let old = format!("# Old\n\nold figures\n\n{MARKER}\n\n## By hand\n\nkept\n");
        let new = splice("# New\n\nnew figures\n", Some(&old), false).expect("marked");
        assert_eq!(
            new,
            format!("# New\n\nnew figures\n\n{MARKER}\n\n## By hand\n\nkept\n")
        );
        assert_eq!(
            splice("# Newer\n", Some(&new), false)
                .expect("marked")
                .matches(MARKER)
                .count(),
            1
        );
    }

    #[test]
    fn an_unmarked_file_is_refused_unless_it_is_scratch() {
        assert_eq!(
            splice("# New\n", Some("# Old, all by hand\n"), false),
            Err(NoMarker)
        );
        let scratch = splice("# New\n", Some("# Old\n"), true).expect("scratch");
        assert!(
            scratch.starts_with("# New\n\n")
                && scratch.contains(MARKER)
                && !scratch.contains("Old")
        );
        let fresh = splice("# New\n", None, false).expect("no file yet");
        assert!(fresh.contains("## Measured by hand"));
    }
}
