//! Hedges by name, shared by every fn and method that names them.

use super::Hedge;
use crate::named::{Named, SettingsOverride};
use retry_settings::HedgeConfig;

static HEDGES: Named<Hedge> = Named::new();

/// Overrides of a new hedge site's settings, installed by the `config` module.
pub(crate) static OVERRIDE: SettingsOverride<HedgeConfig> = SettingsOverride::new();

/// The hedge site registered under `name`: `None` until a `#[hedge]` fn with that name (by
/// default `module::fn`) has run, or [`register_hedge`] was called.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::{HedgeConfig, HedgeDelay, hedge, register_hedge};
///
/// assert!(hedge("hedge-doc").is_none());
/// register_hedge("hedge-doc", HedgeConfig::new(HedgeDelay::Fixed(Duration::from_millis(5)), 1)?);
/// assert_eq!(hedge("hedge-doc").unwrap().delay(), Duration::from_millis(5));
/// # Ok::<(), retry_runtime::HedgeConfigError>(())
/// ```
pub fn hedge(name: &str) -> Option<&'static Hedge> {
    HEDGES.get(name)
}

/// The hedge named `name`, created with `config` if it does not exist yet. If it exists with
/// other settings, those stay and a warning says so.
///
/// With the `config` feature, installed overrides for `name` apply first.
pub fn register_hedge(name: &'static str, config: HedgeConfig) -> &'static Hedge {
    let config = OVERRIDE.applied(name, config);
    let (hedge, created) = HEDGES.get_or_create(name, || Hedge::new(name, config));
    if !created && *hedge.config() != config {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name,
            kept = ?hedge.config(),
            ignored = ?config,
            "two sites name this hedge with different settings; the first registered settings are used"
        );
    }
    hedge
}

/// Every hedge of this thread's scope, for `testing::reset`.
pub(crate) fn hedges_snapshot() -> Vec<&'static Hedge> {
    HEDGES.snapshot()
}
