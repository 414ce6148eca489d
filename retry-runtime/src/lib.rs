//! Retries with backoff and jitter for any fn, sync or async, with one attribute.
//!
//! ```
//! use retry_runtime::retry;
//!
//! #[derive(Debug)]
//! enum StoreError {
//!     Timeout,
//!     NotFound,
//! }
//!
//! struct Store {
//!     calls: u32,
//! }
//!
//! impl Store {
//!     /// Times out twice, then answers.
//!     #[retry(max_attempts = 3, backoff = "exponential", jitter = "full", on = [Timeout])]
//!     async fn fetch(&mut self, key: &str) -> Result<String, StoreError> {
//!         self.calls += 1;
//!         if self.calls < 3 { Err(StoreError::Timeout) } else { Ok(format!("value of {key}")) }
//!     }
//! }
//!
//! # #[tokio::main(flavor = "current_thread", start_paused = true)]
//! # async fn main() {
//! let mut store = Store { calls: 0 };
//! assert_eq!(store.fetch("k").await.unwrap(), "value of k");
//! assert_eq!(store.calls, 3);
//! # }
//! ```
//!
//! - [`retry`] rewrites a fn's body into a retry loop; its documentation lists every key.
//! - [`RetryPolicy`] holds the numbers: presets, a `const` builder, validation.
//! - [`Backoff`] and [`Jitter`] are the delay math, [`RetryHint`] what an error can say about
//!   being retried, [`RetryState`] the decision engine for hand-written loops.
//! - [`RetryPolicy::retry`] and [`RetryPolicy::retry_async`] retry a closure without the attribute.
//! - [`circuit_breaker`] guards a fn with a named, lock-free [`CircuitBreaker`]; [`breaker`]
//!   finds one by name.
//! - [`RetryBudget`]s cap retries at a share of calls (`#[retry(budget = "api")]`).
//! - [`bulkhead`](macro@bulkhead) caps the calls running at once, [`rate_limit`](macro@rate_limit)
//!   the calls started per second, and [`hedge`](macro@hedge) starts another attempt beside a slow
//!   one; each names a shared [`Bulkhead`], [`RateLimiter`] or [`Hedge`]. Stacked, they apply in
//!   the order written.
//! - [`chaos`](macro@chaos) injects faults and latency where the real ones happen, inert until
//!   its name is configured (at run time through [`chaos`](fn@chaos), or from a config file or
//!   the environment), to rehearse the other strategies.
//! - [`throttle`](macro@throttle) rejects calls locally while the backend accepts too few of
//!   them (the SRE book's client-side throttling), through a shared [`Throttle`].
//! - [`adaptive_limit`](macro@adaptive_limit) caps the calls running at once with a limit it
//!   finds from their latencies (Vegas, Gradient2 or AIMD), as a named [`AdaptiveLimiter`].
//! - [`hooks`] deliver every event; [`stats`] turns them into snapshots for tests; `tracing`
//!   events go to the target [`TRACING_TARGET`].
//! - [`testing`] makes sync retries instant and jitter reproducible in tests.
//!
//! Features: `macros` (default) re-exports the attributes; `tokio` (default) makes async fns sleep
//! with `tokio::time::sleep` (without it, name an [`AsyncSleeper`] with `sleeper = ...`);
//! `metrics` reports through the `metrics` facade with resilience4j's names; `config` overrides
//! compiled-in settings from files and the environment; `persist` keeps breaker state across
//! restarts; `http` reads `Retry-After` and transient statuses; `reqwest` makes
//! `reqwest::Response` and `reqwest::Error` work with them; `tower` adds
// Links only to what the enabled features build, so `cargo doc` with any features resolves them.
#![cfg_attr(
    feature = "tower",
    doc = "[`RetryLayer`](tower::RetryLayer), [`CircuitBreakerLayer`](tower::CircuitBreakerLayer) and [`AdaptiveLimitLayer`](tower::AdaptiveLimitLayer);"
)]
#![cfg_attr(
    not(feature = "tower"),
    doc = "`tower::RetryLayer`, `tower::CircuitBreakerLayer` and `tower::AdaptiveLimitLayer`;"
)]
#![cfg_attr(
    feature = "redis",
    doc = "`redis` shares breakers, retry budgets and rate limits across processes ([`fleet`]), and `redis-tls` links to it over TLS (`rediss://`)."
)]
#![cfg_attr(
    not(feature = "redis"),
    doc = "`redis` shares breakers, retry budgets and rate limits across processes (`fleet`), and `redis-tls` links to it over TLS (`rediss://`)."
)]
//!
//! # How the crate is built
//!
//! One folder per strategy (`retry`, `breaker`, `budget`, `bulkhead`, `rate_limit`, `hedge`,
//! `chaos`, `throttle`, `adaptive_limit`), each with the same parts: the strategy's type and
//! state, a `registry` of instances by name and test scope (one generic registry for all), an
//! override slot the `config` feature fills, and a `site`, the `static` an attribute's expansion
//! creates and reaches through `__private`. Events go out through one stream that the log,
//! metrics, hooks and stats subscribe to. The optional features (`config`, `persist`, `fleet`,
//! `tower`, `http`) register themselves with that core, which never imports them.

mod adaptive_limit;
mod breaker;
mod breaker_state;
mod budget;
mod bulkhead;
mod chaos;
mod events;
mod failure;
mod hedge;
mod hint;
mod named;
mod rate_limit;
mod retry;
mod rng;
mod scope;
mod sleep;
mod step;
mod throttle;
mod timeout;

#[cfg(feature = "config")]
pub mod config;
pub mod context;
pub use events::hooks;
#[cfg(feature = "redis")]
pub mod fleet;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "metrics")]
pub use events::metrics;
#[cfg(feature = "persist")]
pub mod persist;
#[cfg(feature = "reqwest-middleware")]
pub mod reqwest_middleware;
pub mod returned_value;
pub mod stats;
pub mod testing;
#[cfg(feature = "tower")]
pub mod tower;

#[doc(hidden)]
#[path = "private.rs"]
pub mod __private;
// The conversions a rejection or a timeout needs, and `on_result`'s judge, also at the root so that rustc names them by
// their bare name in a missing-impl error (never by a path into `__private`).
#[doc(hidden)]
pub use __private::{FromRejection, JudgesValue, judge_value};

pub use adaptive_limit::registry::{adaptive_limiter, register_adaptive_limiter};
pub use adaptive_limit::{AdaptiveLimitCounts, AdaptiveLimiter, AdaptivePermit, LimitExceeded};
pub use breaker::clock::BreakerClock;
pub use breaker::registry::{breaker, breakers_snapshot, register_breaker};
pub use breaker::state::BreakerState;
pub use breaker::{BreakerCounts, CircuitBreaker, CircuitOpen, Permit};
pub use budget::{
    BudgetConfig, BudgetCounts, MAX_TOKENS, MIN_SHARE, RESERVE_WINDOW, RetryBudget, budget,
    register_budget,
};
pub use bulkhead::registry::{bulkhead, register_bulkhead};
pub use bulkhead::{Bulkhead, BulkheadCounts, BulkheadFull, BulkheadPermit};
pub use chaos::registry::chaos;
pub use chaos::{Chaos, ChaosCounts, InjectedFault};
pub use context::DeadlineExceeded;
pub use events::log::WARN_INTERVAL;
pub use events::{ChaosKind, ErrorText, HedgeOutcome, Source, TRACING_TARGET};
pub use failure::Failure;
pub use hedge::registry::{hedge, register_hedge};
pub use hedge::{Hedge, HedgeCounts};
pub use hint::{ProvidesRetryHint, RetryHint};
pub use rate_limit::registry::{rate_limiter, register_rate_limiter};
pub use rate_limit::{RateLimitCounts, RateLimited, RateLimiter};
pub use retry::engine::{RetryState, Stopwatch, WithoutBudget};
pub use retry::policy::{RetryPolicy, RetryPolicyBuilder};
#[cfg(feature = "tokio")]
pub use sleep::TokioSleeper;
pub use sleep::{AsyncSleeper, PausedTime};
pub use step::{Step, StopReason};
pub use throttle::registry::{register_throttle, throttle};
pub use throttle::{Throttle, ThrottleCounts, ThrottlePermit, Throttled};
pub use timeout::{AttemptTimeout, CallTimeout};

// The settings model (values, bounds, checks, the delay math), shared with the attributes'
// compile-time validation through the `retry-settings` crate.
#[doc(inline)]
pub use retry_settings::{
    ALGORITHM_NAMES, AdaptiveLimitConfig, AdaptiveLimitConfigBuilder, AdaptiveLimitConfigError,
    Backoff, BreakerConfig, BreakerConfigBuilder, BreakerConfigError, BulkheadConfig,
    BulkheadConfigError, ChaosConfig, ChaosConfigBuilder, ChaosConfigError, CustomBackoff,
    DEFAULT_HEDGE_FLOOR, HedgeConfig, HedgeConfigError, HedgeDelay, Jitter, LimitAlgorithm,
    MAX_BURST, MAX_CHAOS_LATENCY, MAX_CONCURRENT, MAX_HALF_OPEN_CALLS, MAX_HEDGE_AFTER, MAX_HEDGES,
    MAX_LIMIT, MAX_PER_SECOND, MAX_WAIT, MAX_WINDOW, PolicyError, RateLimitConfig,
    RateLimitConfigError,
};
#[doc(inline)]
pub use retry_settings::{ThrottleConfig, ThrottleConfigBuilder, ThrottleConfigError};

#[cfg(feature = "macros")]
#[doc(inline)]
#[doc = include_str!("../docs/retry.md")]
pub use retry_macros::retry;

#[cfg(feature = "macros")]
#[doc(inline)]
#[doc = include_str!("../docs/circuit_breaker.md")]
pub use retry_macros::circuit_breaker;

#[cfg(feature = "macros")]
#[doc(inline)]
#[doc = include_str!("../docs/bulkhead.md")]
pub use retry_macros::bulkhead;

#[cfg(feature = "macros")]
#[doc(inline)]
#[doc = include_str!("../docs/rate_limit.md")]
pub use retry_macros::rate_limit;

#[cfg(feature = "macros")]
#[doc(inline)]
#[doc = include_str!("../docs/hedge.md")]
pub use retry_macros::hedge;

#[cfg(feature = "macros")]
#[doc(inline)]
#[doc = include_str!("../docs/adaptive_limit.md")]
pub use retry_macros::adaptive_limit;

#[cfg(feature = "macros")]
#[doc(inline)]
#[doc = include_str!("../docs/chaos.md")]
pub use retry_macros::chaos;

#[cfg(feature = "macros")]
#[doc(inline)]
#[doc = include_str!("../docs/throttle.md")]
pub use retry_macros::throttle;
