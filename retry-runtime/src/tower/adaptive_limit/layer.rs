//! [`AdaptiveLimitLayer`]: an adaptive limiter by name, applied to services.

use std::sync::Arc;

use tower_layer::Layer;

use super::AdaptiveLimitService;
use crate::__private::AdaptiveLimitSite;
use crate::AdaptiveLimitConfig;

/// Sends a service's calls through the adaptive limiter registered under a name: the one
/// `#[adaptive_limit(name = "...")]` sites and [`adaptive_limiter`](crate::adaptive_limiter())
/// of that name use, created at the first call if none has registered it yet.
///
/// `poll_ready` is the inner service's. `call` takes a slot if the limit allows: a call over
/// it does not reach the inner service and returns `Err(S::Error::from(LimitExceeded))` at once
/// (a layer does not wait; put a retry or a buffer outside it for that). An admitted call's
/// latency, until its response future resolves, is a sample; a response future dropped before
/// then frees the slot without one.
///
/// ```
/// use retry_runtime::tower::AdaptiveLimitLayer;
/// use retry_runtime::{AdaptiveLimitConfig, LimitExceeded};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// type BoxError = Box<dyn std::error::Error + Send + Sync>;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), retry_runtime::AdaptiveLimitConfigError> {
/// let config = AdaptiveLimitConfig::builder().initial_limit(1).build()?;
/// let layer = AdaptiveLimitLayer::new("adaptive-layer-doc").config(config);
/// let service = layer.layer(service_fn(|n: u32| async move { Ok::<_, BoxError>(n * 2) }));
/// assert_eq!(service.clone().oneshot(21).await.unwrap(), 42);
/// let limiter = retry_runtime::adaptive_limiter("adaptive-layer-doc").unwrap();
/// assert_eq!((limiter.limit(), limiter.counts().completed), (1, 1));
/// # let _ = std::marker::PhantomData::<LimitExceeded>;
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Copy, Debug)]
pub struct AdaptiveLimitLayer {
    name: &'static str,
    config: Option<AdaptiveLimitConfig>,
}

impl AdaptiveLimitLayer {
    /// The limiter named `name`, as it is registered (by an `#[adaptive_limit]` site, another
    /// layer, or [`register_adaptive_limiter`](crate::register_adaptive_limiter)), or a new one
    /// with [`AdaptiveLimitConfig::DEFAULT`] at the first call if none is.
    pub const fn new(name: &'static str) -> Self {
        AdaptiveLimitLayer { name, config: None }
    }

    /// Registers the limiter with `config` at the first call, if nothing registered that name
    /// before (otherwise the existing limiter keeps its settings and a warning names both, as
    /// for two attribute sites).
    #[must_use]
    pub const fn config(mut self, config: AdaptiveLimitConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// The limiter's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }
}

impl<S> Layer<S> for AdaptiveLimitLayer {
    type Service = AdaptiveLimitService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        let site = match self.config {
            Some(config) => AdaptiveLimitSite::new(self.name, config),
            None => AdaptiveLimitSite::untuned(self.name),
        };
        AdaptiveLimitService {
            inner,
            site: Arc::new(site),
        }
    }
}
