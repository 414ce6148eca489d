//! What the attributes' expansions call. Not public API: no stability promise, may change in any
//! release. The facade pins the exact macro version, so an expansion always meets the runtime it
//! was written for.
//!
//! Only re-exports, the conversions and judges whose diagnostics name the user's fix, and a few
//! one-line forwards live here: each strategy's site and loop live in its own module.

use std::future::Future;
pub use std::time::Duration;

pub use crate::budget::site::BudgetSite;
pub use crate::events::ErrorText;
pub use crate::failure::Failure;
pub use crate::hint::{ProvidesRetryHint, RetryHint};
pub use crate::sleep::AsyncSleeper;
pub use crate::timeout::{AttemptTimeout, CallTimeout};
pub use crate::{Backoff, Jitter};

/// The sleeper of async fns without `sleeper = ...`.
#[cfg(feature = "tokio")]
pub type DefaultSleeper = crate::sleep::TokioSleeper;

// `#[retry]`
pub use crate::__retry_runtime_overridable_attempt as overridable_attempt;
pub use crate::retry::async_call::{
    AsyncCall, InAttempt, call_attempt_limit, call_failed_async, call_succeeded, failed_async,
    in_attempt, start_async, start_async_call, succeeded, with_attempt_timeout,
};
pub use crate::retry::engine::{RetryState, Step, StopReason, Stopwatch, WithoutBudget};
pub use crate::retry::policy::RetryPolicy;
pub use crate::retry::probes::{
    DescribeWithDebug, DescribeWithDisplay, DescribeWithTypeName, ErrorProbe, HintFollowPolicy,
    HintFromError, TimeoutFromError, TimeoutProbe, TimeoutUnsupported,
};
pub use crate::retry::site::{
    InlineStopwatch, RetrySite, WithBudget, attempt_span, timeout_unenforced,
};
pub use crate::retry::sync_call::{
    attempt_fn, enter_attempt, enter_first_attempt, first_success, retry_sync, sleep_sync,
    stopwatch_sync,
};
pub use tracing::Instrument;

// `#[circuit_breaker]`
pub use crate::breaker::config::BreakerConfig;
pub use crate::breaker::site::BreakerSite;
pub use crate::breaker::{CircuitBreaker, CircuitOpen, Permit};

// `#[bulkhead]`, `#[rate_limit]`, `#[throttle]`, `#[adaptive_limit]`
pub use crate::adaptive_limit::site::{AdaptiveLimitSite, record_async, record_sync};
pub use crate::adaptive_limit::{AdaptivePermit, LimitExceeded};
pub use crate::bulkhead::site::BulkheadSite;
pub use crate::bulkhead::{BulkheadFull, BulkheadPermit};
pub use crate::rate_limit::RateLimited;
pub use crate::rate_limit::site::RateLimitSite;
pub use crate::throttle::site::ThrottleSite;
pub use crate::throttle::{ThrottlePermit, Throttled};
pub use crate::{BulkheadConfig, RateLimitConfig};
pub use retry_settings::{AdaptiveLimitConfig, LimitAlgorithm, ThrottleConfig};

// `#[chaos]`
pub use crate::chaos::site::ChaosSite;
pub use crate::chaos::{Chaos, InjectedFault};

/// Whether any chaos point is configured: a `#[chaos]` site's whole cost until one is (one
/// relaxed load).
#[inline]
pub fn chaos_armed() -> bool {
    crate::chaos::registry::armed()
}

// `#[hedge]`
pub use crate::hedge::run::AttemptOutcome;
pub use crate::hedge::site::HedgeSite;
pub use retry_settings::{HedgeConfig, HedgeDelay};

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

// Deadlines (`deadline = "refuse"`, timeouts cut to the time left)
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

/// An error type that a strategy's refusal, or a timeout it enforces, converts into: any
/// `E: From<R>`. One trait for every rejection (`CircuitOpen`, `BulkheadFull`, `RateLimited`,
/// `Throttled`, `LimitExceeded`, `InjectedFault`, `DeadlineExceeded`, `AttemptTimeout`,
/// `CallTimeout`). The expansion writes `Err(<_ as FromRejection<_>>::from_rejection(value))`
/// spanned at the token that asks for the conversion (the fn's error type, or the key such as
/// `attempt_timeout`), so a missing impl is reported there with this message, naming the type to
/// convert from and nothing of this module.
#[diagnostic::on_unimplemented(
    message = "the fn's error type `{Self}` must implement `From<{R}>`",
    label = "a call this attribute refuses or cuts off is returned as `{Self}`, converted from `{R}`",
    note = "add `impl From<{R}> for {Self}` (or remove the key this error points at; a breaker also takes a `fallback` or `recover`)"
)]
pub trait FromRejection<R>: Sized {
    /// `E::from(rejection)`.
    fn from_rejection(rejection: R) -> Self;
}

impl<R, E: From<R>> FromRejection<R> for E {
    #[inline]
    fn from_rejection(rejection: R) -> Self {
        E::from(rejection)
    }
}

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
