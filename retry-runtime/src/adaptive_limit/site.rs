//! One `#[adaptive_limit]` fn, as its expansion sees it: the limiter's name and settings, and
//! the limiter itself once the first call has looked it up.

use std::future::Future;
use std::time::{Duration, Instant};

use super::{AdaptiveLimiter, AdaptivePermit, LimitExceeded};
use crate::sleep::AsyncSleeper;
use retry_settings::AdaptiveLimitConfig;

/// Emitted as a `static` by `#[adaptive_limit]`.
#[derive(Debug)]
pub struct AdaptiveLimitSite {
    name: &'static str,
    /// `None`: the limiter as another site registered it, or the default settings.
    config: Option<AdaptiveLimitConfig>,
    limiter: crate::named::SiteCache<AdaptiveLimiter>,
}

impl AdaptiveLimitSite {
    /// A site; `const` so that it lives in a `static`.
    pub const fn new(name: &'static str, config: AdaptiveLimitConfig) -> Self {
        AdaptiveLimitSite {
            name,
            config: Some(config),
            limiter: crate::named::SiteCache::new(),
        }
    }

    /// A site that names its limiter and nothing else (a tower layer without settings): it
    /// uses the limiter as registered, or registers it with the default settings.
    pub const fn untuned(name: &'static str) -> Self {
        AdaptiveLimitSite {
            name,
            config: None,
            limiter: crate::named::SiteCache::new(),
        }
    }

    /// The named limiter: registered by the first call through any site that names it.
    #[inline]
    pub fn limiter(&self) -> &'static AdaptiveLimiter {
        self.limiter.get(|| match self.config {
            Some(config) => super::registry::register_adaptive_limiter(self.name, config),
            None => super::registry::adaptive_limiter(self.name).unwrap_or_else(|| {
                super::registry::register_adaptive_limiter(self.name, AdaptiveLimitConfig::DEFAULT)
            }),
        })
    }

    /// A sync call's slot: free now, or after waiting up to `max_wait`; its latency is read on
    /// the sync sleep's clock.
    ///
    /// # Errors
    /// [`LimitExceeded`] when no slot was freed in time.
    #[inline]
    pub fn acquire_sync(
        &self,
        max_wait: Duration,
    ) -> Result<AdaptivePermit<'static>, LimitExceeded> {
        let limiter = self.limiter();
        match limiter.take(crate::sleep::now_sync) {
            Some(permit) => Ok(permit),
            None => limiter.wait_blocking(crate::context::cut_to_deadline(max_wait)),
        }
    }

    /// An async call's slot if one is free now; otherwise the call [`wait`](Self::wait)s or is
    /// rejected. Its latency is read on tokio's clock.
    #[inline]
    pub fn try_acquire(&self) -> Option<AdaptivePermit<'static>> {
        self.limiter().take(async_now)
    }

    /// An async call's wait for a slot, up to `max_wait` on `S`'s clock.
    ///
    /// # Errors
    /// [`LimitExceeded`] when no slot was freed in time.
    pub fn wait<S: AsyncSleeper>(
        &self,
        max_wait: Duration,
    ) -> impl Future<Output = Result<AdaptivePermit<'static>, LimitExceeded>> + use<S> {
        self.limiter()
            .wait::<S>(crate::context::cut_to_deadline(max_wait))
    }

    /// The rejection of an async call of a site without `max_wait`.
    #[cold]
    pub fn exceeded(&self) -> LimitExceeded {
        self.limiter().reject(Duration::ZERO)
    }
}

/// A sync call finished: its latency, on the sync sleep's clock.
#[inline]
pub fn record_sync(permit: AdaptivePermit<'_>) {
    permit.record_at(crate::sleep::now_sync());
}

/// An async call finished: its latency, on tokio's clock.
#[inline]
pub fn record_async(permit: AdaptivePermit<'_>) {
    permit.record_at(async_now());
}

/// The clock async calls are timed on: tokio's (paused test time applies), or the std clock
/// without the `tokio` feature.
#[inline]
fn async_now() -> Instant {
    #[cfg(feature = "tokio")]
    {
        tokio::time::Instant::now().into_std()
    }
    #[cfg(not(feature = "tokio"))]
    {
        Instant::now()
    }
}
