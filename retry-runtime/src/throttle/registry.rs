//! Throttles by name, shared by every fn and method that names them.

use super::Throttle;
use crate::named::{Named, SettingsOverride};
use retry_settings::ThrottleConfig;

static THROTTLES: Named<Throttle> = Named::new();

/// Overrides of a new throttle's settings, installed by the `config` module.
pub(crate) static OVERRIDE: SettingsOverride<ThrottleConfig> = SettingsOverride::new();

/// The throttle registered under `name`: `None` until a `#[throttle(name = ...)]` site has run
/// (or [`register_throttle`] was called).
///
/// ```
/// use retry_runtime::{ThrottleConfig, register_throttle, throttle};
///
/// assert!(throttle("throttle-doc").is_none());
/// register_throttle("throttle-doc", ThrottleConfig::DEFAULT);
/// let handle = throttle("throttle-doc").unwrap();
/// assert_eq!(handle.rejection_probability(), 0.0);
/// assert_eq!(handle.counts().requests, 0);
/// ```
pub fn throttle(name: &str) -> Option<&'static Throttle> {
    THROTTLES.get(name)
}

/// The throttle named `name`, created with `config` if it does not exist yet. If it exists with
/// other settings, those stay and a warning says so. With the `config` feature, installed
/// overrides of `[throttle.<name>]` apply to `config` first.
pub fn register_throttle(name: &'static str, config: ThrottleConfig) -> &'static Throttle {
    let config = OVERRIDE.applied(name, config);
    let (throttle, created) = THROTTLES.get_or_create(name, || Throttle::new(name, config));
    if created {
        crate::events::throttle_registered(throttle.source());
    } else if *throttle.config() != config {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name,
            kept = ?throttle.config(),
            ignored = ?config,
            "two sites name this throttle with different settings; the first registered settings are used"
        );
    }
    throttle
}

/// Every throttle of this thread's scope, in no particular order.
pub(crate) fn throttles_snapshot() -> Vec<&'static Throttle> {
    THROTTLES.snapshot()
}
