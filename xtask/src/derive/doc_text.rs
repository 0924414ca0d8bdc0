//! Document text is data, never code.
//!
//! Descriptions, summaries and titles of the upstream document become doc
//! comments of the generated crate, and rustdoc runs the code blocks of doc
//! comments as tests (`cargo test` on every developer machine and in CI).
//! `recallr-api` turns doctests off (`doctest = false`); this stage is the
//! second wall: it rewrites that text so that Markdown reads no code block
//! in it at all, whatever containers (lists, quotes, HTML blocks) surround
//! it. Per line, with no state a Markdown parser could disagree with:
//!
//! - every run of three or more backticks or tildes (what opens a fenced
//!   block) has each character backslash-escaped: it still reads the same,
//!   but opens nothing;
//! - every run of spaces and tabs becomes one space, so no line has the
//!   four columns of indentation an indented code block needs;
//! - a bare carriage return, which Markdown reads as a line break, is one.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::json_pointer;

/// The keys whose string values are copied into documentation.
const TEXT_KEYS: [&str; 3] = ["description", "summary", "title"];

/// Values that are data of the API (defaults, examples, enum values), not
/// documentation: left exactly as they are.
const DATA_KEYS: [&str; 5] = ["default", "example", "examples", "enum", "const"];

/// Rewrites every piece of document text of `document` (see the module
/// docs); returns the JSON pointers of the strings it changed.
pub fn neutralise(document: &mut Value) -> Vec<String> {
    let mut changed = Vec::new();
    if let Some(version) = document
        .get_mut("info")
        .and_then(|info| info.get_mut("version"))
    {
        rewrite(version, "/info/version", &mut changed);
    }
    walk(document, "", &mut changed);
    changed
}

/// Every piece of document text of `document` (what [`neutralise`]
/// rewrites), by JSON pointer: what a reviewer of an update reads.
pub fn texts(document: &Value) -> BTreeMap<String, String> {
    fn collect(value: &Value, pointer: &str, into: &mut BTreeMap<String, String>) {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let at = json_pointer::push(pointer, key);
                    match child {
                        Value::String(text) if TEXT_KEYS.contains(&key.as_str()) => {
                            into.insert(at, text.clone());
                        }
                        _ if DATA_KEYS.contains(&key.as_str()) => {}
                        _ => collect(child, &at, into),
                    }
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    collect(
                        child,
                        &json_pointer::push(pointer, &index.to_string()),
                        into,
                    );
                }
            }
            _ => {}
        }
    }
    let mut found = BTreeMap::new();
    if let Some(Value::String(version)) = document.get("info").and_then(|info| info.get("version"))
    {
        found.insert("/info/version".to_string(), version.clone());
    }
    collect(document, "", &mut found);
    found
}

fn walk(value: &mut Value, pointer: &str, changed: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                let at = json_pointer::push(pointer, key);
                if child.is_string() {
                    if TEXT_KEYS.contains(&key.as_str()) {
                        rewrite(child, &at, changed);
                    }
                } else if !DATA_KEYS.contains(&key.as_str()) {
                    walk(child, &at, changed);
                }
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter_mut().enumerate() {
                walk(
                    child,
                    &json_pointer::push(pointer, &index.to_string()),
                    changed,
                );
            }
        }
        _ => {}
    }
}

fn rewrite(value: &mut Value, pointer: &str, changed: &mut Vec<String>) {
    if let Value::String(text) = value {
        let safe = neutral_text(text);
        if safe != *text {
            *text = safe;
            changed.push(pointer.to_string());
        }
    }
}

/// `text` with no run of three backticks or tildes and no run of two
/// spaces or tabs, and `\n` as its only line break.
pub fn neutral_text(text: &str) -> String {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut index = 0;
    while index < chars.len() {
        let c = chars[index];
        let run = chars[index..].iter().take_while(|&&next| next == c).count();
        match c {
            '`' | '~' if run >= 3 => {
                for _ in 0..run {
                    out.push('\\');
                    out.push(c);
                }
                index += run;
            }
            ' ' | '\t' => {
                let blanks = chars[index..]
                    .iter()
                    .take_while(|&&next| next == ' ' || next == '\t')
                    .count();
                out.push(' ');
                index += blanks;
            }
            _ => {
                out.push(c);
                index += 1;
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn fences_and_indentation_are_gone_and_the_words_stay() {
        assert_eq!(
            neutral_text("Run:\n```rust\nlet  x = 1;\n```\n~~~\n    evil();\n\tmore\r    cr"),
            "Run:\n\\`\\`\\`rust\nlet x = 1;\n\\`\\`\\`\n\\~\\~\\~\n evil();\n more\n cr"
        );
        // Inline code and ordinary text are untouched.
        assert_eq!(
            neutral_text("Use `limit` (max 100)."),
            "Use `limit` (max 100)."
        );
        assert_eq!(neutral_text("a ``b`` c"), "a ``b`` c");
    }

    #[test]
    fn text_is_rewritten_and_data_is_not() {
        let mut document = json!({
            "info": {"title": "API\n```\nx\n```", "version": "1\n    y"},
            "paths": {"/a": {"get": {
                "summary": "ok",
                "description": "```rust\nboom()\n```",
                "parameters": [{"name": "p", "schema": {
                    "default": "```keep```",
                    "example": {"description": "```keep```"},
                    "enum": ["```keep```"]
                }}]
            }}},
            "components": {"schemas": {"S": {"properties": {
                "description": {"type": "string", "description": "  two"}
            }}}}
        });
        let mut changed = neutralise(&mut document);
        changed.sort();
        assert_eq!(
            changed,
            [
                "/components/schemas/S/properties/description/description",
                "/info/title",
                "/info/version",
                "/paths/~1a/get/description",
            ]
        );
        let parameter = &document["paths"]["/a"]["get"]["parameters"][0]["schema"];
        assert_eq!(parameter["default"], "```keep```");
        assert_eq!(parameter["example"]["description"], "```keep```");
        assert_eq!(parameter["enum"][0], "```keep```");
        assert_eq!(document["info"]["version"], "1\n y");
        let texts = texts(&document);
        assert_eq!(texts["/paths/~1a/get/summary"], "ok");
        assert_eq!(texts["/info/version"], "1\n y");
        assert!(!texts.keys().any(|pointer| pointer.contains("parameters")));
    }
}
