//! [`AdaptiveLimitService`]: a service whose calls go through a named adaptive limiter (see
//! [`AdaptiveLimitLayer`](layer::AdaptiveLimitLayer)).

pub(crate) mod future;
pub(crate) mod layer;

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

use self::future::ResponseFuture;
use crate::__private::AdaptiveLimitSite;
use crate::LimitExceeded;

/// A service whose calls go through a named adaptive limiter; made by
/// [`AdaptiveLimitLayer`](layer::AdaptiveLimitLayer).
pub struct AdaptiveLimitService<S> {
    inner: S,
    site: Arc<AdaptiveLimitSite>,
}

impl<S> AdaptiveLimitService<S> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unlimited.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone> Clone for AdaptiveLimitService<S> {
    fn clone(&self) -> Self {
        AdaptiveLimitService {
            inner: self.inner.clone(),
            site: Arc::clone(&self.site),
        }
    }
}

impl<S: fmt::Debug> fmt::Debug for AdaptiveLimitService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AdaptiveLimitService")
            .field("limiter", &self.site)
            .field("inner", &self.inner)
            .finish()
    }
}

impl<S, Request> Service<Request> for AdaptiveLimitService<S>
where
    S: Service<Request>,
    S::Error: From<LimitExceeded>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, S::Error>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.site.try_acquire() {
            Some(permit) => ResponseFuture::admitted(permit, self.inner.call(request)),
            None => ResponseFuture::rejected(S::Error::from(self.site.exceeded())),
        }
    }
}
