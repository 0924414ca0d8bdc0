//! Reading input files with a size limit, so that a wrong path (a device, a
//! huge file) is refused with a clear error instead of exhausting memory.

use std::io::Read;
use std::path::Path;

use crate::error::XtaskError;

/// Reads `path` as UTF-8 text, refusing anything that is not a regular file
/// or is larger than `limit` bytes.
pub fn read_to_string(path: &Path, limit: u64) -> Result<String, XtaskError> {
    let bytes = read(path, limit)?;
    String::from_utf8(bytes).map_err(|err| XtaskError::Read {
        path: path.to_path_buf(),
        source: std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("not UTF-8 text: {}", err.utf8_error()),
        ),
    })
}

/// Reads `path`'s bytes, refusing anything that is not a regular file or is
/// larger than `limit` bytes.
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, XtaskError> {
    let read_error = |source: std::io::Error| XtaskError::Read {
        path: path.to_path_buf(),
        source,
    };
    // Checked before opening: opening a FIFO would wait for a writer.
    let not_regular = || {
        read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            "not a regular file",
        ))
    };
    if !std::fs::metadata(path).map_err(read_error)?.is_file() {
        return Err(not_regular());
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        // Should the path turn into a FIFO after the check, opening it still
        // does not wait (and the check below refuses it).
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    let file = options.open(path).map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    if !metadata.is_file() {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    // One byte past the limit tells "exactly at the limit" from "over it".
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(read_error)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(read_error(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("larger than {limit} bytes"),
        )));
    }
    Ok(bytes)
}
