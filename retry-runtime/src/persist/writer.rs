//! The background writer: one thread per state file, started at the first save asked of it,
//! so that a breaker transition never waits for a disk.
//!
//! Asking for a save only counts a request. The thread takes the snapshot when it writes, so a
//! write is never older than the requests it answers; the requests that arrive during a write
//! are answered together by the next one; and the writes run one at a time (with
//! [`BreakerStore::save`](super::BreakerStore::save) too), so an older snapshot never replaces a
//! newer one. Every store for one path shares its writer. The thread ends once every store for
//! the path is dropped and nothing is pending.

use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, OnceLock, PoisonError, Weak};

use super::PersistError;

/// The name of every writer thread.
const THREAD_NAME: &str = "retry-runtime-persist";

/// Takes a snapshot and writes it to the path.
type Write = Box<dyn Fn(&Path) -> Result<(), PersistError> + Send + Sync>;

struct Writer {
    path: PathBuf,
    write: Write,
    /// Held through each snapshot and write, so that they never overlap.
    writing: Mutex<()>,
    queue: Mutex<Queue>,
    /// Wakes the thread: a request, or the last handle gone.
    work: Condvar,
    /// Wakes flushes: a write finished.
    written: Condvar,
}

#[derive(Default)]
struct Queue {
    /// Requests counted so far.
    requested: u64,
    /// Requests answered by a finished write (or dropped because no thread could start).
    written: u64,
    /// `requested` when the latest flush took its own snapshot.
    flushed: u64,
    /// Whether the thread runs.
    running: bool,
    /// Live [`WriterHandle`]s.
    handles: usize,
    /// How the latest background write failed, if it did.
    failure: Option<PersistError>,
}

/// A store's share of its path's writer.
pub(super) struct WriterHandle {
    writer: Arc<Writer>,
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn writers() -> &'static Mutex<HashMap<PathBuf, Weak<Writer>>> {
    static WRITERS: OnceLock<Mutex<HashMap<PathBuf, Weak<Writer>>>> = OnceLock::new();
    WRITERS.get_or_init(Mutex::default)
}

impl WriterHandle {
    /// The writer of `path`: the one its other stores share, or a new one that saves with
    /// `write`.
    pub(super) fn for_path(
        path: &Path,
        write: impl Fn(&Path) -> Result<(), PersistError> + Send + Sync + 'static,
    ) -> WriterHandle {
        let key = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        let mut writers = lock(writers());
        writers.retain(|_, writer| writer.strong_count() > 0);
        let shared = writers.get(&key).and_then(Weak::upgrade);
        let writer = shared.unwrap_or_else(|| {
            let writer = Arc::new(Writer {
                path: path.to_owned(),
                write: Box::new(write),
                writing: Mutex::new(()),
                queue: Mutex::default(),
                work: Condvar::new(),
                written: Condvar::new(),
            });
            writers.insert(key, Arc::downgrade(&writer));
            writer
        });
        drop(writers);
        lock(&writer.queue).handles += 1;
        WriterHandle { writer }
    }

    /// Snapshots and writes now, on this thread, after any write under way.
    pub(super) fn write_now(&self) -> Result<(), PersistError> {
        self.writer.write_now()
    }

    /// Asks the thread for a save, starting it if it is not running. Never waits for a write.
    pub(super) fn request(&self) {
        let writer = &self.writer;
        let mut queue = lock(&writer.queue);
        queue.requested += 1;
        if queue.running {
            writer.work.notify_one();
            return;
        }
        let thread = Arc::clone(writer);
        match std::thread::Builder::new()
            .name(THREAD_NAME.to_owned())
            .spawn(move || thread.run())
        {
            Ok(_) => queue.running = true,
            Err(error) => {
                // Nothing will answer the request: drop it, so that a flush reports this
                // rather than waiting for ever.
                tracing::error!(target: crate::TRACING_TARGET, %error, path = %writer.path.display(), "could not start the breaker state writer; the save is dropped");
                queue.written = queue.requested;
                queue.failure = Some(PersistError::Io {
                    path: writer.path.clone(),
                    error,
                });
                writer.written.notify_all();
            }
        }
    }

    /// Waits until every save requested before the call has been written; then, if any save
    /// was requested since the previous flush, snapshots and writes once more on this thread.
    /// That last write is what makes a flush mean "every transition made before it is in the
    /// file": its snapshot is taken after the call, so it holds every transition that happened
    /// before it, whatever the background writes' snapshots caught. Returns at once when
    /// nothing was requested since the previous flush; otherwise the outcome of its write, or
    /// of the latest background write when there was nothing new to write.
    pub(super) fn flush(&self) -> Result<(), PersistError> {
        let writer = &self.writer;
        let mut queue = lock(&writer.queue);
        let target = queue.requested;
        while queue.written < target {
            queue = writer
                .written
                .wait(queue)
                .unwrap_or_else(PoisonError::into_inner);
        }
        if queue.flushed == target {
            return queue
                .failure
                .as_ref()
                .map_or(Ok(()), |error| Err(error.duplicate()));
        }
        drop(queue);
        // After any write under way, which then cannot replace this newer snapshot.
        let outcome = writer.write_now();
        let mut queue = lock(&writer.queue);
        queue.flushed = queue.flushed.max(target);
        if outcome.is_ok() {
            // The file is current: an older background failure no longer describes it.
            queue.failure = None;
        }
        outcome
    }
}

impl Drop for WriterHandle {
    fn drop(&mut self) {
        let mut queue = lock(&self.writer.queue);
        queue.handles -= 1;
        if queue.handles == 0 {
            self.writer.work.notify_one();
        }
    }
}

impl Writer {
    fn write_now(&self) -> Result<(), PersistError> {
        let _writing = lock(&self.writing);
        (self.write)(&self.path)
    }

    /// The thread: answers requests until no handle is left and nothing is pending.
    fn run(&self) {
        let mut queue = lock(&self.queue);
        loop {
            if queue.written < queue.requested {
                let answered = queue.requested;
                drop(queue);
                let outcome =
                    catch_unwind(AssertUnwindSafe(|| self.write_now())).unwrap_or_else(|_| {
                        Err(PersistError::Io {
                            path: self.path.clone(),
                            error: std::io::Error::other("saving breaker state panicked"),
                        })
                    });
                if let Err(error) = &outcome {
                    tracing::error!(target: crate::TRACING_TARGET, %error, "saving breaker state failed");
                }
                queue = lock(&self.queue);
                queue.written = answered;
                queue.failure = outcome.err();
                self.written.notify_all();
            } else if queue.handles == 0 {
                queue.running = false;
                return;
            } else {
                queue = self
                    .work
                    .wait(queue)
                    .unwrap_or_else(PoisonError::into_inner);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Barrier};

    use super::*;

    #[test]
    fn requests_during_a_write_are_answered_by_one_more_write() {
        let writes = Arc::new(AtomicUsize::new(0));
        let started = Arc::new(Barrier::new(2));
        let release = Arc::new(Barrier::new(2));
        let handle = {
            let (writes, started, release) = (writes.clone(), started.clone(), release.clone());
            WriterHandle::for_path(Path::new("/writer-test/coalesced"), move |_| {
                if writes.fetch_add(1, Ordering::SeqCst) == 0 {
                    started.wait();
                    release.wait();
                }
                Ok(())
            })
        };
        handle.request();
        started.wait();
        // The first write is under way: these all wait for the next one.
        for _ in 0..100 {
            handle.request();
        }
        release.wait();
        // The thread answers them all with one more write...
        while {
            let queue = lock(&handle.writer.queue);
            queue.written < queue.requested
        } {
            std::thread::yield_now();
        }
        assert_eq!(writes.load(Ordering::SeqCst), 2);
        // ...and a flush writes a snapshot of its own, once.
        handle.flush().unwrap();
        handle.flush().unwrap();
        assert_eq!(writes.load(Ordering::SeqCst), 3);
    }

    #[test]
    fn stores_for_one_path_share_a_writer_and_a_flush_reports_its_failure() {
        let failing = |path: &Path| {
            Err(PersistError::Io {
                path: path.to_owned(),
                error: std::io::Error::other("disk full"),
            })
        };
        let first = WriterHandle::for_path(Path::new("/writer-test/shared"), failing);
        let second = WriterHandle::for_path(Path::new("/writer-test/shared"), |_| Ok(()));
        assert!(Arc::ptr_eq(&first.writer, &second.writer));
        first.request();
        let error = second.flush().unwrap_err();
        assert_eq!(error.to_string(), "/writer-test/shared: disk full");
    }

    #[test]
    fn the_thread_ends_when_the_last_handle_is_dropped() {
        let handle = WriterHandle::for_path(Path::new("/writer-test/ends"), |_| Ok(()));
        let writer = Arc::downgrade(&handle.writer);
        handle.request();
        handle.flush().unwrap();
        drop(handle);
        // The thread holds the writer until it ends; then nothing does.
        while writer.strong_count() > 0 {
            std::thread::yield_now();
        }
        assert!(
            lock(writers())
                .get(Path::new("/writer-test/ends"))
                .and_then(Weak::upgrade)
                .is_none()
        );
    }
}
