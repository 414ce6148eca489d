//! What retries report: `tracing` events under the fixed target [`TRACING_TARGET`].
//!
//! Every event carries the fields `name` (the call site), `attempt` (from 1) and, where they apply,
//! `delay_ms` and `error`. Levels: a scheduled retry is `DEBUG`, a success after retries `INFO`, an
//! exhausted or out-of-time loop `WARN`, and an error returned at once (not retryable, permanent)
//! `DEBUG`, since the caller sees it anyway.

use std::fmt;
use std::time::Duration;

use crate::engine::StopReason;

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

pub(crate) fn retry_scheduled(name: &str, attempt: u32, delay: Duration, error: ErrorText<'_>) {
    tracing::debug!(
        target: TRACING_TARGET,
        name,
        attempt,
        delay_ms = millis(delay),
        error = %error,
        "attempt failed; retrying"
    );
}

pub(crate) fn stopped(name: &str, attempt: u32, reason: StopReason, error: ErrorText<'_>) {
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
        StopReason::NotRetryable | StopReason::Permanent => tracing::debug!(
            target: TRACING_TARGET,
            name,
            attempt,
            error = %error,
            "error is not retryable; returning it"
        ),
    }
}

pub(crate) fn recovered(name: &str, attempts: u32) {
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

pub(crate) fn breaker_transition(name: &str, from: crate::BreakerState, to: crate::BreakerState) {
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

pub(crate) fn call_rejected(name: &str, state: crate::BreakerState) {
    tracing::debug!(
        target: TRACING_TARGET,
        name,
        state = state.name(),
        "call rejected by circuit breaker"
    );
}
