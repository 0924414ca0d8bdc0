//! Reading an OpenAPI 3.0 document, with errors that point into the file.

use std::path::{Path, PathBuf};

use openapiv3::OpenAPI;

use crate::error::XtaskError;

/// The keys of a path item that hold operations, in OpenAPI's order.
pub(crate) const OPERATION_METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// A path template with its parameter names left out,
/// `/users/{custom_user_id}/sessions` -> `/users/{}/sessions`: operations
/// are matched by method and this shape, so renaming a path parameter is not
/// a new operation. Every match of operations (`--keep`, provenance, the
/// spec diff) goes through here.
pub fn template_shape(path: &str) -> String {
    let mut shape = String::with_capacity(path.len());
    let mut in_parameter = false;
    for c in path.chars() {
        match c {
            '{' => {
                in_parameter = true;
                shape.push('{');
            }
            '}' => {
                in_parameter = false;
                shape.push('}');
            }
            _ if in_parameter => {}
            _ => shape.push(c),
        }
    }
    shape
}

/// The sections of `components`, in OpenAPI's order. OpenAPI 3.1 added
/// one, [`PATH_ITEMS_SECTION`], kept last so that the 3.0 sections are a
/// prefix ([`COMPONENT_SECTIONS_3_0`]).
pub(crate) const COMPONENT_SECTIONS: &[&str] = &[
    "schemas",
    "responses",
    "parameters",
    "examples",
    "requestBodies",
    "headers",
    "securitySchemes",
    "links",
    "callbacks",
    PATH_ITEMS_SECTION,
];

/// The 3.1-only section of `components`, which has no 3.0 form.
pub(crate) const PATH_ITEMS_SECTION: &str = "pathItems";

/// The sections of `components` that OpenAPI 3.0 has.
pub(crate) const COMPONENT_SECTIONS_3_0: &[&str] =
    COMPONENT_SECTIONS.split_at(COMPONENT_SECTIONS.len() - 1).0;

/// A spec read from disk: the parsed document and the exact bytes it came
/// from (the generated header records their SHA-256).
#[derive(Debug, Clone)]
pub struct Spec {
    /// Where the spec was read from.
    pub path: PathBuf,
    /// The file's bytes.
    pub text: String,
    /// The parsed document.
    pub document: OpenAPI,
}

/// Reads and parses the OpenAPI 3.0 document at `path`.
pub fn load(path: &Path) -> Result<Spec, XtaskError> {
    let text = std::fs::read_to_string(path).map_err(|source| XtaskError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let document = parse(path, &text)?;
    Ok(Spec {
        path: path.to_path_buf(),
        text,
        document,
    })
}

/// Parses `text` (named `path` in errors) as an OpenAPI 3.0 document.
pub fn parse(path: &Path, text: &str) -> Result<OpenAPI, XtaskError> {
    // Parse loosely first: a syntax error, a non-object or a 3.1 document
    // each deserve their own message rather than a confusing field error.
    let value: serde_json::Value =
        serde_json::from_str(text).map_err(|err| XtaskError::Syntax {
            path: path.to_path_buf(),
            line: err.line(),
            column: err.column(),
            message: message_without_position(&err),
        })?;
    check_version(path, &value)?;

    let mut deserializer = serde_json::Deserializer::from_str(text);
    serde_path_to_error::deserialize(&mut deserializer).map_err(|err| {
        let pointer = err.path().to_string();
        let inner = err.into_inner();
        XtaskError::Structure {
            path: path.to_path_buf(),
            pointer,
            line: inner.line(),
            column: inner.column(),
            message: message_without_position(&inner),
        }
    })
}

fn check_version(path: &Path, value: &serde_json::Value) -> Result<(), XtaskError> {
    let version = declared_version(value).map_err(|message| XtaskError::NotOpenApi {
        path: path.to_path_buf(),
        message,
    })?;
    if version.trim().starts_with("3.0.") {
        Ok(())
    } else {
        Err(XtaskError::UnsupportedVersion {
            path: path.to_path_buf(),
            version: version.to_string(),
        })
    }
}

/// The `openapi` version a document declares, or why it is not an OpenAPI
/// 3 document at all.
pub(crate) fn declared_version(value: &serde_json::Value) -> Result<&str, String> {
    let object = value
        .as_object()
        .ok_or("not an OpenAPI document: the top level is not a JSON object")?;
    if object.contains_key("swagger") {
        return Err(
            "Swagger 2.0 documents are not supported: convert the document to OpenAPI 3"
                .to_string(),
        );
    }
    match object.get("openapi") {
        Some(serde_json::Value::String(version)) => Ok(version),
        Some(_) => Err("the `openapi` field is not a string".to_string()),
        None => Err("not an OpenAPI document: it has no `openapi` version field".to_string()),
    }
}

/// serde_json appends " at line L column C" to its messages; the position is
/// reported separately, so drop it from the text.
pub(crate) fn message_without_position(err: &serde_json::Error) -> String {
    let message = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    message
        .strip_suffix(&suffix)
        .map(str::to_string)
        .unwrap_or(message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_3_0_component_sections_are_all_but_path_items() {
        assert_eq!(COMPONENT_SECTIONS.last(), Some(&PATH_ITEMS_SECTION));
        assert_eq!(COMPONENT_SECTIONS_3_0.len(), 9);
        assert!(!COMPONENT_SECTIONS_3_0.contains(&PATH_ITEMS_SECTION));
    }
}
