//! [`CircuitBreakerLayer`]: a breaker by name, applied to services.

use std::sync::Arc;

use tower_layer::Layer;

use super::CircuitBreakerService;
use super::policy::{RejectWithError, RespondWith};
use crate::__private::BreakerSite;
use crate::BreakerConfig;
use crate::breaker::CircuitOpen;
use crate::tower::retry::policy::EveryError;

/// Guards a service with the circuit breaker registered under a name: the one
/// `#[circuit_breaker(name = "...")]` sites and [`breaker`](crate::breaker) of that name use,
/// created at the first call if none has registered it yet.
///
/// `poll_ready` is the inner service's. `call` asks the breaker for a permit: a rejected call
/// does not reach the inner service, and returns `Err(S::Error::from(CircuitOpen))` (clients),
/// or what [`on_rejection`](Self::on_rejection)'s fn makes of it (servers). An admitted call's
/// outcome is counted as a success or a failure (every `Err` a failure, until
/// [`classify`](Self::classify) says otherwise), and a response future dropped before it
/// finishes counts as cancelled (the client went away, which says nothing of the service).
///
/// ```
/// use retry_runtime::tower::CircuitBreakerLayer;
/// use retry_runtime::{BreakerConfig, BreakerState, CircuitOpen};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// type BoxError = Box<dyn std::error::Error + Send + Sync>;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), retry_runtime::BreakerConfigError> {
/// let config = BreakerConfig::builder().failure_threshold(2).build()?;
/// let layer = CircuitBreakerLayer::new("breaker-layer-doc").config(config);
/// let failing = layer.layer(service_fn(|_: ()| async { Err::<(), BoxError>("down".into()) }));
/// for _ in 0..2 {
///     assert!(failing.clone().oneshot(()).await.is_err());
/// }
/// assert_eq!(retry_runtime::breaker("breaker-layer-doc").unwrap().state(), BreakerState::Open);
/// let rejected = failing.oneshot(()).await.unwrap_err();
/// assert!(rejected.is::<CircuitOpen>());
/// # Ok(())
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct CircuitBreakerLayer<C = EveryError, R = RejectWithError> {
    name: &'static str,
    config: Option<BreakerConfig>,
    classifier: C,
    rejection: R,
}

impl CircuitBreakerLayer {
    /// The breaker named `name`, as it is registered (by a `#[circuit_breaker]` site, another
    /// layer, or [`register_breaker`](crate::register_breaker)), or a new one with
    /// [`BreakerConfig::DEFAULT`] at the first call if none is.
    ///
    /// ```
    /// use retry_runtime::tower::CircuitBreakerLayer;
    ///
    /// let layer = CircuitBreakerLayer::new("inventory");
    /// assert_eq!(layer.name(), "inventory");
    /// ```
    pub const fn new(name: &'static str) -> Self {
        CircuitBreakerLayer {
            name,
            config: None,
            classifier: EveryError,
            rejection: RejectWithError,
        }
    }
}

impl<C, R> CircuitBreakerLayer<C, R> {
    /// Registers the breaker with `config` at the first call, if nothing registered that name
    /// before (otherwise the existing breaker keeps its settings and a warning names both, as
    /// for two attribute sites).
    ///
    /// ```
    /// use retry_runtime::BreakerConfig;
    /// use retry_runtime::tower::CircuitBreakerLayer;
    ///
    /// let config = BreakerConfig::builder().failure_threshold(3).build()?;
    /// let layer = CircuitBreakerLayer::new("inventory").config(config);
    /// assert_eq!(layer.breaker_config(), Some(&config));
    /// # Ok::<(), retry_runtime::BreakerConfigError>(())
    /// ```
    #[must_use]
    pub const fn config(mut self, config: BreakerConfig) -> Self {
        self.config = Some(config);
        self
    }

    /// Counts outcomes with `classifier`: any `Fn(&Result<Response, Error>) -> CallOutcome`,
    /// or a [`BreakerClassifier`](super::policy::BreakerClassifier) such as
    /// `ServerErrors` (feature `http`).
    ///
    /// ```
    /// use retry_runtime::tower::{CallOutcome, CircuitBreakerLayer};
    ///
    /// // Only errors the service reports as outages count.
    /// let layer = CircuitBreakerLayer::new("search").classify(|outcome: &Result<(), std::io::Error>| {
    ///     match outcome {
    ///         Err(error) if error.kind() == std::io::ErrorKind::ConnectionRefused => CallOutcome::Failure,
    ///         Err(_) => CallOutcome::Ignored,
    ///         Ok(()) => CallOutcome::Success,
    ///     }
    /// });
    /// # let _ = layer;
    /// ```
    #[must_use]
    pub fn classify<D>(self, classifier: D) -> CircuitBreakerLayer<D, R> {
        CircuitBreakerLayer {
            name: self.name,
            config: self.config,
            classifier,
            rejection: self.rejection,
        }
    }

    /// Answers rejected calls with `respond(open)` instead of an error: for servers, whose
    /// error type is often `Infallible`. With feature `http`,
    /// `service_unavailable` answers 503 with
    /// `Retry-After`.
    ///
    /// ```
    /// use std::convert::Infallible;
    /// use retry_runtime::tower::CircuitBreakerLayer;
    /// use retry_runtime::CircuitOpen;
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() {
    /// let layer = CircuitBreakerLayer::new("on-rejection-doc")
    ///     .on_rejection(|open: CircuitOpen| format!("busy: {open}"));
    /// let handler = layer.layer(service_fn(|_: ()| async { Ok::<_, Infallible>("done".to_string()) }));
    /// assert_eq!(handler.clone().oneshot(()).await.unwrap(), "done");
    /// retry_runtime::breaker("on-rejection-doc").unwrap().force_open();
    /// let answer = handler.oneshot(()).await.unwrap();
    /// assert!(answer.starts_with("busy: circuit breaker `on-rejection-doc`"));
    /// # }
    /// ```
    #[must_use]
    pub fn on_rejection<F, Response>(self, respond: F) -> CircuitBreakerLayer<C, RespondWith<F>>
    where
        F: Fn(CircuitOpen) -> Response,
    {
        CircuitBreakerLayer {
            name: self.name,
            config: self.config,
            classifier: self.classifier,
            rejection: RespondWith(respond),
        }
    }

    /// The breaker's name.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The settings given with [`config`](Self::config), if any.
    pub const fn breaker_config(&self) -> Option<&BreakerConfig> {
        self.config.as_ref()
    }
}

impl<S, C: Clone, R: Clone> Layer<S> for CircuitBreakerLayer<C, R> {
    type Service = CircuitBreakerService<S, C, R>;

    fn layer(&self, inner: S) -> Self::Service {
        let site = match self.config {
            Some(config) => BreakerSite::new(self.name, config),
            None => BreakerSite::untuned(self.name),
        };
        CircuitBreakerService {
            inner,
            shared: Arc::new(super::Shared {
                site,
                classifier: self.classifier.clone(),
                rejection: self.rejection.clone(),
            }),
        }
    }
}
