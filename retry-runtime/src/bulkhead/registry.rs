//! Bulkheads by name, shared by every fn and method that names them.

use std::sync::OnceLock;

use super::Bulkhead;
use crate::named::Named;
use retry_settings::BulkheadConfig;

static BULKHEADS: Named<Bulkhead> = Named::new();

/// Applies configured overrides to a new bulkhead's settings: set by the `config` module when
/// overrides are installed, so bulkheads know nothing of where settings come from.
static OVERRIDE: OnceLock<fn(&'static str, BulkheadConfig) -> BulkheadConfig> = OnceLock::new();

/// Sets the one function that applies overrides to new bulkheads.
#[cfg_attr(not(feature = "config"), allow(dead_code))]
pub(crate) fn set_override(apply: fn(&'static str, BulkheadConfig) -> BulkheadConfig) {
    let _ = OVERRIDE.set(apply);
}

/// The bulkhead registered under `name`: `None` until a `#[bulkhead(name = ...)]` site has run
/// (or [`register_bulkhead`] was called).
///
/// ```
/// use retry_runtime::{BulkheadConfig, bulkhead, register_bulkhead};
///
/// assert!(bulkhead("bulkhead-doc").is_none());
/// register_bulkhead("bulkhead-doc", BulkheadConfig::new(4)?);
/// let handle = bulkhead("bulkhead-doc").unwrap();
/// assert_eq!((handle.max_concurrent(), handle.available()), (4, 4));
/// # Ok::<(), retry_runtime::BulkheadConfigError>(())
/// ```
pub fn bulkhead(name: &str) -> Option<&'static Bulkhead> {
    BULKHEADS.get(name)
}

/// The bulkhead named `name`, created with `config` if it does not exist yet. If it exists with
/// other settings, those stay and a warning says so. With the `config` feature, installed
/// overrides of `[bulkhead.<name>]` apply to `config` first.
pub fn register_bulkhead(name: &'static str, config: BulkheadConfig) -> &'static Bulkhead {
    let config = OVERRIDE.get().map_or(config, |apply| apply(name, config));
    let (bulkhead, created) = BULKHEADS.get_or_create(name, || Bulkhead::new(name, config));
    if created {
        crate::events::bulkhead_registered(bulkhead.source());
    } else if *bulkhead.config() != config {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name,
            kept = ?bulkhead.config(),
            ignored = ?config,
            "two sites name this bulkhead with different settings; the first registered settings are used"
        );
    }
    bulkhead
}
