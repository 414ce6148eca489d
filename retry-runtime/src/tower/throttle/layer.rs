//! [`ThrottleLayer`]: a client-side throttle by name, applied to services.

use std::sync::Arc;

use tower_layer::Layer;

use super::ThrottleService;
use crate::__private::ThrottleSite;
use crate::ThrottleConfig;
use crate::tower::retry::policy::EveryError;

/// Throttles a client with the throttle registered under a name: the one
/// `#[throttle(name = "...")]` sites and [`throttle`](crate::throttle()) of that name use,
/// created at the first call if none has registered it yet.
///
/// `poll_ready` is the inner service's. `call` asks the throttle to admit the call: a rejected
/// call does not reach the inner service, and returns `Err(S::Error::from(Throttled))`
/// (tower's `Box<dyn Error + Send + Sync>` has that `From`). An admitted call is counted as
/// accepted when it returns `Ok`, until [`classify`](Self::classify) says otherwise. Calls
/// read tokio's clock, so paused test time applies.
///
/// ```
/// use retry_runtime::tower::ThrottleLayer;
/// use retry_runtime::{ThrottleConfig, Throttled};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// type BoxError = Box<dyn std::error::Error + Send + Sync>;
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let layer = ThrottleLayer::new("throttle-layer-doc").config(ThrottleConfig::DEFAULT);
/// let overloaded = layer.layer(service_fn(|_: ()| async { Err::<(), BoxError>("overloaded".into()) }));
/// let mut rejected = 0;
/// for _ in 0..100 {
///     if let Err(error) = overloaded.clone().oneshot(()).await {
///         rejected += usize::from(error.is::<Throttled>());
///     }
/// }
/// // Nothing was accepted, so after the first call or two nearly every call is rejected.
/// assert!(rejected > 80, "{rejected}");
/// assert_eq!(retry_runtime::throttle("throttle-layer-doc").unwrap().counts().rejected, rejected as u64);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct ThrottleLayer<C = EveryError> {
    name: &'static str,
    config: ThrottleConfig,
    classifier: C,
}

impl ThrottleLayer {
    /// The throttle named `name`, as it is registered (by a `#[throttle]` site, another layer,
    /// or [`register_throttle`](crate::register_throttle)), or a new one with
    /// [`ThrottleConfig::DEFAULT`] (or [`config`](Self::config)'s) at the first call if none is.
    ///
    /// ```
    /// use retry_runtime::tower::ThrottleLayer;
    ///
    /// let layer = ThrottleLayer::new("search");
    /// assert_eq!(layer.name(), "search");
    /// ```
    pub const fn new(name: &'static str) -> Self {
        ThrottleLayer {
            name,
            config: ThrottleConfig::DEFAULT,
            classifier: EveryError,
        }
    }
}

impl<C> ThrottleLayer<C> {
    /// Registers the throttle with `config` at the first call, if nothing registered that name
    /// before (otherwise the existing throttle keeps its settings and a warning names both, as
    /// for two attribute sites).
    #[must_use]
    pub const fn config(mut self, config: ThrottleConfig) -> Self {
        self.config = config;
        self
    }

    /// Says what the backend accepted with `classifier`: any
    /// `Fn(&Result<Response, Error>) -> bool`, or a
    /// [`ThrottleClassifier`](super::policy::ThrottleClassifier).
    ///
    /// ```
    /// use retry_runtime::tower::ThrottleLayer;
    ///
    /// // Only a refusal for load counts against the throttle; other errors mean it answered.
    /// let layer = ThrottleLayer::new("search").classify(|outcome: &Result<(), std::io::Error>| {
    ///     !matches!(outcome, Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused)
    /// });
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn classify<D>(self, classifier: D) -> ThrottleLayer<D> {
        ThrottleLayer {
            name: self.name,
            config: self.config,
            classifier,
        }
    }

    /// The throttle's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The settings it registers the throttle with.
    pub const fn throttle_config(&self) -> &ThrottleConfig {
        &self.config
    }
}

impl<S, C: Clone> Layer<S> for ThrottleLayer<C> {
    type Service = ThrottleService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        ThrottleService {
            inner,
            shared: Arc::new(super::Shared {
                site: ThrottleSite::new(self.name, self.config),
                classifier: self.classifier.clone(),
            }),
        }
    }
}
