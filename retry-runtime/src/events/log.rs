//! The `tracing` subscriber: every event under the fixed target [`TRACING_TARGET`], with the
//! fields `name` (the site or breaker), `attempt` (from 1) and, where they apply, `delay_ms`,
//! `error` and `reason`.
//!
//! Levels: a scheduled retry is `DEBUG`, a success after retries `INFO`, a loop that gave up
//! `WARN`, and an error returned at once (not retryable, permanent) `DEBUG`, since the caller sees
//! it anyway. A breaker opening is `WARN`, its other transitions `INFO`, a rejection `DEBUG`, and
//! so is a rejection by a bulkhead or a rate limiter, and a fault or latency chaos injected.
//! so is a rejection by a bulkhead, a rate limiter or a throttle.
//! so is a rejection by a bulkhead, a rate limiter or an adaptive limiter, and an adaptive
//! limit's change.
//!
//! In an outage every call gives up, so a site's `WARN` is written at most once per
//! [`WARN_INTERVAL`]; the ones in between go to `DEBUG`, and the next `WARN` says how many there
//! were (`suppressed`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use tracing::Level;
use tracing::level_filters::LevelFilter;

use super::{Event, Source, TRACING_TARGET};
use crate::breaker_state::BreakerState;

/// The shortest time between two `WARN` lines of one site.
pub const WARN_INTERVAL: Duration = Duration::from_secs(10);

/// One source's `WARN` rate limit.
#[derive(Debug)]
pub(crate) struct Throttle {
    /// Nanoseconds since the process's first warning when this source last warned, plus one
    /// (0: never).
    warned_at: AtomicU64,
    /// `WARN` lines turned into `DEBUG` since the last one written.
    suppressed: AtomicU64,
}

impl Throttle {
    pub(crate) const fn new() -> Throttle {
        Throttle {
            warned_at: AtomicU64::new(0),
            suppressed: AtomicU64::new(0),
        }
    }

    /// `Some(suppressed since the last one)` when this warning may be written now.
    pub(crate) fn admit(&self) -> Option<u64> {
        static ORIGIN: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
        let origin = *ORIGIN.get_or_init(Instant::now);
        let now = u64::try_from(origin.elapsed().as_nanos())
            .unwrap_or(u64::MAX)
            .saturating_add(1);
        let last = self.warned_at.load(Ordering::Relaxed);
        let interval = u64::try_from(WARN_INTERVAL.as_nanos()).unwrap_or(u64::MAX);
        if last != 0 && now.saturating_sub(last) < interval {
            self.suppressed.fetch_add(1, Ordering::Relaxed);
            return None;
        }
        self.warned_at
            .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
            .ok()
            .map(|_| self.suppressed.swap(0, Ordering::Relaxed))
            .or_else(|| {
                self.suppressed.fetch_add(1, Ordering::Relaxed);
                None
            })
    }
}

/// Whether `tracing` lets `event`'s level through at all (one relaxed load): the rest of the
/// work is skipped when it does not.
#[inline]
pub(super) fn wanted(event: &Event<'_>) -> bool {
    let level = match event {
        Event::Exhausted { .. } => Level::WARN,
        Event::BreakerTransition { to, .. } if *to == BreakerState::Open => Level::WARN,
        Event::Succeeded { .. } | Event::BreakerTransition { .. } => Level::INFO,
        Event::AttemptFailed { .. } | Event::BreakerCall { .. } | Event::HedgeCall { .. } => {
            return false;
        }
        _ => Level::DEBUG,
    };
    level <= LevelFilter::current()
}

/// Writes `event` as a `tracing` event.
pub(super) fn on_event(source: &Source, event: &Event<'_>) {
    match *event {
        Event::RetryScheduled {
            name,
            attempt,
            delay,
            error,
        } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            attempt,
            delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
            error = %error,
            "attempt failed; retrying"
        ),
        Event::Succeeded { name, attempts } if attempts > 1 => tracing::info!(
            target: TRACING_TARGET,
            name,
            attempt = attempts,
            "succeeded after retrying"
        ),
        Event::Exhausted {
            name,
            attempts,
            error,
            reason,
        } => gave_up(source, name, attempts, error, reason),
        Event::NotRetryable {
            name,
            attempts,
            error,
            reason,
        } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            attempt = attempts,
            error = %error,
            reason = reason.name(),
            "error is not retryable; returning it"
        ),
        Event::BreakerTransition {
            name,
            from,
            to,
            sequence,
        } => {
            if to == BreakerState::Open {
                tracing::warn!(
                    target: TRACING_TARGET,
                    name,
                    from = from.name(),
                    to = to.name(),
                    sequence,
                    "circuit breaker opened"
                );
            } else {
                tracing::info!(
                    target: TRACING_TARGET,
                    name,
                    from = from.name(),
                    to = to.name(),
                    sequence,
                    "circuit breaker changed state"
                );
            }
        }
        Event::Cancelled { name, attempts } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            attempt = attempts,
            "call dropped before it ended"
        ),
        Event::CallRejected { name, state } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            state = state.name(),
            "call rejected by circuit breaker"
        ),
        Event::BulkheadFull { .. }
        | Event::RateLimited { .. }
        | Event::HedgeStarted { .. }
        | Event::ChaosInjected { .. }
        | Event::Throttled { .. }
        | Event::AdaptiveLimitChanged { .. }
        | Event::LimitExceeded { .. } => {
            on_limit_event(event);
        }
        Event::AttemptFailed { .. }
        | Event::Succeeded { .. }
        | Event::BreakerCall { .. }
        | Event::HedgeCall { .. } => {}
    }
}

/// The events of the bulkhead, the rate limiter, the hedge, chaos, the throttle and the adaptive
/// limiter, all at DEBUG.
fn on_limit_event(event: &Event<'_>) {
    match *event {
        Event::BulkheadFull {
            name,
            max_concurrent,
            waited,
        } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            max_concurrent,
            waited_ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
            "call rejected by bulkhead"
        ),
        Event::RateLimited { name, retry_after } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            retry_after_ms = u64::try_from(retry_after.as_millis()).unwrap_or(u64::MAX),
            "call rejected by rate limiter"
        ),
        Event::Throttled { name, probability } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            probability,
            "call rejected by throttle"
        ),
        Event::HedgeStarted {
            name,
            hedge,
            elapsed,
        } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            hedge,
            elapsed_ms = u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX),
            "attempt still running; started a hedge beside it"
        ),
        Event::ChaosInjected {
            name,
            kind,
            latency,
        } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            kind = kind.name(),
            latency_ms = u64::try_from(latency.as_millis()).unwrap_or(u64::MAX),
            "{}",
            match kind {
                crate::events::ChaosKind::Fault => "fault injected by chaos",
                _ => "latency injected by chaos",
            }
        ),
        Event::AdaptiveLimitChanged { name, from, to } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            from,
            to,
            "adaptive limit changed"
        ),
        Event::LimitExceeded {
            name,
            limit,
            waited,
        } => tracing::debug!(
            target: TRACING_TARGET,
            name,
            limit,
            waited_ms = u64::try_from(waited.as_millis()).unwrap_or(u64::MAX),
            "call rejected by adaptive limit"
        ),
        _ => {}
    }
}

/// A loop that gave up: `WARN`, at most once per [`WARN_INTERVAL`] per site.
fn gave_up(
    source: &Source,
    name: &'static str,
    attempts: u32,
    error: super::ErrorText<'_>,
    reason: crate::StopReason,
) {
    let message = match reason {
        crate::StopReason::OutOfTime => "max_elapsed reached; returning the last error",
        crate::StopReason::OutOfBudget => "retry budget is empty; returning the error",
        crate::StopReason::HintTooLong => {
            "the error asked for a wait longer than max_delay or the time left; returning it"
        }
        crate::StopReason::DeadlineExceeded => {
            "the deadline around the call leaves no time for another attempt; returning the last error"
        }
        _ => "all attempts failed; returning the last error",
    };
    if let Some(suppressed) = source.log.admit() {
        tracing::warn!(
            target: TRACING_TARGET,
            name,
            attempt = attempts,
            error = %error,
            reason = reason.name(),
            suppressed,
            "{message}"
        );
    } else {
        tracing::debug!(
            target: TRACING_TARGET,
            name,
            attempt = attempts,
            error = %error,
            reason = reason.name(),
            "{message}"
        );
    }
}
