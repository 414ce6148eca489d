//! Allocation counts are exact, so they are asserted: a `#[retry]` call allocates nothing, on the
//! success path and on the retry path, sync and async, and neither does the functional API, a
//! breaker, a bulkhead or a rate limiter.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

use retry_runtime::{CircuitOpen, RetryPolicy, circuit_breaker, retry};

/// Counts allocations made by the current thread only, so parallel tests do not interfere.
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

// SAFETY: delegates to `System`; the counter is a const-initialised thread-local `Cell`, which
// neither allocates nor re-enters the allocator.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let _ = ALLOCATIONS.try_with(|count| count.set(count.get() + 1));
        // SAFETY: forwarded with the caller's layout.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's pointer and layout.
        unsafe { System.dealloc(pointer, layout) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

/// Allocations of the second of two identical runs: the steady state. A first run may register
/// a breaker (once per name) or, with the `metrics` feature, build a metric series' labels (once
/// per series).
fn allocations_during<R>(mut run: impl FnMut() -> R) -> (R, u64) {
    let _ = run();
    let before = ALLOCATIONS.with(Cell::get);
    let result = run();
    (result, ALLOCATIONS.with(Cell::get) - before)
}

#[derive(Debug, PartialEq)]
struct Busy;

#[retry(max_attempts = 5, delay = "1ms", max_elapsed = "10s")]
fn fails_then_succeeds(calls: &Cell<u32>, failures: u32) -> Result<u32, Busy> {
    calls.set(calls.get() + 1);
    if calls.get() <= failures {
        Err(Busy)
    } else {
        Ok(calls.get())
    }
}

#[retry(
    max_attempts = 5,
    delay = "1ms",
    jitter = "decorrelated",
    attempt_timeout = "1s"
)]
async fn fails_then_succeeds_async(calls: &Cell<u32>, failures: u32) -> Result<u32, Busy> {
    calls.set(calls.get() + 1);
    // A real await point; tokio's `yield_now` would allocate on its own, so it is not used.
    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    if calls.get() <= failures {
        Err(Busy)
    } else {
        Ok(calls.get())
    }
}

impl From<retry_runtime::AttemptTimeout> for Busy {
    fn from(_: retry_runtime::AttemptTimeout) -> Self {
        Busy
    }
}

#[test]
fn sync_success_and_retry_paths_allocate_nothing() {
    let _paused = retry_runtime::testing::pause_sync_time();
    let calls = Cell::new(0);
    // Warm-up: the first retry on a thread seeds its jitter generator and registers the
    // tracing callsites; neither allocates, but the steady state is what is measured.
    let _ = fails_then_succeeds(&calls, 1);

    let (result, allocations) = allocations_during(|| {
        calls.set(0);
        fails_then_succeeds(&calls, 0)
    });
    assert_eq!((result, allocations), (Ok(1), 0), "success path");

    let (result, allocations) = allocations_during(|| {
        calls.set(0);
        fails_then_succeeds(&calls, 3)
    });
    assert_eq!((result, allocations), (Ok(4), 0), "retry path");

    let (result, allocations) = allocations_during(|| {
        calls.set(0);
        fails_then_succeeds(&calls, 9)
    });
    assert_eq!((result, allocations), (Err(Busy), 0), "exhausted");
}

#[test]
fn async_success_and_retry_paths_allocate_nothing() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    let calls = Cell::new(0);
    let _ = runtime.block_on(fails_then_succeeds_async(&calls, 2));

    let (result, allocations) = allocations_during(|| {
        calls.set(0);
        runtime.block_on(fails_then_succeeds_async(&calls, 0))
    });
    assert_eq!((result, allocations), (Ok(1), 0), "success path");

    let (result, allocations) = allocations_during(|| {
        calls.set(0);
        runtime.block_on(fails_then_succeeds_async(&calls, 3))
    });
    assert_eq!((result, allocations), (Ok(4), 0), "retry path");
}

#[test]
fn functional_api_allocates_nothing() {
    let _paused = retry_runtime::testing::pause_sync_time();
    let policy = RetryPolicy::DEFAULT;
    let mut calls = 0;
    let _: Result<(), Busy> = policy.retry(|| Err(Busy));
    let (result, allocations) = allocations_during(|| {
        calls = 0;
        policy.retry(|| {
            calls += 1;
            if calls < 3 { Err(Busy) } else { Ok(calls) }
        })
    });
    assert_eq!((result, allocations), (Ok(3), 0));
}

impl From<CircuitOpen> for Busy {
    fn from(_: CircuitOpen) -> Self {
        Busy
    }
}

#[circuit_breaker(
    name = "allocation-count",
    failure_threshold = 1000,
    failure_rate = 0.9,
    window = 50
)]
fn guarded(fail: bool) -> Result<u32, Busy> {
    if fail { Err(Busy) } else { Ok(1) }
}

#[circuit_breaker(name = "allocation-count-async", failure_threshold = 1000)]
async fn guarded_async(fail: bool) -> Result<u32, Busy> {
    if fail { Err(Busy) } else { Ok(1) }
}

#[test]
fn breaker_calls_in_closed_state_allocate_nothing() {
    // The first call registers the breaker (one allocation per name, once); calls after it are
    // what is counted.
    let _ = guarded(false);
    let (result, allocations) = allocations_during(|| guarded(false));
    assert_eq!((result, allocations), (Ok(1), 0), "success");
    let (result, allocations) = allocations_during(|| guarded(true));
    assert_eq!((result, allocations), (Err(Busy), 0), "failure");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let _ = runtime.block_on(guarded_async(false));
    let (result, allocations) = allocations_during(|| runtime.block_on(guarded_async(false)));
    assert_eq!((result, allocations), (Ok(1), 0), "async success");
}

#[cfg(feature = "metrics")]
#[circuit_breaker(name = "allocation-count-metrics", failure_threshold = 1000)]
fn guarded_with_metrics(fail: bool) -> Result<u32, Busy> {
    if fail { Err(Busy) } else { Ok(1) }
}

#[cfg(feature = "metrics")]
#[retry(
    max_attempts = 3,
    delay = "0ms",
    name = "allocation-count-metrics-retry"
)]
fn retried_with_metrics(calls: &Cell<u32>) -> Result<u32, Busy> {
    calls.set(calls.get() + 1);
    if calls.get() % 2 == 1 {
        Err(Busy)
    } else {
        Ok(calls.get())
    }
}

/// With a Prometheus recorder installed, the breaker and the retry site resolve their metric
/// handles on their first event; after that, a call allocates nothing.
#[cfg(feature = "metrics")]
#[test]
fn with_a_prometheus_recorder_calls_allocate_nothing() {
    // Leaked, like a global recorder (handles to a recorder on the stack are not kept).
    let recorder: &'static _ = Box::leak(Box::new(
        metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder(),
    ));
    let handle = recorder.handle();
    metrics::with_local_recorder(recorder, || {
        let _ = guarded_with_metrics(false);
        let (result, allocations) = allocations_during(|| guarded_with_metrics(false));
        assert_eq!((result, allocations), (Ok(1), 0), "breaker success");
        let (result, allocations) = allocations_during(|| guarded_with_metrics(true));
        assert_eq!((result, allocations), (Err(Busy), 0), "breaker failure");
        let calls = Cell::new(0);
        let _ = retried_with_metrics(&calls);
        let (result, allocations) = allocations_during(|| retried_with_metrics(&calls));
        assert!(result.is_ok());
        assert_eq!(allocations, 0, "retry after one failure");
    });
    let rendered = handle.render();
    assert!(
        rendered.contains(
            r#"resilience4j_circuitbreaker_calls_total{name="allocation-count-metrics",kind="successful"} 3"#
        ),
        "{rendered}"
    );
}

impl From<retry_runtime::BulkheadFull> for Busy {
    fn from(_: retry_runtime::BulkheadFull) -> Self {
        Busy
    }
}

impl From<retry_runtime::RateLimited> for Busy {
    fn from(_: retry_runtime::RateLimited) -> Self {
        Busy
    }
}

#[retry_runtime::bulkhead(name = "allocation-count-bulkhead", max_concurrent = 4)]
fn in_a_slot(fail: bool) -> Result<u32, Busy> {
    if fail { Err(Busy) } else { Ok(1) }
}

#[retry_runtime::bulkhead(
    name = "allocation-count-bulkhead-async",
    max_concurrent = 4,
    max_wait = "1s"
)]
async fn in_a_slot_async(fail: bool) -> Result<u32, Busy> {
    if fail { Err(Busy) } else { Ok(1) }
}

#[retry_runtime::rate_limit(name = "allocation-count-rate", per_second = 1_000_000_000)]
fn admitted(fail: bool) -> Result<u32, Busy> {
    if fail { Err(Busy) } else { Ok(1) }
}

#[retry_runtime::rate_limit(
    name = "allocation-count-rate-async",
    per_second = 1_000_000_000,
    max_wait = "1s"
)]
async fn admitted_async(fail: bool) -> Result<u32, Busy> {
    if fail { Err(Busy) } else { Ok(1) }
}

impl From<retry_runtime::LimitExceeded> for Busy {
    fn from(_: retry_runtime::LimitExceeded) -> Self {
        Busy
    }
}

#[retry_runtime::adaptive_limit(name = "allocation-count-adaptive")]
fn adaptively_limited(fail: bool) -> Result<u32, Busy> {
    if fail { Err(Busy) } else { Ok(1) }
}

#[retry_runtime::adaptive_limit(name = "allocation-count-adaptive-async", max_wait = "1s")]
async fn adaptively_limited_async(fail: bool) -> Result<u32, Busy> {
    if fail { Err(Busy) } else { Ok(1) }
}

#[test]
fn adaptive_limit_admissions_and_samples_allocate_nothing() {
    // Enough calls to close windows too: a window's close allocates nothing either.
    let (result, allocations) = allocations_during(|| {
        (0..100)
            .map(|i| adaptively_limited(i % 3 == 0))
            .filter(Result::is_ok)
            .count()
    });
    assert_eq!((result, allocations), (66, 0), "adaptive limit");
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (result, allocations) =
        allocations_during(|| runtime.block_on(adaptively_limited_async(false)));
    assert_eq!((result, allocations), (Ok(1), 0), "async adaptive limit");
}

#[test]
fn bulkhead_and_rate_limiter_admissions_allocate_nothing() {
    let (result, allocations) = allocations_during(|| in_a_slot(false));
    assert_eq!((result, allocations), (Ok(1), 0), "bulkhead");
    let (result, allocations) = allocations_during(|| in_a_slot(true));
    assert_eq!(
        (result, allocations),
        (Err(Busy), 0),
        "bulkhead, failing body"
    );
    let (result, allocations) = allocations_during(|| admitted(false));
    assert_eq!((result, allocations), (Ok(1), 0), "rate limiter");

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (result, allocations) = allocations_during(|| runtime.block_on(in_a_slot_async(false)));
    assert_eq!((result, allocations), (Ok(1), 0), "async bulkhead");
    let (result, allocations) = allocations_during(|| runtime.block_on(admitted_async(false)));
    assert_eq!((result, allocations), (Ok(1), 0), "async rate limiter");
}

#[cfg(feature = "metrics")]
#[retry_runtime::bulkhead(name = "allocation-count-bulkhead-metrics", max_concurrent = 4)]
fn in_a_slot_with_metrics() -> Result<u32, Busy> {
    Ok(1)
}

#[cfg(feature = "metrics")]
#[retry_runtime::rate_limit(name = "allocation-count-rate-metrics", per_second = 1, burst = 1000)]
fn admitted_with_metrics() -> Result<u32, Busy> {
    Ok(1)
}

/// With a Prometheus recorder installed, bulkheads and rate limiters keep their gauges' handles
/// from their first call: admissions allocate nothing, and the gauges show the state.
#[cfg(feature = "metrics")]
#[test]
fn with_a_prometheus_recorder_limits_allocate_nothing() {
    let recorder: &'static _ = Box::leak(Box::new(
        metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder(),
    ));
    let handle = recorder.handle();
    metrics::with_local_recorder(recorder, || {
        let (result, allocations) = allocations_during(in_a_slot_with_metrics);
        assert_eq!((result, allocations), (Ok(1), 0), "bulkhead");
        let (result, allocations) = allocations_during(admitted_with_metrics);
        assert_eq!((result, allocations), (Ok(1), 0), "rate limiter");
    });
    let rendered = handle.render();
    for series in [
        r#"resilience4j_bulkhead_available_concurrent_calls{name="allocation-count-bulkhead-metrics"} 4"#,
        r#"resilience4j_bulkhead_max_allowed_concurrent_calls{name="allocation-count-bulkhead-metrics"} 4"#,
        r#"resilience4j_ratelimiter_available_permissions{name="allocation-count-rate-metrics"} 998"#,
        r#"resilience4j_ratelimiter_waiting_threads{name="allocation-count-rate-metrics"} 0"#,
    ] {
        assert!(rendered.contains(series), "{series} in:\n{rendered}");
    }
}

#[retry_runtime::hedge(name = "allocation-count-hedge", after = "p95")]
async fn hedged(fail: bool) -> Result<u32, Busy> {
    if std::hint::black_box(fail) {
        Err(Busy)
    } else {
        Ok(1)
    }
}

#[test]
fn a_hedged_call_that_starts_no_hedge_allocates_nothing() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    let (result, allocations) = allocations_during(|| runtime.block_on(hedged(false)));
    assert_eq!((result, allocations), (Ok(1), 0));
}
