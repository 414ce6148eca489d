//! Chaos points by name, shared by every fn and method that names them, and the one count
//! every `#[chaos]` site reads first.

use std::sync::atomic::{AtomicUsize, Ordering};

use super::Chaos;
use crate::named::{Named, SettingsOverride};
use retry_settings::ChaosConfig;

static CHAOS: Named<Chaos> = Named::new();

/// Chaos points with settings in force, in any scope, plus one while installed overrides hold a
/// `[chaos.NAME]` section: while 0, every `#[chaos]` site runs its body after one load.
static ARMED: AtomicUsize = AtomicUsize::new(0);

/// The settings a new chaos point starts with, installed by the `config` module.
pub(crate) static OVERRIDE: SettingsOverride<Option<ChaosConfig>> = SettingsOverride::new();

/// Whether any chaos point may inject: the whole cost of a `#[chaos]` site until one does.
#[inline]
pub(crate) fn armed() -> bool {
    ARMED.load(Ordering::Relaxed) != 0
}

/// One more source of injections (a point configured, or overrides that configure some).
pub(crate) fn arm() {
    ARMED.fetch_add(1, Ordering::Relaxed);
}

/// One fewer.
pub(super) fn disarm() {
    ARMED.fetch_sub(1, Ordering::Relaxed);
}

/// The chaos point named `name`, created (unconfigured, or with the installed config's
/// `[chaos.NAME]` settings) if nobody has asked for it yet, so that it can be configured
/// before its sites first run. `None` for an empty name, which no site can have.
///
/// ```
/// use std::time::Duration;
/// use retry_runtime::{ChaosConfig, chaos};
///
/// let store = chaos("chaos-registry-doc").unwrap();
/// store.configure(ChaosConfig::builder().latency(Duration::from_millis(200)).latency_rate(0.1).build()?);
/// // Every site and every lookup of the name shares it.
/// assert_eq!(chaos("chaos-registry-doc").unwrap().config().unwrap().latency_rate(), 0.1);
/// store.clear();
/// assert!(chaos("").is_none());
/// # Ok::<(), retry_runtime::ChaosConfigError>(())
/// ```
pub fn chaos(name: &str) -> Option<&'static Chaos> {
    if name.trim().is_empty() {
        return None;
    }
    if let Some(existing) = CHAOS.get(name) {
        return Some(existing);
    }
    // One allocation per name, as the point itself.
    Some(register(Box::leak(name.to_owned().into_boxed_str())))
}

/// The chaos point named `name`, created if it does not exist yet.
pub(crate) fn register(name: &'static str) -> &'static Chaos {
    CHAOS
        .get_or_create(name, || {
            let created = Chaos::new(name);
            created.set(OVERRIDE.applied(name, None));
            created
        })
        .0
}

/// Every chaos point of this thread's scope, in no particular order.
pub(crate) fn chaos_snapshot() -> Vec<&'static Chaos> {
    CHAOS.snapshot()
}
