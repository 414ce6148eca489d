//! reqwest-middleware (feature `reqwest-middleware`): [`RetryMiddleware`] and
//! [`CircuitBreakerMiddleware`] for `reqwest_middleware::ClientBuilder` (the peer is
//! reqwest-retry).
//!
//! Both run the machinery of the attributes, not a copy of it: the same engine, hints
//! (`retry-after-ms`, then `Retry-After`), [`RetryBudget`](crate::RetryBudget)s and breakers by
//! name, and the same events, so hooks, `tracing`, metrics and [`stats`](crate::stats) see a
//! middleware's calls under its name, and a middleware and a `#[circuit_breaker]` fn naming one
//! breaker share it. What fails is what [`is_transient`](crate::http::is_transient) and
//! [`is_transient_error`](crate::http::is_transient_error) say.
//!
//! ```no_run
//! use retry_runtime::reqwest_middleware::{CircuitBreakerMiddleware, RetryMiddleware};
//! use retry_runtime::RetryPolicy;
//!
//! # async fn run() -> Result<(), reqwest_middleware::Error> {
//! let client = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
//!     .with(RetryMiddleware::new("prices", RetryPolicy::DEFAULT).budget("api"))
//!     .with(CircuitBreakerMiddleware::new("prices"))
//!     .build();
//! let response = client.get("http://127.0.0.1:8080/price").send().await?;
//! # Ok(())
//! # }
//! ```

mod breaker;
mod retry;

pub use breaker::CircuitBreakerMiddleware;
pub use retry::RetryMiddleware;
