//! Waiting between attempts: `std::thread::sleep` for sync fns (with a paused mode for tests),
//! and a pluggable async sleeper (tokio by default).

use std::cell::Cell;
use std::future::Future;
use std::time::{Duration, Instant};

/// How async retries wait and read the time. Implement it to run `#[retry]` on a runtime other
/// than tokio, then name it with `#[retry(sleeper = MySleeper)]`.
///
/// Both are associated fns (no `self`), so a sleeper adds nothing to the size of the future.
///
/// ```
/// use std::time::{Duration, Instant};
/// use retry_runtime::AsyncSleeper;
///
/// /// Sleeps by spawning a thread per sleep; fine for a demo, not for production.
/// struct ThreadSleeper;
///
/// impl AsyncSleeper for ThreadSleeper {
///     async fn sleep(duration: Duration) {
///         let (sender, receiver) = std::sync::mpsc::channel();
///         std::thread::spawn(move || {
///             std::thread::sleep(duration);
///             let _ = sender.send(());
///         });
///         let _ = receiver.recv();
///     }
///
///     fn now() -> Instant {
///         Instant::now()
///     }
/// }
/// ```
pub trait AsyncSleeper {
    /// Waits for `duration`.
    fn sleep(duration: Duration) -> impl Future<Output = ()>;
    /// The current time on this runtime's clock (virtual, if the runtime pauses time in tests).
    fn now() -> Instant;
}

/// Sleeps with `tokio::time::sleep` and reads `tokio::time::Instant`, so tests under
/// `#[tokio::test(start_paused = true)]` retry instantly and `max_elapsed` follows virtual time.
#[cfg(feature = "tokio")]
#[derive(Clone, Copy, Debug, Default)]
pub struct TokioSleeper;

#[cfg(feature = "tokio")]
impl AsyncSleeper for TokioSleeper {
    fn sleep(duration: Duration) -> impl Future<Output = ()> {
        tokio::time::sleep(duration)
    }

    fn now() -> Instant {
        tokio::time::Instant::now().into_std()
    }
}

#[derive(Clone, Copy)]
struct PausedClock {
    origin: Instant,
    elapsed: Duration,
    sleeps: u64,
}

thread_local! {
    static PAUSED: Cell<Option<PausedClock>> = const { Cell::new(None) };
}

/// Sleeps for real, or advances this thread's paused clock. Inline: a zero delay on a thread
/// whose clock runs (`delay = "0ms"`, or a full-jitter draw of 0) costs a thread-local read and
/// two tests, no call.
#[inline]
pub(crate) fn sleep_sync(duration: Duration) {
    if is_paused() {
        advance_paused(duration);
    } else if !duration.is_zero() {
        std::thread::sleep(duration);
    }
}

/// Advances this thread's paused clock by `duration`, and counts the sleep.
#[cold]
#[inline(never)]
fn advance_paused(duration: Duration) {
    let _ = PAUSED.try_with(|slot| {
        if let Some(mut clock) = slot.get() {
            clock.elapsed = clock.elapsed.saturating_add(duration);
            clock.sleeps += 1;
            slot.set(Some(clock));
        }
    });
}

/// The time as sync retries see it: the real clock, or this thread's paused one.
pub(crate) fn now_sync() -> Instant {
    paused_now().unwrap_or_else(Instant::now)
}

/// Whether this thread's clock is paused (a [`PausedTime`] guard is alive): one thread-local
/// read, for hot paths that read another clock when it is not.
#[inline]
pub(crate) fn is_paused() -> bool {
    PAUSED
        .try_with(|slot| slot.get().is_some())
        .unwrap_or(false)
}

/// This thread's paused clock, if a [`PausedTime`] guard is alive.
pub(crate) fn paused_now() -> Option<Instant> {
    PAUSED.try_with(Cell::get).ok().flatten().map(|clock| {
        clock
            .origin
            .checked_add(clock.elapsed)
            .unwrap_or(clock.origin)
    })
}

/// While alive, sync retries on this thread do not sleep: each sleep advances a virtual clock
/// instead, which `max_elapsed` reads. Dropping it resumes real sleeps. Get one with
/// [`testing::pause_sync_time`](crate::testing::pause_sync_time).
#[must_use = "time resumes as soon as the guard is dropped"]
#[derive(Debug)]
pub struct PausedTime {
    // Restored on drop, so nested pauses unwind in order.
    outer: Option<PausedClock>,
    // Not Send: the pause belongs to the thread that made it.
    _thread_bound: std::marker::PhantomData<*const ()>,
}

impl std::fmt::Debug for PausedClock {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PausedClock")
            .field("elapsed", &self.elapsed)
            .field("sleeps", &self.sleeps)
            .finish_non_exhaustive()
    }
}

impl PausedTime {
    pub(crate) fn start() -> Self {
        let outer = PAUSED.with(|slot| {
            slot.replace(Some(PausedClock {
                origin: Instant::now(),
                elapsed: Duration::ZERO,
                sleeps: 0,
            }))
        });
        PausedTime {
            outer,
            _thread_bound: std::marker::PhantomData,
        }
    }

    /// Total virtual time slept (plus [`advance`](Self::advance)) since the pause began.
    pub fn elapsed(&self) -> Duration {
        Self::clock().elapsed
    }

    /// How many sleeps were skipped since the pause began.
    pub fn sleeps(&self) -> u64 {
        Self::clock().sleeps
    }

    /// Moves the virtual clock forward, as if the code under test had run that long (to test
    /// `max_elapsed` with slow attempts).
    pub fn advance(&self, duration: Duration) {
        PAUSED.with(|slot| {
            if let Some(mut clock) = slot.get() {
                clock.elapsed = clock.elapsed.saturating_add(duration);
                slot.set(Some(clock));
            }
        });
    }

    fn clock() -> PausedClock {
        // The guard keeps the clock set while it lives; the fallback only matters if guards
        // are dropped out of order.
        PAUSED.with(Cell::get).unwrap_or(PausedClock {
            origin: Instant::now(),
            elapsed: Duration::ZERO,
            sleeps: 0,
        })
    }
}

impl Drop for PausedTime {
    fn drop(&mut self) {
        let _ = PAUSED.try_with(|slot| slot.set(self.outer));
    }
}
