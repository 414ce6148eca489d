//! The decision after each failed attempt: stop, or sleep this long and try again.

use std::time::{Duration, Instant};

use crate::Backoff;
use crate::hint::RetryHint;
use crate::retry::policy::RetryPolicy;
use crate::rng::unit_draw;
pub use crate::step::{Step, StopReason};

/// The state of one call's retry loop, kept between attempts.
///
/// It is what `#[retry]` expands to, and what a hand-written loop can use directly:
///
/// ```
/// use std::time::Instant;
/// use retry_runtime::{RetryHint, RetryPolicy, RetryState, Step};
///
/// fn flaky(calls: &mut u32) -> Result<u32, String> {
///     *calls += 1;
///     if *calls < 3 { Err(format!("try {calls}")) } else { Ok(*calls) }
/// }
///
/// let policy = RetryPolicy::builder().delay(std::time::Duration::ZERO).build()?;
/// let mut state = RetryState::start(&policy, Instant::now);
/// let mut calls = 0;
/// let value = loop {
///     match flaky(&mut calls) {
///         Ok(value) => break value,
///         Err(error) => match state.on_failure(&policy, true, RetryHint::FollowPolicy, Instant::now) {
///             Step::Retry { delay, .. } => std::thread::sleep(delay),
///             Step::Stop(reason) => panic!("gave up ({reason:?}): {error}"),
///         },
///     }
/// };
/// assert_eq!(value, 3);
/// # Ok::<(), retry_runtime::PolicyError>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct RetryState<W: Stopwatch = Option<Instant>> {
    /// The attempt in progress, from 1.
    attempt: u32,
    /// The last delay slept, in seconds (decorrelated jitter grows from it); before the first
    /// retry it is the policy's `delay`, read then rather than at the start, so a call that
    /// succeeds at once never computes it. An `f32` rather than a `Duration` keeps the state at
    /// 8 bytes inside every `#[retry]` future; its 24-bit mantissa keeps a delay to within a few
    /// parts in a hundred million, far finer than any jitter draw.
    ///
    /// It also holds what an async call's drop needs to know, in bits a delay never uses: its
    /// sign is set while the call sleeps between attempts (when `attempt` already names the
    /// next one), and it is NaN once the call has ended (when no delay is read again).
    previous_delay_secs: f32,
    /// When the first attempt started, for `max_elapsed`.
    stopwatch: W,
}

/// Where a [`RetryState`] keeps the start time that `max_elapsed` is measured from.
///
/// `Option<Instant>` (the default) reads the clock at the start only when the policy has
/// `max_elapsed`; [`WithoutBudget`] stores nothing and never reads it, for policies known to have
/// no `max_elapsed` (the attribute picks it for inline policies without one, saving 16 bytes per
/// future).
pub trait Stopwatch: Copy {
    /// Starts timing if `policy` needs it.
    fn start(policy: &RetryPolicy, now: impl FnOnce() -> Instant) -> Self;
    /// The start time, if one was recorded.
    fn started(&self) -> Option<Instant>;
}

impl Stopwatch for Option<Instant> {
    #[inline]
    fn start(policy: &RetryPolicy, now: impl FnOnce() -> Instant) -> Self {
        policy.max_elapsed().map(|_| now())
    }

    #[inline]
    fn started(&self) -> Option<Instant> {
        *self
    }
}

/// A [`Stopwatch`] for policies without `max_elapsed`: zero-sized, never reads a clock. With a
/// policy that does have `max_elapsed`, the budget is not enforced, so use it only where the
/// policy is known.
#[derive(Clone, Copy, Debug, Default)]
pub struct WithoutBudget;

impl Stopwatch for WithoutBudget {
    #[inline]
    fn start(_: &RetryPolicy, _: impl FnOnce() -> Instant) -> Self {
        WithoutBudget
    }

    #[inline]
    fn started(&self) -> Option<Instant> {
        None
    }
}

impl RetryState {
    /// The state before the first attempt. Reads `now` once if the policy has `max_elapsed`, and
    /// otherwise not at all.
    #[inline]
    pub fn start(policy: &RetryPolicy, now: impl FnOnce() -> Instant) -> Self {
        Self::start_with(policy, now)
    }
}

impl<W: Stopwatch> RetryState<W> {
    /// [`start`](RetryState::start) with a chosen [`Stopwatch`].
    #[inline]
    pub fn start_with(policy: &RetryPolicy, now: impl FnOnce() -> Instant) -> Self {
        RetryState {
            attempt: 1,
            previous_delay_secs: 0.0,
            stopwatch: W::start(policy, now),
        }
    }

    /// The state after a first attempt that failed, timed by `stopwatch` (started before that
    /// attempt): what `#[retry]`'s out-of-line loop takes over with.
    #[inline]
    pub(crate) fn after_first_attempt(stopwatch: W) -> Self {
        RetryState {
            attempt: 1,
            previous_delay_secs: 0.0,
            stopwatch,
        }
    }

    /// An async call now sleeps before its next attempt.
    #[inline]
    pub(crate) fn mark_sleeping(&mut self) {
        self.previous_delay_secs = -self.previous_delay_secs.abs();
    }

    /// An async call's sleep is over: its next attempt runs.
    #[inline]
    pub(crate) fn mark_awake(&mut self) {
        self.previous_delay_secs = self.previous_delay_secs.abs();
    }

    /// An async call returned, or is about to: dropping it now is not a cancellation.
    #[inline]
    pub(crate) fn mark_ended(&mut self) {
        self.previous_delay_secs = f32::NAN;
    }

    /// Whether an async call sleeps before its next attempt.
    #[inline]
    pub(crate) fn is_sleeping(&self) -> bool {
        !self.has_ended() && self.previous_delay_secs.is_sign_negative()
    }

    /// Whether an async call has ended.
    #[inline]
    pub(crate) fn has_ended(&self) -> bool {
        self.previous_delay_secs.is_nan()
    }

    /// The stopwatch the loop was started with.
    #[inline]
    pub(crate) fn stopwatch(&self) -> W {
        self.stopwatch
    }

    /// The attempt in progress, from 1; after the loop, the number of attempts made.
    #[inline]
    pub const fn attempt(&self) -> u32 {
        self.attempt
    }

    /// How long the next attempt may run: `attempt_timeout`, cut to what is left of
    /// `max_elapsed` when both are set, so a call with both never outlasts `max_elapsed`, and to
    /// what is left of the deadline in force ([`context::remaining`](crate::context::remaining)).
    /// `None` without `attempt_timeout`. Reads `now` only when both are set.
    pub fn attempt_limit(
        &self,
        policy: &RetryPolicy,
        now: impl FnOnce() -> Instant,
    ) -> Option<Duration> {
        let timeout = policy.attempt_timeout()?;
        let timeout = match (policy.max_elapsed(), self.stopwatch.started()) {
            (Some(budget), Some(started)) => {
                let left = budget.saturating_sub(now().saturating_duration_since(started));
                timeout.min(left)
            }
            _ => timeout,
        };
        Some(crate::context::cut_to_deadline(timeout))
    }

    /// Decides after a failed attempt. `retryable` is what `on` / `when` said of the error, `hint`
    /// what the error itself said. On [`Step::Retry`] the state moves to the next attempt.
    ///
    /// Order: a non-retryable or permanent error stops at once; then `max_attempts`; then the
    /// delay (the hint's `RetryAfter`, or the policy's backoff with jitter); then `max_elapsed`,
    /// which stops rather than start a sleep that would end past the budget. A hint is never
    /// cut short: one longer than `max_delay`, or than what is left of `max_elapsed`, stops with
    /// [`StopReason::HintTooLong`]. A hint that fits is waited for at least its length and at
    /// most 10% longer, drawn like jitter (so callers given the same hint do not come back
    /// together), the extra cut to `max_delay` and to what is left of `max_elapsed`. Last, a
    /// deadline in force around the call ([`context`](crate::context)) stops with
    /// [`StopReason::DeadlineExceeded`] a wait that would end at or past it.
    pub fn on_failure(
        &mut self,
        policy: &RetryPolicy,
        retryable: bool,
        hint: RetryHint,
        now: impl FnOnce() -> Instant,
    ) -> Step {
        if !retryable {
            return Step::Stop(StopReason::NotRetryable);
        }
        let (delay, hinted) = match hint {
            RetryHint::Permanent => return Step::Stop(StopReason::Permanent),
            _ if self.attempt >= policy.max_attempts() => {
                return Step::Stop(StopReason::Exhausted);
            }
            RetryHint::RetryAfter(delay) if delay > policy.max_delay() => {
                return Step::Stop(StopReason::HintTooLong);
            }
            RetryHint::RetryAfter(delay) => (delay, true),
            // Every named backoff is a multiple of `delay`, and every jitter of a zero delay
            // is zero: no math, no draw.
            RetryHint::FollowPolicy
                if policy.delay().is_zero() && !matches!(policy.backoff(), Backoff::Custom(_)) =>
            {
                (Duration::ZERO, false)
            }
            RetryHint::FollowPolicy => {
                let unit = if policy.jitter().is_random() {
                    unit_draw()
                } else {
                    0.0
                };
                let previous = if self.attempt == 1 {
                    policy.delay()
                } else {
                    Duration::try_from_secs_f32(self.previous_delay_secs.abs())
                        .unwrap_or(Duration::MAX)
                };
                (policy.delay_for(self.attempt - 1, previous, unit), false)
            }
        };
        // The longest sleep allowed: `max_delay`, and what is left of `max_elapsed`.
        let mut longest = policy.max_delay();
        if let (Some(budget), Some(started)) = (policy.max_elapsed(), self.stopwatch.started()) {
            let elapsed = now().saturating_duration_since(started);
            // A zero delay never ends past the budget, but an attempt after it is spent would.
            if elapsed.saturating_add(delay) > budget || elapsed >= budget {
                return Step::Stop(if hinted {
                    StopReason::HintTooLong
                } else {
                    StopReason::OutOfTime
                });
            }
            longest = longest.min(budget.saturating_sub(elapsed));
        }
        // The hint itself decided whether it fits; the spread only takes what is left.
        let delay = if hinted {
            spread_hint(delay, longest)
        } else {
            delay
        };
        // A deadline around the call (not this loop's own `max_elapsed`): a wait that ends at or
        // past it leaves the next attempt no time.
        if crate::context::current_deadline().is_some_and(|deadline| delay >= deadline.remaining())
        {
            return Step::Stop(StopReason::DeadlineExceeded);
        }
        let failed = self.attempt;
        self.attempt += 1;
        self.previous_delay_secs = delay.as_secs_f32();
        Step::Retry {
            attempt: failed,
            delay,
        }
    }
}

impl<W: Stopwatch> RetryState<W> {
    /// [`on_failure`](RetryState::on_failure), then, for a retry, a withdrawal from `budget`:
    /// an empty budget stops the loop with [`StopReason::OutOfBudget`]. This is what
    /// `#[retry(budget = "...")]` runs; a hand-written loop gets budgets the same way.
    ///
    /// ```
    /// use std::time::Instant;
    /// use retry_runtime::{BudgetConfig, RetryHint, RetryPolicy, RetryState, Step, StopReason};
    ///
    /// let budget = retry_runtime::register_budget(
    ///     "engine-doc",
    ///     BudgetConfig { share: 0.0, min_per_second: 0.0, cap: 1.0 },
    /// )?;
    /// let policy = RetryPolicy::DEFAULT;
    /// let mut state = RetryState::start(&policy, Instant::now);
    /// let step = state.on_failure_within(&policy, true, RetryHint::FollowPolicy, Some(budget), Instant::now);
    /// assert_eq!(step, Step::Stop(StopReason::OutOfBudget));
    /// # Ok::<(), String>(())
    /// ```
    pub fn on_failure_within(
        &mut self,
        policy: &RetryPolicy,
        retryable: bool,
        hint: RetryHint,
        budget: Option<&crate::budget::RetryBudget>,
        now: impl Fn() -> Instant,
    ) -> Step {
        let step = self.on_failure(policy, retryable, hint, &now);
        if let (Step::Retry { .. }, Some(budget)) = (step, budget)
            && !budget.try_withdraw(now())
        {
            // The attempt that failed is the last one made.
            self.attempt -= 1;
            return Step::Stop(StopReason::OutOfBudget);
        }
        step
    }
}

/// The share of a hint added at most: a hinted wait is drawn from `[hint, hint x 1.1]`.
const HINT_SPREAD: f64 = 0.1;

/// A wait for `hint` (which fits within `longest`): the hint plus up to 10% of it, drawn from
/// the jitter generator (seeded by `testing::seed_jitter`), never past `longest`. A zero hint
/// draws nothing.
fn spread_hint(hint: Duration, longest: Duration) -> Duration {
    if hint.is_zero() || hint >= longest {
        return hint;
    }
    // `mul_f64` of a factor below 0.1 cannot overflow: the hint fits in `longest`.
    let extra = hint.mul_f64(HINT_SPREAD * unit_draw());
    hint.saturating_add(extra).min(longest)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Jitter;

    fn fixed_clock() -> Instant {
        thread_local!(static ORIGIN: Instant = Instant::now());
        ORIGIN.with(|origin| *origin)
    }

    #[test]
    fn state_is_8_bytes_without_a_budget_and_24_with_one() {
        assert_eq!(size_of::<RetryState<WithoutBudget>>(), 8);
        assert_eq!(size_of::<RetryState>(), 24);
    }

    #[test]
    fn exhausts_after_max_attempts_with_the_exact_exponential_delays() {
        let policy = RetryPolicy::builder()
            .max_attempts(4)
            .jitter(Jitter::None)
            .build()
            .unwrap();
        let mut state = RetryState::start(&policy, fixed_clock);
        let mut steps = Vec::new();
        loop {
            let step = state.on_failure(&policy, true, RetryHint::FollowPolicy, fixed_clock);
            steps.push(step);
            if matches!(step, Step::Stop(_)) {
                break;
            }
        }
        let ms = Duration::from_millis;
        assert_eq!(
            steps,
            [
                Step::Retry {
                    attempt: 1,
                    delay: ms(100)
                },
                Step::Retry {
                    attempt: 2,
                    delay: ms(200)
                },
                Step::Retry {
                    attempt: 3,
                    delay: ms(400)
                },
                Step::Stop(StopReason::Exhausted),
            ]
        );
        assert_eq!(state.attempt(), 4);
    }

    #[test]
    fn hints_override_the_policy() {
        let policy = RetryPolicy::DEFAULT;
        let mut state = RetryState::start(&policy, fixed_clock);
        let after = RetryHint::RetryAfter(Duration::from_secs(4));
        match state.on_failure(&policy, true, after, fixed_clock) {
            Step::Retry { attempt: 1, delay } => assert!(
                delay >= Duration::from_secs(4) && delay <= Duration::from_millis(4400),
                "{delay:?}"
            ),
            step => panic!("{step:?}"),
        }
        assert_eq!(
            state.on_failure(
                &policy,
                true,
                RetryHint::RetryAfter(Duration::from_secs(365 * 86_400)),
                fixed_clock
            ),
            Step::Stop(StopReason::HintTooLong)
        );
        assert_eq!(
            state.on_failure(&policy, true, RetryHint::Permanent, fixed_clock),
            Step::Stop(StopReason::Permanent)
        );
        assert_eq!(
            state.on_failure(&policy, false, after, fixed_clock),
            Step::Stop(StopReason::NotRetryable)
        );
    }

    #[test]
    fn a_hint_spreads_over_a_tenth_more_within_max_delay_and_max_elapsed() {
        let hint = RetryHint::RetryAfter(Duration::from_secs(1));
        let first_wait = |policy: &RetryPolicy, elapsed: Duration| {
            let mut state = RetryState::start(policy, fixed_clock);
            match state.on_failure(policy, true, hint, || fixed_clock() + elapsed) {
                Step::Retry { delay, .. } => Some(delay),
                Step::Stop(_) => None,
            }
        };
        let roomy = RetryPolicy::DEFAULT;
        let waits: Vec<Duration> = (0..200)
            .map(|_| first_wait(&roomy, Duration::ZERO).unwrap())
            .collect();
        let (shortest, longest) = (waits.iter().min().unwrap(), waits.iter().max().unwrap());
        assert!(*shortest >= Duration::from_secs(1), "{shortest:?}");
        assert!(*longest <= Duration::from_millis(1100), "{longest:?}");
        // Spread over the range, not a handful of values.
        assert!(longest.saturating_sub(*shortest) > Duration::from_millis(80));
        // The same seed, the same waits.
        crate::rng::seed_thread(3);
        let seeded = first_wait(&roomy, Duration::ZERO);
        crate::rng::seed_thread(3);
        assert_eq!(first_wait(&roomy, Duration::ZERO), seeded);
        // `max_delay` of 1.05 s: the hint fits, its spread is cut there.
        let capped = RetryPolicy::builder()
            .max_delay(Duration::from_millis(1050))
            .build()
            .unwrap();
        for _ in 0..200 {
            let wait = first_wait(&capped, Duration::ZERO).unwrap();
            assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_millis(1050));
        }
        // 1.02 s left of `max_elapsed`: the same, and 0.99 s left stops (the hint does not fit).
        let budgeted = RetryPolicy::builder()
            .max_elapsed(Duration::from_secs(2))
            .build()
            .unwrap();
        for _ in 0..200 {
            let wait = first_wait(&budgeted, Duration::from_millis(980)).unwrap();
            assert!(wait >= Duration::from_secs(1) && wait <= Duration::from_millis(1020));
        }
        assert_eq!(first_wait(&budgeted, Duration::from_millis(1010)), None);
        // A zero hint stays zero.
        let mut state = RetryState::start(&roomy, fixed_clock);
        assert_eq!(
            state.on_failure(
                &roomy,
                true,
                RetryHint::RetryAfter(Duration::ZERO),
                fixed_clock
            ),
            Step::Retry {
                attempt: 1,
                delay: Duration::ZERO
            }
        );
    }

    #[test]
    fn never_starts_a_sleep_that_ends_past_max_elapsed() {
        let policy = RetryPolicy::builder()
            .max_attempts(100)
            .jitter(Jitter::None)
            .max_elapsed(Duration::from_secs(1))
            .build()
            .unwrap();
        let mut state = RetryState::start(&policy, fixed_clock);
        // 100 + 200 + 400 = 700 ms; the next, 800 ms, would end at 1500 ms.
        let mut slept = Duration::ZERO;
        let stop = loop {
            match state.on_failure(&policy, true, RetryHint::FollowPolicy, || {
                fixed_clock() + slept
            }) {
                Step::Retry { delay, .. } => slept += delay,
                Step::Stop(reason) => break reason,
            }
        };
        assert_eq!(stop, StopReason::OutOfTime);
        assert_eq!(slept, Duration::from_millis(700));
    }

    #[test]
    fn attempt_counter_cannot_overflow() {
        let policy = RetryPolicy::builder()
            .max_attempts(u32::MAX)
            .delay(Duration::ZERO)
            .build()
            .unwrap();
        let mut state = RetryState::start(&policy, fixed_clock);
        state.attempt = u32::MAX - 1;
        assert!(matches!(
            state.on_failure(&policy, true, RetryHint::FollowPolicy, fixed_clock),
            Step::Retry { .. }
        ));
        assert_eq!(
            state.on_failure(&policy, true, RetryHint::FollowPolicy, fixed_clock),
            Step::Stop(StopReason::Exhausted)
        );
    }
}
