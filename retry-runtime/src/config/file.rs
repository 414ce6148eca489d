//! Reading an overrides file: its format from its extension, its text read up to a size limit.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use super::error::ConfigError;

/// The most bytes [`Overrides::from_file`](super::Overrides::from_file) reads: 1 MiB. An
/// overrides file holds a few kilobytes; a larger one is refused before it is parsed, so a file
/// named by mistake (a log, a device) costs a bounded read.
pub const MAX_FILE_BYTES: u64 = 1 << 20;

/// The formats a file can have.
pub(super) enum Format {
    Toml,
    Json,
}

/// The file's format and text.
pub(super) fn read(path: &Path, origin: &str) -> Result<(Format, String), ConfigError> {
    let format = match path.extension().and_then(|extension| extension.to_str()) {
        Some("toml") => Format::Toml,
        Some("json") => Format::Json,
        _ => {
            return Err(ConfigError::new(
                origin,
                "",
                "unknown format; name the file `*.toml` or `*.json`",
            ));
        }
    };
    let cannot_read = |error: std::io::Error| {
        ConfigError::new(origin, "", format!("cannot read the file: {error}"))
    };
    let mut bytes = Vec::new();
    File::open(path)
        .map_err(cannot_read)?
        .take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot_read)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > MAX_FILE_BYTES {
        return Err(ConfigError::new(
            origin,
            "",
            format!(
                "the file is larger than {MAX_FILE_BYTES} bytes (1 MiB), the most `from_file` reads; an overrides file holds a few kilobytes"
            ),
        ));
    }
    let text = String::from_utf8(bytes).map_err(|error| {
        ConfigError::new(
            origin,
            "",
            format!(
                "the file is not UTF-8 text (the first invalid byte is at offset {})",
                error.utf8_error().valid_up_to()
            ),
        )
    })?;
    Ok((format, text))
}
