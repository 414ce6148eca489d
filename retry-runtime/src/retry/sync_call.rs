//! The sync `#[retry]` call: its success path (the body, one check, a return) and the retry loop
//! that takes over, out of line, after the first failure.

use std::time::Duration;

use crate::budget::site::BudgetSite;
use crate::context::Scope;
use crate::events::ErrorText;
use crate::hint::RetryHint;
use crate::retry::engine::{RetryState, Step, Stopwatch};
use crate::retry::site::{
    RetrySite, attempt_context, attempt_span, failed, first_attempt_context, report_success,
    timeout_unenforced,
};

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

/// The context of a sync `#[retry]` call's first attempt: attempt 1 of `compiled_max_attempts`
/// (the policy's, as a constant; with the `config` feature the effective one), and with
/// `max_elapsed` the deadline it sets. Left on drop.
#[inline]
pub fn enter_first_attempt<W: Stopwatch>(
    site: &RetrySite,
    stopwatch: &W,
    compiled_max_attempts: u32,
) -> impl Sized + use<W> {
    let (attempt, deadline) = first_attempt_context(
        site,
        stopwatch,
        compiled_max_attempts,
        crate::sleep::now_sync,
    );
    Scope::enter(attempt, deadline)
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

/// The sleep between attempts of a sync fn.
pub fn sleep_sync(duration: Duration) {
    crate::sleep::sleep_sync(duration);
}
