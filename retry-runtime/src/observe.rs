//! What retries report: `tracing` events under the fixed target [`TRACING_TARGET`].
//!
//! Every event carries the fields `name` (the call site), `attempt` (from 1) and, where they apply,
//! `delay_ms` and `error`. Levels: a scheduled retry is `DEBUG`, a success after retries `INFO`, an
//! exhausted or out-of-time loop `WARN`, and an error returned at once (not retryable, permanent)
//! `DEBUG`, since the caller sees it anyway.

use std::fmt;
use std::time::Duration;

use crate::engine::StopReason;
use crate::hooks::{self, BreakerOutcome, Event};

/// The `tracing` target of every event this crate emits; filter on it with
/// `RUST_LOG=retry_runtime=debug`.
pub const TRACING_TARGET: &str = "retry_runtime";

/// An error as events show it: through `Display` when the type has it, else `Debug`, else its
/// type name, so any error type can be retried.
#[derive(Clone, Copy)]
pub enum ErrorText<'a> {
    /// The error's `Display`.
    Display(&'a dyn fmt::Display),
    /// The error's `Debug`, for types without `Display`.
    Debug(&'a dyn fmt::Debug),
    /// The type name, for types with neither.
    TypeName(&'static str),
}

impl fmt::Display for ErrorText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ErrorText::Display(error) => error.fmt(f),
            ErrorText::Debug(error) => error.fmt(f),
            ErrorText::TypeName(name) => write!(f, "an error of type {name}"),
        }
    }
}

impl fmt::Debug for ErrorText<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

/// Reports the engine's decision after a failed attempt; `attempts` is the count after it.
pub(crate) fn decision(name: &'static str, step: crate::Step, attempts: u32, error: ErrorText<'_>) {
    match step {
        crate::Step::Retry { attempt, delay } => retry_scheduled(name, attempt, delay, error),
        crate::Step::Stop(reason) => stopped(name, attempts, reason, error),
    }
}

pub(crate) fn retry_scheduled(
    name: &'static str,
    attempt: u32,
    delay: Duration,
    error: ErrorText<'_>,
) {
    if hooks::active() {
        hooks::emit(&Event::AttemptFailed {
            name,
            attempt,
            error,
        });
        hooks::emit(&Event::RetryScheduled {
            name,
            attempt,
            delay,
            error,
        });
    }
    tracing::debug!(
        target: TRACING_TARGET,
        name,
        attempt,
        delay_ms = millis(delay),
        error = %error,
        "attempt failed; retrying"
    );
}

pub(crate) fn stopped(name: &'static str, attempt: u32, reason: StopReason, error: ErrorText<'_>) {
    if hooks::active() {
        hooks::emit(&Event::AttemptFailed {
            name,
            attempt,
            error,
        });
        hooks::emit(&match reason {
            StopReason::Exhausted | StopReason::OutOfTime | StopReason::OutOfBudget => {
                Event::Exhausted {
                    name,
                    attempts: attempt,
                    error,
                }
            }
            StopReason::NotRetryable | StopReason::Permanent => Event::NotRetryable {
                name,
                attempts: attempt,
                error,
            },
        });
    }
    match reason {
        StopReason::Exhausted => tracing::warn!(
            target: TRACING_TARGET,
            name,
            attempt,
            error = %error,
            "all attempts failed; returning the last error"
        ),
        StopReason::OutOfTime => tracing::warn!(
            target: TRACING_TARGET,
            name,
            attempt,
            error = %error,
            "max_elapsed reached; returning the last error"
        ),
        StopReason::OutOfBudget => tracing::warn!(
            target: TRACING_TARGET,
            name,
            attempt,
            error = %error,
            "retry budget is empty; returning the error"
        ),
        StopReason::NotRetryable | StopReason::Permanent => tracing::debug!(
            target: TRACING_TARGET,
            name,
            attempt,
            error = %error,
            "error is not retryable; returning it"
        ),
    }
}

/// Every success: free unless a hook or metrics listen, an event after retries.
#[inline]
pub(crate) fn succeeded(name: &'static str, attempts: u32) {
    if attempts > 1 {
        recovered(name, attempts);
    } else if hooks::active() {
        hooks::emit(&Event::Succeeded { name, attempts });
    }
}

#[cold]
fn recovered(name: &'static str, attempts: u32) {
    if hooks::active() {
        hooks::emit(&Event::Succeeded { name, attempts });
    }
    tracing::info!(
        target: TRACING_TARGET,
        name,
        attempt = attempts,
        "succeeded after retrying"
    );
}

fn millis(delay: Duration) -> u64 {
    u64::try_from(delay.as_millis()).unwrap_or(u64::MAX)
}

pub(crate) fn breaker_transition(
    name: &'static str,
    from: crate::BreakerState,
    to: crate::BreakerState,
) {
    if hooks::active() {
        hooks::emit(&Event::BreakerTransition { name, from, to });
    }
    if to == crate::BreakerState::Open {
        tracing::warn!(
            target: TRACING_TARGET,
            name,
            from = from.name(),
            to = to.name(),
            "circuit breaker opened"
        );
    } else {
        tracing::info!(
            target: TRACING_TARGET,
            name,
            from = from.name(),
            to = to.name(),
            "circuit breaker changed state"
        );
    }
}

pub(crate) fn call_rejected(name: &'static str, state: crate::BreakerState) {
    if hooks::active() {
        hooks::emit(&Event::CallRejected { name, state });
    }
    tracing::debug!(
        target: TRACING_TARGET,
        name,
        state = state.name(),
        "call rejected by circuit breaker"
    );
}

/// A breaker's recorded outcome, for hooks and metrics only.
#[inline]
pub(crate) fn breaker_call(name: &'static str, outcome: BreakerOutcome) {
    if hooks::active() {
        hooks::emit(&Event::BreakerCall { name, outcome });
    }
}
