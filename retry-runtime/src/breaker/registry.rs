//! Breakers by name, shared by every fn and method that names them.
//!
//! The rule for two sites naming one breaker with different settings: the first site to run
//! creates the breaker with its settings, and every later site uses that breaker as it is; each
//! later site whose settings differ logs a warning (once, when it first runs) naming both.

use std::sync::{PoisonError, RwLock};

use crate::breaker::CircuitBreaker;
use crate::breaker::config::BreakerConfig;
use crate::named::{Named, SettingsOverride};

static BREAKERS: Named<CircuitBreaker> = Named::new();

/// Called with every newly registered breaker: persistence hands restored state to breakers
/// that register after the restore, and the fleet link hands them the fleet's state, so the
/// registry knows nothing of either. Registration is rare (once per name), so a lock is fine.
static ON_REGISTERED: RwLock<Vec<fn(&'static CircuitBreaker)>> = RwLock::new(Vec::new());

/// Adds `callback` to those told of every newly registered breaker; adding one again does
/// nothing.
#[cfg_attr(not(any(feature = "persist", feature = "redis")), allow(dead_code))]
pub(crate) fn on_registered(callback: fn(&'static CircuitBreaker)) {
    let mut callbacks = ON_REGISTERED
        .write()
        .unwrap_or_else(PoisonError::into_inner);
    if !callbacks
        .iter()
        .any(|known| std::ptr::fn_addr_eq(*known, callback))
    {
        callbacks.push(callback);
    }
}

/// The breaker registered under `name`: `None` until a `#[circuit_breaker(name = ...)]` site has
/// run (or [`register_breaker`] was called).
///
/// ```
/// use retry_runtime::{BreakerConfig, BreakerState, breaker, register_breaker};
///
/// assert!(breaker("inventory-doc").is_none());
/// register_breaker("inventory-doc", BreakerConfig::DEFAULT);
/// let handle = breaker("inventory-doc").unwrap();
/// assert_eq!(handle.state(), BreakerState::Closed);
/// handle.force_open();
/// assert_eq!(handle.state(), BreakerState::ForcedOpen);
/// handle.reset();
/// ```
pub fn breaker(name: &str) -> Option<&'static CircuitBreaker> {
    BREAKERS.get(name)
}

/// The settings a breaker is created with when overrides are installed: filled by the `config`
/// module, so the registry never imports it.
pub(crate) static OVERRIDE: SettingsOverride<BreakerConfig> = SettingsOverride::new();

/// The breaker named `name`, created with `config` if it does not exist yet. If it exists with
/// other settings, those stay and a warning says so.
pub fn register_breaker(name: &'static str, config: BreakerConfig) -> &'static CircuitBreaker {
    register(name, config, true)
}

/// The breaker of a site that gave no settings (no tuning keys, no `config`): an existing one
/// as it is, without a warning (the site has no settings to disagree with), or a new one with
/// the defaults.
pub(crate) fn register_untuned(name: &'static str) -> &'static CircuitBreaker {
    register(name, BreakerConfig::DEFAULT, false)
}

fn register(name: &'static str, config: BreakerConfig, tuned: bool) -> &'static CircuitBreaker {
    let config = OVERRIDE.applied(name, config);
    // A site without settings has none to disagree with.
    let disagree = |existing: &CircuitBreaker, config: &BreakerConfig| {
        if tuned {
            warn_if_different(existing, config);
        }
    };
    let (created, new) = BREAKERS.get_or_create(name, || CircuitBreaker::new(name, config));
    if !new {
        disagree(created, &config);
        return created;
    }
    crate::events::breaker_registered(created.source());
    // Copied out, so a callback may register a callback of its own.
    let callbacks = ON_REGISTERED
        .read()
        .unwrap_or_else(PoisonError::into_inner)
        .clone();
    for callback in callbacks {
        callback(created);
    }
    created
}

/// Every registered breaker of this thread's scope (the process-wide ones, outside a
/// [`testing::scope`](crate::testing::scope)), in no particular order.
pub fn breakers_snapshot() -> Vec<&'static CircuitBreaker> {
    BREAKERS.snapshot()
}

fn warn_if_different(existing: &CircuitBreaker, config: &BreakerConfig) {
    if existing.config() != config {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name = existing.name(),
            kept = ?existing.config(),
            ignored = ?config,
            "two sites name this circuit breaker with different settings; the first registered settings are used"
        );
    }
}
