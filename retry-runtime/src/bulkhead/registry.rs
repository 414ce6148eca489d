//! Bulkheads by name, shared by every fn and method that names them.

use super::Bulkhead;
use crate::named::{Named, SettingsOverride};
use retry_settings::BulkheadConfig;

static BULKHEADS: Named<Bulkhead> = Named::new();

/// Overrides of a new bulkhead's settings, installed by the `config` module.
pub(crate) static OVERRIDE: SettingsOverride<BulkheadConfig> = SettingsOverride::new();

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
    let config = OVERRIDE.applied(name, config);
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
