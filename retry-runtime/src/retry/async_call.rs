//! The async `#[retry]` call: its state (which counts a call dropped mid-way as cancelled), the
//! context each attempt is polled in, and the decisions after each outcome.

use std::future::Future;
use std::time::Duration;

use crate::budget::site::BudgetSite;
use crate::context::Scope;
use crate::events::ErrorText;
use crate::hint::RetryHint;
use crate::retry::engine::{RetryState, Step, Stopwatch};
use crate::retry::site::{RetrySite, attempt_context, failed, report_success};
use crate::sleep::AsyncSleeper;
use crate::timeout::AttemptTimeout;

/// An async call's loop state, which reports the call as [cancelled](crate::hooks::Event::Cancelled)
/// if its future is dropped before the call ends (a success, or the loop stopping), so that
/// the attempts it made are counted. `F` hands out the site: a closure that names the site's
/// `static` and captures nothing, so the call's future holds nothing more than its state.
pub struct AsyncCall<W: Stopwatch, F: Fn() -> &'static RetrySite> {
    state: RetryState<W>,
    site: F,
}

impl<W: Stopwatch, F: Fn() -> &'static RetrySite> AsyncCall<W, F> {
    /// The attempt in progress, from 1.
    #[inline]
    pub fn attempt(&self) -> u32 {
        self.state.attempt()
    }

    /// The sleep after a failed attempt is over (or was zero): the next attempt starts.
    #[inline]
    pub fn slept(call: &mut Self) {
        call.state.mark_awake();
    }
}

impl<W: Stopwatch, F: Fn() -> &'static RetrySite> Drop for AsyncCall<W, F> {
    #[inline]
    fn drop(&mut self) {
        // A panic is neither a cancellation nor an outcome the loop saw: not reported.
        if !self.state.has_ended() && !std::thread::panicking() {
            cancelled(&self.state, (self.site)());
        }
    }
}

#[cold]
#[inline(never)]
fn cancelled<W: Stopwatch>(state: &RetryState<W>, site: &RetrySite) {
    let sleeping = state.is_sleeping();
    let started = state.attempt() - u32::from(sleeping);
    crate::events::cancelled(&site.source, started);
}

/// Before the first attempt of an async call that is not a `#[retry]` fn (the tower layer); a
/// budgeted site deposits the call's share.
#[inline]
pub fn start_async<S: AsyncSleeper, W: Stopwatch>(
    site: &RetrySite,
    budget: Option<&BudgetSite>,
) -> RetryState<W> {
    if let Some(budget) = budget {
        budget.budget().deposit();
    }
    RetryState::start_with(site.effective_policy(), S::now)
}

/// Before the first attempt of an async `#[retry]` fn; a budgeted site deposits the call's
/// share.
#[inline]
pub fn start_async_call<S: AsyncSleeper, W: Stopwatch, F: Fn() -> &'static RetrySite>(
    site: F,
    budget: Option<&BudgetSite>,
) -> AsyncCall<W, F> {
    if let Some(budget) = budget {
        budget.budget().deposit();
    }
    AsyncCall {
        state: RetryState::start_with(site().effective_policy(), S::now),
        site,
    }
}

/// Runs an async `#[retry]` attempt in its context: each poll sees the attempt's number,
/// `max_attempts`, and, with `max_elapsed`, the deadline the site sets for what it calls. It
/// holds the attempt and borrows the call's state (which hands out the site), so it adds one
/// pointer to the call's future.
#[inline]
pub fn in_attempt<S, W, F, A>(call: &AsyncCall<W, F>, attempt: A) -> InAttempt<'_, S, W, F, A>
where
    S: AsyncSleeper,
    W: Stopwatch,
    F: Fn() -> &'static RetrySite,
    A: Future,
{
    InAttempt {
        attempt,
        call,
        sleeper: std::marker::PhantomData,
    }
}

pin_project_lite::pin_project! {
    /// An async attempt polled in its context; see [`in_attempt`].
    pub struct InAttempt<'a, S, W: Stopwatch, F: Fn() -> &'static RetrySite, A> {
        #[pin]
        attempt: A,
        call: &'a AsyncCall<W, F>,
        sleeper: std::marker::PhantomData<fn() -> S>,
    }
}

impl<S, W, F, A> Future for InAttempt<'_, S, W, F, A>
where
    S: AsyncSleeper,
    W: Stopwatch,
    F: Fn() -> &'static RetrySite,
    A: Future,
{
    type Output = A::Output;

    #[inline]
    fn poll(
        self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<A::Output> {
        let this = self.project();
        let call = *this.call;
        let (attempt, deadline) = attempt_context(
            (call.site)(),
            &call.state.stopwatch(),
            call.state.attempt(),
            S::now,
        );
        let _scope = Scope::enter(attempt, deadline);
        this.attempt.poll(cx)
    }
}

/// After an `Ok` of a call started with [`start_async`]: hands the result back. On a
/// first-attempt success with no hook or metrics listening, that is all; otherwise the event
/// goes out through a cold tail call that takes the result along, so the fast path keeps
/// nothing alive across a call.
#[inline]
pub fn succeeded<T, W: Stopwatch>(site: &RetrySite, state: &RetryState<W>, value: T) -> T {
    if state.attempt() > 1 || crate::events::listening() {
        return report_success(site, state.attempt(), value);
    }
    value
}

/// After an async `#[retry]` fn's success: hands the fn's result back, as [`succeeded`], and
/// marks the call ended (not cancelled when its future is dropped).
#[inline]
pub fn call_succeeded<T, W: Stopwatch, F: Fn() -> &'static RetrySite>(
    site: &RetrySite,
    call: &mut AsyncCall<W, F>,
    value: T,
) -> T {
    call.state.mark_ended();
    if call.attempt() > 1 || crate::events::listening() {
        return report_success(site, call.attempt(), value);
    }
    value
}

/// After a failed attempt of a call started with [`start_async`]: decide, and report the
/// decision.
#[cold]
#[inline(never)]
pub fn failed_async<S: AsyncSleeper, W: Stopwatch>(
    site: &RetrySite,
    state: &mut RetryState<W>,
    retryable: bool,
    hint: RetryHint,
    error: ErrorText<'_>,
    budget: Option<&BudgetSite>,
) -> Step {
    failed(site, state, retryable, hint, error, budget, S::now)
}

/// After a failed attempt of an async `#[retry]` fn: decide, report the decision, and note
/// where the call stands (sleeping before the next attempt, or ended).
#[cold]
#[inline(never)]
pub fn call_failed_async<S: AsyncSleeper, W: Stopwatch, F: Fn() -> &'static RetrySite>(
    site: &RetrySite,
    call: &mut AsyncCall<W, F>,
    retryable: bool,
    hint: RetryHint,
    error: ErrorText<'_>,
    budget: Option<&BudgetSite>,
) -> Step {
    let step = failed(
        site,
        &mut call.state,
        retryable,
        hint,
        error,
        budget,
        S::now,
    );
    match step {
        Step::Retry { .. } => call.state.mark_sleeping(),
        Step::Stop(_) => call.state.mark_ended(),
    }
    step
}

/// How long the next async attempt may run: the effective `attempt_timeout`, cut to what is
/// left of `max_elapsed`.
pub fn call_attempt_limit<S: AsyncSleeper, W: Stopwatch, F: Fn() -> &'static RetrySite>(
    site: &RetrySite,
    call: &AsyncCall<W, F>,
) -> Option<Duration> {
    call.state.attempt_limit(site.effective_policy(), S::now)
}

/// Runs an async attempt, pinned as `$pinned` under the `attempt_timeout` a config override may
/// add when the `config` feature is on (`$configurable`), or awaited as it is without it: the
/// runtime's features decide, so a site pays for what can happen to it and nothing more.
#[cfg(feature = "config")]
#[doc(hidden)]
#[macro_export]
macro_rules! __retry_runtime_overridable_attempt {
    ($attempt:expr, $pinned:ident => $configurable:expr) => {{
        let $pinned = ::core::pin::pin!($attempt);
        $configurable
    }};
}

/// Runs an async attempt, pinned as `$pinned` under the `attempt_timeout` a config override may
/// add when the `config` feature is on (`$configurable`), or awaited as it is without it: the
/// runtime's features decide, so a site pays for what can happen to it and nothing more.
#[cfg(not(feature = "config"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __retry_runtime_overridable_attempt {
    ($attempt:expr, $pinned:ident => $configurable:expr) => {
        $attempt.await
    };
}

/// Runs one async attempt under `attempt_timeout`.
///
/// # Errors
/// [`AttemptTimeout`] when the sleeper's deadline comes first.
pub async fn with_attempt_timeout<S: AsyncSleeper, F: Future>(
    attempt: std::pin::Pin<&mut F>,
    timeout: Duration,
) -> Result<F::Output, AttemptTimeout> {
    crate::timeout::race_deadline::<S, F>(attempt, timeout).await
}
