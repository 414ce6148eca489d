//! One hedged call: the first attempt, then up to `max_hedges` more, each `delay` after the
//! previous one or at once after a retryable failure, all polled inside this future.

use std::future::{Future, poll_fn};
use std::pin::{Pin, pin};
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use super::Hedge;
use crate::budget::RetryBudget;
use crate::context::{AttemptInfo, Scope};
use crate::events::HedgeOutcome;
use crate::sleep::AsyncSleeper;

/// What one attempt's future gives: its result, and whether a strategy stacked inside the hedge
/// (a bulkhead, a rate limiter, a breaker) rejected it rather than running it.
pub trait AttemptOutcome {
    /// The call's success type.
    type Value;
    /// The call's error type.
    type Error;
    /// The result, and whether it is a rejection.
    fn into_parts(self) -> (Result<Self::Value, Self::Error>, bool);
}

/// An attempt with nothing inside that could reject it.
impl<T, E> AttemptOutcome for Result<T, E> {
    type Value = T;
    type Error = E;

    fn into_parts(self) -> (Result<T, E>, bool) {
        (self, false)
    }
}

/// An attempt with a strategy inside, and whether that strategy rejected it.
impl<T, E> AttemptOutcome for (Result<T, E>, bool) {
    type Value = T;
    type Error = E;

    fn into_parts(self) -> (Result<T, E>, bool) {
        self
    }
}

/// Runs `attempt` hedged: returns the first `Ok` that `value_fails` accepts; at once an error
/// `retryable` refuses; or, when no attempt runs and no more may start, the last failure (an
/// error, or an `Ok` value `value_fails` called a failure, which is treated like a retryable
/// error: it wins nothing and the next attempt starts at once). An attempt a strategy inside rejected
/// starts no attempt at once (more would be rejected too) and ends the call only when no other
/// runs; when the call returns it, `rejected` (the flag of an outer `#[retry]` or
/// `#[circuit_breaker]`) is set. The attempts still running are dropped (cancelled) when this
/// returns. Extra attempts are paid from `budget` when there is one; when it refuses, no more
/// start and the call waits for those running.
pub(crate) async fn run<S, F, Fut, R, V, T, E>(
    hedge: &'static Hedge,
    attempt: F,
    (retryable, value_fails): (R, V),
    budget: Option<&'static RetryBudget>,
    rejected: Option<&AtomicBool>,
) -> Result<T, E>
where
    S: AsyncSleeper,
    F: Fn() -> Fut,
    Fut: Future,
    Fut::Output: AttemptOutcome<Value = T, Error = E>,
    R: Fn(&E) -> bool,
    V: Fn(&T) -> bool,
{
    if let Some(budget) = budget {
        budget.deposit();
    }
    let mut race = Race {
        hedge,
        budget,
        max_hedges: hedge.config().max_hedges(),
        delay: hedge.delay(),
        // Only a quantile site needs the time now; a fixed one reads the clock when it first
        // waits, so a call that answers at once reads none.
        began: hedge.records_latencies().then(S::now),
        extras: Vec::new(),
        last_failure: None,
        start_now: 0,
        may_hedge: true,
    };
    let mut primary = pin!(Some(attempt()));
    // Armed when the first poll finds the first attempt pending.
    let mut timer = pin!(None);
    // Everything moves into the poll closure: the call's future holds each value once.
    let (result, _, was_rejected) = poll_fn(move |cx| {
        race.poll::<S, _, _, _>(
            (primary.as_mut(), timer.as_mut()),
            (&attempt, S::sleep),
            (&retryable, &value_fails),
            cx,
        )
    })
    .await;
    if was_rejected && let Some(flag) = rejected {
        flag.store(true, Ordering::Relaxed);
    }
    result
}

/// An attempt that started after the first, boxed when it starts (a call that never hedges
/// allocates nothing); `None` once it has finished.
struct Extra<Fut> {
    future: Option<Pin<Box<Fut>>>,
    started: Instant,
}

/// The state of one call between polls.
struct Race<Fut, T, E> {
    hedge: &'static Hedge,
    budget: Option<&'static RetryBudget>,
    max_hedges: u32,
    delay: Duration,
    /// When the first attempt started (read at once on quantile sites, else at the first wait).
    began: Option<Instant>,
    extras: Vec<Extra<Fut>>,
    /// The latest failure (an error, or a value `on_result` called one), and whether it was a
    /// rejection.
    last_failure: Option<(Result<T, E>, bool)>,
    /// Attempts to start at once: one per retryable failure.
    start_now: u32,
    /// Cleared when the budget refuses.
    may_hedge: bool,
}

/// What judges an attempt's outcome: `on`/`when` for errors, `on_result` for values.
type Judges<'a, R, V> = (&'a R, &'a V);

/// What one finished attempt means for the call.
enum Settled<T, E> {
    /// The call returns this: an `Ok` (won by `winner`), or an error `on`/`when` refuse.
    Returned(Result<T, E>, HedgeOutcome),
    /// A retryable error or failing value (the next attempt starts at once), or a rejection
    /// (it does not).
    Failed {
        failure: Result<T, E>,
        rejected: bool,
    },
}

/// The call's result, how it was won, and whether it is a rejection.
type Ended<T, E> = (Result<T, E>, HedgeOutcome, bool);

impl<Fut, T, E> Race<Fut, T, E> {
    /// One pass over every running attempt, then over what may start; `Pending` only with an
    /// attempt or the timer registered to wake the call.
    fn poll<S, R, V, Sl>(
        &mut self,
        (mut primary, mut timer): (Pin<&mut Option<Fut>>, Pin<&mut Option<Sl>>),
        (attempt, sleep): (&impl Fn() -> Fut, fn(Duration) -> Sl),
        judges: Judges<'_, R, V>,
        cx: &mut Context<'_>,
    ) -> Poll<Ended<T, E>>
    where
        S: AsyncSleeper,
        Fut: Future,
        Fut::Output: AttemptOutcome<Value = T, Error = E>,
        R: Fn(&E) -> bool,
        V: Fn(&T) -> bool,
        Sl: Future<Output = ()>,
    {
        loop {
            if let Some(future) = primary.as_mut().as_pin_mut()
                && let Poll::Ready(outcome) = {
                    let _scope = Scope::enter(self.attempt_info(0), None);
                    future.poll(cx)
                }
            {
                primary.set(None);
                let began = self.began;
                self.record::<S>(began);
                let settled = settle(outcome, judges, HedgeOutcome::PrimaryWon);
                if let Some(ended) = self.settled(settled) {
                    return Poll::Ready(self.finish::<S>(ended, None));
                }
            }
            let primary_running = primary.is_some();
            for index in 0..self.extras.len() {
                let extra = &mut self.extras[index];
                let Some(future) = extra.future.as_mut() else {
                    continue;
                };
                let scope = Scope::enter(
                    AttemptInfo::new(attempt_number(index + 1), self.max_hedges + 1, true),
                    None,
                );
                let polled = future.as_mut().poll(cx);
                drop(scope);
                let Poll::Ready(outcome) = polled else {
                    continue;
                };
                extra.future = None;
                let started = Some(extra.started);
                self.record::<S>(started);
                let settled = settle(outcome, judges, HedgeOutcome::HedgeWon);
                if let Some(ended) = self.settled(settled) {
                    let since = primary_running.then_some(self.began).flatten();
                    return Poll::Ready(self.finish::<S>(ended, since));
                }
            }
            // Past the deadline in force nobody waits for another attempt.
            let more_allowed = self.may_hedge
                && self.started() < self.max_hedges
                && !crate::context::deadline_passed();
            let running = primary_running || self.extras.iter().any(|e| e.future.is_some());
            if more_allowed && running && timer.is_none() && !self.delay.is_zero() {
                self.began.get_or_insert_with(S::now);
                timer.set(Some(sleep(self.delay)));
            }
            let due = self.start_now > 0
                || (running && self.delay.is_zero())
                || timer
                    .as_mut()
                    .as_pin_mut()
                    .is_some_and(|timer| more_allowed && running && timer.poll(cx).is_ready());
            if more_allowed && due {
                self.start_now = self.start_now.saturating_sub(1);
                if self.paid::<S>() {
                    self.start::<S>(attempt());
                    timer.set(Some(sleep(self.delay)));
                    // Poll the new attempt, and the new timer, before waiting.
                    continue;
                }
            }
            if running {
                return Poll::Pending;
            }
            // Nothing runs and nothing more starts: every attempt failed, each kept in
            // `last_failure` (an attempt that returns ends the call above).
            let (failure, rejected) = self
                .last_failure
                .take()
                .unwrap_or_else(|| unreachable!("a hedged call ended with no attempt's outcome"));
            return Poll::Ready(self.finish::<S>((failure, HedgeOutcome::Failed, rejected), None));
        }
    }

    /// What the call returns now, if anything; a failure that does not end the call becomes the
    /// last error, and a retryable one asks for the next attempt at once.
    fn settled(&mut self, settled: Settled<T, E>) -> Option<Ended<T, E>> {
        match settled {
            Settled::Returned(result, outcome) => Some((result, outcome, false)),
            Settled::Failed { failure, rejected } => {
                if !rejected {
                    self.start_now += 1;
                }
                self.last_failure = Some((failure, rejected));
                None
            }
        }
    }

    /// Whether the budget, if any, pays for one more attempt; a refusal stops further ones.
    fn paid<S: AsyncSleeper>(&mut self) -> bool {
        let paid = self
            .budget
            .is_none_or(|budget| budget.try_withdraw(S::now()));
        if !paid {
            self.may_hedge = false;
            self.hedge.hedge_refused();
        }
        paid
    }

    /// The context of attempt `index` (0: the first; the hedges from 1).
    fn attempt_info(&self, index: usize) -> AttemptInfo {
        AttemptInfo::new(attempt_number(index), self.max_hedges + 1, index > 0)
    }

    /// Extra attempts started so far (at most `max_hedges`, itself at most 10).
    fn started(&self) -> u32 {
        u32::try_from(self.extras.len()).unwrap_or(u32::MAX)
    }

    /// Starts one more attempt beside those running.
    fn start<S: AsyncSleeper>(&mut self, future: Fut) {
        let now = S::now();
        self.extras.push(Extra {
            future: Some(Box::pin(future)),
            started: now,
        });
        let number = self.started();
        let began = *self.began.get_or_insert(now);
        self.hedge
            .hedge_started(number, now.saturating_duration_since(began));
    }

    /// One attempt's latency, on a site whose `after` is a quantile.
    fn record<S: AsyncSleeper>(&self, since: Option<Instant>) {
        if let Some(since) = since
            && self.hedge.records_latencies()
        {
            self.hedge
                .record_latency(S::now().saturating_duration_since(since));
        }
    }

    /// The call's end: the latencies of the attempts still running (dropped right after: at
    /// least that long, kept so slow attempts stay in the quantile), and the outcome counted.
    fn finish<S: AsyncSleeper>(
        &mut self,
        ended: Ended<T, E>,
        primary_running_since: Option<Instant>,
    ) -> Ended<T, E> {
        self.record::<S>(primary_running_since);
        for extra in &self.extras {
            if extra.future.is_some() {
                self.record::<S>(Some(extra.started));
            }
        }
        let attempts = self.started().saturating_add(1);
        self.hedge.finished(ended.1, attempts);
        ended
    }
}

/// The context's attempt number of attempt `index` (0: the first).
fn attempt_number(index: usize) -> u32 {
    u32::try_from(index).map_or(u32::MAX, |index| index.saturating_add(1))
}

/// What a finished attempt's outcome means for the call.
fn settle<O: AttemptOutcome>(
    outcome: O,
    (retryable, value_fails): (&impl Fn(&O::Error) -> bool, &impl Fn(&O::Value) -> bool),
    winner: HedgeOutcome,
) -> Settled<O::Value, O::Error> {
    match outcome.into_parts() {
        (Ok(value), _) if value_fails(&value) => Settled::Failed {
            failure: Ok(value),
            rejected: false,
        },
        (Ok(value), _) => Settled::Returned(Ok(value), winner),
        (Err(error), true) => Settled::Failed {
            failure: Err(error),
            rejected: true,
        },
        (Err(error), false) if !retryable(&error) => {
            Settled::Returned(Err(error), HedgeOutcome::Failed)
        }
        (Err(error), false) => Settled::Failed {
            failure: Err(error),
            rejected: false,
        },
    }
}
