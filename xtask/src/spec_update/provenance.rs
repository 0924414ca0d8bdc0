//! `openapi/recallr.provenance.json`: where the spec was imported from, when,
//! and the SHA-256 of the exact bytes, so an import can be traced and
//! repeated.

use serde::Serialize;
use sha2::{Digest, Sha256};

/// The provenance record of one import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Provenance {
    /// The file path or URL given to `--from`.
    pub source: String,
    /// When the document was read, RFC 3339 in UTC.
    pub fetched_at: String,
    /// SHA-256 of the document's bytes as fetched, lower-case hex.
    pub sha256: String,
    /// The OpenAPI version the upstream document declared.
    pub upstream_openapi: String,
    /// The operationIds kept.
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
