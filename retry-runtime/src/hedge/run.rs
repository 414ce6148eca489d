//! One hedged call: the first attempt, then up to `max_hedges` more, each `delay` after the
//! previous one or at once after a retryable failure, all polled inside this future.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::task::Poll;
use std::time::Instant;

use super::Hedge;
use crate::budget::RetryBudget;
use crate::events::HedgeOutcome;
use crate::sleep::AsyncSleeper;

/// An attempt that started after the first, boxed when it starts (a call that never hedges
/// allocates nothing); `None` once it has finished.
struct Extra<Fut> {
    future: Option<Pin<Box<Fut>>>,
    started: Instant,
}

impl<Fut> Extra<Fut> {
    fn new(future: Fut, started: Instant) -> Extra<Fut> {
        Extra {
            future: Some(Box::pin(future)),
            started,
        }
    }
}

/// Whether the budget, if any, pays for one more attempt; a refusal is counted.
fn paid<S: AsyncSleeper>(budget: Option<&RetryBudget>, hedge: &Hedge) -> bool {
    let paid = budget.is_none_or(|budget| budget.try_withdraw(S::now()));
    if !paid {
        hedge.hedge_refused();
    }
    paid
}

/// Runs `attempt` hedged: returns the first `Ok`, or at once an error `retryable` rejects, or,
/// when every attempt has failed and no more may start, the last error. The attempts still
/// running are dropped (cancelled) when this returns. Hedges are paid from `budget` when there
/// is one; when it refuses, no more start and the call waits for those running.
pub(crate) async fn run<S, F, Fut, T, E, R>(
    hedge: &'static Hedge,
    attempt: F,
    retryable: R,
    budget: Option<&'static RetryBudget>,
) -> Result<T, E>
where
    S: AsyncSleeper,
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, E>>,
    R: Fn(&E) -> bool,
{
    if let Some(budget) = budget {
        budget.deposit();
    }
    let max_hedges = usize::try_from(hedge.config().max_hedges()).unwrap_or(usize::MAX);
    let delay = hedge.delay();
    let began = S::now();
    let mut primary = pin!(Some(attempt()));
    // Set when the first poll finds the first attempt pending, so a call that answers at once
    // never arms a timer.
    let mut timer = pin!(None);
    let mut extras: Vec<Extra<Fut>> = Vec::new();
    let mut last_error: Option<E> = None;
    let mut may_hedge = true;
    // Everything moves into the poll closure: the call's future holds each value once.
    let (result, outcome, attempts) = poll_fn(move |cx| {
        loop {
            let mut start_next = false;
            if let Some(future) = primary.as_mut().as_pin_mut()
                && let Poll::Ready(settled) = poll_attempt::<S, _, _, _>(
                    future,
                    began,
                    (hedge, &retryable, HedgeOutcome::PrimaryWon),
                    cx,
                )
            {
                primary.set(None);
                if let Some((result, outcome)) = settled.returned(&mut last_error, &mut start_next)
                {
                    return Poll::Ready(finish::<S, _, _, _>(
                        hedge, result, outcome, None, &extras,
                    ));
                }
            }
            let primary_running = primary.is_some().then_some(began);
            for index in 0..extras.len() {
                let extra = &mut extras[index];
                let Some(future) = extra.future.as_mut() else {
                    continue;
                };
                let judge = (hedge, &retryable, HedgeOutcome::HedgeWon);
                let Poll::Ready(settled) =
                    poll_attempt::<S, _, _, _>(future.as_mut(), extra.started, judge, cx)
                else {
                    continue;
                };
                extra.future = None;
                if let Some((result, outcome)) = settled.returned(&mut last_error, &mut start_next)
                {
                    return Poll::Ready(finish::<S, _, _, _>(
                        hedge,
                        result,
                        outcome,
                        primary_running,
                        &extras,
                    ));
                }
            }
            let more_allowed = may_hedge && extras.len() < max_hedges;
            if more_allowed && timer.is_none() && !delay.is_zero() {
                let waited = S::now().saturating_duration_since(began);
                timer.set(Some(S::sleep(delay.saturating_sub(waited))));
            }
            if more_allowed
                && (start_next
                    || delay.is_zero()
                    || timer
                        .as_mut()
                        .as_pin_mut()
                        .is_some_and(|timer| timer.poll(cx).is_ready()))
            {
                if paid::<S>(budget, hedge) {
                    let now = S::now();
                    extras.push(Extra::new(attempt(), now));
                    let number = u32::try_from(extras.len()).unwrap_or(u32::MAX);
                    hedge.hedge_started(number, now.saturating_duration_since(began));
                    timer.set(Some(S::sleep(delay)));
                    // Poll the new attempt, and the new timer, before waiting.
                    continue;
                }
                may_hedge = false;
            }
            if primary_running.is_some() || extras.iter().any(|extra| extra.future.is_some()) {
                return Poll::Pending;
            }
            // Nothing runs and nothing more may start, so every attempt failed: an attempt
            // ends in a return unless its error was retryable, which `last_error` keeps.
            let failed = last_error.take().map(Err);
            return failed.map_or(Poll::Pending, |failed| {
                Poll::Ready(finish::<S, _, _, _>(
                    hedge,
                    failed,
                    HedgeOutcome::Failed,
                    None,
                    &extras,
                ))
            });
        }
    })
    .await;
    hedge.finished(outcome, attempts);
    result
}

/// What one finished attempt means for the call.
enum Settled<T, E> {
    /// The call returns this: an `Ok` (won by `winner`), or an error `on`/`when` reject.
    Returned(Result<T, E>, HedgeOutcome),
    /// A retryable error: the next attempt starts at once, if one may.
    Retryable(E),
}

impl<T, E> Settled<T, E> {
    /// What the call returns now, if anything; a retryable error becomes the last error and
    /// asks for the next attempt.
    fn returned(
        self,
        last_error: &mut Option<E>,
        start_next: &mut bool,
    ) -> Option<(Result<T, E>, HedgeOutcome)> {
        match self {
            Settled::Returned(result, outcome) => Some((result, outcome)),
            Settled::Retryable(error) => {
                *last_error = Some(error);
                *start_next = true;
                None
            }
        }
    }
}

/// Polls one attempt; when it finishes, records its latency and says what it means.
fn poll_attempt<S: AsyncSleeper, Fut, T, E>(
    future: Pin<&mut Fut>,
    started: Instant,
    (hedge, retryable, winner): (&Hedge, &impl Fn(&E) -> bool, HedgeOutcome),
    cx: &mut std::task::Context<'_>,
) -> Poll<Settled<T, E>>
where
    Fut: Future<Output = Result<T, E>>,
{
    let result = std::task::ready!(future.poll(cx));
    hedge.record_latency(S::now().saturating_duration_since(started));
    Poll::Ready(settle(result, retryable, winner))
}

fn settle<T, E>(
    result: Result<T, E>,
    retryable: &impl Fn(&E) -> bool,
    winner: HedgeOutcome,
) -> Settled<T, E> {
    match result {
        Ok(value) => Settled::Returned(Ok(value), winner),
        Err(error) if !retryable(&error) => Settled::Returned(Err(error), HedgeOutcome::Failed),
        Err(error) => Settled::Retryable(error),
    }
}

/// The call's result, with the latencies of the attempts still running (dropped right after:
/// at least that long, kept so slow attempts stay in the quantile) and the attempts started.
fn finish<S: AsyncSleeper, T, E, Fut>(
    hedge: &Hedge,
    result: Result<T, E>,
    outcome: HedgeOutcome,
    primary_running_since: Option<Instant>,
    extras: &[Extra<Fut>],
) -> (Result<T, E>, HedgeOutcome, u32) {
    let now = S::now();
    if let Some(began) = primary_running_since {
        hedge.record_latency(now.saturating_duration_since(began));
    }
    for extra in extras {
        if extra.future.is_some() {
            hedge.record_latency(now.saturating_duration_since(extra.started));
        }
    }
    let attempts = u32::try_from(extras.len() + 1).unwrap_or(u32::MAX);
    (result, outcome, attempts)
}
