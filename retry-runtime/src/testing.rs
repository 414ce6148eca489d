//! Switches for tests of code that retries: no real sleeps, reproducible jitter.
//!
//! Async fns sleep with tokio, so `#[tokio::test(start_paused = true)]` already makes their
//! retries instant; these cover sync fns and the random draws.

pub use crate::scope::NameScope;
pub use crate::sleep::PausedTime;

/// Gives this thread its own breakers and budgets until the guard is dropped: every
/// `#[circuit_breaker(name = ...)]`, `#[retry(budget = ...)]`, [`breaker`](crate::breaker) and
/// [`budget`](crate::budget) on this thread finds the scope's, created fresh on first use (and
/// so do bulkheads, rate limiters, hedge sites and [`chaos`](crate::chaos()) points). Tests
/// that run in parallel with the same names (each with its own paused clock) then never see each
/// other's state. A scope belongs to its thread: use it in `#[test]` and in
/// `#[tokio::test]`'s default current-thread runtime.
///
/// ```
/// use retry_runtime::{BreakerConfig, BreakerState, breaker, register_breaker};
///
/// register_breaker("scoped-doc", BreakerConfig::DEFAULT).force_open();
/// {
///     let _scope = retry_runtime::testing::scope();
///     assert!(breaker("scoped-doc").is_none());
///     register_breaker("scoped-doc", BreakerConfig::DEFAULT);
///     assert_eq!(breaker("scoped-doc").unwrap().state(), BreakerState::Closed);
/// }
/// assert_eq!(breaker("scoped-doc").unwrap().state(), BreakerState::ForcedOpen);
/// # breaker("scoped-doc").unwrap().reset();
/// ```
pub fn scope() -> NameScope {
    NameScope::enter()
}

/// Resets every breaker (to closed, failures forgotten), every retry budget (to its reserve,
/// counts from zero), every rate limiter (to its whole burst), every hedge site (counts and
/// latencies forgotten) and every chaos point (back to the installed config's settings, or
/// unconfigured; counts from zero) of this thread's scope: the process-wide ones outside a
/// [`scope`].
/// latencies forgotten) and every throttle (nothing counted) of this thread's scope: the process-wide ones outside a [`scope`].
/// latencies forgotten) and every adaptive limiter (to its initial limit) of this thread's
/// scope: the process-wide ones outside a [`scope`].
///
/// ```
/// use retry_runtime::{BreakerConfig, BreakerState, register_breaker};
///
/// let db = register_breaker("reset-all-doc", BreakerConfig::DEFAULT);
/// db.force_open();
/// retry_runtime::testing::reset_all();
/// assert_eq!(db.state(), BreakerState::Closed);
/// ```
pub fn reset_all() {
    for breaker in crate::breaker::registry::breakers_snapshot() {
        breaker.reset();
    }
    for budget in crate::budget::budgets_snapshot() {
        budget.reset();
    }
    for limiter in crate::rate_limit::registry::rate_limiters_snapshot() {
        limiter.reset();
    }
    for hedge in crate::hedge::registry::hedges_snapshot() {
        hedge.reset();
    }
    for chaos in crate::chaos::registry::chaos_snapshot() {
        chaos.reset();
    }
    for throttle in crate::throttle::registry::throttles_snapshot() {
        throttle.reset();
    }
    for limiter in crate::adaptive_limit::registry::adaptive_limiters_snapshot() {
        limiter.reset();
    }
}

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

/// Re-seeds this thread's generator, so the delays drawn after it on this thread (jitter, and
/// the spread of hinted waits over `[hint, hint x 1.1]`) and the chaos injections (`#[chaos]`'s
/// `fault_rate` and `latency_rate` draws) are the same on every run.
/// Re-seeds this thread's jitter generator, so the delays drawn after it on this thread are the
/// same on every run. Throttles draw from the same generator, so the calls a throttle rejects
/// on this thread are the same on every run too.
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

/// A [`BreakerClock`](crate::BreakerClock) that only moves when told to, for driving a
/// [`CircuitBreaker`](crate::CircuitBreaker) through `open_for` without waiting.
///
/// ```
/// use std::sync::Arc;
/// use std::time::Duration;
/// use retry_runtime::testing::ManualClock;
/// use retry_runtime::{BreakerConfig, BreakerState, CircuitBreaker};
///
/// let clock = Arc::new(ManualClock::new());
/// let config = BreakerConfig::builder().failure_threshold(1).open_for(Duration::from_secs(30)).build()?;
/// let breaker = CircuitBreaker::with_clock("doc", config, clock.clone());
/// breaker.try_acquire().unwrap().record_failure();
/// assert!(breaker.try_acquire().is_err());
/// clock.advance(Duration::from_secs(30));
/// let probe = breaker.try_acquire().unwrap();
/// assert_eq!(breaker.state(), BreakerState::HalfOpen);
/// probe.record_success();
/// assert_eq!(breaker.state(), BreakerState::Closed);
/// # Ok::<(), retry_runtime::BreakerConfigError>(())
/// ```
#[derive(Debug)]
pub struct ManualClock {
    origin: std::time::Instant,
    offset_nanos: std::sync::atomic::AtomicU64,
}

impl ManualClock {
    /// A clock standing at the current instant.
    pub fn new() -> Self {
        ManualClock {
            origin: std::time::Instant::now(),
            offset_nanos: std::sync::atomic::AtomicU64::new(0),
        }
    }

    /// Moves the clock forward.
    pub fn advance(&self, duration: std::time::Duration) {
        let nanos = u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX);
        self.offset_nanos
            .fetch_add(nanos, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Default for ManualClock {
    fn default() -> Self {
        Self::new()
    }
}

impl crate::BreakerClock for ManualClock {
    fn now(&self) -> std::time::Instant {
        let offset = self.offset_nanos.load(std::sync::atomic::Ordering::SeqCst);
        self.origin + std::time::Duration::from_nanos(offset)
    }
}

/// Under loom, what the calling thread's exit does to the breakers' counters: gives back the
/// stripe it leased. Loom runs thread-local destructors outside its model, so a model calls this
/// at the end of each thread it spawns that counts.
#[cfg(loom)]
pub fn end_thread() {
    crate::breaker::counters::end_thread();
}
