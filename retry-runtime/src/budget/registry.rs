//! Budgets by name, shared by every `#[retry(budget = "...")]` site that names them.

use super::{BudgetConfig, RetryBudget};
use crate::named::{Named, SettingsOverride};

static BUDGETS: Named<RetryBudget> = Named::new();

/// The budget named `name`, if a site or [`register_budget`] has created it.
pub fn budget(name: &str) -> Option<&'static RetryBudget> {
    BUDGETS.get(name)
}

/// Every budget of this thread's scope, in no particular order.
pub(crate) fn budgets_snapshot() -> Vec<&'static RetryBudget> {
    BUDGETS.snapshot()
}

/// The budget named `name`, created with `config` if it does not exist yet (so register one
/// before the first call to give it other settings than [`BudgetConfig::DEFAULT`]); an existing
/// one keeps its settings, and a warning says so if `config` differs.
///
/// ```
/// use retry_runtime::{BudgetConfig, budget, register_budget};
///
/// let api = register_budget("budget-doc", BudgetConfig { share: 0.1, ..BudgetConfig::DEFAULT })?;
/// assert_eq!(budget("budget-doc").unwrap().config().share, 0.1);
/// assert_eq!(api.counts().retries, 0);
/// # Ok::<(), String>(())
/// ```
///
/// # Errors
/// The reason, when `config` is invalid (see [`BudgetConfig::validate`]).
pub fn register_budget(
    name: &'static str,
    config: BudgetConfig,
) -> Result<&'static RetryBudget, String> {
    config.validate()?;
    Ok(register_valid(name, config))
}

/// Whether a budget created now is shared from the start: set once, by the fleet link when it
/// connects (feature `redis`), so budgets never import the fleet.
#[cfg_attr(not(feature = "redis"), allow(dead_code))]
pub(crate) static STARTS_SHARED: std::sync::OnceLock<fn(&str) -> bool> = std::sync::OnceLock::new();

/// Overrides of a new budget's settings, installed by the `config` module.
pub(crate) static OVERRIDE: SettingsOverride<BudgetConfig> = SettingsOverride::new();

pub(crate) fn register_valid(name: &'static str, config: BudgetConfig) -> &'static RetryBudget {
    let config = OVERRIDE.applied(name, config);
    let (existing, created) = BUDGETS.get_or_create(name, || RetryBudget::new(name, config));
    if !created && existing.config != config {
        tracing::warn!(
            target: crate::TRACING_TARGET,
            name,
            kept = ?existing.config,
            ignored = ?config,
            "this retry budget already exists with other settings; they are kept"
        );
    }
    existing
}
