//! Rate limiters by name, shared by every fn and method that names them.

use super::RateLimiter;
use crate::named::{Named, SettingsOverride};
use retry_settings::RateLimitConfig;

static RATE_LIMITERS: Named<RateLimiter> = Named::new();

/// Overrides of a new rate limiter's settings, installed by the `config` module.
pub(crate) static OVERRIDE: SettingsOverride<RateLimitConfig> = SettingsOverride::new();

/// The rate limiter registered under `name`: `None` until a `#[rate_limit(name = ...)]` site
/// has run (or [`register_rate_limiter`] was called).
///
/// ```
/// use retry_runtime::{RateLimitConfig, rate_limiter, register_rate_limiter};
///
/// assert!(rate_limiter("rate-limiter-doc").is_none());
/// register_rate_limiter("rate-limiter-doc", RateLimitConfig::new(100, 20)?);
/// let handle = rate_limiter("rate-limiter-doc").unwrap();
/// assert_eq!(handle.available_permits(), 20);
/// # Ok::<(), retry_runtime::RateLimitConfigError>(())
/// ```
pub fn rate_limiter(name: &str) -> Option<&'static RateLimiter> {
    RATE_LIMITERS.get(name)
}

/// The rate limiter named `name`, created with `config` if it does not exist yet. If it exists
/// with other settings, those stay and a warning says so. With the `config` feature, installed
/// overrides of `[rate_limit.<name>]` apply to `config` first.
pub fn register_rate_limiter(name: &'static str, config: RateLimitConfig) -> &'static RateLimiter {
    let config = OVERRIDE.applied(name, config);
    let (limiter, created) =
        RATE_LIMITERS.get_or_create(name, || RateLimiter::new_registered(name, config));
    if created {
        crate::events::rate_limiter_registered(limiter.source());
    } else if *limiter.config() != config {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name,
            kept = ?limiter.config(),
            ignored = ?config,
            "two sites name this rate limiter with different settings; the first registered settings are used"
        );
    }
    limiter
}

/// Every rate limiter of this thread's scope, in no particular order.
pub(crate) fn rate_limiters_snapshot() -> Vec<&'static RateLimiter> {
    RATE_LIMITERS.snapshot()
}
