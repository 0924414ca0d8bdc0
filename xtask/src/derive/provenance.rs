//! `openapi/upstream.provenance.json`: where the upstream document came
//! from, when, the SHA-256 of the exact bytes, and the rule that says which
//! of its operations the client keeps, so an import can be traced and
//! repeated.
//!
//! The kept set is a rule, not a frozen list: `["all", "!POST /x"]` keeps
//! every operation but `POST /x`, so an operation the vendor adds later is
//! adopted by the next `spec update` (and reported as additive).

use std::collections::BTreeMap;
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
    /// Which operations are kept, as `--keep` takes them: `all`,
    /// `METHOD /path` or an operationId, and `!` before an entry to leave
    /// that operation out (see [`super::select::resolve`]).
    pub keep: Vec<String>,
    /// Why each operation that `keep` leaves out is left out, keyed by its
    /// `!` entry without the `!`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub excluded: BTreeMap<String, String>,
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

    /// The operations of `upstream` that the rule keeps, in document order.
    /// `path` names this record in errors.
    pub fn kept_operations(
        &self,
        path: &Path,
        upstream: &serde_json::Value,
    ) -> Result<Vec<OperationKey>, XtaskError> {
        super::select::resolve(upstream, &self.keep).map_err(|message| XtaskError::Import {
            document: path.display().to_string(),
            message: format!("`keep`: {message}"),
        })
    }

    /// The reasons of the exclusions that `keep` still names: a reason
    /// outlives its rule no longer.
    pub fn reasons_for(&self, keep: &[String]) -> BTreeMap<String, String> {
        keep.iter()
            .filter_map(|entry| entry.trim().strip_prefix('!'))
            .filter_map(|excluded| {
                let excluded = excluded.trim();
                self.excluded
                    .get(excluded)
                    .map(|why| (excluded.to_string(), why.clone()))
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
