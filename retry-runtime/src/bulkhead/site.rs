//! One `#[bulkhead]` fn, as its expansion sees it: the bulkhead's name and settings, and the
//! bulkhead itself once the first call has looked it up.

use std::future::Future;
use std::time::Duration;

use super::{Bulkhead, BulkheadFull, BulkheadPermit};
use crate::sleep::AsyncSleeper;
use retry_settings::BulkheadConfig;

/// Emitted as a `static` by `#[bulkhead]`.
#[derive(Debug)]
pub struct BulkheadSite {
    name: &'static str,
    config: BulkheadConfig,
    bulkhead: crate::named::SiteCache<Bulkhead>,
}

impl BulkheadSite {
    /// A site; `const` so that it lives in a `static`.
    pub const fn new(name: &'static str, config: BulkheadConfig) -> Self {
        BulkheadSite {
            name,
            config,
            bulkhead: crate::named::SiteCache::new(),
        }
    }

    /// The named bulkhead: registered by the first call through any site that names it.
    #[inline]
    pub fn bulkhead(&self) -> &'static Bulkhead {
        self.bulkhead
            .get(|| super::registry::register_bulkhead(self.name, self.config))
    }

    /// A sync call's slot: free now, or after waiting up to `max_wait`.
    ///
    /// # Errors
    /// [`BulkheadFull`] when no slot was released in time.
    #[inline]
    pub fn acquire_sync(
        &self,
        max_wait: Duration,
    ) -> Result<BulkheadPermit<'static>, BulkheadFull> {
        // The hot path: the site's bulkhead found, and a free slot in it taken.
        if let Some(bulkhead) = self.cached() {
            if let Some(permit) = bulkhead.take_fast() {
                return Ok(permit);
            }
            bulkhead.give_back();
        }
        self.acquire_sync_slow(max_wait)
    }

    /// The admission after a failed fast attempt (given back), or the first call's (or a test
    /// scope's) lookup.
    #[cold]
    #[inline(never)]
    fn acquire_sync_slow(
        &self,
        max_wait: Duration,
    ) -> Result<BulkheadPermit<'static>, BulkheadFull> {
        let bulkhead = self.bulkhead();
        match bulkhead.take() {
            Some(permit) => Ok(permit),
            None => bulkhead.wait_blocking(crate::context::cut_to_deadline(max_wait)),
        }
    }

    /// The bulkhead cached by the first call, when no test scope could claim the lookup.
    #[inline]
    fn cached(&self) -> Option<&'static Bulkhead> {
        self.bulkhead.cached()
    }

    /// An async call's slot if one is free now; otherwise the call [`wait`](Self::wait)s.
    #[inline]
    pub fn try_acquire(&self) -> Option<BulkheadPermit<'static>> {
        self.bulkhead().take()
    }

    /// An async call's wait for a slot, up to `max_wait` on `S`'s clock.
    ///
    /// # Errors
    /// [`BulkheadFull`] when no slot was released in time.
    pub fn wait<S: AsyncSleeper>(
        &self,
        max_wait: Duration,
    ) -> impl Future<Output = Result<BulkheadPermit<'static>, BulkheadFull>> + use<S> {
        // The bulkhead's own future, not one wrapping it: the caller's future holds one.
        self.bulkhead()
            .wait::<S>(crate::context::cut_to_deadline(max_wait))
    }

    /// The rejection of an async call of a site without `max_wait`.
    #[cold]
    pub fn full(&self) -> BulkheadFull {
        self.bulkhead().reject(Duration::ZERO)
    }
}
