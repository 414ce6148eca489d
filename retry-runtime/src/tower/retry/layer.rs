//! [`RetryLayer`]: a retry policy, a classifier and a budget name, applied to services.

use std::sync::Arc;

use tower_layer::Layer;

use super::policy::EveryError;
use super::{RetryService, Shared};
use crate::__private::RetrySite;
use crate::budget::BudgetSite;
use crate::policy::RetryPolicy;

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
pub struct RetryLayer<C = EveryError> {
    name: &'static str,
    policy: RetryPolicy,
    budget: Option<&'static str>,
    classifier: C,
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
        }
    }
}

impl<C> RetryLayer<C> {
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
    pub fn classify<D>(self, classifier: D) -> RetryLayer<D> {
        RetryLayer {
            name: self.name,
            policy: self.policy,
            budget: self.budget,
            classifier,
        }
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

impl<S, C: Clone> Layer<S> for RetryLayer<C> {
    type Service = RetryService<S, C>;

    fn layer(&self, inner: S) -> Self::Service {
        RetryService {
            inner,
            shared: Arc::new(Shared {
                site: RetrySite::new(self.name, self.policy),
                budget: self.budget.map(BudgetSite::new),
                classifier: self.classifier.clone(),
            }),
        }
    }
}
