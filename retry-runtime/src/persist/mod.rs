//! Breaker state that survives a restart (feature `persist`): saved to a file on demand or on
//! every transition, restored at start-up.
//!
//! ```no_run
//! use retry_runtime::persist::BreakerStore;
//!
//! let store = BreakerStore::new("/var/lib/myapp/breakers.state");
//! match store.restore() {
//!     Ok(restored) => println!("restored {restored} breakers"),
//!     // Missing or corrupt: every breaker starts closed, as if there were no file.
//!     Err(error) => eprintln!("{error}"),
//! }
//! let saving = store.save_on_transition();
//! // ... the program runs; at shutdown:
//! drop(saving);
//! if let Err(error) = store.flush() {
//!     eprintln!("{error}");
//! }
//! ```
//!
//! What is guaranteed:
//!
//! - **Atomic**: the state is written to a temporary file beside the file (`<stem>.tmp.<pid>.<n>`)
//!   and renamed over it, so a reader (or the next start) sees the old file or the new one,
//!   never half of one.
//! - **Never through a planted link**: the temporary file is created new (`create_new`, that is
//!   `O_CREAT | O_EXCL`), so a link or file already at its name is neither followed nor reused;
//!   the save fails instead.
//! - **Permissions kept** (unix): the new file gets the old file's mode, at creation (so it is
//!   never readable more widely, even for a moment) and then exactly, whatever the umask. A
//!   first file gets the usual `0o666` less the umask. The owner is not kept.
//! - **Durable**: the temporary file is fsynced before the rename, and (unix) the directory is
//!   fsynced after it; a failure of either is an error.
//! - **Off the calling thread, in order**: [`save_on_transition`](BreakerStore::save_on_transition)
//!   only asks the store's writer thread (`retry-runtime-persist`, one per file, started at the
//!   first transition) for a save. The thread takes the snapshot when it writes, answers a burst
//!   of transitions with one write, and writes one snapshot at a time, so an older snapshot
//!   never replaces a newer one. After [`flush`](BreakerStore::flush), every transition made
//!   before it is in the file (for tests, and at shutdown: the thread does not keep the process
//!   alive).
//! - **Clamped**: open breakers are saved with the time they have left and restored open for
//!   that long, but never longer than the breaker's `max_open_for`; a breaker that registers
//!   after the restore takes its state at its first call, clamped by its own `max_open_for`.
//! - **Bounded**: a state file names at most [`MAX_BREAKERS`] breakers and holds at most
//!   [`MAX_FILE_BYTES`] bytes, of which no more is read; a larger file is rejected as
//!   [`PersistError::Corrupt`], naming the limit, and a larger state is not saved
//!   ([`PersistError::TooLarge`]).
//! - **Corrupt files are reported, never applied in part**: restoring applies a file only when
//!   all of it reads, and otherwise names the line and the reason. It never panics.

mod file;
mod format;
mod writer;

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};

use crate::breaker::CircuitBreaker;
use crate::events::hooks::{Event, HookGuard, install_hook};

use format::Saved;
pub use format::{MAX_BREAKERS, MAX_FILE_BYTES};
use writer::WriterHandle;

/// Where breaker state is kept. Clones, and every store made for the same path, share one
/// writer thread.
#[derive(Clone)]
pub struct BreakerStore {
    path: PathBuf,
    writer: Arc<WriterHandle>,
}

impl fmt::Debug for BreakerStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BreakerStore")
            .field("path", &self.path)
            .finish_non_exhaustive()
    }
}

/// Why state could not be saved or restored.
#[derive(Debug)]
#[non_exhaustive]
pub enum PersistError {
    /// There is no file yet (a first start): every breaker starts closed.
    Missing {
        /// The file.
        path: PathBuf,
    },
    /// The file is not breaker state, or is past a limit ([`MAX_BREAKERS`], [`MAX_FILE_BYTES`]);
    /// it was not applied.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// The line (from 1) that could not be read.
        line: usize,
        /// What is wrong with it.
        reason: String,
    },
    /// Reading or writing failed.
    Io {
        /// The file.
        path: PathBuf,
        /// The error.
        error: std::io::Error,
    },
    /// The state is more than a state file may hold ([`MAX_BREAKERS`], [`MAX_FILE_BYTES`]); it
    /// was not saved, and the file keeps what it held.
    TooLarge {
        /// The file.
        path: PathBuf,
        /// Which limit, and by how much.
        reason: String,
    },
}

impl fmt::Display for PersistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PersistError::Missing { path } => write!(
                f,
                "{}: no saved breaker state yet; every breaker starts closed",
                path.display()
            ),
            PersistError::Corrupt { path, line, reason } => write!(
                f,
                "{}:{line}: not breaker state ({reason}); ignored, every breaker starts closed",
                path.display()
            ),
            PersistError::Io { path, error } => write!(f, "{}: {error}", path.display()),
            PersistError::TooLarge { path, reason } => {
                write!(f, "{}: breaker state not saved: {reason}", path.display())
            }
        }
    }
}

impl Error for PersistError {}

impl PersistError {
    /// The same error again, for each flush that reports it (an I/O error keeps its kind and
    /// its message).
    fn duplicate(&self) -> PersistError {
        match self {
            PersistError::Missing { path } => PersistError::Missing { path: path.clone() },
            PersistError::Corrupt { path, line, reason } => PersistError::Corrupt {
                path: path.clone(),
                line: *line,
                reason: reason.clone(),
            },
            PersistError::Io { path, error } => PersistError::Io {
                path: path.clone(),
                error: std::io::Error::new(error.kind(), error.to_string()),
            },
            PersistError::TooLarge { path, reason } => PersistError::TooLarge {
                path: path.clone(),
                reason: reason.clone(),
            },
        }
    }
}

/// State restored for breakers that have not registered yet, by name.
fn pending() -> &'static Mutex<HashMap<String, Saved>> {
    static PENDING: OnceLock<Mutex<HashMap<String, Saved>>> = OnceLock::new();
    PENDING.get_or_init(Mutex::default)
}

/// A breaker registering now takes any state restored for it earlier.
fn apply_pending(breaker: &'static CircuitBreaker) {
    let saved = pending()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(breaker.name());
    if let Some(saved) = saved {
        apply(breaker, saved);
    }
}

/// Puts `breaker` in its saved state, open for no longer than its `max_open_for`.
fn apply(breaker: &CircuitBreaker, saved: Saved) {
    let open_for_left = saved.open_for_left.min(breaker.config().max_open_for());
    breaker.restore(saved.state, saved.trips_in_a_row, open_for_left);
}

/// Snapshots every registered breaker and writes the file: what the writer thread and
/// [`BreakerStore::save`] run, one at a time.
fn write_state(path: &Path) -> Result<(), PersistError> {
    let mut breakers = crate::breaker::registry::breakers_snapshot();
    breakers.sort_by_key(|breaker| breaker.name());
    let text = format::render(&breakers).map_err(|reason| PersistError::TooLarge {
        path: path.to_owned(),
        reason,
    })?;
    file::write_atomically(path, text.as_bytes()).map_err(|error| PersistError::Io {
        path: path.to_owned(),
        error,
    })
}

impl BreakerStore {
    /// A store at `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        let path = path.into();
        let writer = Arc::new(WriterHandle::for_path(&path, write_state));
        BreakerStore { path, writer }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes every registered breaker's state now, on this thread, atomically; after any
    /// save of this file under way, so never over a newer one.
    ///
    /// # Errors
    /// [`PersistError::Io`] when the temporary file cannot be created (something is at its
    /// name), written, synced or renamed, or the directory cannot be synced;
    /// [`PersistError::TooLarge`] when more than [`MAX_BREAKERS`] breakers are registered or the
    /// file would exceed [`MAX_FILE_BYTES`].
    pub fn save(&self) -> Result<(), PersistError> {
        self.writer.write_now()
    }

    /// Reads the file and applies it: to breakers registered already, now; to the others, at
    /// their first call. An open period is cut to the breaker's `max_open_for`. Returns how
    /// many breakers the file held.
    ///
    /// # Errors
    /// [`PersistError::Missing`] or [`PersistError::Corrupt`] (nothing is applied, so every
    /// breaker starts closed; a file past [`MAX_BREAKERS`] or [`MAX_FILE_BYTES`] is corrupt),
    /// or [`PersistError::Io`].
    pub fn restore(&self) -> Result<usize, PersistError> {
        let bytes = match file::read_bounded(&self.path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {
                return Err(PersistError::Missing {
                    path: self.path.clone(),
                });
            }
            Err(error) => {
                return Err(PersistError::Io {
                    path: self.path.clone(),
                    error,
                });
            }
        };
        let saved = format::parse(&bytes).map_err(|rejection| PersistError::Corrupt {
            path: self.path.clone(),
            line: rejection.line,
            reason: rejection.reason,
        })?;
        let count = saved.len();
        for (name, state) in saved {
            if let Some(breaker) = crate::breaker::registry::breaker(&name) {
                apply(breaker, state);
                continue;
            }
            crate::breaker::registry::on_registered(apply_pending);
            pending()
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(name.clone(), state);
            // Registered in the meantime, perhaps after looking for pending state: whichever
            // of the two takes the state out applies it.
            if let Some(breaker) = crate::breaker::registry::breaker(&name) {
                apply_pending(breaker);
            }
        }
        Ok(count)
    }

    /// Saves after every breaker transition until the guard is dropped, on the store's writer
    /// thread: the transition only asks for a save, and never waits for the disk. A failed
    /// save is logged, and reported by the next [`flush`](Self::flush).
    pub fn save_on_transition(&self) -> HookGuard {
        let writer = Arc::clone(&self.writer);
        install_hook(move |event: &Event<'_>| {
            if let Event::BreakerTransition { .. } = event {
                writer.request();
            }
        })
    }

    /// Makes the file hold every transition made before this call: waits for the saves asked
    /// of the writer thread so far, then, if any save was asked since the previous flush,
    /// snapshots and writes once more on the calling thread (a snapshot taken after the call,
    /// so it misses no transition that happened before it, whichever snapshots the background
    /// writes took). Call it at shutdown (the writer thread does not keep the process alive)
    /// and in tests before reading the file. It returns at once when nothing was asked since
    /// the previous flush, and otherwise blocks until the disk has answered: in async code,
    /// call it from a blocking task.
    ///
    /// # Errors
    /// The error of its own write, or, when it had nothing new to write, of the latest
    /// background save when that save failed (so the file may be older than the state); it
    /// stays until a later save succeeds.
    pub fn flush(&self) -> Result<(), PersistError> {
        self.writer.flush()
    }
}
