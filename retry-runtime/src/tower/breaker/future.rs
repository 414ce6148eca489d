//! The future of one guarded call: the inner service's, with the breaker's permit riding along.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use super::Shared;
use super::policy::{BreakerClassifier, CallOutcome};
use crate::breaker::Permit;

/// The response future of [`CircuitBreakerService`](super::CircuitBreakerService): the inner
/// service's outcome, counted by the breaker when it arrives, or the rejection, ready at once.
///
/// An admitted call's inner future is pinned in a `Box` (pinning it in place would need
/// `unsafe` code, which this crate forbids); a rejected call allocates nothing. Dropped before
/// it finishes, the future counts the call as cancelled.
pub struct ResponseFuture<F: Future, C, R> {
    kind: Kind<F, C, R>,
}

enum Kind<F: Future, C, R> {
    Admitted {
        shared: Arc<Shared<C, R>>,
        /// Taken when the outcome is recorded.
        permit: Option<Permit<'static>>,
        inner: Pin<Box<F>>,
    },
    Rejected(Option<F::Output>),
}

// Nothing is pinned in place: the inner future is boxed.
impl<F: Future, C, R> Unpin for ResponseFuture<F, C, R> {}

impl<F: Future, C, R> ResponseFuture<F, C, R> {
    pub(crate) fn admitted(shared: Arc<Shared<C, R>>, permit: Permit<'static>, inner: F) -> Self {
        ResponseFuture {
            kind: Kind::Admitted {
                shared,
                permit: Some(permit),
                inner: Box::pin(inner),
            },
        }
    }

    pub(crate) fn rejected(outcome: F::Output) -> Self {
        ResponseFuture {
            kind: Kind::Rejected(Some(outcome)),
        }
    }
}

impl<F, C, R, Response, Error> Future for ResponseFuture<F, C, R>
where
    F: Future<Output = Result<Response, Error>>,
    C: BreakerClassifier<Response, Error>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().kind {
            Kind::Admitted {
                shared,
                permit,
                inner,
            } => {
                let outcome = ready!(inner.as_mut().poll(cx));
                if let Some(permit) = permit.take() {
                    match shared.classifier.classify(&outcome) {
                        CallOutcome::Success => permit.record_success(),
                        CallOutcome::Failure => permit.record_failure(),
                        CallOutcome::Ignored => permit.record_ignored(),
                    }
                }
                Poll::Ready(outcome)
            }
            Kind::Rejected(outcome) => Poll::Ready(
                outcome
                    .take()
                    .expect("a retry_runtime::tower response future was polled after it completed"),
            ),
        }
    }
}

impl<F: Future, C, R> fmt::Debug for ResponseFuture<F, C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match &self.kind {
            Kind::Admitted {
                permit: Some(_), ..
            } => "running",
            Kind::Admitted { permit: None, .. } => "done",
            Kind::Rejected(_) => "rejected",
        };
        f.debug_struct("ResponseFuture")
            .field("state", &state)
            .finish_non_exhaustive()
    }
}
