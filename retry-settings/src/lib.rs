//! The settings model behind `retry-runtime`, in one place: what `#[retry]` and
//! `#[circuit_breaker]` check at compile time is what the runtime's builders and its config
//! loader check at run time, because they all call this crate (the way `sqlx-core` serves both
//! `sqlx-macros` and `sqlx`). Use it through `retry-runtime`, which re-exports these types at
//! its root (its `RetryPolicy` and `RetryPolicyBuilder` wrap this crate's, adding retrying a
//! closure); this crate has no dependencies beyond std, so the proc-macro crate can link it.
//!
//! - [`RetryPolicy`], [`BreakerConfig`], [`BulkheadConfig`] and [`RateLimitConfig`], their
//!   presets, and their builders, which check every value and report each invalid one with its
//!   key, its value and the fix ([`PolicyError`], [`BreakerConfigError`],
//!   [`BulkheadConfigError`], [`RateLimitConfigError`]).
//! - [`max_wait`] and [`MAX_WAIT`]: how long a bulkhead's or rate limiter's call may wait, which
//!   each site sets for itself.
//! - [`Backoff`] and [`Jitter`]: the delay math. The random draw jitter needs is the caller's.
//! - [`BACKOFF_NAMES`] and [`JITTER_NAMES`]: the names the attributes and configuration files
//!   use for them.
//! - [`RETRY_KEYS`], [`BREAKER_KEYS`], [`BULKHEAD_KEYS`] and [`RATE_LIMIT_KEYS`]: every key
//!   with its [`Kind`], bounds, default, one line of documentation, an example, and the builder
//!   method that sets it.
//! - [`HedgeConfig`] and [`HedgeDelay`]: when `#[hedge]` starts another attempt, and how many.
//! - [`ChaosConfig`]: what a `#[chaos]` site injects once configured, and [`CHAOS_KEYS`].
//! - [`ThrottleConfig`] and [`THROTTLE_KEYS`]: `#[throttle]`'s `k` and `window`.
//! - [`AdaptiveLimitConfig`], [`LimitAlgorithm`] and [`ADAPTIVE_LIMIT_KEYS`]: how
//!   `#[adaptive_limit]` finds its limit, and the bounds it keeps it in.
//! - [`duration`]: the grammar of `"250ms"`, `"1m30s"`, ...
//!
//! ```
//! use std::time::Duration;
//! use retry_settings::{RETRY_KEYS, RetryPolicy, Value, duration, find};
//!
//! // What `#[retry(delay = "2s", max_delay = "1s")]` does with its keys, and what it reports.
//! let mut builder = RetryPolicy::builder();
//! for (name, text) in [("delay", "2s"), ("max_delay", "1s")] {
//!     let key = find(RETRY_KEYS, name).unwrap();
//!     let value = Value::Duration(duration::parse(text)?);
//!     builder = key.apply(builder, value).unwrap();
//! }
//! let error = builder.build().unwrap_err();
//! assert_eq!(error.fields(), ["max_delay", "delay"]);
//! assert_eq!(error.reason(), "`max_delay` (1s) is below `delay` (2s); raise `max_delay` or lower `delay`");
//! # Ok::<(), retry_settings::duration::DurationError>(())
//! ```
//!
//! Examples of the items `retry-runtime` re-exports are written as its users write them,
//! `use retry_runtime::...`; in this crate's own tests that name stands for this crate.

mod adaptive_limit;
mod backoff;
mod breaker;
mod bulkhead;
mod chaos;
pub mod duration;
mod hedge;
mod jitter;
mod keys;
mod names;
mod policy;
mod rate_limit;
mod throttle;
mod wait;

pub use adaptive_limit::ADAPTIVE_LIMIT_KEYS;
pub use adaptive_limit::{
    ALGORITHM_NAMES, AdaptiveLimitConfig, AdaptiveLimitConfigBuilder, AdaptiveLimitConfigError,
    LimitAlgorithm, MAX_LIMIT,
};
pub use backoff::{Backoff, CustomBackoff, DEFAULT_FACTOR};
pub use breaker::BREAKER_KEYS;
pub use breaker::{
    BreakerConfig, BreakerConfigBuilder, BreakerConfigError, MAX_HALF_OPEN_CALLS, MAX_WINDOW,
};
pub use bulkhead::BULKHEAD_KEYS;
pub use bulkhead::{BulkheadConfig, BulkheadConfigBuilder, BulkheadConfigError, MAX_CONCURRENT};
pub use chaos::{
    CHAOS_KEYS, CHAOS_RATE_RULE, ChaosConfig, ChaosConfigBuilder, ChaosConfigError,
    MAX_CHAOS_LATENCY,
};
pub use hedge::{
    DEFAULT_HEDGE_FLOOR, HedgeConfig, HedgeConfigError, HedgeDelay, MAX_HEDGE_AFTER, MAX_HEDGES,
};
pub use jitter::Jitter;
pub use keys::{Key, Kind, Value, find};
pub use names::{BACKOFF_NAMES, JITTER_NAMES, backoff_named, jitter_named};
pub use policy::RETRY_KEYS;
pub use policy::{PolicyError, RetryPolicy, RetryPolicyBuilder};
pub use rate_limit::RATE_LIMIT_KEYS;
pub use rate_limit::{
    MAX_BURST, MAX_PER_SECOND, RateLimitConfig, RateLimitConfigBuilder, RateLimitConfigError,
};
pub use throttle::{THROTTLE_KEYS, ThrottleConfig, ThrottleConfigBuilder, ThrottleConfigError};
pub use wait::{MAX_WAIT, MaxWaitError, max_wait};
