//! Adaptive limits: a concurrency limit per name that moves with the latencies the calls see,
//! for a dependency whose capacity no fixed `max_concurrent` can know (it changes with load,
//! deploys and failures).
//!
//! Admission is the bulkhead's: one compare-and-swap on a word holding the calls in flight and
//! the limit ([`slots`]), no lock, no allocation; a call that finds the limit reached waits up
//! to its site's `max_wait` (woken when a slot is freed or the limit rises), then is rejected.
//!
//! A call that finishes (with `Ok` or `Err`; its latency is what the dependency did) adds its
//! latency to the current window: two relaxed `fetch_add`s and two loads, lock-free. A call
//! that ends otherwise (its future dropped, a panic, or a rejection by a strategy inside it)
//! frees its slot without a sample. A window closes once it holds at least [`MIN_SAMPLES`]
//! calls and has lasted at least [`MIN_WINDOW`] and twice its fastest call (so it spans a
//! couple of round trips), at most [`MAX_WINDOW`] beyond that (checked every eighth sample once
//! the window is full, since reading how long it has lasted costs more than the sample): the
//! call that closes it takes a
//! lock no other call waits for (`try_lock`; a call that finds it taken goes on), summarises the
//! window (average latency, most calls in flight) and feeds it to the algorithm
//! ([`vegas`], [`gradient2`], [`aimd`]), whose limit the word then enforces.
//!
//! Latency is read on the clock the other strategies read: tokio's for async fns (paused test
//! time drives it), the sync sleep's for sync fns (which
//! [`pause_sync_time`](crate::testing::pause_sync_time) pauses).

pub(crate) mod aimd;
pub(crate) mod algorithm;
pub(crate) mod gradient2;
pub(crate) mod registry;
// What expansions call, reached through `__private` only: not in the API listing.
#[doc(hidden)]
pub(crate) mod site;
pub(crate) mod slots;
pub(crate) mod vegas;

use std::error::Error;
use std::fmt;
use std::future::{Future, poll_fn};
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError, TryLockError};
use std::task::Poll;
use std::time::{Duration, Instant};

use self::algorithm::{Controller, Window};
use self::slots::Slots;
use crate::sleep::AsyncSleeper;
use retry_settings::AdaptiveLimitConfig;

/// The fewest calls a window summarises: fewer say too little about the dependency.
pub(crate) const MIN_SAMPLES: u64 = 20;

/// The shortest window: as Envoy's adaptive concurrency filter samples (its
/// `concurrency_update_interval`), ten limit updates a second at most.
pub(crate) const MIN_WINDOW: Duration = Duration::from_millis(100);

/// A full window checks whether its time is up at every this many samples.
const CHECK_EVERY: u64 = 8;

/// The longest a window lasts once it holds [`MIN_SAMPLES`] calls (Netflix's
/// `maxWindowTime`), however slow they are.
pub(crate) const MAX_WINDOW: Duration = Duration::from_secs(1);

/// An adaptive limiter. Sites that name the same limiter share one instance through the
/// registry ([`adaptive_limiter`](crate::adaptive_limiter()) looks one up);
/// [`AdaptiveLimiter::new`] makes a private one.
///
/// ```
/// use std::time::{Duration, Instant};
/// use retry_runtime::{AdaptiveLimitConfig, AdaptiveLimiter};
///
/// let config = AdaptiveLimitConfig::builder().initial_limit(2).build()?;
/// let limiter = AdaptiveLimiter::new("reports", config);
/// let start = Instant::now();
/// let first = limiter.try_acquire_at(start).unwrap();
/// let _second = limiter.try_acquire_at(start).unwrap();
/// let exceeded = limiter.try_acquire_at(start).unwrap_err();
/// assert_eq!((exceeded.name, exceeded.limit), ("reports", 2));
/// // The call took 10 ms: a latency sample, and its slot is free again.
/// first.record_at(start + Duration::from_millis(10));
/// assert_eq!((limiter.inflight(), limiter.counts().completed), (1, 1));
/// # Ok::<(), retry_runtime::AdaptiveLimitConfigError>(())
/// ```
pub struct AdaptiveLimiter {
    name: &'static str,
    source: crate::events::Source,
    config: AdaptiveLimitConfig,
    slots: Slots,
    samples: Samples,
    control: Mutex<Control>,
    /// The time the first window was checked, on the clock of the call that checked it:
    /// windows are measured from it.
    origin: OnceLock<Instant>,
    dropped: AtomicU64,
    waited: AtomicU64,
    rejected: AtomicU64,
    increases: AtomicU64,
    decreases: AtomicU64,
}

/// The current window's samples, added without a lock.
struct Samples {
    /// Samples since the limiter was created.
    count: AtomicU64,
    /// Their latencies, in nanoseconds, wrapping: a window's sum is a difference.
    sum: AtomicU64,
    /// The window's fastest call, in nanoseconds (`u64::MAX` before one).
    min: AtomicU64,
    /// The most calls in flight when one of the window's calls was admitted.
    max_inflight: AtomicU32,
    /// Nanoseconds since `origin` from which the window may close.
    end: AtomicU64,
    /// `count` when the window opened.
    first: AtomicU64,
}

/// What the call that closes a window changes, under the lock.
struct Control {
    controller: Controller,
    /// `sum` when the window opened.
    first_sum: u64,
    /// `count` at the last [`reset`](AdaptiveLimiter::reset).
    reset_count: u64,
}

/// A call was rejected because its adaptive limiter's limit was reached and no slot was freed
/// within the site's `max_wait`.
///
/// `#[adaptive_limit]` returns `Err(E::from(LimitExceeded { .. }))`, so the fn's error type
/// needs `impl From<LimitExceeded>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct LimitExceeded {
    /// The limiter's name.
    pub name: &'static str,
    /// The limit in force when the call was rejected.
    pub limit: u32,
    /// How long the call waited for a slot (zero: rejected at once).
    pub waited: Duration,
}

impl fmt::Display for LimitExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "adaptive limit `{}` reached: {} calls are in flight",
            self.name, self.limit
        )?;
        if !self.waited.is_zero() {
            write!(f, " and none finished within {:?}", self.waited)?;
        }
        Ok(())
    }
}

impl Error for LimitExceeded {}

/// What an adaptive limiter did since it was created (or last [reset](AdaptiveLimiter::reset)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AdaptiveLimitCounts {
    /// Calls admitted: those that finished, those dropped, and those in flight.
    pub admitted: u64,
    /// Calls that finished, each a latency sample.
    pub completed: u64,
    /// Calls that freed their slot without a sample: their future dropped, a panic, or a
    /// rejection by a strategy inside the limiter.
    pub dropped: u64,
    /// Calls that found the limit reached, waited, and got a slot.
    pub waited: u64,
    /// Calls rejected: no slot within their `max_wait`.
    pub rejected: u64,
    /// Windows that raised the limit.
    pub increases: u64,
    /// Windows that lowered it.
    pub decreases: u64,
}

/// The right to run one call under an [`AdaptiveLimiter`]. [`record`](Self::record) it when
/// the call finishes, which frees its slot and gives the limiter the call's latency; dropped
/// without that (the call was cancelled or panicked), it frees the slot and says nothing of
/// the latency.
#[must_use = "the slot is freed as soon as the permit is dropped, without a latency sample"]
pub struct AdaptivePermit<'a> {
    limiter: &'a AdaptiveLimiter,
    started: Instant,
    /// Calls in flight once this one was admitted.
    inflight: u32,
}

impl AdaptiveLimiter {
    /// An adaptive limiter outside the registry.
    pub fn new(name: &'static str, config: AdaptiveLimitConfig) -> AdaptiveLimiter {
        AdaptiveLimiter {
            name,
            source: crate::events::Source::adaptive_limiter(name, config.initial_limit()),
            config,
            slots: Slots::new(config.initial_limit()),
            samples: Samples {
                count: AtomicU64::new(0),
                sum: AtomicU64::new(0),
                min: AtomicU64::new(u64::MAX),
                max_inflight: AtomicU32::new(0),
                end: AtomicU64::new(nanos(MIN_WINDOW)),
                first: AtomicU64::new(0),
            },
            control: Mutex::new(Control {
                controller: Controller::new(&config),
                first_sum: 0,
                reset_count: 0,
            }),
            origin: OnceLock::new(),
            dropped: AtomicU64::new(0),
            waited: AtomicU64::new(0),
            rejected: AtomicU64::new(0),
            increases: AtomicU64::new(0),
            decreases: AtomicU64::new(0),
        }
    }

    /// The limiter's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Its settings.
    pub fn config(&self) -> &AdaptiveLimitConfig {
        &self.config
    }

    /// The limit in force: the most calls admitted at once.
    pub fn limit(&self) -> u32 {
        self.slots.limit()
    }

    /// Calls admitted and not finished yet (above the limit for a while after it is lowered:
    /// calls already running are not stopped).
    pub fn inflight(&self) -> u32 {
        self.slots.inflight()
    }

    /// Calls waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.slots.waiting()
    }

    /// Cumulative counts.
    pub fn counts(&self) -> AdaptiveLimitCounts {
        let reset_count = self.control().reset_count;
        let completed = self
            .samples
            .count
            .load(Ordering::Relaxed)
            .saturating_sub(reset_count);
        let dropped = self.dropped.load(Ordering::Relaxed);
        AdaptiveLimitCounts {
            admitted: completed + dropped + u64::from(self.inflight()),
            completed,
            dropped,
            waited: self.waited.load(Ordering::Relaxed),
            rejected: self.rejected.load(Ordering::Relaxed),
            increases: self.increases.load(Ordering::Relaxed),
            decreases: self.decreases.load(Ordering::Relaxed),
        }
    }

    /// Sets the limit now (kept within `min_limit..=max_limit`); the algorithm goes on from
    /// it at the next window. For an operator who knows better for a while, and for tests.
    ///
    /// ```
    /// use retry_runtime::{AdaptiveLimitConfig, AdaptiveLimiter};
    ///
    /// let limiter = AdaptiveLimiter::new("set-limit-doc", AdaptiveLimitConfig::DEFAULT);
    /// limiter.set_limit(5);
    /// assert_eq!(limiter.limit(), 5);
    /// limiter.set_limit(1_000);
    /// assert_eq!(limiter.limit(), 200, "the default max_limit");
    /// ```
    pub fn set_limit(&self, limit: u32) {
        let mut control = self.control();
        let limit = control.controller.set(limit);
        self.apply_limit(limit);
    }

    /// Back to a new limiter's state: the initial limit, the algorithm's memory forgotten,
    /// counts from zero. Calls in flight keep their slots.
    pub fn reset(&self) {
        let mut control = self.control();
        control.controller = Controller::new(&self.config);
        let count = self.samples.count.load(Ordering::Relaxed);
        control.reset_count = count;
        control.first_sum = self.samples.sum.load(Ordering::Relaxed);
        self.samples.first.store(count, Ordering::Relaxed);
        self.samples.min.store(u64::MAX, Ordering::Relaxed);
        self.samples.max_inflight.store(0, Ordering::Relaxed);
        for counter in [
            &self.dropped,
            &self.waited,
            &self.rejected,
            &self.increases,
            &self.decreases,
        ] {
            counter.store(0, Ordering::Relaxed);
        }
        let limit = control.controller.limit();
        self.slots.set_limit(limit);
        self.report_limit(limit);
    }

    /// Who its events are about.
    pub(crate) fn source(&self) -> &crate::events::Source {
        &self.source
    }

    /// Admits a call now if the limit allows, without waiting; its latency starts now, on the
    /// clock breakers read (tokio's, or the paused sync clock on a thread that paused it).
    ///
    /// # Errors
    /// [`LimitExceeded`] when the limit is reached.
    #[inline]
    pub fn try_acquire(&self) -> Result<AdaptivePermit<'_>, LimitExceeded> {
        match self.take(crate::breaker::clock::default_now) {
            Some(permit) => Ok(permit),
            None => Err(self.reject(Duration::ZERO)),
        }
    }

    /// Admits a call at `now` (on any clock, a virtual one included, as long as the limiter's
    /// calls all use it) if the limit allows, without waiting.
    ///
    /// # Errors
    /// [`LimitExceeded`] when the limit is reached.
    #[inline]
    pub fn try_acquire_at(&self, now: Instant) -> Result<AdaptivePermit<'_>, LimitExceeded> {
        match self.take(|| now) {
            Some(permit) => Ok(permit),
            None => Err(self.reject(Duration::ZERO)),
        }
    }

    /// A slot, waiting up to `max_wait` (at most [`MAX_WAIT`](crate::MAX_WAIT)) for one,
    /// blocking this thread. On a thread holding
    /// [`pause_sync_time`](crate::testing::pause_sync_time) the wait takes no real time: it
    /// passes at once on the paused clock.
    ///
    /// # Errors
    /// [`LimitExceeded`] when no slot was freed within `max_wait`.
    #[inline]
    pub fn acquire_blocking(
        &self,
        max_wait: Duration,
    ) -> Result<AdaptivePermit<'_>, LimitExceeded> {
        match self.take(crate::sleep::now_sync) {
            Some(permit) => Ok(permit),
            None => self.wait_blocking(max_wait),
        }
    }

    /// A slot, waiting up to `max_wait` (at most [`MAX_WAIT`](crate::MAX_WAIT)) for one on
    /// `S`'s clock, which the call's latency is then read on. Dropping the future leaves the
    /// queue.
    ///
    /// # Errors
    /// [`LimitExceeded`] when no slot was freed within `max_wait`.
    pub async fn acquire_with<S: AsyncSleeper>(
        &self,
        max_wait: Duration,
    ) -> Result<AdaptivePermit<'_>, LimitExceeded> {
        match self.take(S::now) {
            Some(permit) => Ok(permit),
            None => self.wait::<S>(max_wait).await,
        }
    }

    /// [`acquire_with`](Self::acquire_with) on tokio's clock.
    ///
    /// # Errors
    /// [`LimitExceeded`] when no slot was freed within `max_wait`.
    #[cfg(feature = "tokio")]
    pub async fn acquire(&self, max_wait: Duration) -> Result<AdaptivePermit<'_>, LimitExceeded> {
        self.acquire_with::<crate::TokioSleeper>(max_wait).await
    }

    /// A free slot, without any bookkeeping of a rejection; the call's latency starts at
    /// `clock()`, read once it is admitted.
    #[inline]
    pub(crate) fn take(&self, clock: impl FnOnce() -> Instant) -> Option<AdaptivePermit<'_>> {
        let inflight = self.slots.try_take()?;
        self.report_inflight();
        Some(AdaptivePermit {
            limiter: self,
            started: clock(),
            inflight,
        })
    }

    #[cold]
    #[inline(never)]
    pub(crate) fn wait_blocking(
        &self,
        max_wait: Duration,
    ) -> Result<AdaptivePermit<'_>, LimitExceeded> {
        let max_wait = max_wait.min(crate::MAX_WAIT);
        if max_wait.is_zero() {
            return Err(self.reject(Duration::ZERO));
        }
        let granted = if crate::sleep::paused_now().is_some() {
            // The whole wait passes on the paused clock; a slot freed meanwhile still counts.
            crate::sleep::sleep_sync(max_wait);
            self.slots.try_take().is_some()
        } else {
            self.slots.wait_until(Instant::now() + max_wait)
        };
        self.waited_for(granted, max_wait, crate::sleep::now_sync)
    }

    /// Queues this task for a slot, for up to `max_wait` on `S`'s clock.
    #[cold]
    #[inline(never)]
    pub(crate) async fn wait<S: AsyncSleeper>(
        &self,
        max_wait: Duration,
    ) -> Result<AdaptivePermit<'_>, LimitExceeded> {
        let max_wait = max_wait.min(crate::MAX_WAIT);
        if max_wait.is_zero() {
            return Err(self.reject(Duration::ZERO));
        }
        let granted = match self.slots.wait_for_task() {
            None => true,
            Some(mut waiting) => {
                // Boxed, as the bulkhead's: the caller's future stays small.
                let mut deadline = Box::pin(S::sleep(max_wait));
                poll_fn(|context| {
                    if Pin::new(&mut waiting).poll(context).is_ready() {
                        return Poll::Ready(true);
                    }
                    if deadline.as_mut().poll(context).is_ready() {
                        // A slot handed over meanwhile is taken all the same.
                        return Poll::Ready(waiting.give_up());
                    }
                    Poll::Pending
                })
                .await
            }
        };
        self.waited_for(granted, max_wait, S::now)
    }

    fn waited_for(
        &self,
        granted: bool,
        max_wait: Duration,
        clock: fn() -> Instant,
    ) -> Result<AdaptivePermit<'_>, LimitExceeded> {
        if granted {
            self.waited.fetch_add(1, Ordering::Relaxed);
            self.report_inflight();
            Ok(AdaptivePermit {
                limiter: self,
                started: clock(),
                inflight: self.inflight(),
            })
        } else {
            Err(self.reject(max_wait))
        }
    }

    /// A rejection, counted and reported.
    #[cold]
    pub(crate) fn reject(&self, waited: Duration) -> LimitExceeded {
        self.rejected.fetch_add(1, Ordering::Relaxed);
        let exceeded = LimitExceeded {
            name: self.name,
            limit: self.limit(),
            waited,
        };
        crate::events::limit_exceeded(&self.source, &exceeded);
        exceeded
    }

    /// A call admitted at `started` finished at `now`: its slot is freed and its latency
    /// sampled; the window closes if it is due.
    #[inline]
    fn complete(&self, started: Instant, inflight: u32, now: Instant) {
        self.slots.release();
        self.report_inflight();
        let latency = nanos(now.saturating_duration_since(started)).max(1);
        let samples = &self.samples;
        let count = samples.count.fetch_add(1, Ordering::Relaxed) + 1;
        samples.sum.fetch_add(latency, Ordering::Relaxed);
        if latency < samples.min.load(Ordering::Relaxed) {
            samples.min.fetch_min(latency, Ordering::Relaxed);
        }
        if inflight > samples.max_inflight.load(Ordering::Relaxed) {
            samples.max_inflight.fetch_max(inflight, Ordering::Relaxed);
        }
        // Whether the window is due: once it holds enough samples, and then only every
        // `CHECK_EVERY`-th sample, since turning an `Instant` into nanoseconds costs more than the
        // rest of the sample (a window closes at most `CHECK_EVERY - 1` samples late).
        if count - samples.first.load(Ordering::Relaxed) >= MIN_SAMPLES
            && count.is_multiple_of(CHECK_EVERY)
        {
            self.window_due(now);
        }
    }

    /// Closes the window if its time has come.
    #[cold]
    #[inline(never)]
    fn window_due(&self, now: Instant) {
        let origin = *self.origin.get_or_init(|| now);
        let now = nanos(now.saturating_duration_since(origin));
        if now >= self.samples.end.load(Ordering::Relaxed) {
            self.close_window(now);
        }
    }

    /// Summarises the window and feeds it to the algorithm, if no other call is doing so.
    #[cold]
    #[inline(never)]
    fn close_window(&self, now: u64) {
        let mut control = match self.control.try_lock() {
            Ok(control) => control,
            Err(TryLockError::Poisoned(poisoned)) => poisoned.into_inner(),
            Err(TryLockError::WouldBlock) => return,
        };
        let samples = &self.samples;
        let first = samples.first.load(Ordering::Relaxed);
        let count = samples.count.load(Ordering::Relaxed);
        // Closed by another call since this one looked.
        if now < samples.end.load(Ordering::Relaxed) || count - first < MIN_SAMPLES {
            return;
        }
        let sum = samples.sum.load(Ordering::Relaxed);
        #[allow(clippy::cast_precision_loss)]
        let latency = sum.wrapping_sub(control.first_sum) as f64 / (count - first) as f64;
        let fastest = samples.min.swap(u64::MAX, Ordering::Relaxed);
        let max_inflight = samples.max_inflight.swap(0, Ordering::Relaxed);
        control.first_sum = sum;
        samples.first.store(count, Ordering::Relaxed);
        let length = fastest
            .saturating_mul(2)
            .clamp(nanos(MIN_WINDOW), nanos(MAX_WINDOW));
        samples
            .end
            .store(now.saturating_add(length), Ordering::Relaxed);
        let window = Window {
            latency: latency.max(1.0),
            max_inflight,
        };
        let limit = control.controller.update(&window);
        self.apply_limit(limit);
    }

    /// Enforces `limit` (under the control lock), counting and reporting a change.
    fn apply_limit(&self, limit: u32) {
        let previous = self.slots.set_limit(limit);
        if previous == limit {
            return;
        }
        if limit > previous {
            self.increases.fetch_add(1, Ordering::Relaxed);
        } else {
            self.decreases.fetch_add(1, Ordering::Relaxed);
        }
        crate::events::adaptive_limit_changed(&self.source, previous, limit);
    }

    /// A permit dropped without a sample.
    #[cold]
    fn drop_permit(&self) {
        self.slots.release();
        self.report_inflight();
        self.dropped.fetch_add(1, Ordering::Relaxed);
    }

    fn control(&self) -> std::sync::MutexGuard<'_, Control> {
        self.control.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The `adaptive_limit_inflight` gauge; nothing without the `metrics` feature.
    #[inline]
    #[cfg_attr(not(feature = "metrics"), allow(clippy::unused_self))]
    fn report_inflight(&self) {
        #[cfg(feature = "metrics")]
        crate::events::adaptive_inflight(&self.source, self.slots.inflight());
    }

    /// The `adaptive_limit_limit` gauge, set without an event (a reset).
    #[cfg_attr(not(feature = "metrics"), allow(clippy::unused_self, unused_variables))]
    fn report_limit(&self, limit: u32) {
        #[cfg(feature = "metrics")]
        crate::events::adaptive_limit_gauge(&self.source, limit);
    }
}

/// Whole nanoseconds, saturating (584 years).
fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl fmt::Debug for AdaptiveLimiter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptiveLimiter")
            .field("name", &self.name)
            .field("algorithm", &self.config.algorithm())
            .field("limit", &self.limit())
            .field("inflight", &self.inflight())
            .field("counts", &self.counts())
            .finish_non_exhaustive()
    }
}

impl AdaptivePermit<'_> {
    /// The call finished now, on the clock breakers read (tokio's, or the paused sync clock on
    /// a thread that paused it): its slot is freed and its latency sampled.
    pub fn record(self) {
        self.record_at(crate::breaker::clock::default_now());
    }

    /// The call finished at `now`, on the clock it was admitted on.
    #[inline]
    pub fn record_at(self, now: Instant) {
        let (limiter, started, inflight) = (self.limiter, self.started, self.inflight);
        // The slot is freed by `complete`, with the sample; not again by `Drop`.
        std::mem::forget(self);
        limiter.complete(started, inflight, now);
    }

    /// Calls in flight once this one was admitted, itself included.
    pub fn inflight_at_admission(&self) -> u32 {
        self.inflight
    }
}

impl Drop for AdaptivePermit<'_> {
    #[inline]
    fn drop(&mut self) {
        self.limiter.drop_permit();
    }
}

impl fmt::Debug for AdaptivePermit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptivePermit")
            .field("limiter", &self.limiter.name)
            .field("inflight", &self.inflight)
            .finish_non_exhaustive()
    }
}
