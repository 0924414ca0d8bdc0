//! Writing answers as a table, JSON or NDJSON, streaming where the format
//! allows so that memory stays flat over any number of items. Server text
//! is escaped before it reaches a terminal.

use std::io::{self, Write};

use serde_json::Value;

use crate::table::{Column, Kind, Operation};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// The API's own JSON.
    Json,
    /// One item per line.
    Ndjson,
}

impl Format {
    pub fn parse(name: &str) -> Option<Self> {
        match name {
            "table" => Some(Format::Table),
            "json" => Some(Format::Json),
            "ndjson" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

/// The longest cell of a free column, in characters.
const CELL_WIDTH: usize = 60;

/// Writes one operation's answer, or a walk's items as they arrive.
pub struct Renderer<W: Write> {
    out: W,
    format: Format,
    operation: &'static Operation,
    written: u64,
}

impl<W: Write> Renderer<W> {
    pub fn new(out: W, format: Format, operation: &'static Operation) -> Self {
        Self {
            out,
            format,
            operation,
            written: 0,
        }
    }

    /// One answer: a list page prints its items (json: the page as sent),
    /// anything else itself. `null` (a 204) prints nothing.
    pub fn answer(mut self, answer: &Value) -> io::Result<()> {
        if answer.is_null() || self.operation.no_content {
            return self.out.flush();
        }
        if self.format == Format::Json {
            serde_json::to_writer(&mut self.out, answer)?;
            writeln!(self.out)?;
            return self.out.flush();
        }
        let listed = self
            .operation
            .items
            .and_then(|field| answer.get(field))
            .and_then(Value::as_array);
        if let Some(items) = listed {
            self.begin()?;
            for item in items {
                self.item(item)?;
            }
            return self.out.flush();
        }
        let single = self
            .operation
            .unwrap
            .and_then(|field| answer.get(field))
            .unwrap_or(answer);
        match self.format {
            Format::Table => self.fields(single)?,
            _ => {
                serde_json::to_writer(&mut self.out, single)?;
                writeln!(self.out)?;
            }
        }
        self.out.flush()
    }

    /// Starts a listing of any length.
    pub fn begin(&mut self) -> io::Result<()> {
        match self.format {
            Format::Table if !self.operation.columns.is_empty() => {
                let mut header = String::new();
                let columns = self.operation.columns;
                for (index, column) in columns.iter().enumerate() {
                    let name = column.field.to_ascii_uppercase();
                    if index + 1 == columns.len() {
                        header.push_str(&name);
                    } else {
                        header.push_str(&format!("{name:<width$}  ", width = column.width));
                    }
                }
                writeln!(self.out, "{header}")
            }
            Format::Json => write!(
                self.out,
                "{{{}: [",
                Value::from(self.operation.items.unwrap_or("items"))
            ),
            _ => Ok(()),
        }
    }

    /// One listed item.
    pub fn item(&mut self, item: &Value) -> io::Result<()> {
        match self.format {
            Format::Table if !self.operation.columns.is_empty() => {
                let columns = self.operation.columns;
                let mut row = String::new();
                for (index, column) in columns.iter().enumerate() {
                    let cell = cell(column, item.get(column.field));
                    if index + 1 == columns.len() {
                        row.push_str(&cell);
                    } else {
                        row.push_str(&format!("{cell:<width$}  ", width = column.width));
                    }
                }
                writeln!(self.out, "{}", row.trim_end())?;
            }
            Format::Json => {
                if self.written > 0 {
                    write!(self.out, ", ")?;
                }
                serde_json::to_writer(&mut self.out, item)?;
            }
            _ => {
                serde_json::to_writer(&mut self.out, item)?;
                writeln!(self.out)?;
            }
        }
        self.written += 1;
        Ok(())
    }

    /// One server-sent event, written and flushed as it comes: a JSON line
    /// (`json` too: a stream has no end to wait for), or `FIELD  value`
    /// lines and a blank line in a table.
    pub fn event(&mut self, event: &Value) -> io::Result<()> {
        match self.format {
            Format::Table => {
                self.fields(event)?;
                writeln!(self.out)?;
            }
            _ => {
                serde_json::to_writer(&mut self.out, event)?;
                writeln!(self.out)?;
            }
        }
        self.written += 1;
        self.out.flush()
    }

    /// Ends a listing; `total` is the server's count of matching items.
    pub fn finish(mut self, total: Option<u64>) -> io::Result<()> {
        if self.format == Format::Json {
            match total {
                Some(total) => writeln!(self.out, "], \"total\": {total}}}")?,
                None => writeln!(self.out, "]}}")?,
            }
        }
        self.out.flush()
    }

    /// A single object as `FIELD  value` lines.
    fn fields(&mut self, value: &Value) -> io::Result<()> {
        let Some(object) = value.as_object() else {
            return writeln!(self.out, "{}", escape_controls(&plain(value)));
        };
        let width = object.keys().map(String::len).max().unwrap_or(0);
        for (key, value) in object {
            // Text keeps its line breaks; every other control is escaped.
            let text = escape_controls_but_newlines(&plain(value));
            writeln!(
                self.out,
                "{:<width$}  {text}",
                escape_controls(&key.to_ascii_uppercase())
            )?;
        }
        Ok(())
    }
}

/// A value as people read it: strings bare, the rest as compact JSON.
fn plain(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => "-".to_string(),
        other => other.to_string(),
    }
}

fn cell(column: &Column, value: Option<&Value>) -> String {
    let Some(value) = value else {
        return "-".to_string();
    };
    let text = match (column.kind, value) {
        // Second precision, UTC marked: the width the column is laid out for.
        (Kind::DateTime, Value::String(text)) if text.len() > 19 => {
            let utc = text.ends_with('Z') || text.ends_with("+00:00");
            match (text.get(..19), utc) {
                (Some(second), true) => format!("{second}Z"),
                _ => text.clone(),
            }
        }
        _ => plain(value),
    };
    escape_controls(&cut(&text, CELL_WIDTH.max(column.width)))
}

/// `text` cut to `width` characters, on a character boundary.
fn cut(text: &str, width: usize) -> String {
    if text.chars().count() <= width {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(width.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

fn is_unsafe(c: char) -> bool {
    c.is_control() || matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `text` with control characters (C0, DEL, C1) and bidirectional
/// overrides written as `\u{..}` escapes, so that text from a server cannot
/// drive the terminal (colours, titles, cursor moves, reordered lines).
pub fn escape_controls(text: &str) -> String {
    escape(text, is_unsafe)
}

/// As [`escape_controls`], but line breaks stay (long text reads as text).
fn escape_controls_but_newlines(text: &str) -> String {
    escape(text, |c| c != '\n' && is_unsafe(c))
}

fn escape(text: &str, unsafe_char: impl Fn(char) -> bool) -> String {
    if !text.chars().any(&unsafe_char) {
        return text.to_string();
    }
    text.chars()
        .map(|c| {
            if unsafe_char(c) {
                c.escape_unicode().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_cut_on_a_character_boundary() {
        let cut_text = cut(&"é".repeat(100), CELL_WIDTH);
        assert_eq!(cut_text.chars().count(), CELL_WIDTH);
        assert!(cut_text.ends_with('…'));
        assert_eq!(cut("{}", CELL_WIDTH), "{}");
    }

    #[test]
    fn control_characters_are_escaped() {
        assert_eq!(escape_controls("\u{1b}]0;x\u{7}"), "\\u{1b}]0;x\\u{7}");
        assert_eq!(escape_controls("a\u{9b}b\u{202e}"), "a\\u{9b}b\\u{202e}");
        assert_eq!(escape_controls("plain é"), "plain é");
        assert_eq!(escape_controls_but_newlines("a\nb\u{1b}"), "a\nb\\u{1b}");
    }
}
