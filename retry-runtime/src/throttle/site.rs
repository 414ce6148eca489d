//! One `#[throttle]` fn, as its expansion sees it: the throttle's name and settings, and the
//! throttle itself once the first call has looked it up.

use super::{Throttle, ThrottlePermit, Throttled};
use crate::sleep::AsyncSleeper;
use retry_settings::ThrottleConfig;

/// Emitted as a `static` by `#[throttle]`.
#[derive(Debug)]
pub struct ThrottleSite {
    name: &'static str,
    config: ThrottleConfig,
    throttle: crate::named::SiteCache<Throttle>,
}

impl ThrottleSite {
    /// A site; `const` so that it lives in a `static`.
    pub const fn new(name: &'static str, config: ThrottleConfig) -> Self {
        ThrottleSite {
            name,
            config,
            throttle: crate::named::SiteCache::new(),
        }
    }

    /// The named throttle: registered by the first call through any site that names it.
    #[inline]
    pub fn throttle(&self) -> &'static Throttle {
        self.throttle
            .get(|| super::registry::register_throttle(self.name, self.config))
    }

    /// A sync call's admission, on the sync clock (the paused one, on a thread holding
    /// `pause_sync_time`).
    ///
    /// # Errors
    /// [`Throttled`] when the call is rejected.
    #[inline]
    pub fn admit_sync(&self) -> Result<ThrottlePermit<'static>, Throttled> {
        self.throttle().try_acquire_at(crate::sleep::now_sync())
    }

    /// An async call's admission, on `S`'s clock (tokio's, so paused test time applies).
    ///
    /// # Errors
    /// [`Throttled`] when the call is rejected.
    #[inline]
    pub fn admit<S: AsyncSleeper>(&self) -> Result<ThrottlePermit<'static>, Throttled> {
        self.throttle().try_acquire_at(S::now())
    }
}
