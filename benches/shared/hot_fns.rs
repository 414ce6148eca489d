//! The fns both `benches/hot_paths.rs` (timings) and `examples/hot_path_loop.rs` (instruction
//! counts) measure, so the two report on the same code.

use std::cell::Cell;
use std::hint::black_box;

use retry_runtime::{CircuitOpen, circuit_breaker, retry};

#[derive(Debug)]
pub struct Failed;

impl From<CircuitOpen> for Failed {
    fn from(_: CircuitOpen) -> Self {
        Failed
    }
}

#[inline(never)]
pub fn bare(x: u64) -> Result<u64, Failed> {
    Ok(black_box(x))
}

#[retry]
#[inline(never)]
pub fn retried(x: u64) -> Result<u64, Failed> {
    Ok(black_box(x))
}

#[inline(never)]
pub async fn bare_async(x: u64) -> Result<u64, Failed> {
    Ok(black_box(x))
}

#[retry]
#[inline(never)]
pub async fn retried_async(x: u64) -> Result<u64, Failed> {
    Ok(black_box(x))
}

/// Fails every other call: one failure, then a success.
pub fn flaky(calls: &Cell<u64>) -> Result<u64, Failed> {
    calls.set(calls.get() + 1);
    if calls.get() % 2 == 1 {
        Err(Failed)
    } else {
        Ok(calls.get())
    }
}

#[retry(delay = "0ms", jitter = "none")]
#[inline(never)]
pub fn retried_flaky(calls: &Cell<u64>) -> Result<u64, Failed> {
    flaky(calls)
}

#[retry(delay = "0ms", jitter = "none")]
pub async fn retried_flaky_async(calls: &Cell<u64>) -> Result<u64, Failed> {
    flaky(calls)
}

#[circuit_breaker(name = "hot-path", failure_threshold = 5)]
#[inline(never)]
pub fn guarded(x: u64) -> Result<u64, Failed> {
    Ok(black_box(x))
}
