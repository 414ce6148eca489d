//! Admission by `#[bulkhead]` and `#[rate_limit]`, side by side with the peers in one run:
//! tokio's `Semaphore::try_acquire` for the bulkhead, governor's `check()` for the rate limiter.
//!
//! ```sh
//! cargo bench --bench limits
//! # A smoke run (seconds):
//! cargo bench --bench limits -- --warm-up-time 0.2 --measurement-time 0.5
//! ```
//!
//! As in `hot_paths.rs`, every body can fail at run time (it compares a `black_box`ed input with
//! `FAILING_INPUT`) and sits in a fn that is not inlined into the loop: the bare fn, the
//! attributed fns, and the fn the peers wrap at the call site, the way their users write them.
//! Neither limiter ever runs out here (the bulkhead has more slots than threads, the rate is a
//! billion a second with a burst as large), so every row measures the uncontended admission
//! path: the bulkhead's acquire and release around the body, the rate limiter's clock read and
//! compare-and-swap. The row "two atomic RMWs around the bare fn" is the bulkhead's floor: a
//! `fetch_sub` and a `fetch_add` on one atomic, written by hand. `#[rate_limit]` on a sync fn
//! reads the coarse monotonic clock (`CLOCK_MONOTONIC_COARSE`); governor is measured on both of
//! its clocks: the std clock (`Instant::now()`, whose cost the row "bare fn after
//! Instant::now()" shows) and quanta's (its default, the TSC read and scaled). Two-thread rows:
//! both threads call through one limiter at once; the figure is the time per call seen by one
//! thread (the slower of the two).

use std::hint::black_box;
use std::num::NonZeroU32;
use std::sync::Barrier;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use retry_runtime::{BulkheadFull, RateLimited, bulkhead, rate_limit};

/// The error of every body.
#[derive(Debug)]
struct Failed;

impl From<BulkheadFull> for Failed {
    fn from(_: BulkheadFull) -> Self {
        Failed
    }
}

impl From<RateLimited> for Failed {
    fn from(_: RateLimited) -> Self {
        Failed
    }
}

/// The input on which the bodies fail; the measuring loops pass other values.
const FAILING_INPUT: u64 = u64::MAX;

/// The body: fails on [`FAILING_INPUT`], which the optimiser cannot rule out.
#[inline(always)]
fn body(x: u64) -> Result<u64, Failed> {
    let x = black_box(x);
    if x == FAILING_INPUT {
        Err(Failed)
    } else {
        Ok(x)
    }
}

#[inline(never)]
fn bare(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// The floor of any exact rate limiter on the std clock: the bare fn after one clock read.
#[inline(never)]
fn bare_after_clock_read(x: u64) -> Result<u64, Failed> {
    black_box(Instant::now());
    body(x)
}

/// The bulkhead's floor: one `fetch_sub` before the body and one `fetch_add` after it, on one
/// atomic, as a hand-written limiter with no lookup, no queue and no rejection path would do.
#[inline(never)]
fn two_atomic_rmws_around(x: u64) -> Result<u64, Failed> {
    static FREE: AtomicI64 = AtomicI64::new(1_000_000);
    if FREE.fetch_sub(1, Ordering::Acquire) <= 0 {
        FREE.fetch_add(1, Ordering::Release);
        return Err(Failed);
    }
    let result = body(x);
    FREE.fetch_add(1, Ordering::Release);
    result
}

#[bulkhead(name = "bench", max_concurrent = 1_000_000)]
#[inline(never)]
fn in_a_slot(x: u64) -> Result<u64, Failed> {
    body(x)
}

#[rate_limit(name = "bench", per_second = 1_000_000_000, burst = 1_000_000_000)]
#[inline(never)]
fn rate_limited(x: u64) -> Result<u64, Failed> {
    body(x)
}

/// tokio's semaphore as a bulkhead, at the call site.
#[inline(always)]
fn semaphore_call(semaphore: &tokio::sync::Semaphore, x: u64) -> Result<u64, Failed> {
    let _permit = semaphore.try_acquire().map_err(|_| Failed)?;
    bare(x)
}

/// governor's direct rate limiter on the clock `C`.
type Governor<C> = governor::RateLimiter<
    governor::state::NotKeyed,
    governor::state::InMemoryState,
    C,
    governor::middleware::NoOpMiddleware<<C as governor::clock::Clock>::Instant>,
>;

/// governor's direct rate limiter, at the call site.
#[inline(always)]
fn governor_call<C: governor::clock::Clock>(limiter: &Governor<C>, x: u64) -> Result<u64, Failed> {
    limiter.check().map_err(|_| Failed)?;
    bare(x)
}

fn semaphore() -> tokio::sync::Semaphore {
    tokio::sync::Semaphore::new(1_000_000)
}

fn governor_quota() -> governor::Quota {
    let rate = NonZeroU32::new(1_000_000_000).expect("not zero");
    governor::Quota::per_second(rate).allow_burst(rate)
}

/// governor on the std clock (`Instant::now()`).
fn governor_std() -> Governor<governor::clock::MonotonicClock> {
    governor::RateLimiter::direct_with_clock(governor_quota(), governor::clock::MonotonicClock)
}

/// governor on quanta's clock, its default.
fn governor_quanta() -> Governor<governor::clock::QuantaClock> {
    governor::RateLimiter::direct_with_clock(
        governor_quota(),
        governor::clock::QuantaClock::default(),
    )
}

/// Time for `iterations` calls on each of two threads started together: the slower thread's.
fn contended<R>(iterations: u64, call: impl Fn() -> R + Sync) -> Duration {
    let start_together = Barrier::new(2);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    start_together.wait();
                    let start = Instant::now();
                    for _ in 0..iterations {
                        black_box(call());
                    }
                    start.elapsed()
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().expect("a benchmark thread panicked"))
            .max()
            .unwrap_or_default()
    })
}

fn bulkhead_admission(c: &mut Criterion) {
    let semaphore = semaphore();
    let _ = in_a_slot(1);
    let mut group = c.benchmark_group("bulkhead admission, 1 thread");
    group.bench_function("bare fn", |b| b.iter(|| bare(black_box(1))));
    group.bench_function("two atomic RMWs around the bare fn", |b| {
        b.iter(|| two_atomic_rmws_around(black_box(1)));
    });
    group.bench_function("#[bulkhead]", |b| b.iter(|| in_a_slot(black_box(1))));
    group.bench_function("tokio Semaphore::try_acquire", |b| {
        b.iter(|| semaphore_call(&semaphore, black_box(1)));
    });
    group.finish();

    let mut group = c.benchmark_group("bulkhead admission, 2 threads");
    group.bench_function("bare fn", |b| {
        b.iter_custom(|iterations| contended(iterations, || bare(black_box(1))));
    });
    group.bench_function("two atomic RMWs around the bare fn", |b| {
        b.iter_custom(|iterations| contended(iterations, || two_atomic_rmws_around(black_box(1))));
    });
    group.bench_function("#[bulkhead]", |b| {
        b.iter_custom(|iterations| contended(iterations, || in_a_slot(black_box(1))));
    });
    group.bench_function("tokio Semaphore::try_acquire", |b| {
        b.iter_custom(|iterations| {
            contended(iterations, || semaphore_call(&semaphore, black_box(1)))
        });
    });
    group.finish();
}

fn rate_limiter_admission(c: &mut Criterion) {
    let (governor_std, governor_quanta) = (governor_std(), governor_quanta());
    let _ = rate_limited(1);
    let mut group = c.benchmark_group("rate limiter admission, 1 thread");
    group.bench_function("bare fn", |b| b.iter(|| bare(black_box(1))));
    group.bench_function("bare fn after Instant::now()", |b| {
        b.iter(|| bare_after_clock_read(black_box(1)));
    });
    group.bench_function("#[rate_limit]", |b| {
        b.iter(|| rate_limited(black_box(1)));
    });
    group.bench_function("governor check(), std clock", |b| {
        b.iter(|| governor_call(&governor_std, black_box(1)));
    });
    group.bench_function("governor check(), quanta clock", |b| {
        b.iter(|| governor_call(&governor_quanta, black_box(1)));
    });
    group.finish();

    let mut group = c.benchmark_group("rate limiter admission, 2 threads on one limiter");
    group.bench_function("bare fn", |b| {
        b.iter_custom(|iterations| contended(iterations, || bare(black_box(1))));
    });
    group.bench_function("bare fn after Instant::now()", |b| {
        b.iter_custom(|iterations| contended(iterations, || bare_after_clock_read(black_box(1))));
    });
    group.bench_function("#[rate_limit]", |b| {
        b.iter_custom(|iterations| contended(iterations, || rate_limited(black_box(1))));
    });
    group.bench_function("governor check(), std clock", |b| {
        b.iter_custom(|iterations| {
            contended(iterations, || governor_call(&governor_std, black_box(1)))
        });
    });
    group.bench_function("governor check(), quanta clock", |b| {
        b.iter_custom(|iterations| {
            contended(iterations, || governor_call(&governor_quanta, black_box(1)))
        });
    });
    group.finish();
}

criterion_group!(benches, bulkhead_admission, rate_limiter_admission);
criterion_main!(benches);
