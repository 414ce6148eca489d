//! Scopes of names for tests: while a thread holds a scope, the breakers and budgets it finds
//! by name are the scope's own, so parallel tests that use the same names never share them.

use std::cell::Cell;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};

/// Scopes held by any thread now: while 0, name lookups skip the thread-local read.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
static NEXT: AtomicU64 = AtomicU64::new(1);

thread_local! {
    static CURRENT: Cell<u64> = const { Cell::new(0) };
}

/// The scope this thread's lookups use: 0 for the process-wide names.
#[inline]
pub(crate) fn current() -> u64 {
    if ACTIVE.load(Ordering::Relaxed) == 0 {
        return 0;
    }
    CURRENT.try_with(Cell::get).unwrap_or(0)
}

/// Whether this thread holds a scope: one thread-local read (a `const`-initialised cell without
/// a destructor, readable even while the thread's other locals are destroyed), for a lookup
/// cached per site that only this thread's scope can redirect.
#[inline]
pub(crate) fn this_thread_scoped() -> bool {
    CURRENT.with(Cell::get) != 0
}

/// A scope of breaker and budget names, held by one thread until dropped. See
/// [`testing::scope`](crate::testing::scope).
#[must_use = "the scope ends when this guard is dropped"]
#[derive(Debug)]
pub struct NameScope {
    id: u64,
    previous: u64,
    /// Not `Send`: the scope belongs to the thread that entered it.
    _thread: std::marker::PhantomData<*const ()>,
}

impl NameScope {
    pub(crate) fn enter() -> NameScope {
        let id = NEXT.fetch_add(1, Ordering::Relaxed);
        ACTIVE.fetch_add(1, Ordering::SeqCst);
        let previous = CURRENT.with(|current| current.replace(id));
        NameScope {
            id,
            previous,
            _thread: std::marker::PhantomData,
        }
    }

    /// The scope's number (never 0, which is the process-wide scope).
    pub fn id(&self) -> u64 {
        self.id
    }
}

impl Drop for NameScope {
    fn drop(&mut self) {
        CURRENT.with(|current| current.set(self.previous));
        ACTIVE.fetch_sub(1, Ordering::SeqCst);
    }
}
