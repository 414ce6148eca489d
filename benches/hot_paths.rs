//! Hot paths of `#[retry]` and `#[circuit_breaker]`, side by side with the peers in one run:
//! backon and tokio-retry2 for retries, failsafe and recloser for breakers.
//!
//! `cargo bench --bench hot_paths` (about 3 minutes on 2 cores), or
//! `cargo bench --bench hot_paths -- --quick` (under a minute). The README's table comes from it.

use std::cell::Cell;
use std::future::Future;
use std::hint::black_box;
use std::pin::pin;
use std::sync::Barrier;
use std::task::{Context, Poll, Waker};
use std::time::{Duration, Instant};

use backon::{BlockingRetryable, ConstantBuilder, ExponentialBuilder, Retryable};
use criterion::{Criterion, criterion_group, criterion_main};
use failsafe::CircuitBreaker as _;

#[path = "shared/hot_fns.rs"]
mod hot_fns;

use hot_fns::{
    Failed, bare, bare_async, flaky, guarded, retried, retried_async, retried_flaky,
    retried_flaky_async,
};

fn poll_once<F: Future>(future: F) -> Poll<F::Output> {
    let mut context = Context::from_waker(Waker::noop());
    pin!(future).poll(&mut context)
}

fn sync_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("sync success");
    group.bench_function("bare fn", |b| b.iter(|| bare(black_box(1))));
    group.bench_function("#[retry]", |b| b.iter(|| retried(black_box(1))));
    group.bench_function("backon blocking", |b| {
        b.iter(|| {
            (|| bare(black_box(1)))
                .retry(ExponentialBuilder::default())
                .call()
        });
    });
    group.finish();
}

fn async_success(c: &mut Criterion) {
    let mut group = c.benchmark_group("async success, polled once");
    group.bench_function("bare async fn", |b| {
        b.iter(|| poll_once(bare_async(black_box(1))))
    });
    group.bench_function("#[retry]", |b| {
        b.iter(|| poll_once(retried_async(black_box(1))))
    });
    group.bench_function("backon", |b| {
        b.iter(|| poll_once((|| bare_async(black_box(1))).retry(ExponentialBuilder::default())));
    });
    group.bench_function("tokio-retry2", |b| {
        b.iter(|| {
            let strategy = tokio_retry2::strategy::ExponentialBackoff::from_millis(100).take(2);
            poll_once(tokio_retry2::Retry::spawn(strategy, || async {
                Ok::<u64, tokio_retry2::RetryError<Failed>>(black_box(1))
            }))
        });
    });
    group.finish();
}

fn one_retry(c: &mut Criterion) {
    let mut group = c.benchmark_group("one failure then success, zero delay");
    let calls = Cell::new(0);
    group.bench_function("#[retry] sync", |b| b.iter(|| retried_flaky(&calls)));
    group.bench_function("backon blocking", |b| {
        b.iter(|| {
            (|| flaky(&calls))
                .retry(ConstantBuilder::default().with_delay(Duration::ZERO))
                .call()
        });
    });
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    group.bench_function("#[retry] async (tokio)", |b| {
        b.iter(|| runtime.block_on(retried_flaky_async(&calls)));
    });
    group.bench_function("backon async (tokio)", |b| {
        b.iter(|| {
            runtime.block_on(
                (|| async { flaky(&calls) })
                    .retry(ConstantBuilder::default().with_delay(Duration::ZERO)),
            )
        });
    });
    group.bench_function("tokio-retry2 (tokio)", |b| {
        b.iter(|| {
            let strategy = tokio_retry2::strategy::FixedInterval::from_millis(0).take(2);
            runtime.block_on(tokio_retry2::Retry::spawn(strategy, || async {
                flaky(&calls).map_err(tokio_retry2::RetryError::transient)
            }))
        });
    });
    group.finish();
}

fn failsafe_consecutive() -> impl failsafe::CircuitBreaker {
    let backoff = failsafe::backoff::constant(Duration::from_secs(30));
    failsafe::Config::new()
        .failure_policy(failsafe::failure_policy::consecutive_failures(5, backoff))
        .build()
}

fn breaker_closed(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker closed, success, 1 thread");
    let _ = guarded(1);
    let failsafe = failsafe_consecutive();
    let failsafe_default = failsafe::Config::new().build();
    let recloser = recloser::Recloser::default();
    group.bench_function("bare fn", |b| b.iter(|| bare(black_box(1))));
    group.bench_function("#[circuit_breaker]", |b| b.iter(|| guarded(black_box(1))));
    group.bench_function("failsafe (consecutive failures)", |b| {
        b.iter(|| failsafe.call(|| bare(black_box(1))));
    });
    group.bench_function("failsafe (default config)", |b| {
        b.iter(|| failsafe_default.call(|| bare(black_box(1))));
    });
    group.bench_function("recloser", |b| {
        b.iter(|| recloser.call(|| bare(black_box(1))))
    });
    group.finish();
}

/// Time per call with two threads calling through one breaker at once.
fn contended(iterations: u64, call: &(dyn Fn() + Sync)) -> Duration {
    let start_together = Barrier::new(2);
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..2)
            .map(|_| {
                scope.spawn(|| {
                    start_together.wait();
                    let start = Instant::now();
                    for _ in 0..iterations {
                        call();
                    }
                    start.elapsed()
                })
            })
            .collect();
        threads
            .into_iter()
            .map(|thread| thread.join().unwrap())
            .max()
            .unwrap_or_default()
    })
}

fn breaker_contended(c: &mut Criterion) {
    let mut group = c.benchmark_group("breaker closed, success, 2 threads contending");
    let _ = guarded(1);
    let failsafe = failsafe_consecutive();
    let recloser = recloser::Recloser::default();
    group.bench_function("bare fn", |b| {
        b.iter_custom(|iterations| contended(iterations, &|| drop(bare(black_box(1)))));
    });
    group.bench_function("#[circuit_breaker]", |b| {
        b.iter_custom(|iterations| contended(iterations, &|| drop(guarded(black_box(1)))));
    });
    group.bench_function("failsafe (consecutive failures)", |b| {
        b.iter_custom(|iterations| {
            contended(iterations, &|| drop(failsafe.call(|| bare(black_box(1)))))
        });
    });
    group.bench_function("recloser", |b| {
        b.iter_custom(|iterations| {
            contended(iterations, &|| drop(recloser.call(|| bare(black_box(1)))))
        });
    });
    group.finish();
}

fn future_sizes(_: &mut Criterion) {
    let ours = size_of_val(&retried_async(1));
    let bare = size_of_val(&bare_async(1));
    let backon = size_of_val(&(|| bare_async(1)).retry(ExponentialBuilder::default()));
    let tokio_retry2 = size_of_val(&tokio_retry2::Retry::spawn(
        tokio_retry2::strategy::ExponentialBackoff::from_millis(100).take(2),
        || async { Ok::<u64, tokio_retry2::RetryError<Failed>>(1) },
    ));
    println!(
        "future sizes: bare {bare} B, #[retry] {ours} B, backon {backon} B, tokio-retry2 {tokio_retry2} B, tokio Sleep {} B",
        size_of::<tokio::time::Sleep>()
    );
}

criterion_group!(
    benches,
    future_sizes,
    sync_success,
    async_success,
    one_retry,
    breaker_closed,
    breaker_contended
);
criterion_main!(benches);
