//! Tower middleware (feature `tower`): [`RetryLayer`], [`CircuitBreakerLayer`] and
//! [`ThrottleLayer`], for tower clients (hyper-util, tonic, reqwest's tower stack) and for axum,
//! hyper and tonic servers.
//! [`AdaptiveLimitLayer`], for tower clients (hyper-util, tonic, reqwest's tower stack) and for
//! axum, hyper and tonic servers.
//!
//! Both run the machinery of the attributes, not a copy of it:
//!
//! - [`RetryLayer`] decides with the same engine as `#[retry]` ([`RetryState`](crate::RetryState),
//!   the same [`RetryPolicy`](crate::RetryPolicy), hints and
//!   [`RetryBudget`](crate::RetryBudget)s by name), sleeps with tokio (so paused test time
//!   applies), and reports the same events under its name: hooks, `tracing`, metrics and
//!   [`stats`](crate::stats) see a layer's retries as they see a site's.
//! - [`CircuitBreakerLayer`] guards a service with the breaker registered under its name
//!   ([`breaker`](crate::breaker)), so a `#[circuit_breaker(name = "db")]` fn and a layer named
//!   `"db"` trip, reject and recover together.
//! - [`ThrottleLayer`] throttles a client with the throttle registered under its name
//!   ([`throttle`](crate::throttle())), shared the same way with `#[throttle]` sites.
//!
//! ```
//! use retry_runtime::RetryPolicy;
//! use retry_runtime::tower::{CircuitBreakerLayer, RetryLayer};
//! use tower::{ServiceBuilder, ServiceExt, service_fn};
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() -> Result<(), Box<dyn std::error::Error + Send + Sync>> {
//! let client = ServiceBuilder::new()
//!     .layer(RetryLayer::new("module-doc", RetryPolicy::DEFAULT))
//!     .layer(CircuitBreakerLayer::new("module-doc"))
//!     .service(service_fn(|name: &'static str| async move {
//!         Ok::<_, Box<dyn std::error::Error + Send + Sync>>(format!("hello, {name}"))
//!     }));
//! assert_eq!(client.oneshot("tower").await?, "hello, tower");
//! # Ok(())
//! # }
//! ```
//!
//! Futures: the inner service's future is pinned in one `Box` per call (reused by every
//! attempt of that call), since pinning it in place inside a named future would need
//! `unsafe` code, which this crate forbids. The response futures are named types, `Send`
//! whenever the service's future, the request and the classifier are.

mod adaptive_limit;
mod breaker;
#[cfg(feature = "http")]
mod deadline;
mod retry;
mod throttle;

/// The error of a [`RetryService`]: the inner service's error, or the
/// [`AttemptTimeout`](crate::AttemptTimeout) of an attempt cut off by the policy's
/// `attempt_timeout`, boxed. The same type as `tower::BoxError`, which tower's own middleware
/// that fails on its own (`Timeout`, `Buffer`, `LoadShed`) returns; find the timeout with
/// `error.is::<AttemptTimeout>()`.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

pub use adaptive_limit::AdaptiveLimitService;
pub use adaptive_limit::future::ResponseFuture as AdaptiveLimitResponseFuture;
pub use adaptive_limit::layer::AdaptiveLimitLayer;
pub use breaker::CircuitBreakerService;
pub use breaker::future::ResponseFuture as BreakerResponseFuture;
pub use breaker::layer::CircuitBreakerLayer;
pub use breaker::policy::{
    BreakerClassifier, CallOutcome, RejectWithError, Rejection, RespondWith,
};
#[cfg(feature = "http")]
pub use breaker::policy::{ServerErrors, service_unavailable};
#[cfg(feature = "http")]
pub use deadline::{
    DeadlineFuture, DeadlineLayer, DeadlineService, GRPC_TIMEOUT, grpc_timeout, grpc_timeout_value,
};
pub use retry::RetryService;
pub use retry::future::ResponseFuture as RetryResponseFuture;
#[cfg(feature = "http")]
pub use retry::headers::HttpAttemptHeaders;
pub use retry::headers::{AttemptHeaders, NoAttemptHeaders};
pub use retry::layer::RetryLayer;
#[cfg(feature = "http")]
pub use retry::policy::TransientResponses;
pub use retry::policy::{EveryError, RetryClassifier, RetryOutcome};
pub use throttle::ThrottleService;
pub use throttle::future::ResponseFuture as ThrottleResponseFuture;
pub use throttle::layer::ThrottleLayer;
pub use throttle::policy::ThrottleClassifier;
