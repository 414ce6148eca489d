//! [`RetryService`]: a service whose calls are retried (see [`RetryLayer`](layer::RetryLayer)).

pub(crate) mod future;
pub(crate) mod headers;
pub(crate) mod layer;
pub(crate) mod policy;

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

use self::future::ResponseFuture;
use self::headers::{AttemptHeaders, NoAttemptHeaders};
use self::policy::RetryClassifier;
use super::BoxError;
use crate::__private::RetrySite;
use crate::budget::site::BudgetSite;

/// A service whose calls are retried; made by [`RetryLayer`](layer::RetryLayer).
///
/// `poll_ready` is the inner service's. `call` hands the ready inner service to the call (which
/// keeps it for its retries, polling it ready before each one) and keeps a clone for the next
/// call, as tower's own retry does. Its error is a [`BoxError`]: the inner service's error, or an
/// [`AttemptTimeout`](crate::AttemptTimeout) when the policy's `attempt_timeout` cut the last
/// attempt off (the inner error type only needs `Into<BoxError>`, as for tower's `Timeout`).
///
/// ```
/// use retry_runtime::RetryPolicy;
/// use retry_runtime::tower::{RetryLayer, RetryService};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let echo = service_fn(|text: String| async move { Ok::<_, std::io::Error>(text) });
/// let service: RetryService<_, _> = RetryLayer::new("service-doc", RetryPolicy::DEFAULT).layer(echo);
/// assert_eq!(service.oneshot("hi".to_string()).await.unwrap(), "hi");
/// # }
/// ```
pub struct RetryService<S, C, H = NoAttemptHeaders> {
    inner: S,
    shared: Arc<Shared<C, H>>,
}

/// What every call of one layered service shares: the site (name, policy, event handles), the
/// budget's name, the classifier.
pub(crate) struct Shared<C, H> {
    pub(crate) site: RetrySite,
    pub(crate) budget: Option<BudgetSite>,
    pub(crate) classifier: C,
    /// What each attempt's request is told.
    pub(crate) headers: H,
}

impl<S, C, H> RetryService<S, C, H> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, the retries removed.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, C, H> Clone for RetryService<S, C, H> {
    fn clone(&self) -> Self {
        RetryService {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: fmt::Debug, C, H> fmt::Debug for RetryService<S, C, H> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RetryService")
            .field("name", &self.shared.site.name())
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, C, H, Request> Service<Request> for RetryService<S, C, H>
where
    S: Service<Request> + Clone,
    S::Error: Into<BoxError>,
    Request: Clone,
    C: RetryClassifier<S::Response, S::Error>,
    H: AttemptHeaders<Request>,
{
    type Response = S::Response;
    type Error = BoxError;
    type Future = ResponseFuture<S, Request, C, H>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        // The ready service goes with the call; the clone waits for the next `poll_ready`.
        let clone = self.inner.clone();
        let ready = std::mem::replace(&mut self.inner, clone);
        ResponseFuture::start(Arc::clone(&self.shared), ready, request)
    }
}
