//! Shared instances by name, per test scope: what bulkheads and rate limiters are found by.
//!
//! The rule for two sites naming one instance with different settings is the breakers': the
//! first site to run creates it with its settings, later sites use it as it is, and the caller
//! warns when the settings differ.

use std::collections::HashMap;
use std::sync::{OnceLock, PoisonError, RwLock};

/// Instances by scope (0: process-wide; others: [`testing::scope`](crate::testing::scope)) and
/// name. Each lives for the rest of the process, like the call sites that name it.
pub(crate) struct Named<T: 'static> {
    instances: OnceLock<RwLock<HashMap<u64, HashMap<&'static str, &'static T>>>>,
}

impl<T: Sync + 'static> Named<T> {
    pub(crate) const fn new() -> Named<T> {
        Named {
            instances: OnceLock::new(),
        }
    }

    fn instances(&self) -> &RwLock<HashMap<u64, HashMap<&'static str, &'static T>>> {
        self.instances.get_or_init(RwLock::default)
    }

    /// The instance named `name` in this thread's scope.
    pub(crate) fn get(&self, name: &str) -> Option<&'static T> {
        let scope = crate::scope::current();
        self.instances()
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&scope)
            .and_then(|named| named.get(name))
            .copied()
    }

    /// The instance named `name` in this thread's scope, made by `create` if there is none yet;
    /// `true` when this call made it.
    pub(crate) fn get_or_create(
        &self,
        name: &'static str,
        create: impl FnOnce() -> T,
    ) -> (&'static T, bool) {
        if let Some(existing) = self.get(name) {
            return (existing, false);
        }
        let scope = crate::scope::current();
        let mut instances = self
            .instances()
            .write()
            .unwrap_or_else(PoisonError::into_inner);
        let named = instances.entry(scope).or_default();
        if let Some(existing) = named.get(name) {
            return (existing, false);
        }
        // One allocation per name, at the first call.
        let created: &'static T = Box::leak(Box::new(create()));
        named.insert(name, created);
        (created, true)
    }

    /// Every instance of this thread's scope, in no particular order.
    pub(crate) fn snapshot(&self) -> Vec<&'static T> {
        let scope = crate::scope::current();
        self.instances()
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&scope)
            .map(|named| named.values().copied().collect())
            .unwrap_or_default()
    }
}

/// The settings an instance is created with, when overrides are installed: one function, set
/// by the `config` module, so that budgets, bulkheads, rate limiters and hedges know nothing of
/// where settings come from (and never import `config`).
pub(crate) struct SettingsOverride<C: 'static> {
    apply: OnceLock<fn(&'static str, C) -> C>,
}

impl<C: Copy> SettingsOverride<C> {
    pub(crate) const fn new() -> SettingsOverride<C> {
        SettingsOverride {
            apply: OnceLock::new(),
        }
    }

    /// Sets the one function that applies overrides; a second call changes nothing.
    #[cfg_attr(not(feature = "config"), allow(dead_code))]
    pub(crate) fn install(&self, apply: fn(&'static str, C) -> C) {
        let _ = self.apply.set(apply);
    }

    /// `compiled`, with the overrides for `name` applied if any are installed.
    pub(crate) fn applied(&self, name: &'static str, compiled: C) -> C {
        self.apply
            .get()
            .map_or(compiled, |apply| apply(name, compiled))
    }
}

/// A call site's instance, found (or created) by its first call and kept for every later one:
/// the one lookup every strategy's `static` site makes. Inside a test scope
/// ([`testing::scope`](crate::testing::scope)) the scope's own instance is looked up on every
/// call and never kept, so that scopes never see each other's.
pub(crate) struct SiteCache<T: 'static> {
    kept: OnceLock<&'static T>,
}

impl<T: Sync + 'static> SiteCache<T> {
    pub(crate) const fn new() -> SiteCache<T> {
        SiteCache {
            kept: OnceLock::new(),
        }
    }

    /// The instance: the kept one (one load, and one thread-local read that this thread holds
    /// no scope), or the one `register` finds or creates.
    #[inline]
    pub(crate) fn get(&self, register: impl FnOnce() -> &'static T) -> &'static T {
        match self.cached() {
            Some(kept) => kept,
            None => self.register(register),
        }
    }

    /// The kept instance, unless this thread holds a test scope (whose lookups go to its own
    /// instances; a scope is per thread, so other threads' scopes never redirect this one).
    #[inline]
    pub(crate) fn cached(&self) -> Option<&'static T> {
        match self.kept.get() {
            Some(kept) if !crate::scope::this_thread_scoped() => Some(kept),
            _ => None,
        }
    }

    #[cold]
    #[inline(never)]
    fn register(&self, register: impl FnOnce() -> &'static T) -> &'static T {
        if crate::scope::current() != 0 {
            // A test's scope: its own instance, never kept in the site.
            return register();
        }
        self.kept.get_or_init(register)
    }
}

impl<T: std::fmt::Debug + 'static> std::fmt::Debug for SiteCache<T> {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter
            .debug_struct("SiteCache")
            .field("kept", &self.kept.get())
            .finish()
    }
}
