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
    breaker: std::sync::OnceLock<&'static CircuitBreaker>,
}

impl BreakerSite {
    /// A site with settings (tuning keys or `config = path`); `const` so that it lives in a
    /// `static`.
    pub const fn new(name: &'static str, config: BreakerConfig) -> Self {
        BreakerSite {
            name,
            config: Some(config),
            breaker: std::sync::OnceLock::new(),
        }
    }

    /// A site that names its breaker and nothing else.
    pub const fn untuned(name: &'static str) -> Self {
        BreakerSite {
            name,
            config: None,
            breaker: std::sync::OnceLock::new(),
        }
    }

    /// The named breaker: registered by the first call through any site that names it.
    #[inline]
    pub fn breaker(&self) -> &'static CircuitBreaker {
        match self.breaker.get() {
            Some(breaker) if !crate::scope::any_active() => breaker,
            _ => self.register(),
        }
    }

    #[cold]
    #[inline(never)]
    fn register(&self) -> &'static CircuitBreaker {
        let register = || match self.config {
            Some(config) => crate::breaker::registry::register_breaker(self.name, config),
            None => crate::breaker::registry::register_untuned(self.name),
        };
        if crate::scope::current() != 0 {
            // A test's scope: its own breaker, never cached in the site.
            return register();
        }
        self.breaker.get_or_init(register)
    }
}
