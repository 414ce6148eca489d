//! [`RetryLayer`]: a retry policy, a classifier and a budget name, applied to services.

use std::sync::Arc;

use tower_layer::Layer;

use super::headers::NoAttemptHeaders;
use super::policy::EveryError;
use super::{RetryService, Shared};
use crate::__private::RetrySite;
use crate::budget::site::BudgetSite;
use crate::retry::policy::RetryPolicy;

/// Retries a service's calls with a [`RetryPolicy`], as `#[retry]` retries a fn: the same
/// engine, budgets, hints and events, under the layer's `name`.
///
/// Each call clones the request for every attempt (`Request: Clone`, as tower's own retry
/// needs) and keeps a clone of the inner service for its retries (`S: Clone`), which it polls
/// ready before each retry. The policy's `attempt_timeout` cuts each attempt off (dropping it)
/// at `min(attempt_timeout, what is left of max_elapsed)`, as `#[retry]` does; a cut-off attempt
/// is a retryable failure, and the last one comes back as an
/// [`AttemptTimeout`](crate::AttemptTimeout). The service's error is therefore a
/// [`BoxError`](crate::tower::BoxError) (the inner error, boxed, or the timeout), as tower's own
/// `Timeout` makes it.
///
/// ```
/// use retry_runtime::RetryPolicy;
/// use retry_runtime::tower::RetryLayer;
/// use std::sync::Arc;
/// use std::sync::atomic::{AtomicU32, Ordering};
/// use tower::{Layer, ServiceExt, service_fn};
///
/// # #[tokio::main(flavor = "current_thread", start_paused = true)]
/// # async fn main() {
/// let calls = Arc::new(AtomicU32::new(0));
/// let counter = Arc::clone(&calls);
/// let flaky = service_fn(move |request: u32| {
///     let call = counter.fetch_add(1, Ordering::Relaxed) + 1;
///     async move { if call < 3 { Err("busy") } else { Ok(request * 10) } }
/// });
/// let service = RetryLayer::new("layer-doc", RetryPolicy::DEFAULT).layer(flaky);
/// assert_eq!(service.oneshot(4).await.unwrap(), 40);
/// assert_eq!(calls.load(Ordering::Relaxed), 3);
/// # }
/// ```
#[derive(Clone, Debug)]
pub struct RetryLayer<C = EveryError, H = NoAttemptHeaders> {
    name: &'static str,
    policy: RetryPolicy,
    budget: Option<&'static str>,
    classifier: C,
    headers: H,
}

impl RetryLayer {
    /// Retries with `policy`; `name` is what events, logs, metrics and
    /// [`stats`](crate::stats) call the layer (and what a `config` override names). Every `Err`
    /// is retried and every `Ok` is a success until [`classify`](Self::classify) says otherwise.
    ///
    /// ```
    /// use retry_runtime::{Jitter, RetryPolicy};
    /// use retry_runtime::tower::RetryLayer;
    ///
    /// let policy = RetryPolicy::builder().max_attempts(5).jitter(Jitter::Equal).build()?;
    /// let layer = RetryLayer::new("payments", policy);
    /// assert_eq!(layer.policy().max_attempts(), 5);
    /// # Ok::<(), retry_runtime::PolicyError>(())
    /// ```
    pub const fn new(name: &'static str, policy: RetryPolicy) -> Self {
        RetryLayer {
            name,
            policy,
            budget: None,
            classifier: EveryError,
            headers: NoAttemptHeaders,
        }
    }
}

impl<C, H> RetryLayer<C, H> {
    /// Pays for retries from the [`RetryBudget`](crate::RetryBudget) named `name`, the one
    /// `#[retry(budget = "...")]` sites of that name use: each call deposits its share, each
    /// retry withdraws a token, and an empty budget returns the failure at once (the event says
    /// `out_of_budget`). A budget not yet registered is created with
    /// [`BudgetConfig::DEFAULT`](crate::BudgetConfig::DEFAULT).
    ///
    /// ```
    /// use retry_runtime::RetryPolicy;
    /// use retry_runtime::tower::RetryLayer;
    ///
    /// let layer = RetryLayer::new("search", RetryPolicy::DEFAULT).budget("api");
    /// assert_eq!(layer.budget_name(), Some("api"));
    /// ```
    #[must_use]
    pub const fn budget(mut self, name: &'static str) -> Self {
        self.budget = Some(name);
        self
    }

    /// Decides what each attempt's outcome means with `classifier`: any
    /// `Fn(&Result<Response, Error>) -> RetryOutcome`, or a
    /// [`RetryClassifier`](super::policy::RetryClassifier) such as
    /// `TransientResponses` (feature `http`).
    ///
    /// ```
    /// use retry_runtime::tower::{RetryLayer, RetryOutcome};
    /// use retry_runtime::{RetryHint, RetryPolicy};
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// // A 404 is an answer: give it back at once.
    /// let layer = RetryLayer::new("classify-doc", RetryPolicy::DEFAULT).classify(
    ///     |outcome: &Result<u16, std::io::Error>| match outcome {
    ///         Ok(404) => RetryOutcome::NotRetryable,
    ///         Ok(_) => RetryOutcome::Success,
    ///         Err(_) => RetryOutcome::Retryable(RetryHint::FollowPolicy),
    ///     },
    /// );
    /// let service = layer.layer(service_fn(|_: ()| async { Ok::<u16, std::io::Error>(404) }));
    /// assert_eq!(service.oneshot(()).await.unwrap(), 404);
    /// # }
    /// ```
    #[must_use]
    pub fn classify<D>(self, classifier: D) -> RetryLayer<D, H> {
        RetryLayer {
            name: self.name,
            policy: self.policy,
            budget: self.budget,
            classifier,
            headers: self.headers,
        }
    }

    /// Writes the time left before the deadline in force into each attempt's request as
    /// `grpc-timeout` (gRPC's format), so a callee behind a
    /// [`DeadlineLayer`](crate::tower::DeadlineLayer) stops working when this caller stops
    /// waiting (feature `http`, for `http::Request`s). The deadline is the sooner of the one in
    /// force around the call ([`context`](crate::context)) and the policy's `max_elapsed`.
    ///
    /// ```
    /// use std::time::Duration;
    /// use retry_runtime::{RetryPolicy, context};
    /// use retry_runtime::tower::{RetryLayer, grpc_timeout};
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let callee = service_fn(|request: http::Request<()>| async move {
    ///     Ok::<_, std::io::Error>(grpc_timeout(request.headers()))
    /// });
    /// let client = RetryLayer::new("propagate-doc", RetryPolicy::DEFAULT)
    ///     .propagate_deadline()
    ///     .layer(callee);
    /// let told = context::with_deadline(Duration::from_millis(300), client.oneshot(http::Request::new(())))
    ///     .await
    ///     .unwrap();
    /// assert_eq!(told, Some(Duration::from_millis(300)));
    /// # }
    /// ```
    #[cfg(feature = "http")]
    #[must_use]
    pub fn propagate_deadline(self) -> RetryLayer<C, super::headers::HttpAttemptHeaders> {
        RetryLayer {
            name: self.name,
            policy: self.policy,
            budget: self.budget,
            classifier: self.classifier,
            headers: super::headers::HttpAttemptHeaders::default(),
        }
    }

    /// As [`propagate_deadline`](Self::propagate_deadline), and writes the attempt number (1,
    /// then 2 on the first retry, ...) into each attempt's request under the header `name`, as
    /// AWS SDKs send `amz-sdk-request` (feature `http`). A `name` that is not a valid header
    /// name is reported (a WARN, once, when the layer is made) and no attempt header is written.
    ///
    /// ```
    /// use retry_runtime::RetryPolicy;
    /// use retry_runtime::tower::RetryLayer;
    /// use tower::{Layer, ServiceExt, service_fn};
    ///
    /// # #[tokio::main(flavor = "current_thread", start_paused = true)]
    /// # async fn main() {
    /// let callee = service_fn(|request: http::Request<()>| async move {
    ///     let attempt = request.headers()["x-attempt"].to_str().unwrap().to_owned();
    ///     if attempt == "1" { Err("busy") } else { Ok(attempt) }
    /// });
    /// let policy = RetryPolicy::builder().delay(std::time::Duration::ZERO).build().unwrap();
    /// let client = RetryLayer::new("attempt-header-doc", policy)
    ///     .attempt_header("x-attempt")
    ///     .layer(callee);
    /// assert_eq!(client.oneshot(http::Request::new(())).await.unwrap(), "2");
    /// # }
    /// ```
    #[cfg(feature = "http")]
    #[must_use]
    pub fn attempt_header(self, name: &str) -> RetryLayer<C, super::headers::HttpAttemptHeaders> {
        let attempt = match http::HeaderName::from_bytes(name.as_bytes()) {
            Ok(header) => Some(header),
            Err(error) => {
                tracing::warn!(
                    target: crate::TRACING_TARGET,
                    name = self.name,
                    header = name,
                    %error,
                    "not a valid header name; this retry layer writes no attempt header"
                );
                None
            }
        };
        let mut layer = self.propagate_deadline();
        layer.headers.attempt = attempt;
        layer
    }

    /// The name events use.
    pub const fn name(&self) -> &'static str {
        self.name
    }

    /// The compiled-in policy (a `config` override, when installed, applies on top of it).
    pub const fn policy(&self) -> &RetryPolicy {
        &self.policy
    }

    /// The retry budget's name, if one was given.
    pub const fn budget_name(&self) -> Option<&'static str> {
        self.budget
    }
}

impl<S, C: Clone, H: Clone> Layer<S> for RetryLayer<C, H> {
    type Service = RetryService<S, C, H>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            shared: Arc::new(Shared {
                site: RetrySite::new(self.name, self.policy),
                budget: self.budget.map(BudgetSite::new),
                classifier: self.classifier.clone(),
                headers: self.headers.clone(),
            }),
        }
    }
}
