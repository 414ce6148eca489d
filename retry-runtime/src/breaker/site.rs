//! A `#[circuit_breaker]` fn's `static` site: the breaker's name, the settings it registers
//! with, and the breaker once the first call has found it.

use crate::breaker::CircuitBreaker;
use crate::breaker::config::BreakerConfig;

/// One `#[circuit_breaker]` fn: the breaker's name and the settings it registers with, and
/// the breaker itself once the first call has looked it up. Emitted as a `static`.
#[derive(Debug)]
pub struct BreakerSite {
    name: &'static str,
    /// `None`: the site gave no settings, and uses the breaker as another site or
    /// `register_breaker` made it.
    config: Option<BreakerConfig>,
    breaker: crate::named::SiteCache<CircuitBreaker>,
}

impl BreakerSite {
    /// A site with settings (tuning keys or `config = path`); `const` so that it lives in a
    /// `static`.
    pub const fn new(name: &'static str, config: BreakerConfig) -> Self {
        BreakerSite {
            name,
            config: Some(config),
            breaker: crate::named::SiteCache::new(),
        }
    }

    /// A site that names its breaker and nothing else.
    pub const fn untuned(name: &'static str) -> Self {
        BreakerSite {
            name,
            config: None,
            breaker: crate::named::SiteCache::new(),
        }
    }

    /// The named breaker: registered by the first call through any site that names it.
    #[inline]
    pub fn breaker(&self) -> &'static CircuitBreaker {
        self.breaker.get(|| match self.config {
            Some(config) => crate::breaker::registry::register_breaker(self.name, config),
            None => crate::breaker::registry::register_untuned(self.name),
        })
    }
}
