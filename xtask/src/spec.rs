//! Reading an OpenAPI 3.0 document, with errors that point into the file.

use std::path::{Path, PathBuf};

use openapiv3::OpenAPI;

use crate::error::XtaskError;

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
    let not_openapi = |message: &str| XtaskError::NotOpenApi {
        path: path.to_path_buf(),
        message: message.to_string(),
    };
    let object = value.as_object().ok_or_else(|| {
        not_openapi("not an OpenAPI document: the top level is not a JSON object")
    })?;
    if object.contains_key("swagger") {
        return Err(not_openapi(
            "Swagger 2.0 documents are not supported: progenitor reads OpenAPI 3.0.x only",
        ));
    }
    let version = match object.get("openapi") {
        Some(serde_json::Value::String(version)) => version,
        Some(_) => return Err(not_openapi("the `openapi` field is not a string")),
        None => {
            return Err(not_openapi(
                "not an OpenAPI document: it has no `openapi` version field",
            ));
        }
    };
    if version.trim().starts_with("3.0.") {
        Ok(())
    } else {
        Err(XtaskError::UnsupportedVersion {
            path: path.to_path_buf(),
            version: version.clone(),
        })
    }
}

/// serde_json appends " at line L column C" to its messages; the position is
/// reported separately, so drop it from the text.
fn message_without_position(err: &serde_json::Error) -> String {
    let message = err.to_string();
    let suffix = format!(" at line {} column {}", err.line(), err.column());
    message
        .strip_suffix(&suffix)
        .map(str::to_string)
        .unwrap_or(message)
}
