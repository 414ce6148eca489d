//! Adaptive limiters by name, shared by every fn, method and tower layer that names them.

use super::AdaptiveLimiter;
use crate::named::{Named, SettingsOverride};
use retry_settings::AdaptiveLimitConfig;

static LIMITERS: Named<AdaptiveLimiter> = Named::new();

/// Overrides of a new limiter's settings, installed by the `config` module.
pub(crate) static OVERRIDE: SettingsOverride<AdaptiveLimitConfig> = SettingsOverride::new();

/// The adaptive limiter registered under `name`: `None` until an
/// `#[adaptive_limit(name = ...)]` site has run (or [`register_adaptive_limiter`] was called).
///
/// ```
/// use retry_runtime::{AdaptiveLimitConfig, adaptive_limiter, register_adaptive_limiter};
///
/// assert!(adaptive_limiter("adaptive-doc").is_none());
/// register_adaptive_limiter("adaptive-doc", AdaptiveLimitConfig::DEFAULT);
/// let handle = adaptive_limiter("adaptive-doc").unwrap();
/// assert_eq!((handle.limit(), handle.inflight()), (20, 0));
/// ```
pub fn adaptive_limiter(name: &str) -> Option<&'static AdaptiveLimiter> {
    LIMITERS.get(name)
}

/// The adaptive limiter named `name`, created with `config` if it does not exist yet. If it
/// exists with other settings, those stay and a warning says so. With the `config` feature,
/// installed overrides of `[adaptive_limit.<name>]` apply to `config` first.
pub fn register_adaptive_limiter(
    name: &'static str,
    config: AdaptiveLimitConfig,
) -> &'static AdaptiveLimiter {
    let config = OVERRIDE.applied(name, config);
    let (limiter, created) = LIMITERS.get_or_create(name, || AdaptiveLimiter::new(name, config));
    if created {
        crate::events::adaptive_limiter_registered(limiter.source());
    } else if *limiter.config() != config {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name,
            kept = ?limiter.config(),
            ignored = ?config,
            "two sites name this adaptive limiter with different settings; the first registered settings are used"
        );
    }
    limiter
}

/// Every adaptive limiter of this thread's scope (`testing::reset_all`).
pub(crate) fn adaptive_limiters_snapshot() -> Vec<&'static AdaptiveLimiter> {
    LIMITERS.snapshot()
}
