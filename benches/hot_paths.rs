//! Hot paths of `#[retry]` and `#[circuit_breaker]`, side by side with the peers in one run:
//! backon and tokio-retry2 for retries, failsafe and recloser for breakers.
//!
//! ```sh
//! # Everything but the metrics rows (the README's table; about 4 minutes on 2 cores, or
//! # add `-- --quick` for a rough run):
//! cargo bench --bench hot_paths
//! # The same plus the breaker (and a retry site) with feature `metrics` and a Prometheus
//! # recorder installed; the other groups then run with the feature on (and no recorder), and
//! # say so in their names:
//! cargo bench --bench hot_paths --features metrics
//! # Only the metrics rows:
//! cargo bench --bench hot_paths --features metrics -- 'Prometheus recorder'
//! # A smoke run of one group (seconds):
//! cargo bench --bench hot_paths -- --warm-up-time 0.2 --measurement-time 0.5 'sync success'
//! ```
//!
//! Every measured body can fail at run time and sits in a fn that is not inlined into the loop
//! (see `shared/hot_fns.rs`); the peers run the same bodies, through the same fns. Async rows
//! poll once with a no-op waker and no runtime, except the one group whose peers sleep with
//! tokio's timer; the "moved into place" groups move each fresh future before polling it (a real
//! copy, as a spawn or a `join!` makes), the others let the optimiser build it where it is
//! polled. Contended rows: two threads call through one breaker at once; the figure is the time
//! per call seen by one thread (the slower of the two). Instruction counts of the same fns:
//! `benches/instructions.sh`.

use std::cell::Cell;
use std::hint::black_box;
use std::sync::Barrier;
use std::time::{Duration, Instant};

use criterion::{
    BenchmarkGroup, Criterion, criterion_group, criterion_main, measurement::WallTime,
};

#[path = "shared/hot_fns.rs"]
mod hot_fns;

use hot_fns::{
    backon_async, backon_async_flaky, backon_async_flaky_no_sleep, backon_blocking,
    backon_blocking_flaky, bare, bare_async, chaotic, chaotic_async, failsafe_call,
    failsafe_consecutive, flaky, flaky_async, guarded, poll_moved, poll_once, recloser_call,
    retried, retried_async, retried_flaky, retried_flaky_async, tokio_retry2_async,
    tokio_retry2_async_flaky,
};

/// A group, named for what it measures; with feature `metrics` on (and no recorder installed
/// yet), the name says so, so that those figures are not taken for the plain build's.
fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    if cfg!(feature = "metrics") {
        c.benchmark_group(format!("{name} (feature metrics on, no recorder)"))
    } else {
        c.benchmark_group(name)
    }
}

fn sync_success(c: &mut Criterion) {
    let mut group = group(c, "sync success");
    group.bench_function("bare fn", |b| b.iter(|| bare(black_box(1))));
    group.bench_function("#[retry]", |b| b.iter(|| retried(black_box(1))));
    group.bench_function("#[chaos], no point configured", |b| {
        b.iter(|| chaotic(black_box(1)));
    });
    group.bench_function("backon blocking", |b| {
        b.iter(|| backon_blocking(black_box(1)));
    });
    group.finish();
}

fn async_success(c: &mut Criterion) {
    let mut group = group(c, "async success, polled once");
    group.bench_function("bare async fn", |b| {
        b.iter(|| poll_once(bare_async(black_box(1))));
    });
    group.bench_function("#[retry]", |b| {
        b.iter(|| poll_once(retried_async(black_box(1))));
    });
    group.bench_function("#[chaos], no point configured", |b| {
        b.iter(|| poll_once(chaotic_async(black_box(1))));
    });
    group.bench_function("backon", |b| {
        b.iter(|| poll_once(backon_async(black_box(1))));
    });
    group.bench_function("tokio-retry2", |b| {
        b.iter(|| poll_once(tokio_retry2_async(black_box(1))));
    });
    group.finish();
    // As a spawn or a `join!` runs it: the fresh future is moved into place, a real copy of it.
    let mut group = self::group(c, "async success, moved into place, polled once");
    group.bench_function("bare async fn", |b| {
        b.iter(|| poll_moved(bare_async(black_box(1))));
    });
    group.bench_function("#[retry]", |b| {
        b.iter(|| poll_moved(retried_async(black_box(1))));
    });
    group.bench_function("backon", |b| {
        b.iter(|| poll_moved(backon_async(black_box(1))));
    });
    group.bench_function("tokio-retry2", |b| {
        b.iter(|| poll_moved(tokio_retry2_async(black_box(1))));
    });
    group.finish();
}

/// Checks that every call above saw one failure, then a success: two body calls each.
fn assert_even(calls: &Cell<u64>) {
    assert!(
        calls.get().is_multiple_of(2),
        "the flaky body lost its rhythm"
    );
}

fn sync_one_retry(c: &mut Criterion) {
    let mut group = group(c, "sync, one failure then success, zero delay");
    let calls = Cell::new(0);
    group.bench_function("bare fn called twice (limit)", |b| {
        b.iter(|| {
            let _ = flaky(black_box(&calls));
            flaky(black_box(&calls))
        });
    });
    group.bench_function("#[retry]", |b| {
        b.iter(|| retried_flaky(black_box(&calls)));
    });
    group.bench_function("backon blocking", |b| {
        b.iter(|| backon_blocking_flaky(black_box(&calls)));
    });
    assert_even(&calls);
    group.finish();
}

fn async_one_retry(c: &mut Criterion) {
    let mut group = group(
        c,
        "async, one failure then success, zero delay, polled once",
    );
    let calls = Cell::new(0);
    group.bench_function("bare async fn polled twice (limit)", |b| {
        b.iter(|| {
            let _ = poll_once(flaky_async(black_box(&calls)));
            poll_once(flaky_async(black_box(&calls)))
        });
    });
    group.bench_function("#[retry]", |b| {
        b.iter(|| poll_once(retried_flaky_async(black_box(&calls))));
    });
    // backon's default sleeper is tokio's, which waits for a timer tick even for a zero delay;
    // tokio-retry2 has no other, so it is measured only in the tokio group below.
    group.bench_function("backon, no-op sleeper", |b| {
        b.iter(|| poll_once(backon_async_flaky_no_sleep(black_box(&calls))));
    });
    assert_even(&calls);
    group.finish();
}

fn async_one_retry_tokio(c: &mut Criterion) {
    let mut group = group(
        c,
        "async, one failure then success, zero delay, tokio current_thread block_on",
    );
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a tokio runtime");
    let calls = Cell::new(0);
    group.bench_function("#[retry]", |b| {
        b.iter(|| runtime.block_on(retried_flaky_async(black_box(&calls))));
    });
    group.bench_function("backon (tokio sleep, waits a timer tick)", |b| {
        b.iter(|| runtime.block_on(backon_async_flaky(black_box(&calls))));
    });
    group.bench_function("tokio-retry2 (tokio sleep, waits a timer tick)", |b| {
        b.iter(|| runtime.block_on(tokio_retry2_async_flaky(black_box(&calls))));
    });
    assert_even(&calls);
    group.finish();
}

/// The same paths with the error type users write: an enum with a payload variant, selected
/// with `on = [Timeout, Io]` (backon with the matching `when`).
fn enum_error(c: &mut Criterion) {
    use hot_fns::{
        backon_api_async, backon_api_async_flaky_no_sleep, backon_blocking_api,
        backon_blocking_flaky_api, bare_api, bare_api_async, flaky_api, flaky_api_async,
        retried_api, retried_api_async, retried_flaky_api, retried_flaky_api_async,
    };
    let mut group = self::group(c, "enum error, sync success");
    group.bench_function("bare fn", |b| b.iter(|| bare_api(black_box(1))));
    group.bench_function("#[retry(on = [Timeout, Io])]", |b| {
        b.iter(|| retried_api(black_box(1)));
    });
    group.bench_function("backon blocking", |b| {
        b.iter(|| backon_blocking_api(black_box(1)));
    });
    group.finish();
    let mut group = self::group(c, "enum error, async success, polled once");
    group.bench_function("bare async fn", |b| {
        b.iter(|| poll_once(bare_api_async(black_box(1))));
    });
    group.bench_function("#[retry(on = [Timeout, Io])]", |b| {
        b.iter(|| poll_once(retried_api_async(black_box(1))));
    });
    group.bench_function("backon", |b| {
        b.iter(|| poll_once(backon_api_async(black_box(1))));
    });
    group.finish();
    let mut group = self::group(
        c,
        "enum error, async success, moved into place, polled once",
    );
    group.bench_function("bare async fn", |b| {
        b.iter(|| poll_moved(bare_api_async(black_box(1))));
    });
    group.bench_function("#[retry(on = [Timeout, Io])]", |b| {
        b.iter(|| poll_moved(retried_api_async(black_box(1))));
    });
    group.bench_function("backon", |b| {
        b.iter(|| poll_moved(backon_api_async(black_box(1))));
    });
    group.finish();
    let calls = Cell::new(0);
    let mut group = self::group(c, "enum error, sync, one failure then success, zero delay");
    group.bench_function("bare fn called twice (limit)", |b| {
        b.iter(|| {
            let _ = flaky_api(black_box(&calls));
            flaky_api(black_box(&calls))
        });
    });
    group.bench_function("#[retry(on = [Timeout, Io])]", |b| {
        b.iter(|| retried_flaky_api(black_box(&calls)));
    });
    group.bench_function("backon blocking", |b| {
        b.iter(|| backon_blocking_flaky_api(black_box(&calls)));
    });
    assert_even(&calls);
    group.finish();
    let mut group = self::group(
        c,
        "enum error, async, one failure then success, zero delay, polled once",
    );
    group.bench_function("bare async fn polled twice (limit)", |b| {
        b.iter(|| {
            let _ = poll_once(flaky_api_async(black_box(&calls)));
            poll_once(flaky_api_async(black_box(&calls)))
        });
    });
    group.bench_function("#[retry(on = [Timeout, Io])]", |b| {
        b.iter(|| poll_once(retried_flaky_api_async(black_box(&calls))));
    });
    group.bench_function("backon, no-op sleeper", |b| {
        b.iter(|| poll_once(backon_api_async_flaky_no_sleep(black_box(&calls))));
    });
    assert_even(&calls);
    group.finish();
}

fn breaker_closed(c: &mut Criterion) {
    let mut group = group(c, "breaker closed, success, 1 thread");
    // The first call registers the breaker.
    let _ = guarded(1);
    let recloser = recloser::Recloser::default();
    let failsafe = failsafe_consecutive();
    let failsafe_default = failsafe::Config::new().build();
    group.bench_function("bare fn", |b| b.iter(|| bare(black_box(1))));
    group.bench_function("#[circuit_breaker]", |b| b.iter(|| guarded(black_box(1))));
    group.bench_function("recloser", |b| {
        b.iter(|| recloser_call(&recloser, black_box(1)));
    });
    group.bench_function("failsafe (consecutive failures)", |b| {
        b.iter(|| failsafe_call(&failsafe, black_box(1)));
    });
    group.bench_function("failsafe (default config)", |b| {
        b.iter(|| failsafe_call(&failsafe_default, black_box(1)));
    });
    group.finish();
}

/// Two threads each make `iterations` calls at once; returns the slower thread's time, so the
/// figure is the time per call one thread sees while the other contends.
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

fn breaker_contended(c: &mut Criterion) {
    let mut group = group(c, "breaker closed, success, 2 threads contending");
    let _ = guarded(1);
    let recloser = recloser::Recloser::default();
    let failsafe = failsafe_consecutive();
    let failsafe_default = failsafe::Config::new().build();
    group.bench_function("bare fn", |b| {
        b.iter_custom(|iterations| contended(iterations, || bare(black_box(1))));
    });
    group.bench_function("#[circuit_breaker]", |b| {
        b.iter_custom(|iterations| contended(iterations, || guarded(black_box(1))));
    });
    group.bench_function("recloser", |b| {
        b.iter_custom(|iterations| {
            contended(iterations, || recloser_call(&recloser, black_box(1)))
        });
    });
    group.bench_function("failsafe (consecutive failures)", |b| {
        b.iter_custom(|iterations| {
            contended(iterations, || failsafe_call(&failsafe, black_box(1)))
        });
    });
    group.bench_function("failsafe (default config)", |b| {
        b.iter_custom(|iterations| {
            contended(iterations, || {
                failsafe_call(&failsafe_default, black_box(1))
            })
        });
    });
    group.finish();
}

/// With feature `metrics`: metrics-exporter-prometheus's recorder installed globally, then the
/// breaker (and a retry site) of their own, first called after it, at 1 and 2 threads. Runs
/// last, since the recorder stays installed.
#[cfg(feature = "metrics")]
fn with_prometheus(c: &mut Criterion) {
    use hot_fns::{guarded_metrics, install_prometheus_recorder, retried_metrics};

    install_prometheus_recorder();
    let _ = guarded_metrics(1);
    let _ = retried_metrics(1);

    let mut group = c.benchmark_group("success, feature metrics, Prometheus recorder, 1 thread");
    group.bench_function("bare fn", |b| b.iter(|| bare(black_box(1))));
    group.bench_function("#[circuit_breaker] (closed)", |b| {
        b.iter(|| guarded_metrics(black_box(1)));
    });
    group.bench_function("#[retry]", |b| {
        b.iter(|| retried_metrics(black_box(1)));
    });
    group.finish();

    let mut group =
        c.benchmark_group("success, feature metrics, Prometheus recorder, 2 threads contending");
    group.bench_function("bare fn", |b| {
        b.iter_custom(|iterations| contended(iterations, || bare(black_box(1))));
    });
    group.bench_function("#[circuit_breaker] (closed)", |b| {
        b.iter_custom(|iterations| contended(iterations, || guarded_metrics(black_box(1))));
    });
    group.bench_function("#[retry]", |b| {
        b.iter_custom(|iterations| contended(iterations, || retried_metrics(black_box(1))));
    });
    group.finish();
}

#[cfg(not(feature = "metrics"))]
fn with_prometheus(_: &mut Criterion) {}

/// Not a timing: the sizes of the futures the async rows poll.
fn future_sizes(_: &mut Criterion) {
    let calls = Cell::new(0);
    println!(
        "future sizes: bare async fn {} B, #[retry] {} B, backon {} B, tokio-retry2 {} B, tokio Sleep {} B",
        size_of_val(&bare_async(1)),
        size_of_val(&retried_async(1)),
        size_of_val(&backon_async(1)),
        size_of_val(&tokio_retry2_async(1)),
        size_of::<tokio::time::Sleep>()
    );
    println!(
        "future sizes, enum error: bare async fn {} B, #[retry] {} B, backon {} B",
        size_of_val(&hot_fns::bare_api_async(1)),
        size_of_val(&hot_fns::retried_api_async(1)),
        size_of_val(&hot_fns::backon_api_async(1)),
    );
    println!(
        "future sizes, flaky body: bare async fn {} B, #[retry] {} B, backon {} B, tokio-retry2 {} B",
        size_of_val(&flaky_async(&calls)),
        size_of_val(&retried_flaky_async(&calls)),
        size_of_val(&backon_async_flaky(&calls)),
        size_of_val(&tokio_retry2_async_flaky(&calls)),
    );
}

criterion_group!(
    benches,
    future_sizes,
    sync_success,
    async_success,
    sync_one_retry,
    async_one_retry,
    async_one_retry_tokio,
    enum_error,
    breaker_closed,
    breaker_contended,
    // Last: it installs a global recorder.
    with_prometheus
);
criterion_main!(benches);
