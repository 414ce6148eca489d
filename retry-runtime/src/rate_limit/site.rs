//! One `#[rate_limit]` fn, as its expansion sees it: the limiter's name and settings, and the
//! limiter itself once the first call has looked it up.

use std::future::Future;
use std::time::Duration;

use super::{RateLimited, RateLimiter};
use crate::sleep::AsyncSleeper;
use retry_settings::RateLimitConfig;

/// Emitted as a `static` by `#[rate_limit]`.
#[derive(Debug)]
pub struct RateLimitSite {
    name: &'static str,
    config: RateLimitConfig,
    limiter: crate::named::SiteCache<RateLimiter>,
}

impl RateLimitSite {
    /// A site; `const` so that it lives in a `static`.
    pub const fn new(name: &'static str, config: RateLimitConfig) -> Self {
        RateLimitSite {
            name,
            config,
            limiter: crate::named::SiteCache::new(),
        }
    }

    /// The named rate limiter: registered by the first call through any site that names it.
    #[inline]
    pub fn limiter(&self) -> &'static RateLimiter {
        self.limiter
            .get(|| super::registry::register_rate_limiter(self.name, self.config))
    }

    /// A sync call's permit: now, or after sleeping this thread up to `max_wait` (the paused
    /// sync clock's, on a thread holding `pause_sync_time`). Admitted at once on the coarse
    /// clock if it can be, else decided on the exact one (see [`RateLimiter`]'s module docs).
    ///
    /// # Errors
    /// [`RateLimited`] when the permit is further away than `max_wait`.
    #[inline]
    pub fn acquire_sync(&self, max_wait: Duration) -> Result<(), RateLimited> {
        let limiter = self.limiter();
        if limiter.try_admit_sync() {
            return Ok(());
        }
        limiter.acquire_sync_exact(within_deadline(max_wait))
    }

    /// An async call's reservation on `S`'s clock: the wait before its permit (zero: now),
    /// which the call then [`wait`](Self::wait)s.
    ///
    /// # Errors
    /// [`RateLimited`] when the permit is further away than `max_wait`.
    #[inline]
    pub fn reserve<S: AsyncSleeper>(&self, max_wait: Duration) -> Result<Duration, RateLimited> {
        self.limiter()
            .reserve_at(S::now(), within_deadline(max_wait))
    }

    /// Sleeps an async call until its reserved permit.
    pub fn wait<S: AsyncSleeper>(&self, wait: Duration) -> impl Future<Output = ()> + use<S> {
        // The limiter's own future, not one wrapping it: the caller's future holds one.
        self.limiter().sleep_async::<S>(wait)
    }
}

/// `max_wait` cut to the time left before the deadline in force; a site that never waits reads
/// no deadline.
#[inline]
fn within_deadline(max_wait: Duration) -> Duration {
    if max_wait.is_zero() {
        max_wait
    } else {
        crate::context::cut_to_deadline(max_wait)
    }
}
