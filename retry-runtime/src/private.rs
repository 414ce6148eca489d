//! What `#[retry]` expansions call. Not public API: no stability promise, may change in any
//! release. The facade pins the exact macro version, so an expansion always meets the runtime it
//! was written for.

use std::fmt::{Debug, Display};
use std::future::Future;
pub use std::time::Duration;
use std::time::Instant;

use crate::context::{AttemptInfo, Deadline, Scope};

pub use crate::engine::{RetryState, Step, StopReason, Stopwatch, WithoutBudget};

/// The [`Stopwatch`] of policies with `max_elapsed`, or named ones (whose values the macro
/// cannot see).
pub type WithBudget = Option<Instant>;

/// The [`Stopwatch`] of inline policies without `max_elapsed`: zero-sized, unless the `config`
/// feature lets an override add `max_elapsed` at run time.
#[cfg(not(feature = "config"))]
pub type InlineStopwatch = WithoutBudget;
/// The [`Stopwatch`] of inline policies without `max_elapsed`: zero-sized, unless the `config`
/// feature lets an override add `max_elapsed` at run time.
#[cfg(feature = "config")]
pub type InlineStopwatch = WithBudget;

pub use crate::events::ErrorText;
pub use crate::hint::{ProvidesRetryHint, RetryHint};
pub use crate::policy::RetryPolicy;
pub use crate::sleep::AsyncSleeper;
pub use crate::timeout::AttemptTimeout;
pub use crate::{Backoff, Jitter};

/// The sleeper of async fns without `sleeper = ...`.
#[cfg(feature = "tokio")]
pub type DefaultSleeper = crate::sleep::TokioSleeper;

/// One `#[retry]` fn: its name in events and its compile-time policy. Emitted as a `static`.
/// Without the `config` feature it holds no interior mutability, so the compiler folds the
/// policy's values into the expansion.
#[derive(Debug)]
pub struct RetrySite {
    /// `module_path!()::fn_name`, or the `name` key, and what events keep for it.
    source: crate::events::Source,
    /// The policy, built and validated in const evaluation.
    pub policy: RetryPolicy,
    /// The policy with configured overrides applied, settled at the first call.
    #[cfg(feature = "config")]
    effective: std::sync::OnceLock<RetryPolicy>,
}

impl RetrySite {
    /// A site; `const` so that it lives in a `static`.
    pub const fn new(name: &'static str, policy: RetryPolicy) -> Self {
        RetrySite {
            source: crate::events::Source::retry(name),
            policy,
            #[cfg(feature = "config")]
            effective: std::sync::OnceLock::new(),
        }
    }

    /// The site's name in events.
    pub const fn name(&self) -> &'static str {
        self.source.name()
    }

    /// The policy in force: the compiled-in one, or with the `config` feature, that policy with
    /// any installed override applied.
    #[inline]
    pub fn effective_policy(&self) -> &RetryPolicy {
        #[cfg(feature = "config")]
        {
            self.effective
                .get_or_init(|| crate::policy::OVERRIDE.applied(self.name(), self.policy))
        }
        #[cfg(not(feature = "config"))]
        {
            &self.policy
        }
    }
}

pub use crate::budget::BudgetSite;

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

pub use crate::failure::Failure;

/// `on_result`'s fn: says whether a returned value is a failure.
#[diagnostic::on_unimplemented(
    message = "`on_result` needs a fn that takes `&{T}` and returns `bool`",
    label = "this is not a `fn(&{T}) -> bool`",
    note = "`on_result` is given each returned value (the `Ok` value of a `Result` fn) and says whether it is a failure: write a `fn(&{T}) -> bool`, such as `retry_runtime::http::is_transient` for HTTP responses"
)]
pub trait JudgesValue<T: ?Sized> {
    /// Whether `value` is a failure.
    fn judge(&self, value: &T) -> bool;
}

impl<T: ?Sized, F: Fn(&T) -> bool> JudgesValue<T> for F {
    #[inline]
    fn judge(&self, value: &T) -> bool {
        self(value)
    }
}

/// `on_result` applied to a value. Takes the fn by value, as the expansion writes its path; the
/// value comes first, so a fn of the wrong type is reported as a mismatch of its signature.
#[inline]
#[allow(clippy::needless_pass_by_value)]
pub fn judge_value<T: ?Sized, F: JudgesValue<T>>(value: &T, judge: F) -> bool {
    judge.judge(value)
}

/// A sync fn's body as a closure called once per attempt: `FnMut`, so a body that moves a
/// by-value argument is reported at the move.
#[inline]
pub fn attempt_fn<F: FnMut() -> R, R>(attempt: F) -> F {
    attempt
}

/// Before the first attempt of a sync fn: the stopwatch `max_elapsed` needs (zero-sized and
/// free for sites without it).
#[inline]
pub fn stopwatch_sync<W: Stopwatch>(site: &RetrySite) -> W {
    W::start(site.effective_policy(), crate::sleep::now_sync)
}

/// The context attempt `number` of a sync `#[retry]` site runs in: its number, `max_attempts`,
/// and, with `max_elapsed`, the deadline it sets for what the attempt calls. Left on drop.
#[inline]
pub fn enter_attempt<W: Stopwatch>(
    site: &RetrySite,
    stopwatch: &W,
    number: u32,
) -> impl Sized + use<W> {
    let (attempt, deadline) = attempt_context(site, stopwatch, number, crate::sleep::now_sync);
    Scope::enter(attempt, deadline)
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

/// The context of attempt `number` of a retry site: its number and `max_attempts`, and with
/// `max_elapsed`, the deadline the site sets for what the attempt calls.
#[inline]
pub(crate) fn attempt_context<W: Stopwatch>(
    site: &RetrySite,
    stopwatch: &W,
    number: u32,
    now: fn() -> Instant,
) -> (AttemptInfo, Option<Deadline>) {
    let policy = site.effective_policy();
    let deadline = match (policy.max_elapsed(), stopwatch.started()) {
        (Some(budget), Some(started)) => {
            started.checked_add(budget).map(|at| Deadline::at(at, now))
        }
        _ => None,
    };
    (
        AttemptInfo::new(number, policy.max_attempts(), false),
        deadline,
    )
}

pub use crate::context::DeadlineExceeded;

/// `limit` (a `call_timeout`) cut to the time left before the deadline in force.
#[inline]
pub fn cut_to_deadline(limit: Duration) -> Duration {
    crate::context::cut_to_deadline(limit)
}

/// Whether a deadline is in force and has passed: `deadline = "refuse"` then runs no body.
#[inline]
pub fn deadline_passed() -> bool {
    crate::context::deadline_passed()
}

/// An error type a refusal of `deadline = "refuse"` converts into: any
/// `E: From<DeadlineExceeded>`.
#[diagnostic::on_unimplemented(
    message = "`deadline = \"refuse\"` needs the fn's error type `{Self}` to implement `From<retry_runtime::DeadlineExceeded>`",
    label = "a call refused past its deadline is returned as this error type",
    note = "add `impl From<retry_runtime::DeadlineExceeded> for {Self}`, or remove `deadline = \"refuse\"`"
)]
pub trait FromDeadlineExceeded: Sized {
    /// `E::from(refusal)`.
    fn convert(refusal: DeadlineExceeded) -> Self;
}

impl<E: From<DeadlineExceeded>> FromDeadlineExceeded for E {
    #[cold]
    fn convert(refusal: DeadlineExceeded) -> Self {
        E::from(refusal)
    }
}

/// After a sync fn's first attempt succeeded: the whole success path of `#[retry]`. A budgeted
/// site deposits the call's share; the event goes out only if someone listens.
#[inline]
pub fn first_success<T>(site: &RetrySite, budget: Option<&BudgetSite>, value: T) -> T {
    if let Some(budget) = budget {
        budget.budget().deposit();
    }
    if crate::events::listening() {
        return report_success(site, 1, value);
    }
    value
}

/// The rest of a sync `#[retry]` call after its first attempt failed, with its outcome `first`
/// (an `Err`, or with `on_result` a value that counts as a failure): the retry loop, out of line
/// so the fn that succeeds is its body, one check and a return. `attempt` runs the body again (in
/// a span of its own with `attempt_span`). What needs the concrete types comes as closures written
/// in the expansion: `failed` says whether an outcome failed (`None`: it succeeded) and if so
/// whether it may be retried (`on` / `when`; a failing value always may); `hint` and `describe`
/// probe the error or the value; `on_retry` is the user's hook.
///
/// Returns the outcome to give back: the first success, or the last failure when the loop stops.
#[cold]
#[inline(never)]
#[allow(clippy::too_many_arguments)]
pub fn retry_sync<R, W: Stopwatch>(
    site: &RetrySite,
    budget: Option<&BudgetSite>,
    stopwatch: W,
    first: R,
    mut attempt: impl FnMut() -> R,
    attempt_span: bool,
    mut failed_outcome: impl FnMut(&R) -> Option<bool>,
    hint: impl Fn(&R) -> RetryHint,
    describe: impl for<'e> Fn(&'e R) -> ErrorText<'e>,
    mut on_retry: impl FnMut(&R, u32, Duration),
) -> R {
    if let Some(budget) = budget {
        budget.budget().deposit();
    }
    if site.effective_policy().attempt_timeout().is_some() {
        timeout_unenforced(site);
    }
    let mut state = RetryState::after_first_attempt(stopwatch);
    let mut outcome = first;
    let mut retryable = failed_outcome(&outcome).unwrap_or(true);
    loop {
        let step = failed(
            site,
            &mut state,
            retryable,
            hint(&outcome),
            describe(&outcome),
            budget,
            crate::sleep::now_sync,
        );
        let delay = match step {
            Step::Retry { attempt, delay } => {
                on_retry(&outcome, attempt, delay);
                delay
            }
            Step::Stop(_) => return outcome,
        };
        // The failure is dropped before the sleep, as in a hand-written loop.
        drop(outcome);
        crate::sleep::sleep_sync(delay);
        let scope = enter_attempt(site, &state.stopwatch(), state.attempt());
        outcome = if attempt_span {
            let _entered = self::attempt_span(site, state.attempt()).entered();
            attempt()
        } else {
            attempt()
        };
        drop(scope);
        match failed_outcome(&outcome) {
            None => return report_success(site, state.attempt(), outcome),
            Some(may_retry) => retryable = may_retry,
        }
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

#[cold]
#[inline(never)]
fn report_success<T>(site: &RetrySite, attempts: u32, value: T) -> T {
    crate::events::succeeded(&site.source, attempts);
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

fn failed<W: Stopwatch>(
    site: &RetrySite,
    state: &mut RetryState<W>,
    retryable: bool,
    hint: RetryHint,
    error: ErrorText<'_>,
    budget: Option<&BudgetSite>,
    now: fn() -> Instant,
) -> Step {
    let step = state.on_failure_within(
        site.effective_policy(),
        retryable,
        hint,
        budget.map(BudgetSite::budget),
        now,
    );
    crate::events::decision(&site.source, step, state.attempt(), error);
    step
}

pub use tracing::Instrument;

/// The span an attempt runs in with `attempt_span = true`.
pub fn attempt_span(site: &RetrySite, attempt: u32) -> tracing::Span {
    // `http.request.resend_count` is OpenTelemetry's name for the retries before this attempt.
    tracing::info_span!(
        target: crate::TRACING_TARGET,
        "attempt",
        name = site.name(),
        attempt,
        http.request.resend_count = attempt.saturating_sub(1),
    )
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

pub use crate::__retry_runtime_overridable_attempt as overridable_attempt;

/// The sleep between attempts of a sync fn.
pub fn sleep_sync(duration: Duration) {
    crate::sleep::sleep_sync(duration);
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

// Autoref specialisation: method resolution tries `&&&Probe`, then `&&Probe`, then `&Probe`, so
// the impl with the most references wins where its bound holds. This lets the expansion use
// `Display`, `Debug` and `ProvidesRetryHint` when the error type has them, without asking the
// user for bounds or attribute keys.

/// Wraps an error for the describe and hint probes.
pub struct ErrorProbe<'a, E>(pub &'a E);

/// Probe tier 1: the error's `Display`. The text borrows the error, not the probe, so the
/// expansion can describe an error from a closure.
pub trait DescribeWithDisplay<'a> {
    /// The error as events show it.
    fn describe(&self) -> ErrorText<'a>;
}

impl<'a, E: Display> DescribeWithDisplay<'a> for &&ErrorProbe<'a, E> {
    fn describe(&self) -> ErrorText<'a> {
        ErrorText::Display(self.0)
    }
}

/// Probe tier 2: the error's `Debug`.
pub trait DescribeWithDebug<'a> {
    /// The error as events show it.
    fn describe(&self) -> ErrorText<'a>;
}

impl<'a, E: Debug> DescribeWithDebug<'a> for &ErrorProbe<'a, E> {
    fn describe(&self) -> ErrorText<'a> {
        ErrorText::Debug(self.0)
    }
}

/// Probe tier 3: the error's type name.
pub trait DescribeWithTypeName<'a> {
    /// The error as events show it.
    fn describe(&self) -> ErrorText<'a>;
}

impl<'a, E> DescribeWithTypeName<'a> for ErrorProbe<'a, E> {
    fn describe(&self) -> ErrorText<'a> {
        ErrorText::TypeName(std::any::type_name::<E>())
    }
}

/// Hint probe tier 1: the error's own [`ProvidesRetryHint`].
pub trait HintFromError {
    /// The error's advice.
    fn hint(&self) -> RetryHint;
}

impl<E: ProvidesRetryHint> HintFromError for &ErrorProbe<'_, E> {
    fn hint(&self) -> RetryHint {
        self.0.retry_hint()
    }
}

/// Hint probe tier 2: no advice.
pub trait HintFollowPolicy {
    /// [`RetryHint::FollowPolicy`].
    fn hint(&self) -> RetryHint;
}

impl<E> HintFollowPolicy for ErrorProbe<'_, E> {
    fn hint(&self) -> RetryHint {
        RetryHint::FollowPolicy
    }
}

/// Probes whether an attempt's `Result<T, E>` can carry an [`AttemptTimeout`], for fns whose
/// named policy may set `attempt_timeout`.
pub struct TimeoutProbe<R>(std::marker::PhantomData<fn() -> R>);

impl<R> TimeoutProbe<R> {
    /// A probe for the attempt output `R`.
    #[allow(clippy::new_without_default)]
    pub const fn new() -> Self {
        TimeoutProbe(std::marker::PhantomData)
    }
}

/// Timeout probe tier 1: `E: From<AttemptTimeout>`.
pub trait TimeoutFromError<R> {
    /// Turns a timeout into the attempt's output.
    fn converter(&self) -> Option<fn(AttemptTimeout) -> R>;
}

impl<T, E: From<AttemptTimeout>> TimeoutFromError<Result<T, E>> for &TimeoutProbe<Result<T, E>> {
    fn converter(&self) -> Option<fn(AttemptTimeout) -> Result<T, E>> {
        Some(|timeout| Err(E::from(timeout)))
    }
}

/// Timeout probe tier 2: no conversion.
pub trait TimeoutUnsupported<R> {
    /// `None`: the timeout cannot be reported as `E`.
    fn converter(&self) -> Option<fn(AttemptTimeout) -> R>;
}

impl<R> TimeoutUnsupported<R> for TimeoutProbe<R> {
    fn converter(&self) -> Option<fn(AttemptTimeout) -> R> {
        None
    }
}

/// The effective policy sets `attempt_timeout` (a named policy, or a config override) but the
/// fn cannot enforce it: a sync fn, or an error type without `From<AttemptTimeout>`. The attempt
/// runs without a limit, and a warning says so (at most once per
/// [`WARN_INTERVAL`](crate::WARN_INTERVAL) per site).
#[cold]
pub fn timeout_unenforced(site: &RetrySite) {
    if let Some(suppressed) = site.source.log.admit() {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name = site.name(),
            suppressed,
            "the policy sets attempt_timeout, which this fn cannot enforce (it is sync, or its error type has no From<AttemptTimeout>); attempts run without a time limit"
        );
    }
}

/// An error type a timed-out attempt converts into: any `E: From<AttemptTimeout>`. The expansion
/// writes `Err(<_ as FromAttemptTimeout>::convert(timeout))` spanned at `attempt_timeout`, so a
/// missing impl is reported there with this message, and names nothing of this module.
#[diagnostic::on_unimplemented(
    message = "`attempt_timeout` needs the fn's error type `{Self}` to implement `From<retry_runtime::AttemptTimeout>`",
    label = "an attempt cut off by `attempt_timeout` is returned as the fn's error type `{Self}`",
    note = "add `impl From<retry_runtime::AttemptTimeout> for {Self}`, or remove `attempt_timeout`"
)]
pub trait FromAttemptTimeout: Sized {
    /// `E::from(timeout)`.
    fn convert(timeout: AttemptTimeout) -> Self;
}

impl<E: From<AttemptTimeout>> FromAttemptTimeout for E {
    #[inline]
    fn convert(timeout: AttemptTimeout) -> Self {
        E::from(timeout)
    }
}

/// An error type a call cut off by a breaker's `call_timeout` converts into: any
/// `E: From<CallTimeout>`, reported at `call_timeout` when missing.
#[diagnostic::on_unimplemented(
    message = "`call_timeout` needs the fn's error type `{Self}` to implement `From<retry_runtime::CallTimeout>`",
    label = "a call cut off by `call_timeout` is returned as the fn's error type `{Self}`",
    note = "add `impl From<retry_runtime::CallTimeout> for {Self}`, or remove `call_timeout`"
)]
pub trait FromCallTimeout: Sized {
    /// `E::from(timeout)`.
    fn convert(timeout: CallTimeout) -> Self;
}

impl<E: From<CallTimeout>> FromCallTimeout for E {
    #[inline]
    fn convert(timeout: CallTimeout) -> Self {
        E::from(timeout)
    }
}

pub use crate::timeout::CallTimeout;

pub use crate::breaker::config::BreakerConfig;
pub use crate::breaker::{CircuitBreaker, CircuitOpen, Permit};

/// One `#[circuit_breaker]` fn: the breaker's name and the settings it registers with, and
/// the breaker itself once the first call has looked it up. Emitted as a `static`.
#[derive(Debug)]
pub struct BreakerSite {
    name: &'static str,
    /// `None`: the site gave no settings, and uses the breaker as another site or
    /// `register_breaker` made it.
    config: Option<BreakerConfig>,
    breaker: std::sync::OnceLock<&'static CircuitBreaker>,
}

impl BreakerSite {
    /// A site with settings (tuning keys or `config = path`); `const` so that it lives in a
    /// `static`.
    pub const fn new(name: &'static str, config: BreakerConfig) -> Self {
        BreakerSite {
            name,
            config: Some(config),
            breaker: std::sync::OnceLock::new(),
        }
    }

    /// A site that names its breaker and nothing else.
    pub const fn untuned(name: &'static str) -> Self {
        BreakerSite {
            name,
            config: None,
            breaker: std::sync::OnceLock::new(),
        }
    }

    /// The named breaker: registered by the first call through any site that names it.
    #[inline]
    pub fn breaker(&self) -> &'static CircuitBreaker {
        match self.breaker.get() {
            Some(breaker) if !crate::scope::any_active() => breaker,
            _ => self.register(),
        }
    }

    #[cold]
    #[inline(never)]
    fn register(&self) -> &'static CircuitBreaker {
        let register = || match self.config {
            Some(config) => crate::registry::register_breaker(self.name, config),
            None => crate::registry::register_untuned(self.name),
        };
        if crate::scope::current() != 0 {
            // A test's scope: its own breaker, never cached in the site.
            return register();
        }
        self.breaker.get_or_init(register)
    }
}

/// An error type a breaker's rejection converts into: any `E: From<CircuitOpen>`, reported at
/// the fn's error type when missing.
#[diagnostic::on_unimplemented(
    message = "`#[circuit_breaker]` needs the fn's error type `{Self}` to implement `From<retry_runtime::CircuitOpen>`",
    label = "a call the breaker rejects is returned as this error type",
    note = "add `impl From<retry_runtime::CircuitOpen> for {Self}`, or give the breaker a `fallback` or `recover`"
)]
pub trait FromCircuitOpen: Sized {
    /// `E::from(open)`.
    fn convert(open: CircuitOpen) -> Self;
}

impl<E: From<CircuitOpen>> FromCircuitOpen for E {
    #[inline]
    fn convert(open: CircuitOpen) -> Self {
        E::from(open)
    }
}

pub use crate::bulkhead::site::BulkheadSite;
pub use crate::bulkhead::{BulkheadFull, BulkheadPermit};
pub use crate::rate_limit::RateLimited;
pub use crate::rate_limit::site::RateLimitSite;
pub use crate::{BulkheadConfig, RateLimitConfig};

/// An error type a full bulkhead's rejection converts into: any `E: From<BulkheadFull>`.
#[diagnostic::on_unimplemented(
    message = "`#[bulkhead]` needs the fn's error type `{Self}` to implement `From<retry_runtime::BulkheadFull>`",
    label = "a call rejected by the bulkhead is returned as this error type",
    note = "add `impl From<retry_runtime::BulkheadFull> for {Self}`, which a rejected call is converted with"
)]
pub trait FromBulkheadFull: Sized {
    /// `E::from(full)`.
    fn convert(full: BulkheadFull) -> Self;
}

impl<E: From<BulkheadFull>> FromBulkheadFull for E {
    #[inline]
    fn convert(full: BulkheadFull) -> Self {
        E::from(full)
    }
}

/// An error type a rate limiter's rejection converts into: any `E: From<RateLimited>`.
#[diagnostic::on_unimplemented(
    message = "`#[rate_limit]` needs the fn's error type `{Self}` to implement `From<retry_runtime::RateLimited>`",
    label = "a call rejected by the rate limiter is returned as this error type",
    note = "add `impl From<retry_runtime::RateLimited> for {Self}`, which a rejected call is converted with"
)]
pub trait FromRateLimited: Sized {
    /// `E::from(limited)`.
    fn convert(limited: RateLimited) -> Self;
}

impl<E: From<RateLimited>> FromRateLimited for E {
    #[inline]
    fn convert(limited: RateLimited) -> Self {
        E::from(limited)
    }
}

pub use crate::chaos::site::ChaosSite;
pub use crate::chaos::{Chaos, InjectedFault};

/// Whether any chaos point is configured: a `#[chaos]` site's whole cost until one is (one
/// relaxed load).
#[inline]
pub fn chaos_armed() -> bool {
    crate::chaos::registry::armed()
}

/// An error type an injected fault converts into: any `E: From<InjectedFault>`.
#[diagnostic::on_unimplemented(
    message = "`#[chaos]` needs the fn's error type `{Self}` to implement `From<retry_runtime::InjectedFault>`",
    label = "an injected fault is returned as this error type",
    note = "add `impl From<retry_runtime::InjectedFault> for {Self}`, which an injected fault is converted with"
)]
pub trait FromInjectedFault: Sized {
    /// `E::from(fault)`.
    fn convert(fault: InjectedFault) -> Self;
}

impl<E: From<InjectedFault>> FromInjectedFault for E {
    #[inline]
    fn convert(fault: InjectedFault) -> Self {
        E::from(fault)
    }
}

pub use crate::throttle::site::ThrottleSite;
pub use crate::throttle::{ThrottlePermit, Throttled};
pub use retry_settings::ThrottleConfig;

/// An error type a throttle's rejection converts into: any `E: From<Throttled>`.
#[diagnostic::on_unimplemented(
    message = "`#[throttle]` needs the fn's error type `{Self}` to implement `From<retry_runtime::Throttled>`",
    label = "a call rejected by the throttle is returned as this error type",
    note = "add `impl From<retry_runtime::Throttled> for {Self}`, which a rejected call is converted with"
)]
pub trait FromThrottled: Sized {
    /// `E::from(throttled)`.
    fn convert(throttled: Throttled) -> Self;
}

impl<E: From<Throttled>> FromThrottled for E {
    #[inline]
    fn convert(throttled: Throttled) -> Self {
        E::from(throttled)
    }
}

pub use crate::hedge::site::HedgeSite;
pub use retry_settings::{HedgeConfig, HedgeDelay};

pub use crate::hedge::run::AttemptOutcome;

/// A `#[hedge]` call: `attempt` makes one attempt's future (the body, borrowing the arguments;
/// with a strategy stacked inside, paired with whether it rejected the attempt), `judges` are
/// `retryable`, which says whether an error lets the next attempt start (`on`/`when`; `false`
/// ends the call with that error), and `value_fails` (`on_result`), which says whether an `Ok`
/// value is a failure (it then wins nothing, like a retryable error); `rejected` is the flag of
/// an outer `#[retry]` or `#[circuit_breaker]`, set when the call returns a rejection.
pub fn hedged<'a, S, F, Fut, R, V, T, E>(
    site: &HedgeSite,
    budget: Option<&BudgetSite>,
    rejected: Option<&'a std::sync::atomic::AtomicBool>,
    attempt: F,
    judges: (R, V),
) -> impl Future<Output = Result<T, E>> + use<'a, S, F, Fut, R, V, T, E>
where
    S: AsyncSleeper,
    F: Fn() -> Fut,
    Fut: Future,
    Fut::Output: AttemptOutcome<Value = T, Error = E>,
    R: Fn(&E) -> bool,
    V: Fn(&T) -> bool,
{
    crate::hedge::run::run::<S, F, Fut, R, V, T, E>(
        site.hedge(),
        attempt,
        judges,
        budget.map(BudgetSite::budget),
        rejected,
    )
}

pub use crate::adaptive_limit::site::{AdaptiveLimitSite, record_async, record_sync};
pub use crate::adaptive_limit::{AdaptivePermit, LimitExceeded};
pub use retry_settings::{AdaptiveLimitConfig, LimitAlgorithm};

/// An error type an adaptive limiter's rejection converts into: any `E: From<LimitExceeded>`.
#[diagnostic::on_unimplemented(
    message = "`#[adaptive_limit]` needs the fn's error type `{Self}` to implement `From<retry_runtime::LimitExceeded>`",
    label = "a call rejected by the adaptive limit is returned as this error type",
    note = "add `impl From<retry_runtime::LimitExceeded> for {Self}`, which a rejected call is converted with"
)]
pub trait FromLimitExceeded: Sized {
    /// `E::from(exceeded)`.
    fn convert(exceeded: LimitExceeded) -> Self;
}

impl<E: From<LimitExceeded>> FromLimitExceeded for E {
    #[inline]
    fn convert(exceeded: LimitExceeded) -> Self {
        E::from(exceeded)
    }
}
