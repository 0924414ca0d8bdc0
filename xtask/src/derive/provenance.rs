//! `openapi/upstream.provenance.json`: where the upstream document came
//! from, when, the SHA-256 of the exact bytes, and which of its operations
//! the client keeps, so an import can be traced and repeated.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::select::OperationKey;
use crate::error::XtaskError;

/// Provenance files larger than this are refused: the real one is tiny.
const MAX_BYTES: u64 = 1024 * 1024;

/// The provenance record of one import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Provenance {
    /// The file path or URL given to `--from`, with credentials removed.
    pub source: String,
    /// When the document was read, RFC 3339 in UTC.
    pub fetched_at: String,
    /// SHA-256 of the document's bytes as fetched, lower-case hex.
    pub sha256: String,
    /// The OpenAPI version the upstream document declared.
    pub upstream_openapi: String,
    /// The operations kept, as `METHOD /path`.
    pub operations: Vec<String>,
}

/// Lower-case hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect()
}

impl Provenance {
    /// Reads the record at `path`.
    pub fn load(path: &Path) -> Result<Provenance, XtaskError> {
        let text = crate::bounded_read::read_to_string(path, MAX_BYTES)?;
        serde_json::from_str(&text).map_err(|err| XtaskError::Import {
            document: format!("{}:{}:{}", path.display(), err.line(), err.column()),
            message: format!(
                "not a provenance record: {}",
                crate::spec::message_without_position(&err)
            ),
        })
    }

    /// The kept operations, parsed.
    pub fn operation_keys(&self, path: &Path) -> Result<Vec<OperationKey>, XtaskError> {
        self.operations
            .iter()
            .map(|text| {
                OperationKey::parse(text).ok_or_else(|| XtaskError::Import {
                    document: path.display().to_string(),
                    message: format!("`{text}` in `operations` is not `METHOD /path`"),
                })
            })
            .collect()
    }

    /// The record as 2-space indented JSON with a trailing newline.
    pub fn to_text(&self) -> Result<String, serde_json::Error> {
        let mut text = serde_json::to_string_pretty(self)?;
        text.push('\n');
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_digest_is_lower_case_hex() {
        assert_eq!(
            sha256_hex(b"abc"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
    }
}
