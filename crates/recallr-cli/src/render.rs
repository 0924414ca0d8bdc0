//! Writing sessions as a table, JSON or NDJSON, streaming where the format
//! allows so that memory stays flat over any number of sessions.

use std::io::{self, Write};

use recallr_ext::{SessionInfo, SessionList};

use crate::args::Format;

const STATUS_WIDTH: usize = "insufficient_balance".len();
const METADATA_WIDTH: usize = 60;

/// Writes sessions as they arrive, in one format.
pub struct Renderer<W: Write> {
    out: W,
    format: Format,
    written: u64,
}

impl<W: Write> Renderer<W> {
    pub fn new(out: W, format: Format) -> Self {
        Self {
            out,
            format,
            written: 0,
        }
    }

    /// One page: `json` prints the API's `SessionList` object with every
    /// field it had, the other formats its sessions.
    pub fn page(mut self, page: &SessionList) -> io::Result<()> {
        if self.format == Format::Json {
            serde_json::to_writer(&mut self.out, page)?;
            writeln!(self.out)?;
            return self.out.flush();
        }
        self.begin()?;
        for session in &page.sessions {
            self.session(session)?;
        }
        self.out.flush()
    }

    /// Starts a listing of any length.
    pub fn begin(&mut self) -> io::Result<()> {
        match self.format {
            Format::Table => writeln!(
                self.out,
                "{:<36}  {:<STATUS_WIDTH$}  {:<20}  METADATA",
                "SESSION_ID", "STATUS", "CREATED_AT"
            ),
            Format::Json => write!(self.out, "{{\"sessions\": ["),
            Format::Ndjson => Ok(()),
        }
    }

    pub fn session(&mut self, session: &SessionInfo) -> io::Result<()> {
        match self.format {
            Format::Table => {
                // Server-sent text: escape codes must not reach the terminal.
                let status = session.status.as_ref().map_or_else(
                    || "-".to_string(),
                    |status| escape_controls(&status.to_string()),
                );
                let metadata = escape_controls(&compact(&serde_json::Value::Object(
                    session.metadata.clone(),
                )));
                writeln!(
                    self.out,
                    "{:<36}  {status:<STATUS_WIDTH$}  {:<20}  {metadata}",
                    session.session_id.to_string(),
                    session.created_at.format("%Y-%m-%dT%H:%M:%SZ"),
                )?;
            }
            Format::Json => {
                if self.written > 0 {
                    write!(self.out, ", ")?;
                }
                serde_json::to_writer(&mut self.out, session)?;
            }
            Format::Ndjson => {
                serde_json::to_writer(&mut self.out, session)?;
                writeln!(self.out)?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// Ends a listing; `total` is the server's count of matching sessions.
    pub fn finish(mut self, total: u64) -> io::Result<()> {
        if self.format == Format::Json {
            writeln!(self.out, "], \"total\": {total}}}")?;
        }
        self.out.flush()
    }
}

/// `text` with control characters (C0, DEL, C1) and bidirectional
/// overrides written as `\u{..}` escapes, so that text from a server cannot
/// drive the terminal (colours, titles, cursor moves, reordered lines).
pub fn escape_controls(text: &str) -> String {
    let is_unsafe =
        |c: char| c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}');
    if !text.chars().any(is_unsafe) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if is_unsafe(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Metadata on one line, cut to [`METADATA_WIDTH`] characters.
fn compact(metadata: &serde_json::Value) -> String {
    let text = metadata.to_string();
    if text.chars().count() <= METADATA_WIDTH {
        return text;
    }
    let mut cut: String = text.chars().take(METADATA_WIDTH - 1).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_metadata_is_cut_on_a_character_boundary() {
        let long = serde_json::json!({"text": "é".repeat(100)});
        let cut = compact(&long);
        assert_eq!(cut.chars().count(), METADATA_WIDTH);
        assert!(cut.ends_with('…'));
        assert_eq!(compact(&serde_json::json!({})), "{}");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("\u{1b}]0;x\u{7}"), "\\u{1b}]0;x\\u{7}");
        assert_eq!(escape_controls("a\u{9b}b\u{202e}"), "a\\u{9b}b\\u{202e}");
        assert_eq!(escape_controls("plain é"), "plain é");
    }
}
