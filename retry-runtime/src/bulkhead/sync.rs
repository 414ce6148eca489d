//! The atomics, mutex and thread parking the bulkhead's permits use: std's, or loom's under
//! `--cfg loom` so the model-checking tests explore every interleaving.

#[cfg(loom)]
pub(crate) use loom::sync::Mutex;
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
#[cfg(loom)]
pub(crate) use loom::thread::{Thread, current};
#[cfg(not(loom))]
pub(crate) use std::sync::Mutex;
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::thread::{Thread, current};

/// Parks this thread until unparked or `timeout` passes (loom has no timed park: its models
/// only wait for permits that are released).
pub(crate) fn park_timeout(timeout: std::time::Duration) {
    #[cfg(loom)]
    {
        let _ = timeout;
        loom::thread::park();
    }
    #[cfg(not(loom))]
    std::thread::park_timeout(timeout);
}
