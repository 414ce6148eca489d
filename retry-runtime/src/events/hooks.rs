//! One hook trait for every event of retries and breakers, installable globally.
//!
//! With no hook installed, emitting an event costs one relaxed atomic load. Installed hooks run
//! on the calling thread, never under a lock (the list is cloned out first), and a hook that
//! panics is caught: the call it observed carries on.

use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, PoisonError, RwLock};

pub use super::{BreakerOutcome, Event};

/// Receives every [`Event`]. Implemented for any `Fn(&Event) + Send + Sync`.
///
/// ```
/// use std::sync::{Arc, Mutex};
/// use retry_runtime::hooks::{Event, install_hook};
///
/// let seen = Arc::new(Mutex::new(Vec::new()));
/// let sink = Arc::clone(&seen);
/// let _hook = install_hook(move |event: &Event<'_>| {
///     if let Event::RetryScheduled { attempt, .. } = event {
///         sink.lock().unwrap().push(*attempt);
///     }
/// });
///
/// let _paused = retry_runtime::testing::pause_sync_time();
/// let mut calls = 0;
/// let _: Result<(), &str> = retry_runtime::RetryPolicy::DEFAULT.retry(|| {
///     calls += 1;
///     if calls < 3 { Err("busy") } else { Ok(()) }
/// });
/// assert_eq!(*seen.lock().unwrap(), [1, 2]);
/// ```
pub trait Hook: Send + Sync + 'static {
    /// Called on the thread where the event happened.
    fn on_event(&self, event: &Event<'_>);
}

impl<F: Fn(&Event<'_>) + Send + Sync + 'static> Hook for F {
    fn on_event(&self, event: &Event<'_>) {
        self(event);
    }
}

type Installed = Arc<Vec<(u64, Arc<dyn Hook>)>>;

static ANY_INSTALLED: AtomicBool = AtomicBool::new(false);
static NEXT_ID: AtomicU64 = AtomicU64::new(0);

fn installed() -> &'static RwLock<Installed> {
    static HOOKS: std::sync::OnceLock<RwLock<Installed>> = std::sync::OnceLock::new();
    HOOKS.get_or_init(RwLock::default)
}

/// Installs `hook` for every thread until the returned guard is dropped.
pub fn install_hook(hook: impl Hook) -> HookGuard {
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let mut hooks = installed().write().unwrap_or_else(PoisonError::into_inner);
    let mut next: Vec<(u64, Arc<dyn Hook>)> = hooks.as_ref().clone();
    next.push((id, Arc::new(hook)));
    *hooks = Arc::new(next);
    ANY_INSTALLED.store(true, Ordering::Release);
    HookGuard { id }
}

/// Removes its hook when dropped; [`HookGuard::keep`] leaves it installed for good.
#[must_use = "the hook is removed as soon as the guard is dropped; call `.keep()` to keep it"]
pub struct HookGuard {
    id: u64,
}

impl HookGuard {
    /// Leaves the hook installed for the rest of the process.
    pub fn keep(self) {
        std::mem::forget(self);
    }
}

impl fmt::Debug for HookGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HookGuard").field("id", &self.id).finish()
    }
}

impl Drop for HookGuard {
    fn drop(&mut self) {
        let mut hooks = installed().write().unwrap_or_else(PoisonError::into_inner);
        let next: Vec<(u64, Arc<dyn Hook>)> = hooks
            .iter()
            .filter(|(id, _)| *id != self.id)
            .cloned()
            .collect();
        ANY_INSTALLED.store(!next.is_empty(), Ordering::Release);
        *hooks = Arc::new(next);
    }
}

/// Whether any hook is installed.
#[inline]
pub(crate) fn any_installed() -> bool {
    ANY_INSTALLED.load(Ordering::Relaxed)
}

/// Delivers `event` to every installed hook.
pub(super) fn on_event(event: &Event<'_>) {
    if !ANY_INSTALLED.load(Ordering::Acquire) {
        return;
    }
    let hooks = Arc::clone(&installed().read().unwrap_or_else(PoisonError::into_inner));
    for (_, hook) in hooks.iter() {
        if catch_unwind(AssertUnwindSafe(|| hook.on_event(event))).is_err() {
            tracing::error!(
                target: crate::TRACING_TARGET,
                ?event,
                "a retry_runtime hook panicked; the call carries on"
            );
        }
    }
}
