//! The future of one throttled call: the inner service's, with the throttle's permit riding
//! along.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll, ready};

use super::Shared;
use super::policy::ThrottleClassifier;
use crate::throttle::ThrottlePermit;

/// The response future of [`ThrottleService`](super::ThrottleService): the inner service's
/// outcome, recorded as accepted or not when it arrives, or the rejection, ready at once.
///
/// An admitted call's inner future is pinned in a `Box` (pinning it in place would need
/// `unsafe` code, which this crate forbids); a rejected call allocates nothing. Dropped before
/// it finishes, the call stays a request the backend did not accept, as a timeout would.
pub struct ResponseFuture<F: Future, C> {
    kind: Kind<F, C>,
}

enum Kind<F: Future, C> {
    Admitted {
        shared: Arc<Shared<C>>,
        /// Taken when the outcome is recorded.
        permit: Option<ThrottlePermit<'static>>,
        inner: Pin<Box<F>>,
    },
    Rejected(Option<F::Output>),
}

// Nothing is pinned in place: the inner future is boxed.
impl<F: Future, C> Unpin for ResponseFuture<F, C> {}

impl<F: Future, C> ResponseFuture<F, C> {
    pub(crate) fn admitted(
        shared: Arc<Shared<C>>,
        permit: ThrottlePermit<'static>,
        inner: F,
    ) -> Self {
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

impl<F, C, Response, Error> Future for ResponseFuture<F, C>
where
    F: Future<Output = Result<Response, Error>>,
    C: ThrottleClassifier<Response, Error>,
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
                    if shared.classifier.accepted(&outcome) {
                        permit.record_accepted();
                    } else {
                        permit.record_failed();
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

impl<F: Future, C> fmt::Debug for ResponseFuture<F, C> {
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
