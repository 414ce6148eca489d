//! The atomics the throttle's window lives in: std's, or loom's under `--cfg loom` so the
//! model-checking tests explore every interleaving of its counts and sweeps.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
