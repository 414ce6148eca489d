//! The future of one limited call: the inner service's, with the limiter's permit riding along.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll, ready};

use crate::AdaptivePermit;

/// The response future of [`AdaptiveLimitService`](super::AdaptiveLimitService): the inner
/// service's outcome, whose latency the limiter samples when it arrives, or the rejection, ready
/// at once.
///
/// An admitted call's inner future is pinned in a `Box` (pinning it in place would need
/// `unsafe` code, which this crate forbids); a rejected call allocates nothing. Dropped before
/// it finishes, the future frees the call's slot without a latency sample.
pub struct ResponseFuture<F, E> {
    kind: Kind<F, E>,
}

enum Kind<F, E> {
    Admitted {
        /// Taken when the outcome arrives.
        permit: Option<AdaptivePermit<'static>>,
        inner: Pin<Box<F>>,
    },
    Rejected(Option<E>),
}

// Nothing is pinned in place: the inner future is boxed.
impl<F, E> Unpin for ResponseFuture<F, E> {}

impl<F, E> ResponseFuture<F, E> {
    pub(crate) fn admitted(permit: AdaptivePermit<'static>, inner: F) -> Self {
        ResponseFuture {
            kind: Kind::Admitted {
                permit: Some(permit),
                inner: Box::pin(inner),
            },
        }
    }

    pub(crate) fn rejected(error: E) -> Self {
        ResponseFuture {
            kind: Kind::Rejected(Some(error)),
        }
    }
}

impl<F, Response, E> Future for ResponseFuture<F, E>
where
    F: Future<Output = Result<Response, E>>,
{
    type Output = F::Output;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match &mut self.get_mut().kind {
            Kind::Admitted { permit, inner } => {
                let outcome = ready!(inner.as_mut().poll(cx));
                if let Some(permit) = permit.take() {
                    crate::__private::record_async(permit);
                }
                Poll::Ready(outcome)
            }
            Kind::Rejected(error) => Poll::Ready(Err(error
                .take()
                .expect("a retry_runtime::tower response future was polled after it completed"))),
        }
    }
}

impl<F, E> fmt::Debug for ResponseFuture<F, E> {
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
