//! The future of one retried call: attempt (cut off at the policy's `attempt_timeout`), decide,
//! sleep, get ready, attempt again.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tower_service::Service;

use super::Shared;
use super::headers::{AttemptHeaders, NoAttemptHeaders};
use super::policy::{RetryClassifier, RetryOutcome};
use crate::__private::{self as private, WithBudget};
use crate::events::ErrorText;
use crate::hint::RetryHint;
use crate::retry::engine::{RetryState, Step};
use crate::sleep::{AsyncSleeper, TokioSleeper};
use crate::timeout::AttemptTimeout;
use crate::tower::BoxError;

/// The response future of [`RetryService`](super::RetryService): the outcome of the first
/// attempt that succeeds, or the last one when the policy stops (an attempt cut off by
/// `attempt_timeout` is a retryable failure, and the last one comes back as an
/// [`AttemptTimeout`] in the [`BoxError`]).
///
/// The inner service's future is pinned in one `Box` per call, reused by each attempt (pinning
/// it in place would need `unsafe` code, which this crate forbids); a call that retries or has
/// an `attempt_timeout` boxes one tokio `Sleep` too, reset for each wait and each deadline (they
/// never run at once).
pub struct ResponseFuture<S: Service<Request>, Request, C, H = NoAttemptHeaders> {
    shared: Arc<Shared<C, H>>,
    service: S,
    request: Request,
    state: RetryState<WithBudget>,
    /// The running attempt; emptied (the attempt dropped) when its deadline cuts it off.
    attempt: Pin<Box<Option<S::Future>>>,
    /// The wait before the next attempt, or the running attempt's deadline.
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    /// The running attempt's limit, when it has one (`sleep` is then its deadline).
    limit: Option<std::time::Duration>,
    phase: Phase,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// `attempt` is running.
    Attempting,
    /// `sleep` is running; then the service is polled ready.
    Sleeping,
    /// Waiting for the service to be ready for the next attempt.
    Readying,
    /// The deadline in force had passed before an attempt could start: the call is refused.
    Refused,
    /// The outcome was given back.
    Done,
}

// Nothing is pinned in place: the attempt and the sleep are boxed, and the service, the
// request and the rest are only ever used through `&mut`.
impl<S: Service<Request>, Request, C, H> Unpin for ResponseFuture<S, Request, C, H> {}

impl<S, Request, C, H> ResponseFuture<S, Request, C, H>
where
    S: Service<Request>,
    Request: Clone,
    H: AttemptHeaders<Request>,
{
    /// Starts a call with its first attempt on `service`, which the caller polled ready. A
    /// budgeted layer deposits the call's share.
    pub(crate) fn start(shared: Arc<Shared<C, H>>, service: S, request: Request) -> Self {
        let state =
            private::start_async::<TokioSleeper, WithBudget>(&shared.site, shared.budget.as_ref());
        let mut call = ResponseFuture {
            shared,
            service,
            request,
            state,
            attempt: Box::pin(None),
            sleep: None,
            limit: None,
            phase: Phase::Attempting,
        };
        call.start_attempt();
        call
    }

    /// Starts the next attempt on the ready service, in its context (its number, and the
    /// deadline it runs under) and with its request told what `H` writes; or, when the deadline
    /// in force has passed, refuses it: nobody would wait for its answer.
    fn start_attempt(&mut self) {
        if crate::context::deadline_passed() {
            self.phase = Phase::Refused;
            return;
        }
        let _scope = self.scope();
        let mut request = self.request.clone();
        self.shared.headers.write(
            &mut request,
            self.state.attempt(),
            crate::context::remaining(),
        );
        self.attempt.set(Some(self.service.call(request)));
        self.phase = Phase::Attempting;
        self.arm_deadline();
    }
}

impl<S: Service<Request>, Request, C, H> ResponseFuture<S, Request, C, H> {
    /// The context the running attempt is in: its number, and the policy's `max_elapsed` as a
    /// deadline for what it calls.
    fn scope(&self) -> crate::context::Scope {
        let (attempt, deadline) = crate::retry::site::attempt_context(
            &self.shared.site,
            &self.state.stopwatch(),
            self.state.attempt(),
            TokioSleeper::now,
        );
        crate::context::Scope::enter(attempt, deadline)
    }

    /// Polls the running attempt in its context.
    fn poll_attempt(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Option<Poll<Result<S::Response, S::Error>>> {
        let _scope = self.scope();
        self.attempt
            .as_mut()
            .as_pin_mut()
            .map(|attempt| attempt.poll(cx))
    }

    /// At an attempt's start: its deadline, when the policy has `attempt_timeout` (cut to what
    /// is left of `max_elapsed`, as `#[retry]` cuts it).
    fn arm_deadline(&mut self) {
        let policy = self.shared.site.effective_policy();
        self.limit = self.state.attempt_limit(policy, TokioSleeper::now);
        if let Some(limit) = self.limit {
            self.sleep_until(tokio::time::Instant::now() + limit);
        }
    }

    fn sleep_until(&mut self, deadline: tokio::time::Instant) {
        match &mut self.sleep {
            Some(sleep) => sleep.as_mut().reset(deadline),
            None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
        }
    }
}

impl<S, Request, C, H> Future for ResponseFuture<S, Request, C, H>
where
    S: Service<Request>,
    S::Error: Into<BoxError>,
    Request: Clone,
    C: RetryClassifier<S::Response, S::Error>,
    H: AttemptHeaders<Request>,
{
    type Output = Result<S::Response, BoxError>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            let outcome = match this.phase {
                Phase::Attempting => match this.poll_attempt(cx) {
                    Some(Poll::Ready(outcome)) => outcome,
                    None => unreachable!("an attempt is only emptied as the phase moves on"),
                    Some(Poll::Pending) => {
                        // The attempt is polled first, so one ready at its deadline wins.
                        let timed_out = match (this.limit, &mut this.sleep) {
                            (Some(_), Some(deadline)) => deadline.as_mut().poll(cx).is_ready(),
                            _ => false,
                        };
                        if !timed_out {
                            return Poll::Pending;
                        }
                        // Cut off: the attempt is dropped (cancelled) before the next one.
                        this.attempt.set(None);
                        if let Some(outcome) = this.timed_out() {
                            return Poll::Ready(outcome);
                        }
                        continue;
                    }
                },
                Phase::Sleeping => {
                    if let Some(sleep) = &mut this.sleep {
                        ready!(sleep.as_mut().poll(cx));
                    }
                    this.phase = Phase::Readying;
                    continue;
                }
                Phase::Readying => match ready!(this.service.poll_ready(cx)) {
                    Ok(()) => {
                        this.start_attempt();
                        continue;
                    }
                    // A service that cannot get ready fails the attempt it was readied for.
                    Err(error) => Err(error),
                },
                Phase::Refused => {
                    this.phase = Phase::Done;
                    let refusal = crate::context::DeadlineExceeded::new(this.shared.site.name());
                    return Poll::Ready(Err(Box::new(refusal)));
                }
                Phase::Done => {
                    panic!("a retry_runtime::tower response future was polled after it completed")
                }
            };
            if let Some(outcome) = this.decide(outcome) {
                return Poll::Ready(outcome.map_err(Into::into));
            }
        }
    }
}

impl<S, Request, C, H> ResponseFuture<S, Request, C, H>
where
    S: Service<Request>,
    C: RetryClassifier<S::Response, S::Error>,
{
    /// After an attempt: the outcome to give back, or `None` and the next phase set.
    fn decide(
        &mut self,
        outcome: Result<S::Response, S::Error>,
    ) -> Option<Result<S::Response, S::Error>> {
        let shared = &*self.shared;
        let (retryable, hint) = match shared.classifier.classify(&outcome) {
            RetryOutcome::Success => {
                self.phase = Phase::Done;
                return Some(private::succeeded(&shared.site, &self.state, outcome));
            }
            RetryOutcome::Retryable(hint) => (true, hint),
            RetryOutcome::NotRetryable => (false, RetryHint::FollowPolicy),
        };
        let step = private::failed_async::<TokioSleeper, WithBudget>(
            &shared.site,
            &mut self.state,
            retryable,
            hint,
            shared.classifier.describe(&outcome),
            shared.budget.as_ref(),
        );
        if !self.next(step) {
            return Some(outcome);
        }
        // The failure is dropped before the wait, as in a hand-written loop.
        drop(outcome);
        None
    }

    /// After an attempt cut off at its deadline (a retryable failure, as in `#[retry]`): the
    /// timeout to give back, or `None` and the next phase set.
    fn timed_out(&mut self) -> Option<Result<S::Response, BoxError>> {
        let timeout = AttemptTimeout {
            timeout: self.limit.unwrap_or_default(),
        };
        let shared = &*self.shared;
        let step = private::failed_async::<TokioSleeper, WithBudget>(
            &shared.site,
            &mut self.state,
            true,
            RetryHint::FollowPolicy,
            ErrorText::Display(&timeout),
            shared.budget.as_ref(),
        );
        if self.next(step) {
            None
        } else {
            Some(Err(Box::new(timeout)))
        }
    }

    /// Sets the phase after a failed attempt; `false` when the loop stopped.
    fn next(&mut self, step: Step) -> bool {
        self.limit = None;
        match step {
            Step::Stop(_) => {
                self.phase = Phase::Done;
                return false;
            }
            Step::Retry { delay, .. } if delay.is_zero() => self.phase = Phase::Readying,
            Step::Retry { delay, .. } => {
                self.sleep_until(tokio::time::Instant::now() + delay);
                self.phase = Phase::Sleeping;
            }
        }
        true
    }
}

impl<S: Service<Request>, Request, C, H> fmt::Debug for ResponseFuture<S, Request, C, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("name", &self.shared.site.name())
            .field("attempt", &self.state.attempt())
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}
