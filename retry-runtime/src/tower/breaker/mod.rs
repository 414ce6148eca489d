//! [`CircuitBreakerService`]: a service guarded by a named breaker (see
//! [`CircuitBreakerLayer`](layer::CircuitBreakerLayer)).

pub(crate) mod future;
pub(crate) mod layer;
pub(crate) mod policy;

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

use self::future::ResponseFuture;
use self::policy::{BreakerClassifier, Rejection};
use crate::__private::BreakerSite;

/// A service guarded by a named circuit breaker; made by
/// [`CircuitBreakerLayer`](layer::CircuitBreakerLayer).
///
/// ```
/// use retry_runtime::tower::{CircuitBreakerLayer, CircuitBreakerService};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// type BoxError = Box<dyn std::error::Error + Send + Sync>;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let echo = service_fn(|n: u32| async move { Ok::<_, BoxError>(n) });
/// let service: CircuitBreakerService<_, _, _> = CircuitBreakerLayer::new("service-doc").layer(echo);
/// assert_eq!(service.oneshot(7).await.unwrap(), 7);
/// assert_eq!(retry_runtime::breaker("service-doc").unwrap().counts().successful, 1);
/// # }
/// ```
pub struct CircuitBreakerService<S, C, R> {
    inner: S,
    shared: Arc<Shared<C, R>>,
}

/// What every call of one guarded service shares.
pub(crate) struct Shared<C, R> {
    pub(crate) site: BreakerSite,
    pub(crate) classifier: C,
    pub(crate) rejection: R,
}

impl<S, C, R> CircuitBreakerService<S, C, R> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unguarded.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, C, R> Clone for CircuitBreakerService<S, C, R> {
    fn clone(&self) -> Self {
        CircuitBreakerService {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: fmt::Debug, C, R> fmt::Debug for CircuitBreakerService<S, C, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CircuitBreakerService")
            .field("breaker", &self.shared.site)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, C, R, Request> Service<Request> for CircuitBreakerService<S, C, R>
where
    S: Service<Request>,
    C: BreakerClassifier<S::Response, S::Error>,
    R: Rejection<S::Response, S::Error>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, C, R>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.shared.site.breaker().try_acquire() {
            Ok(permit) => {
                ResponseFuture::admitted(Arc::clone(&self.shared), permit, self.inner.call(request))
            }
            Err(open) => ResponseFuture::rejected(self.shared.rejection.reject(open)),
        }
    }
}
