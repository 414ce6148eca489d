//! One `#[hedge]` fn, as its expansion sees it: the site's name and settings, and its shared
//! state once the first call has looked it up.

use std::sync::OnceLock;

use super::Hedge;
use retry_settings::HedgeConfig;

/// Emitted as a `static` by `#[hedge]`.
#[derive(Debug)]
pub struct HedgeSite {
    name: &'static str,
    config: HedgeConfig,
    hedge: OnceLock<&'static Hedge>,
}

impl HedgeSite {
    /// A site; `const` so that it lives in a `static`.
    pub const fn new(name: &'static str, config: HedgeConfig) -> Self {
        HedgeSite {
            name,
            config,
            hedge: OnceLock::new(),
        }
    }

    /// The named hedge: registered by the first call through any site that names it.
    #[inline]
    pub fn hedge(&self) -> &'static Hedge {
        match self.hedge.get() {
            Some(hedge) if !crate::scope::any_active() => hedge,
            _ => self.register(),
        }
    }

    #[cold]
    #[inline(never)]
    fn register(&self) -> &'static Hedge {
        if crate::scope::current() != 0 {
            // A test's scope: its own hedge, never cached in the site.
            return super::registry::register_hedge(self.name, self.config);
        }
        self.hedge
            .get_or_init(|| super::registry::register_hedge(self.name, self.config))
    }
}
