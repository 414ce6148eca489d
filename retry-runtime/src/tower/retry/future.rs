//! The future of one retried call: attempt, decide, sleep, get ready, attempt again.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use tower_service::Service;

use super::Shared;
use super::policy::{RetryClassifier, RetryOutcome};
use crate::__private::{self as private, WithBudget};
use crate::engine::{RetryState, Step};
use crate::hint::RetryHint;
use crate::sleep::TokioSleeper;

/// The response future of [`RetryService`](super::RetryService): the outcome of the first
/// attempt that succeeds, or the last one when the policy stops.
///
/// The inner service's future is pinned in one `Box` per call, reused by each attempt (pinning
/// it in place would need `unsafe` code, which this crate forbids); a call that retries boxes
/// one tokio `Sleep` too, reset for each wait.
pub struct ResponseFuture<S: Service<Request>, Request, C> {
    shared: Arc<Shared<C>>,
    service: S,
    request: Request,
    state: RetryState<WithBudget>,
    attempt: Pin<Box<S::Future>>,
    sleep: Option<Pin<Box<tokio::time::Sleep>>>,
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
    /// The outcome was given back.
    Done,
}

// Nothing is pinned in place: the attempt and the sleep are boxed, and the service, the
// request and the rest are only ever used through `&mut`.
impl<S: Service<Request>, Request, C> Unpin for ResponseFuture<S, Request, C> {}

impl<S, Request, C> ResponseFuture<S, Request, C>
where
    S: Service<Request>,
    Request: Clone,
{
    /// Starts a call with its first attempt on `service`, which the caller polled ready. A
    /// budgeted layer deposits the call's share.
    pub(crate) fn start(shared: Arc<Shared<C>>, mut service: S, request: Request) -> Self {
        let state =
            private::start_async::<TokioSleeper, WithBudget>(&shared.site, shared.budget.as_ref());
        let attempt = Box::pin(service.call(request.clone()));
        ResponseFuture {
            shared,
            service,
            request,
            state,
            attempt,
            sleep: None,
            phase: Phase::Attempting,
        }
    }
}

impl<S, Request, C> Future for ResponseFuture<S, Request, C>
where
    S: Service<Request>,
    Request: Clone,
    C: RetryClassifier<S::Response, S::Error>,
{
    type Output = Result<S::Response, S::Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.get_mut();
        loop {
            let outcome = match this.phase {
                Phase::Attempting => ready!(this.attempt.as_mut().poll(cx)),
                Phase::Sleeping => {
                    if let Some(sleep) = &mut this.sleep {
                        ready!(sleep.as_mut().poll(cx));
                    }
                    this.phase = Phase::Readying;
                    continue;
                }
                Phase::Readying => match ready!(this.service.poll_ready(cx)) {
                    Ok(()) => {
                        this.attempt.set(this.service.call(this.request.clone()));
                        this.phase = Phase::Attempting;
                        continue;
                    }
                    // A service that cannot get ready fails the attempt it was readied for.
                    Err(error) => Err(error),
                },
                Phase::Done => {
                    panic!("a retry_runtime::tower response future was polled after it completed")
                }
            };
            if let Some(outcome) = this.decide(outcome) {
                return Poll::Ready(outcome);
            }
        }
    }
}

impl<S, Request, C> ResponseFuture<S, Request, C>
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
        match step {
            Step::Stop(_) => {
                self.phase = Phase::Done;
                return Some(outcome);
            }
            Step::Retry { delay, .. } if delay.is_zero() => self.phase = Phase::Readying,
            Step::Retry { delay, .. } => {
                let deadline = tokio::time::Instant::now() + delay;
                match &mut self.sleep {
                    Some(sleep) => sleep.as_mut().reset(deadline),
                    None => self.sleep = Some(Box::pin(tokio::time::sleep_until(deadline))),
                }
                self.phase = Phase::Sleeping;
            }
        }
        // The failure is dropped before the wait, as in a hand-written loop.
        drop(outcome);
        None
    }
}

impl<S: Service<Request>, Request, C> fmt::Debug for ResponseFuture<S, Request, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ResponseFuture")
            .field("name", &self.shared.site.name())
            .field("attempt", &self.state.attempt())
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}
