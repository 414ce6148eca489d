//! The call context: which attempt the body runs in, and the deadline in force.
//!
//! Every attributed call keeps its context in a thread-local for exactly as long as its body
//! runs: a sync fn while the body is called, an async fn while its attempt's future is polled
//! (so the context follows the task across `.await`, and two hedged attempts polled by one
//! future each see their own). Nested attributed calls read it, which is how a deadline flows
//! into every call made inside, as gRPC and Finagle carry theirs from hop to hop.
//!
//! ```
//! use std::time::Duration;
//! use retry_runtime::{context, retry};
//!
//! #[retry(max_attempts = 3, delay = "0ms")]
//! fn fetch(seen: &mut Vec<u32>) -> Result<u32, String> {
//!     seen.push(context::attempt());
//!     if context::attempt() < 3 { Err("busy".into()) } else { Ok(context::attempt()) }
//! }
//!
//! let mut seen = Vec::new();
//! assert_eq!(fetch(&mut seen), Ok(3));
//! assert_eq!(seen, [1, 2, 3]);
//! assert_eq!(context::attempt(), 1); // outside any call
//!
//! // A deadline on everything called inside; `remaining()` says what is left of it.
//! let left = context::with_deadline_sync(Duration::from_secs(2), || context::remaining());
//! assert!(left.is_some_and(|left| left <= Duration::from_secs(2)));
//! assert_eq!(context::remaining(), None);
//! ```

use std::cell::Cell;
use std::error::Error;
use std::fmt;
use std::future::{Future, IntoFuture};
use std::time::{Duration, Instant};

/// The attempt the body runs in, as one word so that entering and leaving an attempt is one
/// load and two stores: the number in the low 32 bits, `max_attempts` (0: none) in the next 31,
/// and whether it is a hedge in the top bit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct AttemptInfo(u64);

impl AttemptInfo {
    /// Outside any attributed call: attempt 1, no maximum, not a hedge.
    pub(crate) const OUTSIDE: AttemptInfo = AttemptInfo(1);
    const HEDGE: u64 = 1 << 63;
    const MAX_MASK: u64 = (1 << 31) - 1;

    /// Attempt `number` of at most `max_attempts` (`0`: none known), a hedge or not.
    #[inline]
    pub(crate) const fn new(number: u32, max_attempts: u32, hedge: bool) -> Self {
        let max = (max_attempts as u64) & Self::MAX_MASK;
        let hedge = if hedge { Self::HEDGE } else { 0 };
        AttemptInfo(number as u64 | (max << 32) | hedge)
    }

    #[inline]
    fn number(self) -> u32 {
        // Truncation keeps the low 32 bits, where the number is.
        #[allow(clippy::cast_possible_truncation)]
        let number = self.0 as u32;
        number
    }

    #[inline]
    fn max_attempts(self) -> Option<u32> {
        let max = u32::try_from((self.0 >> 32) & Self::MAX_MASK).unwrap_or(u32::MAX);
        (max != 0).then_some(max)
    }

    #[inline]
    fn is_hedge(self) -> bool {
        self.0 & Self::HEDGE != 0
    }
}

/// A point in time on a given clock: tokio's for async code (paused in tests), the sync clock
/// (`testing::pause_sync_time`) for sync code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Deadline {
    at: Instant,
    now: fn() -> Instant,
}

impl Deadline {
    /// `timeout` from now on the clock `now` (an hour-scale timeout is the usual; one that
    /// overflows the clock is no deadline in practice, so it is capped at a century).
    pub(crate) fn after(timeout: Duration, now: fn() -> Instant) -> Self {
        const CENTURY: Duration = Duration::from_secs(100 * 365 * 24 * 3600);
        let start = now();
        let at = start
            .checked_add(timeout.min(CENTURY))
            .or_else(|| start.checked_add(CENTURY))
            .unwrap_or(start);
        Deadline { at, now }
    }

    /// A deadline at `at` on the clock `now`.
    pub(crate) const fn at(at: Instant, now: fn() -> Instant) -> Self {
        Deadline { at, now }
    }

    /// The time left, zero once it has passed.
    pub(crate) fn remaining(self) -> Duration {
        self.at.saturating_duration_since((self.now)())
    }

    /// The sooner of this deadline and `other`: a nested deadline only shortens.
    pub(crate) fn sooner(self, other: Option<Deadline>) -> Deadline {
        match other {
            Some(other) if other.at <= self.at => other,
            _ => self,
        }
    }
}

thread_local! {
    static ATTEMPT: Cell<AttemptInfo> = const { Cell::new(AttemptInfo::OUTSIDE) };
    static DEADLINE: Cell<Option<Deadline>> = const { Cell::new(None) };
}

/// The attempt the current body runs in, from 1: 1 on the first attempt, 2 on the first retry,
/// and so on; for a hedged call, 1 for the first attempt and 2, 3, ... for the hedges, in the
/// order they started. 1 outside any attributed call.
///
/// ```
/// use retry_runtime::{context, retry};
///
/// #[retry(max_attempts = 2, delay = "0ms")]
/// fn send(headers: &mut Vec<String>) -> Result<(), ()> {
///     headers.push(format!("attempt={}; max={}", context::attempt(), context::max_attempts().unwrap()));
///     if context::attempt() == 1 { Err(()) } else { Ok(()) }
/// }
///
/// let mut headers = Vec::new();
/// send(&mut headers).unwrap();
/// assert_eq!(headers, ["attempt=1; max=2", "attempt=2; max=2"]);
/// ```
pub fn attempt() -> u32 {
    current_attempt().number()
}

/// The most attempts the current call may make (`max_attempts` of a `#[retry]`, `1 +
/// max_hedges` of a `#[hedge]`), `None` outside any attributed call or under one that does not
/// repeat the body.
///
/// ```
/// use retry_runtime::context;
///
/// assert_eq!(context::max_attempts(), None);
/// ```
pub fn max_attempts() -> Option<u32> {
    current_attempt().max_attempts()
}

/// Whether the current body runs as a hedge (an attempt a `#[hedge]` started beside a slow
/// one), not as the first attempt.
///
/// ```
/// use retry_runtime::context;
///
/// assert!(!context::is_hedge());
/// ```
pub fn is_hedge() -> bool {
    current_attempt().is_hedge()
}

/// The time left before the deadline in force (zero once it has passed), `None` when there is
/// none: set by [`with_deadline`], [`with_deadline_sync`], or a `#[retry]` with `max_elapsed`
/// around this call.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::context;
///
/// assert_eq!(context::remaining(), None);
/// context::with_deadline_sync(Duration::from_millis(300), || {
///     assert!(context::remaining().unwrap() <= Duration::from_millis(300));
/// });
/// ```
pub fn remaining() -> Option<Duration> {
    current_deadline().map(Deadline::remaining)
}

/// Runs `future` with a deadline `timeout` from now on everything called inside it: every
/// attributed call made while it runs never sleeps past the deadline, cuts its
/// `attempt_timeout` and `call_timeout` to the time left, starts no hedge past it, stops waiting
/// for a bulkhead slot or a rate-limit permit at it, and, with `deadline = "refuse"`, runs no
/// body once it has passed. A deadline already in force is kept when it is sooner: a nested
/// deadline only shortens.
///
/// The deadline does not cut `future` itself off; it tells the calls inside when nobody will
/// wait for them any longer (wrap it in `tokio::time::timeout` to also stop waiting for it).
/// Time is tokio's clock, so paused-time tests drive it.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::context;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let left = context::with_deadline(Duration::from_millis(300), async {
///     tokio::time::sleep(Duration::from_millis(100)).await;
///     context::remaining()
/// })
/// .await;
/// assert_eq!(left, Some(Duration::from_millis(200)));
/// # }
/// ```
pub fn with_deadline<F: IntoFuture>(
    timeout: Duration,
    future: F,
) -> impl Future<Output = F::Output> {
    WithDeadline {
        future: future.into_future(),
        deadline: Deadline::after(timeout, async_now),
    }
}

pin_project_lite::pin_project! {
    /// A future polled under a deadline; see [`with_deadline`]. It holds the future in place, so
    /// it is the future's size plus the deadline.
    struct WithDeadline<F> {
        #[pin]
        future: F,
        deadline: Deadline,
    }
}

impl<F: Future> Future for WithDeadline<F> {
    type Output = F::Output;

    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<F::Output> {
        let this = self.project();
        let _scope = Scope::enter_deadline(*this.deadline);
        this.future.poll(cx)
    }
}

/// Runs `f` with a deadline `timeout` from now on everything called inside it, as
/// [`with_deadline`] does for a future. Time is the sync clock, so
/// [`testing::pause_sync_time`](crate::testing::pause_sync_time) drives it.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::{context, retry, testing};
///
/// #[retry(max_attempts = 100, delay = "100ms", jitter = "none", backoff = "fixed")]
/// fn query(calls: &mut u32) -> Result<(), String> {
///     *calls += 1;
///     Err("unavailable".into())
/// }
///
/// let _paused = testing::pause_sync_time();
/// let mut calls = 0;
/// let result = context::with_deadline_sync(Duration::from_millis(350), || query(&mut calls));
/// assert!(result.is_err());
/// assert_eq!(calls, 4); // at 0, 100, 200 and 300 ms: the next wait would end past 350 ms
/// ```
pub fn with_deadline_sync<T>(timeout: Duration, f: impl FnOnce() -> T) -> T {
    let _scope = Scope::enter_deadline(Deadline::after(timeout, crate::sleep::now_sync));
    f()
}

/// A call that had no time left before its deadline was refused without running its body:
/// what `deadline = "refuse"` returns through `From` when the deadline in force has passed.
///
/// ```
/// use retry_runtime::DeadlineExceeded;
///
/// #[derive(Debug)]
/// enum ApiError {
///     TooLate(DeadlineExceeded),
///     Unavailable,
/// }
///
/// impl From<DeadlineExceeded> for ApiError {
///     fn from(late: DeadlineExceeded) -> Self {
///         ApiError::TooLate(late)
///     }
/// }
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct DeadlineExceeded {
    /// The site that refused the call.
    pub name: &'static str,
}

impl DeadlineExceeded {
    /// The refusal of the site `name`.
    pub const fn new(name: &'static str) -> Self {
        DeadlineExceeded { name }
    }
}

impl fmt::Display for DeadlineExceeded {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` was not called: the deadline in force had passed",
            self.name
        )
    }
}

impl Error for DeadlineExceeded {}

/// The attempt in force on this thread.
#[inline]
pub(crate) fn current_attempt() -> AttemptInfo {
    ATTEMPT.try_with(Cell::get).unwrap_or(AttemptInfo::OUTSIDE)
}

/// The deadline in force on this thread.
#[inline]
pub(crate) fn current_deadline() -> Option<Deadline> {
    DEADLINE.try_with(Cell::get).ok().flatten()
}

/// Whether a deadline is in force and has passed.
pub(crate) fn deadline_passed() -> bool {
    current_deadline().is_some_and(|deadline| deadline.remaining().is_zero())
}

/// `limit` cut to the time left before the deadline in force.
pub(crate) fn cut_to_deadline(limit: Duration) -> Duration {
    current_deadline().map_or(limit, |deadline| limit.min(deadline.remaining()))
}

/// The async clock: tokio's (paused in tests) when the runtime has it.
pub(crate) fn async_now() -> Instant {
    #[cfg(feature = "tokio")]
    {
        tokio::time::Instant::now().into_std()
    }
    #[cfg(not(feature = "tokio"))]
    {
        Instant::now()
    }
}

/// The context of one body while it runs; the one before it comes back on drop, panics
/// included.
#[must_use = "the context is left as soon as the scope is dropped"]
pub(crate) struct Scope {
    outer_attempt: AttemptInfo,
    /// The deadline to restore, when this scope set one.
    outer_deadline: Restore,
}

impl Scope {
    /// Enters `attempt`, and `deadline` (the sooner of it and the one in force) if given.
    #[inline]
    pub(crate) fn enter(attempt: AttemptInfo, deadline: Option<Deadline>) -> Scope {
        let outer_attempt = ATTEMPT
            .try_with(|slot| slot.replace(attempt))
            .unwrap_or(AttemptInfo::OUTSIDE);
        let outer_deadline = deadline.map_or(Restore::Untouched, |deadline| {
            Restore::Deadline(enter_deadline(deadline))
        });
        Scope {
            outer_attempt,
            outer_deadline,
        }
    }

    /// Enters `deadline` (or the sooner one in force), keeping the attempt as it is.
    fn enter_deadline(deadline: Deadline) -> Scope {
        Scope {
            outer_attempt: current_attempt(),
            outer_deadline: Restore::Deadline(enter_deadline(deadline)),
        }
    }
}

/// What a scope gives back to the deadline slot when it ends.
#[derive(Clone, Copy)]
enum Restore {
    /// The scope set no deadline.
    Untouched,
    /// The deadline that was in force (or none) before the scope set its own.
    Deadline(Option<Deadline>),
}

/// Sets the sooner of `deadline` and the one in force; returns the one in force.
fn enter_deadline(deadline: Deadline) -> Option<Deadline> {
    DEADLINE
        .try_with(|slot| {
            let outer = slot.get();
            slot.set(Some(deadline.sooner(outer)));
            outer
        })
        .ok()
        .flatten()
}

impl Drop for Scope {
    #[inline]
    fn drop(&mut self) {
        let _ = ATTEMPT.try_with(|slot| slot.set(self.outer_attempt));
        if let Restore::Deadline(outer) = self.outer_deadline {
            let _ = DEADLINE.try_with(|slot| slot.set(outer));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attempt_info_round_trips() {
        let info = AttemptInfo::new(7, 9, true);
        assert_eq!(
            (info.number(), info.max_attempts(), info.is_hedge()),
            (7, Some(9), true)
        );
        let info = AttemptInfo::new(u32::MAX, 0, false);
        assert_eq!(
            (info.number(), info.max_attempts(), info.is_hedge()),
            (u32::MAX, None, false)
        );
        assert_eq!(AttemptInfo::OUTSIDE, AttemptInfo::new(1, 0, false));
    }

    #[test]
    fn nested_deadlines_only_shorten_and_unwind() {
        with_deadline_sync(Duration::from_secs(10), || {
            let outer = remaining().unwrap();
            with_deadline_sync(Duration::from_secs(60), || {
                assert!(remaining().unwrap() <= outer);
            });
            with_deadline_sync(Duration::from_secs(1), || {
                assert!(remaining().unwrap() <= Duration::from_secs(1));
            });
            assert!(remaining().unwrap() > Duration::from_secs(1));
        });
        assert_eq!(remaining(), None);
    }

    #[test]
    fn a_deadline_future_holds_its_future_once() {
        let inner = async { [0u8; 256].len() };
        let inner_size = size_of_val(&inner);
        let wrapped = with_deadline(Duration::from_secs(1), async { [0u8; 256].len() });
        assert!(size_of_val(&wrapped) <= inner_size + size_of::<Deadline>() + 8);
    }

    #[test]
    fn a_panic_leaves_the_context_as_it_was() {
        let result = std::panic::catch_unwind(|| {
            let _scope = Scope::enter(AttemptInfo::new(3, 5, true), None);
            with_deadline_sync(Duration::from_secs(1), || panic!("body panicked"));
        });
        assert!(result.is_err());
        assert_eq!(
            (attempt(), max_attempts(), is_hedge(), remaining()),
            (1, None, false, None)
        );
    }
}
