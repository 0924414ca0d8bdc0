//! Writing generated files safely and describing how they differ.

use std::io::Write;
use std::path::Path;

use crate::error::XtaskError;

/// Replaces `path` with `contents` atomically: the text goes to a temporary
/// file in the same directory, which is then renamed over the target, so an
/// interrupted run never leaves a half-written file behind.
pub fn write_atomically(path: &Path, contents: &str) -> Result<(), XtaskError> {
    let write_error = |source: std::io::Error| XtaskError::Write {
        path: path.to_path_buf(),
        source,
    };
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory).map_err(write_error)?;
    let mut temp = tempfile::NamedTempFile::new_in(directory).map_err(write_error)?;
    temp.write_all(contents.as_bytes()).map_err(write_error)?;
    temp.as_file().sync_all().map_err(write_error)?;
    temp.persist(path).map_err(|err| write_error(err.error))?;
    Ok(())
}

/// A unified diff from `committed` to `generated`, labelled with `path`.
pub fn unified_diff(path: &str, committed: &str, generated: &str) -> String {
    similar::TextDiff::from_lines(committed, generated)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{path} (committed)"),
            &format!("{path} (generated)"),
        )
        .to_string()
}

/// The file's text, or `None` when it does not exist.
pub fn read_if_exists(path: &Path) -> Result<Option<String>, XtaskError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(XtaskError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// `text` safe to print on a terminal: control characters (newlines, escape
/// sequences, bidirectional overrides) are shown as Rust escapes, so text
/// from a document can neither move the cursor nor start a line of its own.
pub fn terminal_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_control() || is_invisible_format(c) {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// `text` safe inside one line of Markdown (a changelog or pull request
/// entry): [`terminal_text`], and no raw HTML (`<` is `&lt;`), so a comment
/// or tag from a document cannot hide or fake what follows.
pub fn markdown_text(text: &str) -> String {
    terminal_text(text).replace('<', "&lt;")
}

/// Characters that change how text reads without showing themselves:
/// bidirectional controls, zero-width ones.
fn is_invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}'
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_text_cannot_start_lines_or_hide_things() {
        assert_eq!(
            terminal_text("a`\n## 9.9.9\n\u{1b}[2Jb\u{202E}c"),
            "a`\\n## 9.9.9\\n\\u{1b}[2Jb\\u{202e}c"
        );
        assert_eq!(markdown_text("x\n<!-- y"), "x\\n&lt;!-- y");
        assert_eq!(terminal_text("Ünïcode `ok`"), "Ünïcode `ok`");
    }
}
