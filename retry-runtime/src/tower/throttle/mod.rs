//! [`ThrottleService`]: a service behind a named client-side throttle (see
//! [`ThrottleLayer`](layer::ThrottleLayer)).

pub(crate) mod future;
pub(crate) mod layer;
pub(crate) mod policy;

use std::fmt;
use std::sync::Arc;
use std::task::{Context, Poll};

use tower_service::Service;

use self::future::ResponseFuture;
use self::policy::ThrottleClassifier;
use crate::__private::ThrottleSite;
use crate::TokioSleeper;
use crate::throttle::Throttled;

/// A service behind a named throttle; made by [`ThrottleLayer`](layer::ThrottleLayer).
///
/// ```
/// use retry_runtime::tower::{ThrottleLayer, ThrottleService};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// type BoxError = Box<dyn std::error::Error + Send + Sync>;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() {
/// let echo = service_fn(|n: u32| async move { Ok::<_, BoxError>(n) });
/// let service: ThrottleService<_, _> = ThrottleLayer::new("throttle-service-doc").layer(echo);
/// assert_eq!(service.oneshot(7).await.unwrap(), 7);
/// assert_eq!(retry_runtime::throttle("throttle-service-doc").unwrap().counts().accepts, 1);
/// # }
/// ```
pub struct ThrottleService<S, C> {
    inner: S,
    shared: Arc<Shared<C>>,
}

/// What every call of one throttled service shares.
pub(crate) struct Shared<C> {
    pub(crate) site: ThrottleSite,
    pub(crate) classifier: C,
}

impl<S, C> ThrottleService<S, C> {
    /// The inner service.
    pub fn get_ref(&self) -> &S {
        &self.inner
    }

    /// The inner service, mutably.
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.inner
    }

    /// The inner service, unthrottled.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

impl<S: Clone, C> Clone for ThrottleService<S, C> {
    fn clone(&self) -> Self {
        ThrottleService {
            inner: self.inner.clone(),
            shared: Arc::clone(&self.shared),
        }
    }
}

impl<S: fmt::Debug, C> fmt::Debug for ThrottleService<S, C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ThrottleService")
            .field("throttle", &self.shared.site)
            .field("inner", &self.inner)
            .finish_non_exhaustive()
    }
}

impl<S, C, Request> Service<Request> for ThrottleService<S, C>
where
    S: Service<Request>,
    S::Error: From<Throttled>,
    C: ThrottleClassifier<S::Response, S::Error>,
{
    type Response = S::Response;
    type Error = S::Error;
    type Future = ResponseFuture<S::Future, C>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request) -> Self::Future {
        match self.shared.site.admit::<TokioSleeper>() {
            Ok(permit) => {
                ResponseFuture::admitted(Arc::clone(&self.shared), permit, self.inner.call(request))
            }
            Err(throttled) => ResponseFuture::rejected(Err(S::Error::from(throttled))),
        }
    }
}
