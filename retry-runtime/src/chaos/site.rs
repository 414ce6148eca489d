//! One `#[chaos]` fn, as its expansion sees it: the point's name, and the point itself once a
//! call has looked it up (which only happens while some point is configured).

use std::future::Future;

use super::{Chaos, InjectedFault};
use crate::sleep::AsyncSleeper;

/// Emitted as a `static` by `#[chaos]`.
#[derive(Debug)]
pub struct ChaosSite {
    name: &'static str,
    chaos: crate::named::SiteCache<Chaos>,
}

impl ChaosSite {
    /// A site; `const` so that it lives in a `static`.
    pub const fn new(name: &'static str) -> Self {
        ChaosSite {
            name,
            chaos: crate::named::SiteCache::new(),
        }
    }

    /// The named point, looked up by the first call that needs it.
    fn chaos(&self) -> &'static Chaos {
        self.chaos.get(|| super::registry::register(self.name))
    }

    /// A sync call, once [`armed`](crate::__private::chaos_armed): the injected latency
    /// (slept on the sync clock), then the injected fault, if any.
    ///
    /// # Errors
    /// The [`InjectedFault`] this call drew.
    #[cold]
    #[inline(never)]
    pub fn inject_sync(&self) -> Result<(), InjectedFault> {
        self.chaos().inject_sync()
    }

    /// An async call, once [`armed`](crate::__private::chaos_armed): as
    /// [`inject_sync`](Self::inject_sync), waiting on `S`'s clock.
    ///
    /// # Errors
    /// The [`InjectedFault`] this call drew.
    #[cold]
    pub fn inject<S: AsyncSleeper>(
        &self,
    ) -> impl Future<Output = Result<(), InjectedFault>> + use<S> {
        self.chaos().inject::<S>()
    }
}
