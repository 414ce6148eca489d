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
//! let _saving = store.save_on_transition();
//! ```
//!
//! The file is written to a temporary file beside it and renamed over it, so a reader (or the
//! next start) sees either the old file or the new one, never half of one, even with several
//! writers at once. Open breakers are saved with the time they have left, and restored open for
//! that long. Breakers that have not registered yet when the state is restored take it at their
//! first call.

use std::collections::HashMap;
use std::error::Error;
use std::fmt::{self, Write as _};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::Duration;

use crate::breaker::CircuitBreaker;
use crate::breaker::state::BreakerState;
use crate::events::hooks::{Event, HookGuard, install_hook};

const HEADER: &str = "retry-runtime breaker state v1";

/// Where breaker state is kept.
#[derive(Clone, Debug)]
pub struct BreakerStore {
    path: PathBuf,
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
    /// The file is not breaker state; it was not applied.
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
        }
    }
}

impl Error for PersistError {}

/// One breaker as saved.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Saved {
    state: BreakerState,
    trips_in_a_row: u32,
    open_for_left: Duration,
}

fn pending() -> &'static Mutex<HashMap<String, Saved>> {
    static PENDING: OnceLock<Mutex<HashMap<String, Saved>>> = OnceLock::new();
    PENDING.get_or_init(Mutex::default)
}

/// A breaker registering now takes any state restored for it earlier.
pub(crate) fn apply_pending(breaker: &CircuitBreaker) {
    let saved = pending()
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .remove(breaker.name());
    if let Some(saved) = saved {
        breaker.restore(saved.state, saved.trips_in_a_row, saved.open_for_left);
    }
}

impl BreakerStore {
    /// A store at `path` (created on the first save).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        BreakerStore { path: path.into() }
    }

    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Writes every registered breaker's state, atomically.
    ///
    /// # Errors
    /// [`PersistError::Io`] when the temporary file cannot be written or renamed.
    pub fn save(&self) -> Result<(), PersistError> {
        let mut text = String::from(HEADER);
        text.push('\n');
        let mut breakers = crate::registry::breakers_snapshot();
        breakers.sort_by_key(|breaker| breaker.name());
        for breaker in breakers {
            let name = breaker.name();
            if name.contains(['\t', '\n', '\r']) {
                tracing::warn!(target: crate::TRACING_TARGET, name, "a breaker name with a tab or line break cannot be saved");
                continue;
            }
            let (state, trips, left) = breaker.saved_state();
            let _ = writeln!(
                text,
                "{name}\t{}\t{trips}\t{}",
                state.name(),
                left.as_millis()
            );
        }
        self.write_atomically(text.as_bytes())
    }

    fn write_atomically(&self, bytes: &[u8]) -> Result<(), PersistError> {
        static WRITES: AtomicU64 = AtomicU64::new(0);
        let io = |error| PersistError::Io {
            path: self.path.clone(),
            error,
        };
        // Unique per process and write, so that concurrent writers never share a temporary file.
        let temporary = self.path.with_extension(format!(
            "tmp.{}.{}",
            std::process::id(),
            WRITES.fetch_add(1, Ordering::Relaxed)
        ));
        let written = std::fs::File::create(&temporary).and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        });
        if let Err(error) = written.and_then(|()| std::fs::rename(&temporary, &self.path)) {
            let _ = std::fs::remove_file(&temporary);
            return Err(io(error));
        }
        Ok(())
    }

    /// Reads the file and applies it: to breakers registered already, now; to the others, at
    /// their first call. Returns how many breakers the file held.
    ///
    /// # Errors
    /// [`PersistError::Missing`] or [`PersistError::Corrupt`] (nothing is applied, so every
    /// breaker starts closed), or [`PersistError::Io`].
    pub fn restore(&self) -> Result<usize, PersistError> {
        let text = match std::fs::read_to_string(&self.path) {
            Ok(text) => text,
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
        let saved = self.parse(&text)?;
        let count = saved.len();
        for (name, state) in saved {
            match crate::registry::breaker(&name) {
                Some(breaker) => {
                    breaker.restore(state.state, state.trips_in_a_row, state.open_for_left);
                }
                None => {
                    pending()
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner)
                        .insert(name, state);
                }
            }
        }
        Ok(count)
    }

    fn parse(&self, text: &str) -> Result<Vec<(String, Saved)>, PersistError> {
        let corrupt = |line: usize, reason: String| PersistError::Corrupt {
            path: self.path.clone(),
            line,
            reason,
        };
        let mut lines = text.lines().enumerate();
        match lines.next() {
            Some((_, HEADER)) => {}
            _ => return Err(corrupt(1, format!("the first line is not \"{HEADER}\""))),
        }
        let mut saved = Vec::new();
        for (index, line) in lines {
            let number = index + 1;
            let fields: Vec<&str> = line.split('\t').collect();
            let [name, state, trips, left] = fields.as_slice() else {
                return Err(corrupt(
                    number,
                    format!("expected 4 tab-separated fields, found {}", fields.len()),
                ));
            };
            let state = BreakerState::ALL
                .into_iter()
                .find(|candidate| candidate.name() == *state)
                .ok_or_else(|| corrupt(number, format!("unknown state \"{state}\"")))?;
            let trips = trips
                .parse()
                .map_err(|_| corrupt(number, format!("\"{trips}\" is not a trip count")))?;
            let left = left.parse().map(Duration::from_millis).map_err(|_| {
                corrupt(
                    number,
                    format!("\"{left}\" is not a number of milliseconds"),
                )
            })?;
            saved.push((
                (*name).to_owned(),
                Saved {
                    state,
                    trips_in_a_row: trips,
                    open_for_left: left,
                },
            ));
        }
        Ok(saved)
    }

    /// Saves after every breaker transition until the guard is dropped. A failed save is logged.
    pub fn save_on_transition(&self) -> HookGuard {
        let store = self.clone();
        install_hook(move |event: &Event<'_>| {
            if let Event::BreakerTransition { .. } = event
                && let Err(error) = store.save()
            {
                tracing::error!(target: crate::TRACING_TARGET, %error, "saving breaker state failed");
            }
        })
    }
}
