//! Reading what the user hands over in files: bounded, regular files only.

use std::io::{self, Read};
use std::path::Path;

use serde_json::Value;

use crate::exit::Failure;

/// The most of a key file that is read: keys are tens of bytes.
pub const KEY_FILE_LIMIT: u64 = 4096;

/// The most of a JSON body (`--body @FILE`, `--body -`) that is read.
pub const BODY_LIMIT: u64 = 1024 * 1024;

/// Reads the key from a regular file of at most [`KEY_FILE_LIMIT`] bytes.
/// The file's path is not echoed in errors: it might be the key itself,
/// typed in the wrong place.
pub fn read_key_file(path: &Path) -> Result<String, Failure> {
    let bytes = read_bounded_file(path, KEY_FILE_LIMIT, "the file given to --api-key-file")?;
    let key = String::from_utf8(bytes)
        .map_err(|_| Failure::usage("the file given to --api-key-file is not UTF-8 text"))?;
    let key = key.trim().to_string();
    if key.is_empty() {
        return Err(Failure::usage("the file given to --api-key-file is empty"));
    }
    Ok(key)
}

/// A JSON argument: inline JSON, `@FILE` or `-` (stdin), bounded like
/// the key file.
pub fn json_argument(flag: &str, source: &str) -> Result<Value, Failure> {
    let what = format!("the JSON given to {flag}");
    let text = if source == "-" {
        let mut bytes = Vec::new();
        io::stdin()
            .lock()
            .take(BODY_LIMIT + 1)
            .read_to_end(&mut bytes)
            .map_err(|error| Failure::usage(format!("cannot read {what} from stdin: {error}")))?;
        if bytes.len() as u64 > BODY_LIMIT {
            return Err(Failure::usage(format!(
                "{what} on stdin holds more than {BODY_LIMIT} bytes"
            )));
        }
        into_text(bytes, &what)?
    } else if let Some(path) = source.strip_prefix('@') {
        into_text(
            read_bounded_file(Path::new(path), BODY_LIMIT, &what)?,
            &what,
        )?
    } else {
        source.to_string()
    };
    serde_json::from_str(&text)
        .map_err(|error| Failure::usage(format!("{flag} is not valid JSON: {error}")))
}

fn into_text(bytes: Vec<u8>, what: &str) -> Result<String, Failure> {
    String::from_utf8(bytes).map_err(|_| Failure::usage(format!("{what} is not UTF-8 text")))
}

/// Reads a regular file of at most `limit` bytes; `what` names it in errors.
fn read_bounded_file(path: &Path, limit: u64, what: &str) -> Result<Vec<u8>, Failure> {
    let cannot = |error: io::Error| Failure::usage(format!("cannot read {what}: {error}"));
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO for reading blocks until a writer comes; non-blocking,
    // it opens at once and is refused below as not a regular file.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(cannot)?;
    let metadata = file.metadata().map_err(cannot)?;
    if !metadata.is_file() {
        return Err(Failure::usage(format!(
            "{what} is not a regular file (a device, FIFO or directory cannot be read safely)"
        )));
    }
    if metadata.len() > limit {
        return Err(Failure::usage(format!(
            "{what} is {} bytes; at most {limit} are read",
            metadata.len()
        )));
    }
    let mut bytes = Vec::new();
    // Bounded even if the file grows while it is read.
    file.take(limit + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > limit {
        return Err(Failure::usage(format!(
            "{what} holds more than {limit} bytes"
        )));
    }
    Ok(bytes)
}
