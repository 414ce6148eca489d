//! Circuit breakers: a lock-free state machine shared by every call site that names it.
//!
//! The hot path, closed and succeeding: admission is one atomic load of the state word; recording
//! the outcome is a counter increment on this thread's stripe and a load of the consecutive
//! failure count. No lock, no allocation, no clock read (unless `slow_call` is set). Every
//! transition is one compare-and-swap on the state word, so exactly one racer performs it.

pub(crate) mod clock;
pub(crate) mod config;
// Crate-visible under loom only, for `testing::end_thread`.
#[cfg(loom)]
pub(crate) mod counters;
#[cfg(not(loom))]
mod counters;
pub(crate) mod registry;
// What expansions call, reached through `__private` only: not in the API listing.
#[doc(hidden)]
pub(crate) mod site;
pub(crate) mod state;
pub(crate) mod sync;
pub(crate) mod window;

use std::error::Error;
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use self::clock::{BreakerClock, ClockSource};
use self::config::BreakerConfig;
use self::state::{BreakerState, Word};
use self::sync::{AtomicU32, AtomicU64, Mutex, Ordering, fence};
use self::window::{Recording, TimeWindow, Window};

/// A circuit breaker. Sites that name the same breaker share one instance through the registry
/// ([`breaker`](crate::breaker) looks one up); [`CircuitBreaker::new`] makes a private one.
///
/// ```
/// use retry_runtime::{BreakerConfig, BreakerState, CircuitBreaker};
///
/// let config = BreakerConfig::builder().failure_threshold(2).build()?;
/// let breaker = CircuitBreaker::new("inventory", config);
/// for _ in 0..2 {
///     breaker.try_acquire().unwrap().record_failure();
/// }
/// assert_eq!(breaker.state(), BreakerState::Open);
/// let rejection = breaker.try_acquire().unwrap_err();
/// assert_eq!(rejection.name, "inventory");
/// # Ok::<(), retry_runtime::BreakerConfigError>(())
/// ```
pub struct CircuitBreaker {
    name: &'static str,
    source: crate::events::Source,
    config: BreakerConfig,
    word: AtomicU64,
    consecutive_failures: AtomicU32,
    trips_in_a_row: AtomicU32,
    /// `PUBLISHED | epoch` once `open_until` holds that epoch's deadline: the end of an open
    /// period, or the start of a half-open one. Readers that see `Open` before it is published
    /// keep rejecting, so a stale `open_until` can never admit an early probe.
    open_epoch: AtomicU64,
    /// Nanoseconds since `origin`.
    open_until: AtomicU64,
    /// Serialises what follows a transition: numbering it, and publishing its deadline only
    /// while its epoch is still the current one, so a slow thread can never publish an older
    /// epoch's deadline over a newer one (which would leave the breaker rejecting forever).
    transitions: Mutex<Sequence>,
    window: Option<Recording>,
    /// No window and no `slow_call`: a closed-state success only counts itself.
    plain: bool,
    counters: counters::Counters,
    /// One bit per half-open period (its epoch modulo 64) whose outstanding probes were counted
    /// as failed when `half_open_timeout` ran out: such a probe that ends later is not counted
    /// again. A period's bit is cleared when a new half-open period with that bit starts.
    hung_periods: AtomicU64,
    opened: AtomicU64,
    recovered: AtomicU64,
    clock: ClockSource,
    origin: Instant,
    /// Set by a transition the transition listener (the fleet link) has yet to take: one flag
    /// per breaker, so a burst of transitions is one publication of the newest state.
    transition_queued: std::sync::atomic::AtomicBool,
}

const PUBLISHED: u64 = 1 << 63;

/// The number of transitions so far, extended from the state word's 29-bit epoch.
#[derive(Default)]
struct Sequence {
    last: u64,
    last_epoch: u32,
}

impl Sequence {
    /// The sequence number of the transition into `epoch`: epochs increase by one per
    /// transition, so the distance from the last one numbered gives it, even when a thread
    /// reports an older transition after a newer one.
    fn number(&mut self, epoch: u32) -> u64 {
        const EPOCHS: u32 = 1 << 29;
        let ahead = epoch.wrapping_sub(self.last_epoch) & (EPOCHS - 1);
        let number = if ahead < EPOCHS / 2 {
            self.last + u64::from(ahead)
        } else {
            self.last.saturating_sub(u64::from(EPOCHS - ahead))
        };
        if number > self.last {
            self.last = number;
            self.last_epoch = epoch;
        }
        number
    }
}

/// A call was rejected because its breaker is open.
///
/// `#[circuit_breaker]` returns `Err(E::from(CircuitOpen { .. }))`, so the fn's error type needs
/// `impl From<CircuitOpen>`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CircuitOpen {
    /// The breaker's name.
    pub name: &'static str,
    /// `Open`, `ForcedOpen`, or `HalfOpen` with every probe permit taken.
    pub state: BreakerState,
    /// When the breaker will admit a probe, if known.
    pub retry_after: Option<Duration>,
}

impl fmt::Display for CircuitOpen {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "circuit breaker `{}` is {}", self.name, self.state)?;
        match self.retry_after {
            Some(after) => write!(f, "; calls are rejected for another {after:?}"),
            None => f.write_str("; the call was rejected"),
        }
    }
}

impl Error for CircuitOpen {}

/// Cumulative counts of a breaker's calls since it was created. Every call is counted exactly
/// once, in one of `successful`, `failed`, `ignored`, `rejected` or `cancelled`; `slow`,
/// `opened` and `recovered` count alongside.
///
/// ```
/// use retry_runtime::{BreakerConfig, CircuitBreaker};
///
/// let breaker = CircuitBreaker::new("counts-doc", BreakerConfig::DEFAULT);
/// breaker.try_acquire().unwrap().record_success();
/// drop(breaker.try_acquire().unwrap()); // abandoned: the caller went away
/// let counts = breaker.counts();
/// assert_eq!((counts.successful, counts.cancelled), (1, 1));
/// assert_eq!(counts.calls(), 2);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct BreakerCounts {
    /// Calls that returned `Ok`.
    pub successful: u64,
    /// Calls whose error counts as a failure, and half-open probes that hung past
    /// `half_open_timeout` (counted when the breaker opens again, and not again when they end).
    pub failed: u64,
    /// Calls whose error `on` did not select: passed through, not counted against the breaker.
    pub ignored: u64,
    /// Calls rejected without running.
    pub rejected: u64,
    /// Calls whose future was dropped before it finished: the caller went away, which says
    /// nothing about the dependency.
    pub cancelled: u64,
    /// Calls that ran past `slow_call` (also counted as successful, failed or cancelled).
    pub slow: u64,
    /// Times the breaker tripped (closed or half-open to open).
    pub opened: u64,
    /// Times it recovered (half-open to closed, after every probe succeeded).
    pub recovered: u64,
}

impl BreakerCounts {
    /// Every call: `successful + failed + ignored + rejected + cancelled`.
    pub const fn calls(&self) -> u64 {
        self.successful
            .wrapping_add(self.failed)
            .wrapping_add(self.ignored)
            .wrapping_add(self.rejected)
            .wrapping_add(self.cancelled)
    }
}

/// The right to run one call, from [`CircuitBreaker::try_acquire`]. Record the outcome with one
/// of its methods. Dropped without an outcome, it records one itself: a failure while its thread
/// is panicking (the body panicked), otherwise a cancellation (the future was dropped), which
/// gives a probe's slot back. Either way a half-open breaker never wedges.
#[must_use = "record the call's outcome, or the permit is released as if the call never ran"]
pub struct Permit<'a> {
    breaker: &'a CircuitBreaker,
    admitted: Word,
    started: Option<Instant>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Success,
    Failure,
    Ignored,
    Cancelled,
}

impl Outcome {
    fn reported(self) -> crate::events::BreakerOutcome {
        match self {
            Outcome::Success => crate::events::BreakerOutcome::Successful,
            Outcome::Failure => crate::events::BreakerOutcome::Failed,
            Outcome::Ignored => crate::events::BreakerOutcome::Ignored,
            Outcome::Cancelled => crate::events::BreakerOutcome::Cancelled,
        }
    }
}

impl CircuitBreaker {
    /// A breaker outside the registry, with the default clock.
    pub fn new(name: &'static str, config: BreakerConfig) -> CircuitBreaker {
        Self::with_clock_source(name, config, ClockSource::Default)
    }

    /// A breaker reading the time from `clock` (a [`ManualClock`](crate::testing::ManualClock)
    /// in tests).
    pub fn with_clock(
        name: &'static str,
        config: BreakerConfig,
        clock: Arc<dyn BreakerClock>,
    ) -> CircuitBreaker {
        Self::with_clock_source(name, config, ClockSource::Custom(clock))
    }

    fn with_clock_source(
        name: &'static str,
        config: BreakerConfig,
        clock: ClockSource,
    ) -> CircuitBreaker {
        let origin = clock.now();
        CircuitBreaker {
            name,
            source: crate::events::Source::breaker(name),
            config,
            word: AtomicU64::new(Word::CLOSED.0),
            consecutive_failures: AtomicU32::new(0),
            trips_in_a_row: AtomicU32::new(0),
            open_epoch: AtomicU64::new(0),
            open_until: AtomicU64::new(0),
            transitions: Mutex::new(Sequence::default()),
            window: config.uses_window().then(|| match config.time_window() {
                Some(length) => Recording::Time(TimeWindow::new(length)),
                None => Recording::Calls(Window::new(config.window())),
            }),
            plain: !config.uses_window() && config.slow_call().is_none(),
            counters: counters::Counters::default(),
            hung_periods: AtomicU64::new(0),
            opened: AtomicU64::new(0),
            recovered: AtomicU64::new(0),
            clock,
            origin,
            transition_queued: std::sync::atomic::AtomicBool::new(false),
        }
    }

    /// The breaker's name.
    pub fn name(&self) -> &'static str {
        self.name
    }

    /// Who its events are about.
    pub(crate) fn source(&self) -> &crate::events::Source {
        &self.source
    }

    /// Its settings.
    pub fn config(&self) -> &BreakerConfig {
        &self.config
    }

    /// Where it is now.
    pub fn state(&self) -> BreakerState {
        self.load().kind()
    }

    /// Cumulative call counts.
    pub fn counts(&self) -> BreakerCounts {
        BreakerCounts {
            opened: self.opened.load(Ordering::Relaxed),
            recovered: self.recovered.load(Ordering::Relaxed),
            ..self.counters.sum()
        }
    }

    /// The failure rate over the count-based window, when a rate is configured and a call has
    /// been recorded since the breaker last closed.
    pub fn failure_rate(&self) -> Option<f64> {
        self.window
            .as_ref()
            .and_then(|window| window.failure_rate(|| self.nanos_now()))
    }

    /// Asks to run a call: a [`Permit`], or the rejection.
    ///
    /// # Errors
    /// [`CircuitOpen`] when the breaker is open (and `open_for` has not passed), forced open, or
    /// half-open with every probe permit taken.
    #[inline]
    pub fn try_acquire(&self) -> Result<Permit<'_>, CircuitOpen> {
        let word = self.load();
        if word.admits_freely() {
            return Ok(self.permit(word));
        }
        self.acquire_contended(word)
    }

    /// Runs `operation` under the breaker, counting every `Err` as a failure.
    ///
    /// ```
    /// use retry_runtime::{BreakerConfig, CircuitBreaker, CircuitOpen};
    ///
    /// #[derive(Debug)]
    /// enum DbError {
    ///     Down,
    ///     Rejected(CircuitOpen),
    /// }
    /// impl From<CircuitOpen> for DbError {
    ///     fn from(open: CircuitOpen) -> Self {
    ///         DbError::Rejected(open)
    ///     }
    /// }
    ///
    /// let breaker = CircuitBreaker::new("db", BreakerConfig::builder().failure_threshold(1).build()?);
    /// let first: Result<(), DbError> = breaker.call(|| Err(DbError::Down));
    /// assert!(matches!(first, Err(DbError::Down)));
    /// let second: Result<(), DbError> = breaker.call(|| Ok(()));
    /// assert!(matches!(second, Err(DbError::Rejected(_))));
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    ///
    /// # Errors
    /// The operation's error, or `E::from(CircuitOpen)` without running it.
    pub fn call<T, E: From<CircuitOpen>>(
        &self,
        operation: impl FnOnce() -> Result<T, E>,
    ) -> Result<T, E> {
        let permit = self.try_acquire()?;
        let outcome = operation();
        match &outcome {
            Ok(_) => permit.record_success(),
            Err(_) => permit.record_failure(),
        }
        outcome
    }

    /// Forces the breaker open: every call is rejected until [`reset`](Self::reset).
    pub fn force_open(&self) {
        self.set_manually(BreakerState::ForcedOpen);
    }

    /// Disables the breaker: every call runs and is counted in [`counts`](Self::counts), but
    /// nothing goes into the window and nothing trips it, until [`reset`](Self::reset).
    pub fn disable(&self) {
        self.set_manually(BreakerState::Disabled);
    }

    /// Records calls without ever tripping, until [`reset`](Self::reset).
    pub fn metrics_only(&self) {
        self.set_manually(BreakerState::MetricsOnly);
    }

    /// Closes the breaker and forgets its failures and trips (the cumulative counts remain).
    pub fn reset(&self) {
        self.set_manually(BreakerState::Closed);
    }

    /// Whether a transition waits for the transition listener to take it (its flag).
    #[cfg_attr(not(feature = "redis"), allow(dead_code))]
    pub(crate) fn transition_queued(&self) -> &std::sync::atomic::AtomicBool {
        &self.transition_queued
    }

    /// The state to save: the state, trips in a row, and for an open breaker the time it has
    /// left (a half-open one is saved as open with none left, so its next call is a probe).
    #[cfg(any(feature = "persist", feature = "redis"))]
    pub(crate) fn saved_state(&self) -> (BreakerState, u32, Duration) {
        let word = self.load();
        let trips = self.trips_in_a_row.load(Ordering::Relaxed);
        match word.kind() {
            BreakerState::Open => {
                let left = self
                    .published_deadline(word)
                    .map_or(Duration::ZERO, |until| {
                        Duration::from_nanos(until.saturating_sub(self.nanos_now()))
                    });
                (BreakerState::Open, trips, left)
            }
            BreakerState::HalfOpen => (BreakerState::Open, trips, Duration::ZERO),
            other => (other, trips, Duration::ZERO),
        }
    }

    /// Puts the breaker in a saved state; an open one stays open for `open_for_left`, never
    /// longer than its `max_open_for`.
    #[cfg(any(feature = "persist", feature = "redis"))]
    pub(crate) fn restore(
        &self,
        state: BreakerState,
        trips_in_a_row: u32,
        open_for_left: Duration,
    ) {
        match state {
            BreakerState::Open | BreakerState::HalfOpen => {
                let left = open_for_left.min(self.config.max_open_for());
                let mut current = self.load();
                loop {
                    let open = current.transition(BreakerState::Open);
                    match self.compare_exchange(current, open) {
                        Ok(()) => {
                            self.trips_in_a_row.store(trips_in_a_row, Ordering::Relaxed);
                            let until = self.nanos_now().saturating_add(nanos(left));
                            self.report_transition(current.kind(), open, Some(until));
                            return;
                        }
                        Err(actual) => current = actual,
                    }
                }
            }
            other => {
                self.set_manually(other);
                self.trips_in_a_row.store(trips_in_a_row, Ordering::Relaxed);
            }
        }
    }

    fn set_manually(&self, kind: BreakerState) {
        let mut current = self.load();
        loop {
            if current.kind() == kind {
                // Not a transition, so nothing is reported; a reset still forgets failures.
                if kind == BreakerState::Closed {
                    self.consecutive_failures.store(0, Ordering::Relaxed);
                    self.trips_in_a_row.store(0, Ordering::Relaxed);
                    if let Some(window) = &self.window {
                        window.clear();
                    }
                }
                return;
            }
            let next = current.transition(kind);
            match self.compare_exchange(current, next) {
                Ok(()) => {
                    if kind == BreakerState::Closed {
                        self.trips_in_a_row.store(0, Ordering::Relaxed);
                    }
                    self.after_transition(current.kind(), next);
                    return;
                }
                Err(actual) => current = actual,
            }
        }
    }

    #[inline]
    fn load(&self) -> Word {
        Word(self.word.load(Ordering::Acquire))
    }

    fn compare_exchange(&self, current: Word, next: Word) -> Result<(), Word> {
        self.word
            .compare_exchange(current.0, next.0, Ordering::AcqRel, Ordering::Acquire)
            .map(|_| ())
            .map_err(Word)
    }

    #[inline]
    fn permit(&self, admitted: Word) -> Permit<'_> {
        Permit {
            breaker: self,
            admitted,
            started: if self.plain { None } else { self.started() },
        }
    }

    /// When a call starts, for `slow_call`.
    #[cold]
    fn started(&self) -> Option<Instant> {
        self.config.slow_call().map(|_| self.clock.now())
    }

    #[cold]
    #[inline(never)]
    fn acquire_contended(&self, mut current: Word) -> Result<Permit<'_>, CircuitOpen> {
        loop {
            match current.kind() {
                BreakerState::Closed | BreakerState::Disabled | BreakerState::MetricsOnly => {
                    return Ok(self.permit(current));
                }
                BreakerState::ForcedOpen => return Err(self.reject(current, None)),
                BreakerState::Open => {
                    let Some(until) = self.published_deadline(current) else {
                        // Not published yet, or replaced by a later transition's: look again.
                        let latest = self.load();
                        if latest != current {
                            current = latest;
                            continue;
                        }
                        return Err(self.reject(current, None));
                    };
                    let now = self.nanos_now();
                    if now < until {
                        return Err(self.reject(current, Some(Duration::from_nanos(until - now))));
                    }
                    let probing = current.transition(BreakerState::HalfOpen).with_admitted(1);
                    match self.compare_exchange(current, probing) {
                        Ok(()) => {
                            // A period 64 epochs back may have been hung: this one is not yet.
                            self.hung_periods
                                .fetch_and(!hung_bit(probing), Ordering::Relaxed);
                            self.after_transition(BreakerState::Open, probing);
                            return Ok(self.permit(probing));
                        }
                        Err(actual) => current = actual,
                    }
                }
                BreakerState::HalfOpen => {
                    if current.admitted() >= self.config.half_open_calls() {
                        if self.probes_hung(current) {
                            current = self.open_after_hung_probes(current);
                            continue;
                        }
                        return Err(self.reject(current, None));
                    }
                    let admitted = current.with_admitted(current.admitted() + 1);
                    match self.compare_exchange(current, admitted) {
                        Ok(()) => return Ok(self.permit(admitted)),
                        Err(actual) => current = actual,
                    }
                }
            }
        }
    }

    /// The deadline published for `word`'s epoch: the end of its open period, or the start of
    /// its half-open one. `None` until the thread that made the transition has published it.
    fn published_deadline(&self, word: Word) -> Option<u64> {
        // A seqlock read: the deadline counts only if the epoch tag is the same before and
        // after reading it (each epoch is published at most once).
        let expected = PUBLISHED | u64::from(word.epoch());
        if self.open_epoch.load(Ordering::Acquire) != expected {
            return None;
        }
        let deadline = self.open_until.load(Ordering::Relaxed);
        fence(Ordering::Acquire);
        // Acquire: a reader that finds the tag changed also sees the transition that changed it.
        (self.open_epoch.load(Ordering::Acquire) == expected).then_some(deadline)
    }

    /// The probes of the half-open period `current` hung past `half_open_timeout`: they count as
    /// failed, now and once (marked in `hung_periods` before the transition, so one that ends
    /// after it is never counted again), and the breaker opens again. Returns the word to look at
    /// next: the open one, or whatever another thread made of `current`.
    #[cold]
    fn open_after_hung_probes(&self, current: Word) -> Word {
        let bit = hung_bit(current);
        self.hung_periods.fetch_or(bit, Ordering::AcqRel);
        let open = current.transition(BreakerState::Open);
        match self.compare_exchange(current, open) {
            Ok(()) => {
                // Outstanding: admitted and not settled (a success adds to `succeeded`; an
                // ignored or cancelled probe gives its slot back; a failure ends the period).
                let hung = current.admitted().saturating_sub(current.succeeded());
                for _ in 0..hung {
                    self.counters.add(Outcome::Failure, false);
                    crate::events::breaker_call(
                        &self.source,
                        crate::events::BreakerOutcome::Failed,
                        None,
                    );
                }
                self.after_transition(BreakerState::HalfOpen, open);
                open
            }
            Err(actual) => {
                // Not ended by the timeout: its probes are counted when they end.
                self.hung_periods.fetch_and(!bit, Ordering::AcqRel);
                actual
            }
        }
    }

    /// A half-open breaker whose every probe permit has been out for `half_open_timeout`.
    fn probes_hung(&self, half_open: Word) -> bool {
        self.published_deadline(half_open).is_some_and(|since| {
            self.nanos_now().saturating_sub(since) >= nanos(self.config.half_open_timeout())
        })
    }

    fn reject(&self, current: Word, retry_after: Option<Duration>) -> CircuitOpen {
        self.counters.add_rejected();
        crate::events::call_rejected(&self.source, current.kind());
        CircuitOpen {
            name: self.name,
            state: current.kind(),
            retry_after,
        }
    }

    fn nanos_now(&self) -> u64 {
        let elapsed = self.clock.now().saturating_duration_since(self.origin);
        u64::try_from(elapsed.as_nanos()).unwrap_or(u64::MAX)
    }

    fn settle(&self, admitted: Word, outcome: Outcome, started: Option<Instant>) {
        let slow = match (started, self.config.slow_call()) {
            (Some(started), Some(limit)) => {
                self.clock.now().saturating_duration_since(started) > limit
            }
            _ => false,
        };
        match admitted.kind() {
            BreakerState::Open | BreakerState::ForcedOpen => {}
            BreakerState::Disabled => {
                self.counters.add(outcome, slow);
                crate::events::breaker_call(&self.source, outcome.reported(), None);
            }
            BreakerState::Closed | BreakerState::MetricsOnly => {
                self.counters.add(outcome, slow);
                let (rate, trip) = self.record_closed(admitted, outcome, slow);
                crate::events::breaker_call(&self.source, outcome.reported(), rate);
                if trip {
                    self.trip(admitted);
                }
            }
            BreakerState::HalfOpen => self.settle_probe(admitted, outcome, slow),
        }
    }

    /// Records a closed-state outcome: the window's failure rate after it, if it has one, and
    /// whether the breaker should trip.
    #[cold]
    fn record_closed(&self, admitted: Word, outcome: Outcome, slow: bool) -> (Option<f64>, bool) {
        // A cancelled call says nothing of the dependency, unless it had already run slow.
        let ignored = outcome == Outcome::Ignored || (outcome == Outcome::Cancelled && !slow);
        if ignored || !admitted.same_period(self.load()) {
            return (None, false);
        }
        let failed = outcome == Outcome::Failure;
        let mut trip = false;
        if failed {
            let in_a_row = self.consecutive_failures.fetch_add(1, Ordering::Relaxed) + 1;
            let threshold = self.config.failure_threshold();
            trip = threshold > 0 && in_a_row >= threshold;
        } else if outcome == Outcome::Success
            && self.consecutive_failures.load(Ordering::Relaxed) != 0
        {
            self.consecutive_failures.store(0, Ordering::Relaxed);
        }
        let mut rate = None;
        if let Some(window) = &self.window {
            let rates = window.record(failed, slow, || self.nanos_now());
            rate = Some(rates.failure_rate);
            if rates.recorded >= self.config.min_calls() {
                trip |= self
                    .config
                    .failure_rate()
                    .is_some_and(|limit| rates.failure_rate >= limit);
                trip |= self
                    .config
                    .slow_call_rate()
                    .is_some_and(|limit| rates.slow_rate >= limit);
            }
        }
        (rate, trip && admitted.kind() == BreakerState::Closed)
    }

    /// Opens a breaker that is still in the closed period `admitted` was admitted under.
    fn trip(&self, admitted: Word) {
        let current = self.load();
        if current.same_period(admitted) {
            let open = current.transition(BreakerState::Open);
            if self.compare_exchange(current, open).is_ok() {
                self.after_transition(BreakerState::Closed, open);
            }
        }
    }

    /// Counts a probe's outcome and applies it to its half-open period: counted once the
    /// period took it (and before the transition it makes is reported), or, when the period is
    /// already over, unless it ended because this probe hung (it was counted as failed then).
    fn settle_probe(&self, admitted: Word, outcome: Outcome, slow: bool) {
        let count = || {
            self.counters.add(outcome, slow);
            crate::events::breaker_call(&self.source, outcome.reported(), None);
        };
        let failed =
            outcome == Outcome::Failure || (slow && self.config.slow_call_rate().is_some());
        let mut current = self.load();
        loop {
            if !current.same_period(admitted) {
                if self.hung_periods.load(Ordering::Acquire) & hung_bit(admitted) == 0 {
                    count();
                }
                return;
            }
            let next = match outcome {
                _ if failed => current.transition(BreakerState::Open),
                Outcome::Ignored | Outcome::Cancelled => {
                    current.with_admitted(current.admitted().saturating_sub(1))
                }
                _ => {
                    let succeeded = current.succeeded() + 1;
                    if succeeded >= self.config.half_open_calls() {
                        current.transition(BreakerState::Closed)
                    } else {
                        current.with_succeeded(succeeded)
                    }
                }
            };
            match self.compare_exchange(current, next) {
                Ok(()) => {
                    count();
                    if next.kind() != BreakerState::HalfOpen {
                        self.after_transition(BreakerState::HalfOpen, next);
                    }
                    return;
                }
                Err(actual) => current = actual,
            }
        }
    }

    fn after_transition(&self, from: BreakerState, to: Word) {
        let deadline = match to.kind() {
            BreakerState::Open => {
                self.opened.fetch_add(1, Ordering::Relaxed);
                let trips = self.trips_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
                let open_for = self.config.open_duration(trips);
                Some(self.nanos_now().saturating_add(nanos(open_for)))
            }
            BreakerState::HalfOpen => Some(self.nanos_now()),
            BreakerState::Closed => {
                self.consecutive_failures.store(0, Ordering::Relaxed);
                if from == BreakerState::HalfOpen {
                    self.recovered.fetch_add(1, Ordering::Relaxed);
                    self.trips_in_a_row.store(0, Ordering::Relaxed);
                }
                if let Some(window) = &self.window {
                    window.clear();
                }
                None
            }
            _ => None,
        };
        self.report_transition(from, to, deadline);
    }

    /// Numbers the transition into `to`, publishes its deadline if `to` is still the current
    /// state, and reports it.
    fn report_transition(&self, from: BreakerState, to: Word, deadline: Option<u64>) {
        let sequence = {
            let mut transitions = self
                .transitions
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            if let Some(deadline) = deadline
                && self.load().epoch() == to.epoch()
            {
                // Release: a reader that sees the old deadline withdrawn also sees the word
                // that replaced it, so it looks again rather than reject.
                self.open_epoch.store(0, Ordering::Release);
                fence(Ordering::Release);
                self.open_until.store(deadline, Ordering::Relaxed);
                self.open_epoch
                    .store(PUBLISHED | u64::from(to.epoch()), Ordering::Release);
            }
            transitions.number(to.epoch())
        };
        // The transition listener (the fleet link, when one is connected) is told first and
        // only here: a transition is rare, and one load when nobody listens.
        if let Some(listener) = TRANSITION_LISTENER.get() {
            listener(self.name, &self.transition_queued);
        }
        crate::events::breaker_transition(&self.source, from, to.kind(), sequence);
    }
}

/// Told of every transition of a process-wide breaker, with the breaker's queued flag (set while
/// the listener has a transition of it to take): set once, by the fleet link when it connects
/// (feature `redis`), so breakers never import the fleet.
pub(crate) static TRANSITION_LISTENER: std::sync::OnceLock<
    fn(&'static str, &std::sync::atomic::AtomicBool),
> = std::sync::OnceLock::new();

impl fmt::Debug for CircuitBreaker {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreaker")
            .field("name", &self.name)
            .field("state", &self.load())
            .field("counts", &self.counts())
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Permit<'_> {
    /// The call succeeded.
    #[inline]
    pub fn record_success(self) {
        // Recorded: the permit's drop (which gives an unused probe slot back) must not run.
        let this = std::mem::ManuallyDrop::new(self);
        let breaker = this.breaker;
        // The hot path: closed, no slow-call timing, no window. A success then only counts
        // itself and ends a failure streak, if there is one.
        if this.admitted.records_freely() && breaker.plain {
            breaker.counters.add_success();
            if breaker.consecutive_failures.load(Ordering::Relaxed) != 0 {
                // A success never trips.
                let _ = breaker.record_closed(this.admitted, Outcome::Success, false);
            }
            crate::events::breaker_call(
                &breaker.source,
                crate::events::BreakerOutcome::Successful,
                None,
            );
            return;
        }
        breaker.settle(this.admitted, Outcome::Success, this.started);
    }

    /// The call failed in a way that counts against the breaker.
    pub fn record_failure(self) {
        let this = std::mem::ManuallyDrop::new(self);
        this.breaker
            .settle(this.admitted, Outcome::Failure, this.started);
    }

    /// The call failed in a way `on` does not select: passed through, counted as ignored, and
    /// (for a probe) its slot is given back.
    pub fn record_ignored(self) {
        let this = std::mem::ManuallyDrop::new(self);
        this.breaker
            .settle(this.admitted, Outcome::Ignored, this.started);
    }

    /// The state the call was admitted under.
    pub fn admitted_state(&self) -> BreakerState {
        self.admitted.kind()
    }
}

impl Drop for Permit<'_> {
    /// Dropped without an outcome: the body panicked (a failure), or the future was dropped
    /// (a cancellation).
    fn drop(&mut self) {
        let outcome = if std::thread::panicking() {
            Outcome::Failure
        } else {
            Outcome::Cancelled
        };
        self.breaker.settle(self.admitted, outcome, self.started);
    }
}

/// A half-open period's bit in `hung_periods`.
fn hung_bit(half_open: Word) -> u64 {
    1 << (half_open.epoch() % 64)
}

fn nanos(duration: Duration) -> u64 {
    u64::try_from(duration.as_nanos()).unwrap_or(u64::MAX)
}

impl fmt::Debug for Permit<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Permit")
            .field("breaker", &self.breaker.name)
            .field("admitted", &self.admitted)
            .finish_non_exhaustive()
    }
}
