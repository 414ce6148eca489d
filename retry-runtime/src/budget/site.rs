//! A `#[retry(budget = "...")]` site's `static` view of its budget.

use super::registry::{budget, register_valid};
use super::{BudgetConfig, RetryBudget};

/// One `#[retry(budget = "...")]` site's view of its budget, looked up on first use.
#[derive(Debug)]
pub struct BudgetSite {
    name: &'static str,
    budget: crate::named::SiteCache<RetryBudget>,
}

impl BudgetSite {
    /// A site; `const` so that it lives in a `static`.
    pub const fn new(name: &'static str) -> Self {
        BudgetSite {
            name,
            budget: crate::named::SiteCache::new(),
        }
    }

    /// The budget: the one registered under this name, or a new one with the defaults. A
    /// site has no settings of its own, so it never warns about a registered budget's.
    pub fn budget(&self) -> &'static RetryBudget {
        self.budget.get(|| self.lookup())
    }

    fn lookup(&self) -> &'static RetryBudget {
        budget(self.name).unwrap_or_else(|| register_valid(self.name, BudgetConfig::DEFAULT))
    }
}
