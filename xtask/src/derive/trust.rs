//! The upstream document is semi-trusted: it describes the API, but it may
//! not speak for us, and names it gives become Rust identifiers and
//! constants that people read.
//!
//! - `x-recallr-*` extensions are the overlay's (`x-recallr-name` renames
//!   generated types): in the upstream document they are refused.
//! - A name with non-ASCII letters (a Cyrillic `і` in `session_іd`) can
//!   pass for an ASCII one in a review: each is reported as a warning.

use serde_json::Value;

use crate::json_pointer;

/// The prefix of the overlay's own extensions.
pub const PRIVATE_PREFIX: &str = "x-recallr-";

/// Refuses any `x-recallr-*` key in `document`, naming its pointer.
pub fn refuse_private_extensions(document: &Value) -> Result<(), String> {
    fn walk(value: &Value, pointer: &str) -> Result<(), String> {
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    let at = json_pointer::push(pointer, key);
                    if key.to_ascii_lowercase().starts_with(PRIVATE_PREFIX) {
                        return Err(format!(
                            "`{}`: `{}` is an extension of our overlay; the upstream document may not use it",
                            at.escape_debug(),
                            key.escape_debug()
                        ));
                    }
                    walk(child, &at)?;
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    walk(child, &json_pointer::push(pointer, &index.to_string()))?;
                }
            }
            _ => {}
        }
        Ok(())
    }
    walk(document, "")
}

/// A warning for each name in `document` (schema and property names,
/// parameter names, operationIds) that has non-ASCII characters.
pub fn lookalike_names(document: &Value) -> Vec<String> {
    fn warn(name: &str, pointer: &str, warnings: &mut Vec<String>) {
        if name.is_ascii() {
            return;
        }
        let odd: Vec<String> = name
            .chars()
            .filter(|c| !c.is_ascii())
            .map(|c| format!("U+{:04X}", u32::from(c)))
            .collect();
        warnings.push(format!(
            "`{}`: the name \"{}\" has non-ASCII characters ({}) that may pass for ASCII ones",
            pointer.escape_debug(),
            name.escape_debug(),
            odd.join(", ")
        ));
    }
    fn walk(value: &Value, pointer: &str, warnings: &mut Vec<String>) {
        match value {
            Value::Object(map) => {
                let names_keys = pointer.ends_with("/properties") || pointer.ends_with("/schemas");
                for (key, child) in map {
                    let at = json_pointer::push(pointer, key);
                    if names_keys {
                        warn(key, &at, warnings);
                    }
                    match (key.as_str(), child) {
                        ("name" | "operationId", Value::String(name)) => warn(name, &at, warnings),
                        ("default" | "example" | "examples" | "enum" | "const", _) => {}
                        _ => walk(child, &at, warnings),
                    }
                }
            }
            Value::Array(items) => {
                for (index, child) in items.iter().enumerate() {
                    walk(
                        child,
                        &json_pointer::push(pointer, &index.to_string()),
                        warnings,
                    );
                }
            }
            _ => {}
        }
    }
    let mut warnings = Vec::new();
    walk(document, "", &mut warnings);
    warnings
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn private_extensions_are_refused_with_their_pointer() {
        let document = json!({"components": {"schemas": {"A": {"x-recallr-name": "B"}}}});
        assert_eq!(
            refuse_private_extensions(&document),
            Err("`/components/schemas/A/x-recallr-name`: `x-recallr-name` is an extension of our overlay; the upstream document may not use it".to_string())
        );
        assert_eq!(refuse_private_extensions(&json!({"x-other": 1})), Ok(()));
    }

    #[test]
    fn lookalike_names_are_warned_about() {
        let document = json!({"components": {"schemas": {"S": {"properties": {
            "session_id": {}, "session_\u{456}d": {}
        }}}}, "paths": {"/a": {"get": {"parameters": [{"name": "l\u{456}mit"}]}}}});
        let warnings = lookalike_names(&document);
        assert_eq!(warnings.len(), 2, "{warnings:?}");
        assert!(
            warnings.iter().all(|warning| warning.contains("U+0456")),
            "{warnings:?}"
        );
    }
}
