//! Switches for tests of code that retries: no real sleeps, reproducible jitter.
//!
//! Async fns sleep with tokio, so `#[tokio::test(start_paused = true)]` already makes their
//! retries instant; these cover sync fns and the random draws.

pub use crate::sleep::PausedTime;

/// Stops sync retries on this thread from sleeping until the guard is dropped: each sleep
/// advances a virtual clock instead, and `max_elapsed` reads that clock.
///
/// The pause is per thread, so tests running in parallel do not see each other's clocks; code
/// that retries on another thread needs its own guard there.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::{Jitter, RetryPolicy};
///
/// let paused = retry_runtime::testing::pause_sync_time();
/// let policy = RetryPolicy::builder().jitter(Jitter::None).max_attempts(3).build()?;
/// let result: Result<(), &str> = policy.retry(|| Err("down"));
/// assert_eq!(result, Err("down"));
/// // 100 ms + 200 ms, without waiting for them.
/// assert_eq!(paused.elapsed(), Duration::from_millis(300));
/// assert_eq!(paused.sleeps(), 2);
/// # Ok::<(), retry_runtime::PolicyError>(())
/// ```
pub fn pause_sync_time() -> PausedTime {
    PausedTime::start()
}

/// Re-seeds this thread's jitter generator, so the delays drawn after it on this thread are the
/// same on every run.
///
/// ```
/// use retry_runtime::RetryPolicy;
/// use std::time::Duration;
///
/// let draw = || {
///     let paused = retry_runtime::testing::pause_sync_time();
///     let _: Result<(), ()> = RetryPolicy::DEFAULT.retry(|| Err(()));
///     paused.elapsed()
/// };
/// retry_runtime::testing::seed_jitter(7);
/// let first = draw();
/// retry_runtime::testing::seed_jitter(7);
/// assert_eq!(draw(), first);
/// ```
pub fn seed_jitter(seed: u64) {
    crate::rng::seed_thread(seed);
}
