//! The state file on disk: written whole to a new temporary file beside it and renamed over it,
//! and read with a bound.
//!
//! The temporary file is created new (`O_CREAT | O_EXCL`), so a link or file planted at its name
//! is never followed nor reused; on unix it is created with the mode of the file it replaces
//! (the umask can only narrow that, never widen it) and then set to exactly that mode. It is
//! synced before the rename, and on unix the directory is synced after it, so that the rename
//! itself survives a crash.

use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// How many temporary names one write tries before giving up: a name is taken only by a file
/// left by a crashed process with the same id, or planted.
const TEMPORARY_NAMES_TRIED: usize = 16;

/// Replaces the file at `path` with `bytes`: whole or not at all.
pub(super) fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mode = existing_mode(path)?;
    let (temporary, mut file) = create_temporary(path, mode)?;
    let written = write_and_sync(&mut file, bytes, mode);
    drop(file);
    if let Err(error) = written.and_then(|()| std::fs::rename(&temporary, path)) {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    sync_directory(path)
}

/// The file's bytes, one past [`MAX_FILE_BYTES`](super::MAX_FILE_BYTES) at most.
pub(super) fn read_bounded(path: &Path) -> io::Result<Vec<u8>> {
    let limit = u64::try_from(super::MAX_FILE_BYTES).map_or(u64::MAX, |bytes| bytes + 1);
    let mut bytes = Vec::new();
    File::open(path)?.take(limit).read_to_end(&mut bytes)?;
    Ok(bytes)
}

/// The permission bits of the file the write replaces (through a link at `path`, if any), or
/// `None` when there is no file yet. Always `None` off unix.
fn existing_mode(path: &Path) -> io::Result<Option<u32>> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        match std::fs::metadata(path) {
            Ok(metadata) => Ok(Some(metadata.permissions().mode() & 0o777)),
            Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(error) => Err(error),
        }
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(None)
    }
}

/// A new file named `<stem>.tmp.<pid>.<n>` beside `path`, unique per process and write.
fn create_temporary(path: &Path, mode: Option<u32>) -> io::Result<(PathBuf, File)> {
    static WRITES: AtomicU64 = AtomicU64::new(0);
    let mut taken = None;
    for _ in 0..TEMPORARY_NAMES_TRIED {
        let temporary = path.with_extension(format!(
            "tmp.{}.{}",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        let mut options = OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        if let Some(mode) = mode {
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, mode);
        }
        #[cfg(not(unix))]
        let _ = mode;
        match options.open(&temporary) {
            Ok(file) => return Ok((temporary, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => taken = Some(error),
            Err(error) => return Err(error),
        }
    }
    Err(taken.unwrap_or_else(|| io::Error::from(io::ErrorKind::AlreadyExists)))
}

fn write_and_sync(file: &mut File, bytes: &[u8], mode: Option<u32>) -> io::Result<()> {
    file.write_all(bytes)?;
    #[cfg(unix)]
    if let Some(mode) = mode {
        // On the open file, so never through a link: the exact mode, whatever the umask.
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = mode;
    file.sync_all()
}

/// Makes the rename durable: on unix a rename is only on disk once its directory is synced.
fn sync_directory(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        let directory = match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        };
        File::open(directory)?.sync_all()
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(())
    }
}
