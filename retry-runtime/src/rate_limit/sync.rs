//! The atomic the rate limiter's state lives in: std's, or loom's under `--cfg loom` so the
//! model-checking tests explore every interleaving of its compare-and-swap.

#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
