//! `#[rate_limit]` and `#[bulkhead]` stacked with `#[retry]` and `#[circuit_breaker]`, in the
//! order written (outermost first): the recommended order, sync and async, and others. A call a
//! rate limiter or bulkhead rejects is never retried by an outer `#[retry]`, and an outer
//! `#[circuit_breaker]` counts it as ignored.

use std::cell::Cell;
use std::time::Duration;

use retry_runtime::testing::pause_sync_time;
use retry_runtime::{
    BreakerState, BulkheadFull, CircuitOpen, RateLimited, breaker, bulkhead, circuit_breaker,
    rate_limit, rate_limiter, retry,
};

#[derive(Debug, PartialEq)]
enum Error {
    Down,
    Open,
    Full,
    Limited,
}

impl From<CircuitOpen> for Error {
    fn from(_: CircuitOpen) -> Self {
        Error::Open
    }
}

impl From<BulkheadFull> for Error {
    fn from(_: BulkheadFull) -> Self {
        Error::Full
    }
}

impl From<RateLimited> for Error {
    fn from(_: RateLimited) -> Self {
        Error::Limited
    }
}

fn run(runs: &Cell<u32>, fail: bool) -> Result<u32, Error> {
    runs.set(runs.get() + 1);
    if fail {
        Err(Error::Down)
    } else {
        Ok(runs.get())
    }
}

/// The recommended order: retry, breaker, rate limiter, bulkhead, body.
#[retry(max_attempts = 3, delay = "1ms")]
#[circuit_breaker(name = "stack-breaker", failure_threshold = 5)]
#[rate_limit(name = "stack-rate", per_second = 1, burst = 2)]
#[bulkhead(name = "stack-bulkhead", max_concurrent = 1)]
fn recommended(runs: &Cell<u32>, fail: bool, nested: bool) -> Result<u32, Error> {
    if nested {
        // This call holds the bulkhead's only slot.
        let inner_runs = Cell::new(0);
        assert_eq!(same_bulkhead(&inner_runs), Err(Error::Full));
        assert_eq!(inner_runs.get(), 0);
    }
    run(runs, fail)
}

#[retry(max_attempts = 3, delay = "1ms")]
#[circuit_breaker(name = "stack-breaker-inner", failure_threshold = 1)]
#[bulkhead(name = "stack-bulkhead", max_concurrent = 1)]
fn same_bulkhead(runs: &Cell<u32>) -> Result<u32, Error> {
    run(runs, false)
}

#[test]
fn recommended_order_sync_rejections_are_neither_retried_nor_failures() {
    let paused = pause_sync_time();
    let runs = Cell::new(0);
    // Attempts 1 and 2 fail and take the rate limiter's burst; attempt 3 is rate limited: the
    // rejection ends the loop, and the breaker counts it as ignored.
    assert_eq!(recommended(&runs, true, false), Err(Error::Limited));
    assert_eq!(runs.get(), 2);
    let counts = breaker("stack-breaker").unwrap().counts();
    assert_eq!((counts.failed, counts.ignored), (2, 1));
    assert_eq!(rate_limiter("stack-rate").unwrap().counts().rejected, 1);

    // A second later the rate limiter admits again. Inside, a fn on the same bulkhead is
    // rejected: its retry does not retry it, and its breaker (threshold 1) does not trip.
    paused.advance(Duration::from_secs(1));
    assert_eq!(recommended(&runs, false, true), Ok(3));
    let inner = breaker("stack-breaker-inner").unwrap();
    assert_eq!(inner.state(), BreakerState::Closed);
    assert_eq!((inner.counts().ignored, inner.counts().failed), (1, 0));
    let slots = bulkhead("stack-bulkhead").unwrap();
    assert_eq!((slots.available(), slots.counts().rejected), (1, 1));
}

#[retry(max_attempts = 4, delay = "1ms")]
#[circuit_breaker(name = "stack-breaker-async", failure_threshold = 5)]
#[rate_limit(
    name = "stack-rate-async",
    per_second = 10,
    burst = 1,
    max_wait = "150ms"
)]
#[bulkhead(name = "stack-bulkhead-async", max_concurrent = 2, max_wait = "1s")]
async fn recommended_async(fail_first: u32, runs: &Cell<u32>) -> Result<u32, Error> {
    tokio::task::yield_now().await;
    runs.set(runs.get() + 1);
    if runs.get() <= fail_first {
        Err(Error::Down)
    } else {
        Ok(runs.get())
    }
}

#[tokio::test(start_paused = true)]
async fn recommended_order_async_each_attempt_waits_for_its_permit() {
    let start = tokio::time::Instant::now();
    let runs = Cell::new(0);
    // Two failures, then a success: each attempt waits its turn at the rate limiter (100 ms
    // apart, within max_wait), and the retry's own delays are shorter than that.
    assert_eq!(recommended_async(2, &runs).await, Ok(3));
    assert_eq!(start.elapsed(), Duration::from_millis(200));
    let counts = breaker("stack-breaker-async").unwrap().counts();
    assert_eq!((counts.failed, counts.successful), (2, 1));
    assert_eq!(rate_limiter("stack-rate-async").unwrap().counts().waited, 2);
    assert_eq!(bulkhead("stack-bulkhead-async").unwrap().available(), 2);
}

#[test]
fn a_fully_stacked_async_fn_is_send() {
    fn assert_send<T: Send>(_: &T) {}
    assert_send(&stacked_send(1));
}

#[retry(max_attempts = 2)]
#[circuit_breaker(name = "stack-send", failure_threshold = 5)]
#[rate_limit(name = "stack-send", per_second = 10, max_wait = "1s")]
#[bulkhead(name = "stack-send", max_concurrent = 2, max_wait = "1s")]
async fn stacked_send(value: u32) -> Result<u32, Error> {
    tokio::task::yield_now().await;
    Ok(value)
}

/// Over a retry, a rate limiter admits the whole loop once.
#[rate_limit(name = "over-retry", per_second = 1, burst = 1)]
#[retry(max_attempts = 3, delay = "1ms")]
fn limited_loop(runs: &Cell<u32>) -> Result<u32, Error> {
    run(runs, runs.get() < 2)
}

/// Under a retry, each attempt needs a permit.
#[retry(max_attempts = 3, delay = "1ms")]
#[rate_limit(name = "under-retry", per_second = 1, burst = 1)]
fn limited_attempts(runs: &Cell<u32>) -> Result<u32, Error> {
    run(runs, runs.get() < 2)
}

#[test]
fn a_rate_limiter_over_a_retry_counts_the_loop_and_under_it_each_attempt() {
    let _paused = pause_sync_time();
    let runs = Cell::new(0);
    assert_eq!(limited_loop(&runs), Ok(3));
    let runs = Cell::new(0);
    assert_eq!(limited_attempts(&runs), Err(Error::Limited));
    assert_eq!(
        runs.get(),
        1,
        "the second attempt was rate limited, and not retried"
    );
}

/// Breaker outside a retry, bulkhead inside: a rejection inside the retry is not retried, and
/// reaches the breaker as what it is, not as a failure.
#[circuit_breaker(name = "outside-retry", failure_threshold = 1)]
#[retry(max_attempts = 3, delay = "1ms")]
#[bulkhead(name = "inside-retry", max_concurrent = 1)]
fn guarded(runs: &Cell<u32>, hold: bool) -> Result<u32, Error> {
    if hold {
        let inner = Cell::new(0);
        assert_eq!(guarded(&inner, false), Err(Error::Full));
        assert_eq!(inner.get(), 0);
    }
    run(runs, false)
}

#[test]
fn a_breaker_outside_a_retry_counts_an_inner_rejection_as_ignored() {
    let _paused = pause_sync_time();
    let runs = Cell::new(0);
    assert_eq!(guarded(&runs, true), Ok(1));
    let handle = breaker("outside-retry").unwrap();
    assert_eq!(handle.state(), BreakerState::Closed);
    let counts = handle.counts();
    assert_eq!(
        (counts.successful, counts.ignored, counts.failed),
        (1, 1, 0)
    );
}

/// A bulkhead outside a breaker: the breaker's rejection passes through, and frees the slot.
#[bulkhead(name = "outside-breaker", max_concurrent = 1)]
#[circuit_breaker(name = "inside-bulkhead", failure_threshold = 1)]
fn slot_then_breaker(runs: &Cell<u32>, fail: bool) -> Result<u32, Error> {
    run(runs, fail)
}

#[test]
fn a_bulkhead_outside_a_breaker_passes_its_rejection_through() {
    let runs = Cell::new(0);
    assert_eq!(slot_then_breaker(&runs, true), Err(Error::Down));
    assert_eq!(slot_then_breaker(&runs, false), Err(Error::Open));
    assert_eq!(runs.get(), 1);
    assert_eq!(bulkhead("outside-breaker").unwrap().available(), 1);
}

/// Two bulkheads on one fn: a per-fn limit inside a shared one.
#[bulkhead(name = "shared-db", max_concurrent = 2)]
#[bulkhead(name = "reports-only", max_concurrent = 1)]
fn two_bulkheads(runs: &Cell<u32>) -> Result<u32, Error> {
    assert_eq!(bulkhead("shared-db").unwrap().available(), 1);
    assert_eq!(bulkhead("reports-only").unwrap().available(), 0);
    run(runs, false)
}

#[test]
fn the_same_attribute_twice_nests_in_the_order_written() {
    let runs = Cell::new(0);
    assert_eq!(two_bulkheads(&runs), Ok(1));
    assert_eq!(bulkhead("shared-db").unwrap().available(), 2);
}
