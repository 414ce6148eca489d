//! One `#[hedge]` fn, as its expansion sees it: the site's name and settings, and its shared
//! state once the first call has looked it up.

use super::Hedge;
use retry_settings::HedgeConfig;

/// Emitted as a `static` by `#[hedge]`.
#[derive(Debug)]
pub struct HedgeSite {
    name: &'static str,
    config: HedgeConfig,
    hedge: crate::named::SiteCache<Hedge>,
}

impl HedgeSite {
    /// A site; `const` so that it lives in a `static`.
    pub const fn new(name: &'static str, config: HedgeConfig) -> Self {
        HedgeSite {
            name,
            config,
            hedge: crate::named::SiteCache::new(),
        }
    }

    /// The named hedge: registered by the first call through any site that names it.
    #[inline]
    pub fn hedge(&self) -> &'static Hedge {
        self.hedge
            .get(|| super::registry::register_hedge(self.name, self.config))
    }
}
