//! The event stream: what happened to a retry loop or a breaker, as one [`Event`] type, sent to
//! each subscriber in turn. The subscribers are [`log`] (`tracing`), `metrics` (feature
//! `metrics`) and [`hooks`] (user hooks; [`stats`](crate::stats) and persistence are hooks);
//! none of them knows another.
//!
//! Producers (the engine's sites and the breakers) call the functions here with their
//! [`Source`]. With nobody listening (no hook installed, no `metrics` feature) an event costs
//! one relaxed load before anything is built, except what `tracing` itself filters.

pub mod hooks;
pub(crate) mod log;
#[cfg(feature = "metrics")]
pub mod metrics;

use std::fmt;
use std::time::Duration;

use crate::breaker_state::BreakerState;
use crate::step::{Step, StopReason};

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

/// Something that happened to a retry loop or a circuit breaker. `name` is the site's name
/// (`module::fn` unless `name = ...`) or the breaker's.
#[derive(Clone, Copy, Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// An attempt returned `Err` (before the decision to retry or not).
    #[non_exhaustive]
    AttemptFailed {
        /// The retry site.
        name: &'static str,
        /// The attempt that failed, from 1.
        attempt: u32,
        /// The error.
        error: ErrorText<'a>,
    },
    /// A retry will run after `delay`.
    #[non_exhaustive]
    RetryScheduled {
        /// The retry site.
        name: &'static str,
        /// The attempt that failed, from 1.
        attempt: u32,
        /// The sleep before the next attempt.
        delay: Duration,
        /// The error.
        error: ErrorText<'a>,
    },
    /// The call returned `Ok` after `attempts` attempts.
    #[non_exhaustive]
    Succeeded {
        /// The retry site.
        name: &'static str,
        /// Attempts used, from 1.
        attempts: u32,
    },
    /// The loop gave up on an error it would have retried: attempts used up, out of time
    /// (`max_elapsed`), the budget empty, or a hint longer than allowed; `reason` says which.
    /// The last error is returned.
    #[non_exhaustive]
    Exhausted {
        /// The retry site.
        name: &'static str,
        /// Attempts used.
        attempts: u32,
        /// The last error.
        error: ErrorText<'a>,
        /// Why the loop stopped.
        reason: StopReason,
    },
    /// The error was not selected by `on`/`when`, or said it is permanent: returned at once.
    #[non_exhaustive]
    NotRetryable {
        /// The retry site.
        name: &'static str,
        /// Attempts used.
        attempts: u32,
        /// The error.
        error: ErrorText<'a>,
        /// [`StopReason::NotRetryable`] or [`StopReason::Permanent`].
        reason: StopReason,
    },
    /// An async call was dropped before it ended (its caller went away: a timeout around it,
    /// a `select!` that took another branch, an aborted task), after starting `attempts`
    /// attempts, the one it was running included. No `Succeeded`, `Exhausted` or
    /// `NotRetryable` follows for that call.
    #[non_exhaustive]
    Cancelled {
        /// The retry site.
        name: &'static str,
        /// Attempts started, from 1 (an attempt cut off by the drop included).
        attempts: u32,
    },
    /// A breaker changed state (only on a change: a `reset()` of a closed breaker reports
    /// nothing).
    #[non_exhaustive]
    BreakerTransition {
        /// The breaker.
        name: &'static str,
        /// The state it left.
        from: BreakerState,
        /// The state it entered.
        to: BreakerState,
        /// The breaker's transition number, from 1, in the order the transitions happened.
        /// Transitions on different threads can be delivered out of that order; a consumer that
        /// keeps the latest state ignores one numbered below what it has already applied.
        sequence: u64,
    },
    /// A breaker rejected a call without running it.
    #[non_exhaustive]
    CallRejected {
        /// The breaker.
        name: &'static str,
        /// Its state.
        state: BreakerState,
    },
    /// A breaker recorded a call's outcome.
    #[non_exhaustive]
    BreakerCall {
        /// The breaker.
        name: &'static str,
        /// What was recorded.
        outcome: BreakerOutcome,
        /// The failure rate over the breaker's window after this call, when it has a rate.
        failure_rate: Option<f64>,
    },
    /// A bulkhead rejected a call: every slot stayed taken for the site's `max_wait`.
    #[non_exhaustive]
    BulkheadFull {
        /// The bulkhead.
        name: &'static str,
        /// Its number of slots.
        max_concurrent: u32,
        /// How long the call waited (zero: rejected at once).
        waited: Duration,
    },
    /// A rate limiter rejected a call: its next permit was further away than the site's
    /// `max_wait`.
    #[non_exhaustive]
    RateLimited {
        /// The rate limiter.
        name: &'static str,
        /// How long until a call would be admitted.
        retry_after: Duration,
    },
    /// A hedged call started another attempt beside the ones still running.
    #[non_exhaustive]
    HedgeStarted {
        /// The hedge site.
        name: &'static str,
        /// Which extra attempt this is, from 1.
        hedge: u32,
        /// How long after the call began it started.
        elapsed: Duration,
    },
    /// A throttle rejected a call locally: the backend accepted too few recent requests.
    #[non_exhaustive]
    Throttled {
        /// The throttle.
        name: &'static str,
        /// The probability of rejection the call was drawn against.
        probability: f64,
    },
    /// A hedged call finished.
    #[non_exhaustive]
    HedgeCall {
        /// The hedge site.
        name: &'static str,
        /// Which attempt's outcome was returned.
        outcome: HedgeOutcome,
        /// Attempts started, the first included.
        attempts: u32,
    },
    /// A `#[chaos]` site injected a fault or latency into a call.
    #[non_exhaustive]
    ChaosInjected {
        /// The chaos point.
        name: &'static str,
        /// What was injected.
        kind: ChaosKind,
        /// The latency injected into the call (for a fault: the latency before it, zero when
        /// none).
        latency: Duration,
    },
    /// An adaptive limiter's algorithm moved its limit, at the end of a window of calls.
    #[non_exhaustive]
    AdaptiveLimitChanged {
        /// The adaptive limiter.
        name: &'static str,
        /// The limit before.
        from: u32,
        /// The limit now.
        to: u32,
    },
    /// An adaptive limiter rejected a call: its limit was reached and no slot was freed within
    /// the site's `max_wait`.
    #[non_exhaustive]
    LimitExceeded {
        /// The adaptive limiter.
        name: &'static str,
        /// The limit in force.
        limit: u32,
        /// How long the call waited (zero: rejected at once).
        waited: Duration,
    },
}

/// What a `#[chaos]` site injected.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChaosKind {
    /// The call failed with an [`InjectedFault`](crate::InjectedFault), its body not run.
    Fault,
    /// The call waited for the configured latency before it ran.
    Latency,
}

impl ChaosKind {
    /// The `kind` label of `chaos_injections_total`: `"fault"` or `"latency"`.
    pub const fn name(self) -> &'static str {
        match self {
            ChaosKind::Fault => "fault",
            ChaosKind::Latency => "latency",
        }
    }
}

/// Which attempt of a hedged call gave its result.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum HedgeOutcome {
    /// The first attempt returned `Ok` (whether or not hedges had started).
    PrimaryWon,
    /// An extra attempt returned `Ok` first.
    HedgeWon,
    /// The call returned an error: a non-retryable one, or the last when every attempt failed.
    Failed,
}

impl HedgeOutcome {
    /// The `kind` label of `hedge_calls_total`: `"primary_won"`, `"hedge_won"`, `"failed"`.
    pub const fn name(self) -> &'static str {
        match self {
            HedgeOutcome::PrimaryWon => "primary_won",
            HedgeOutcome::HedgeWon => "hedge_won",
            HedgeOutcome::Failed => "failed",
        }
    }
}

/// How a breaker counted a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BreakerOutcome {
    /// The call returned `Ok`.
    Successful,
    /// The call's error counts against the breaker.
    Failed,
    /// The call's error was not selected by `on`/`when`.
    Ignored,
    /// The call's future was dropped before it finished.
    Cancelled,
}

impl BreakerOutcome {
    /// The label resilience4j uses (`"successful"`, `"failed"`, `"ignored"`), and
    /// `"cancelled"`.
    pub const fn name(self) -> &'static str {
        match self {
            BreakerOutcome::Successful => "successful",
            BreakerOutcome::Failed => "failed",
            BreakerOutcome::Ignored => "ignored",
            BreakerOutcome::Cancelled => "cancelled",
        }
    }
}

/// Who an event is about: a retry site or a breaker, with what each subscriber keeps for it
/// (the log's rate limit, the metric handles), so the hot path looks nothing up.
#[derive(Debug)]
pub struct Source {
    name: &'static str,
    pub(crate) log: log::Throttle,
    #[cfg(feature = "metrics")]
    pub(crate) metrics: metrics::Handles,
}

impl Source {
    /// The source of a retry site.
    pub(crate) const fn retry(name: &'static str) -> Source {
        Source {
            name,
            log: log::Throttle::new(),
            #[cfg(feature = "metrics")]
            metrics: metrics::Handles::retry(),
        }
    }

    /// The source of a circuit breaker.
    pub(crate) const fn breaker(name: &'static str) -> Source {
        Source {
            name,
            log: log::Throttle::new(),
            #[cfg(feature = "metrics")]
            metrics: metrics::Handles::breaker(),
        }
    }

    /// The source of a bulkhead with `max_concurrent` slots.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) const fn bulkhead(name: &'static str, max_concurrent: u32) -> Source {
        Source {
            name,
            log: log::Throttle::new(),
            #[cfg(feature = "metrics")]
            metrics: metrics::Handles::bulkhead(max_concurrent),
        }
    }

    /// The source of a rate limiter holding up to `burst` permits.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) const fn rate_limiter(name: &'static str, burst: u32) -> Source {
        Source {
            name,
            log: log::Throttle::new(),
            #[cfg(feature = "metrics")]
            metrics: metrics::Handles::rate_limiter(burst),
        }
    }

    /// The source of an adaptive limiter starting at `limit`.
    #[cfg_attr(not(feature = "metrics"), allow(unused_variables))]
    pub(crate) const fn adaptive_limiter(name: &'static str, limit: u32) -> Source {
        Source {
            name,
            log: log::Throttle::new(),
            #[cfg(feature = "metrics")]
            metrics: metrics::Handles::adaptive_limiter(limit),
        }
    }

    /// The source of a hedge site.
    pub(crate) const fn hedge(name: &'static str) -> Source {
        Source {
            name,
            log: log::Throttle::new(),
            #[cfg(feature = "metrics")]
            metrics: metrics::Handles::hedge(),
        }
    }

    /// The source of a chaos point.
    pub(crate) const fn chaos(name: &'static str) -> Source {
        Source {
            name,
            log: log::Throttle::new(),
            #[cfg(feature = "metrics")]
            metrics: metrics::Handles::chaos(),
        }
    }

    /// The source of a throttle.
    pub(crate) const fn throttle(name: &'static str) -> Source {
        Source {
            name,
            log: log::Throttle::new(),
            #[cfg(feature = "metrics")]
            metrics: metrics::Handles::throttle(),
        }
    }

    /// A source that keeps nothing between events (the closure API's, named per call).
    pub(crate) const fn transient(name: &'static str) -> Source {
        Source {
            name,
            log: log::Throttle::new(),
            #[cfg(feature = "metrics")]
            metrics: metrics::Handles::transient(),
        }
    }

    /// The site's or the breaker's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

/// Whether anyone but `tracing` listens: a hook, or the metrics recorder.
#[inline]
pub(crate) fn listening() -> bool {
    cfg!(feature = "metrics") || hooks::any_installed()
}

/// Sends `event` to every subscriber; each is skipped with one load when it would do nothing
/// with it (`tracing` filtering the event's level out, no hook installed).
#[inline]
fn emit(source: &Source, event: &Event<'_>) {
    if log::wanted(event) {
        log::on_event(source, event);
    }
    #[cfg(feature = "metrics")]
    metrics::on_event(source, event);
    if hooks::any_installed() {
        hooks::on_event(event);
    }
}

/// An attempt failed: only hooks take this one (the log and the metrics speak of the decision
/// that follows).
#[inline]
fn attempt_failed(name: &'static str, attempt: u32, error: ErrorText<'_>) {
    if hooks::any_installed() {
        hooks::on_event(&Event::AttemptFailed {
            name,
            attempt,
            error,
        });
    }
}

/// Whether nobody would take an event of `level`: no hook, no metrics, and `tracing` filters the
/// level out. Checked before an event is even built (two loads).
#[inline]
fn unheard(level: tracing::Level) -> bool {
    !cfg!(feature = "metrics")
        && !hooks::any_installed()
        && level > tracing::level_filters::LevelFilter::current()
}

/// The engine's decision after a failed attempt; `attempts` is the count after it. Inline, so
/// that with nobody listening (no hook, no metrics, `tracing` filtering the level out) the loop
/// pays three loads and no call.
#[inline]
pub(crate) fn decision(source: &Source, step: Step, attempts: u32, error: ErrorText<'_>) {
    let level = match step {
        Step::Retry { .. } | Step::Stop(StopReason::NotRetryable | StopReason::Permanent) => {
            tracing::Level::DEBUG
        }
        Step::Stop(_) => tracing::Level::WARN,
    };
    if unheard(level) {
        return;
    }
    reported_decision(source, step, attempts, error);
}

#[cold]
#[inline(never)]
fn reported_decision(source: &Source, step: Step, attempts: u32, error: ErrorText<'_>) {
    match step {
        Step::Retry { attempt, delay } => retry_scheduled(source, attempt, delay, error),
        Step::Stop(reason) => stopped(source, attempts, reason, error),
    }
}

/// An attempt failed and another will run after `delay`.
pub(crate) fn retry_scheduled(
    source: &Source,
    attempt: u32,
    delay: Duration,
    error: ErrorText<'_>,
) {
    let name = source.name;
    attempt_failed(name, attempt, error);
    emit(
        source,
        &Event::RetryScheduled {
            name,
            attempt,
            delay,
            error,
        },
    );
}

/// The loop returned its last error, for `reason`.
pub(crate) fn stopped(source: &Source, attempts: u32, reason: StopReason, error: ErrorText<'_>) {
    let name = source.name;
    attempt_failed(name, attempts, error);
    let event = match reason {
        StopReason::NotRetryable | StopReason::Permanent => Event::NotRetryable {
            name,
            attempts,
            error,
            reason,
        },
        _ => Event::Exhausted {
            name,
            attempts,
            error,
            reason,
        },
    };
    emit(source, &event);
}

/// An async call was dropped before it ended, after starting `attempts` attempts.
#[cold]
pub(crate) fn cancelled(source: &Source, attempts: u32) {
    if unheard(tracing::Level::DEBUG) {
        return;
    }
    emit(
        source,
        &Event::Cancelled {
            name: source.name,
            attempts,
        },
    );
}

/// A call returned `Ok` after `attempts` attempts. Free on a first-attempt success with nobody
/// listening.
#[inline]
pub(crate) fn succeeded(source: &Source, attempts: u32) {
    // After a retry the log speaks too (at INFO); a first-attempt success goes to the metrics
    // and hooks only, and the caller has checked that one of them listens.
    if attempts > 1 && unheard(tracing::Level::INFO) {
        return;
    }
    reported_success(source, attempts);
}

#[cold]
#[inline(never)]
fn reported_success(source: &Source, attempts: u32) {
    let event = Event::Succeeded {
        name: source.name,
        attempts,
    };
    if attempts > 1 {
        emit(source, &event);
        return;
    }
    // The log says nothing of a first-attempt success: straight to the other two.
    #[cfg(feature = "metrics")]
    metrics::first_success(source);
    if hooks::any_installed() {
        hooks::on_event(&event);
    }
}

/// A breaker changed state; `sequence` orders its transitions.
pub(crate) fn breaker_transition(
    source: &Source,
    from: BreakerState,
    to: BreakerState,
    sequence: u64,
) {
    emit(
        source,
        &Event::BreakerTransition {
            name: source.name,
            from,
            to,
            sequence,
        },
    );
}

/// A breaker was registered by name: its series exist from now on.
pub(crate) fn breaker_registered(source: &Source) {
    #[cfg(feature = "metrics")]
    metrics::breaker_registered(source);
    #[cfg(not(feature = "metrics"))]
    let _ = source;
}

/// A breaker rejected a call.
pub(crate) fn call_rejected(source: &Source, state: BreakerState) {
    emit(
        source,
        &Event::CallRejected {
            name: source.name,
            state,
        },
    );
}

/// A breaker counted a call; with a failure rate, `rate` is the window's after it.
#[inline]
pub(crate) fn breaker_call(source: &Source, outcome: BreakerOutcome, rate: Option<f64>) {
    // The log says nothing of a counted call: straight to the other two.
    #[cfg(feature = "metrics")]
    metrics::breaker_call(source, outcome, rate);
    if hooks::any_installed() {
        hooks::on_event(&Event::BreakerCall {
            name: source.name,
            outcome,
            failure_rate: rate,
        });
    }
}

/// A bulkhead was registered by name: its series exist from now on.
pub(crate) fn bulkhead_registered(source: &Source) {
    #[cfg(feature = "metrics")]
    metrics::limiter_registered(source);
    #[cfg(not(feature = "metrics"))]
    let _ = source;
}

/// A bulkhead rejected a call.
#[cold]
pub(crate) fn bulkhead_full(source: &Source, full: &crate::BulkheadFull) {
    emit(
        source,
        &Event::BulkheadFull {
            name: source.name,
            max_concurrent: full.max_concurrent,
            waited: full.waited,
        },
    );
}

/// A bulkhead's free slots changed: its gauge.
#[cfg(feature = "metrics")]
#[inline]
pub(crate) fn bulkhead_available(source: &Source, available: u32) {
    metrics::bulkhead_available(source, available);
}

/// A rate limiter was registered by name: its series exist from now on.
pub(crate) fn rate_limiter_registered(source: &Source) {
    #[cfg(feature = "metrics")]
    metrics::limiter_registered(source);
    #[cfg(not(feature = "metrics"))]
    let _ = source;
}

/// A rate limiter rejected a call.
#[cold]
pub(crate) fn rate_limited(source: &Source, limited: &crate::RateLimited) {
    emit(
        source,
        &Event::RateLimited {
            name: source.name,
            retry_after: limited.retry_after,
        },
    );
}

/// A rate limiter admitted a call: the permits left for calls arriving now (negative while
/// waiting calls hold reservations), for its gauge.
#[cfg(feature = "metrics")]
#[inline]
pub(crate) fn rate_limiter_available(source: &Source, available: i64) {
    metrics::rate_limiter_available(source, available);
}

/// A call starts (`true`) or stops (`false`) waiting for a rate limiter's permit.
#[cfg(feature = "metrics")]
pub(crate) fn rate_limiter_waiting(source: &Source, started: bool) {
    metrics::rate_limiter_waiting(source, started);
}

/// A hedged call started its `hedge`-th extra attempt, `elapsed` after it began.
#[cold]
pub(crate) fn hedge_started(source: &Source, hedge: u32, elapsed: Duration) {
    if unheard(tracing::Level::DEBUG) {
        return;
    }
    emit(
        source,
        &Event::HedgeStarted {
            name: source.name,
            hedge,
            elapsed,
        },
    );
}

/// A hedged call finished after starting `attempts` attempts.
#[inline]
pub(crate) fn hedge_call(source: &Source, outcome: HedgeOutcome, attempts: u32) {
    if unheard(tracing::Level::TRACE) {
        return;
    }
    emit(
        source,
        &Event::HedgeCall {
            name: source.name,
            outcome,
            attempts,
        },
    );
}

/// A chaos point injected `kind` into a call; `latency` is the call's injected latency.
#[cold]
pub(crate) fn chaos_injected(source: &Source, kind: ChaosKind, latency: Duration) {
    if unheard(tracing::Level::DEBUG) {
        return;
    }
    emit(
        source,
        &Event::ChaosInjected {
            name: source.name,
            kind,
            latency,
        },
    );
}
/// A throttle was registered by name: its series exist from now on.
pub(crate) fn throttle_registered(source: &Source) {
    #[cfg(feature = "metrics")]
    metrics::limiter_registered(source);
    #[cfg(not(feature = "metrics"))]
    let _ = source;
}
/// An adaptive limiter was registered by name: its series exist from now on.
pub(crate) fn adaptive_limiter_registered(source: &Source) {
    #[cfg(feature = "metrics")]
    metrics::limiter_registered(source);
    #[cfg(not(feature = "metrics"))]
    let _ = source;
}

/// A throttle rejected a call.
#[cold]
pub(crate) fn throttled(source: &Source, throttled: &crate::Throttled) {
    emit(
        source,
        &Event::Throttled {
            name: source.name,
            probability: throttled.probability,
        },
    );
}
/// An adaptive limiter rejected a call.
#[cold]
pub(crate) fn limit_exceeded(source: &Source, exceeded: &crate::LimitExceeded) {
    emit(
        source,
        &Event::LimitExceeded {
            name: source.name,
            limit: exceeded.limit,
            waited: exceeded.waited,
        },
    );
}

/// A throttle's rejection probability as a call saw it: its gauge.
#[cfg(feature = "metrics")]
#[inline]
pub(crate) fn throttle_probability(source: &Source, probability: f64) {
    metrics::throttle_probability(source, probability);
}

/// A call a throttle let through ended: accepted by the backend or not.
#[cfg(feature = "metrics")]
#[inline]
pub(crate) fn throttle_call(source: &Source, accepted: bool) {
    metrics::throttle_call(source, accepted);
}
/// An adaptive limiter's limit moved from `from` to `to`.
#[cold]
pub(crate) fn adaptive_limit_changed(source: &Source, from: u32, to: u32) {
    emit(
        source,
        &Event::AdaptiveLimitChanged {
            name: source.name,
            from,
            to,
        },
    );
}

/// An adaptive limiter's calls in flight changed: its gauge.
#[cfg(feature = "metrics")]
#[inline]
pub(crate) fn adaptive_inflight(source: &Source, inflight: u32) {
    metrics::adaptive_inflight(source, inflight);
}

/// An adaptive limiter's limit was set without an event (a reset): its gauge.
#[cfg(feature = "metrics")]
pub(crate) fn adaptive_limit_gauge(source: &Source, limit: u32) {
    metrics::adaptive_limit(source, limit);
}
