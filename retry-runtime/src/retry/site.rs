//! A `#[retry]` fn's `static` site (its name and compile-time policy), the context its attempts
//! run in, and what both loops report through.

use std::time::Instant;

use crate::budget::site::BudgetSite;
use crate::context::{AttemptInfo, Deadline};
use crate::events::ErrorText;
use crate::hint::RetryHint;
#[cfg(not(feature = "config"))]
use crate::retry::engine::WithoutBudget;
use crate::retry::engine::{RetryState, Step, Stopwatch};
use crate::retry::policy::RetryPolicy;

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

/// One `#[retry]` fn: its name in events and its compile-time policy. Emitted as a `static`.
/// Without the `config` feature it holds no interior mutability, so the compiler folds the
/// policy's values into the expansion.
#[derive(Debug)]
pub struct RetrySite {
    /// `module_path!()::fn_name`, or the `name` key, and what events keep for it.
    pub(crate) source: crate::events::Source,
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
                .get_or_init(|| crate::retry::policy::OVERRIDE.applied(self.name(), self.policy))
        }
        #[cfg(not(feature = "config"))]
        {
            &self.policy
        }
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
    let max_attempts = site.effective_policy().max_attempts();
    (
        AttemptInfo::new(number, max_attempts, false),
        deadline(site, stopwatch, now),
    )
}

/// With `max_elapsed`, the deadline a site sets for what its attempts call: the stopwatch's
/// start plus the budget.
#[inline]
fn deadline<W: Stopwatch>(
    site: &RetrySite,
    stopwatch: &W,
    now: fn() -> Instant,
) -> Option<Deadline> {
    match (site.effective_policy().max_elapsed(), stopwatch.started()) {
        (Some(budget), Some(started)) => {
            started.checked_add(budget).map(|at| Deadline::at(at, now))
        }
        _ => None,
    }
}

/// The `max_attempts` in force: with the `config` feature the effective policy's (an override may
/// change it), otherwise `compiled`, which the expansion passes as a constant, so that a first
/// attempt's context is one constant stored and restored.
#[inline]
pub(crate) fn max_attempts_in_force(site: &RetrySite, compiled: u32) -> u32 {
    #[cfg(feature = "config")]
    {
        let _ = compiled;
        site.effective_policy().max_attempts()
    }
    #[cfg(not(feature = "config"))]
    {
        let _ = site;
        compiled
    }
}

/// The context of the first attempt: [`attempt_context`] with `max_attempts` as the expansion
/// compiled it (see [`max_attempts_in_force`]).
#[inline]
pub(crate) fn first_attempt_context<W: Stopwatch>(
    site: &RetrySite,
    stopwatch: &W,
    compiled_max_attempts: u32,
    now: fn() -> Instant,
) -> (AttemptInfo, Option<Deadline>) {
    (
        AttemptInfo::new(1, max_attempts_in_force(site, compiled_max_attempts), false),
        deadline(site, stopwatch, now),
    )
}

#[cold]
#[inline(never)]
pub(crate) fn report_success<T>(site: &RetrySite, attempts: u32, value: T) -> T {
    crate::events::succeeded(&site.source, attempts);
    value
}

pub(crate) fn failed<W: Stopwatch>(
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
