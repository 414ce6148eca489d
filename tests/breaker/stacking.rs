//! `#[circuit_breaker]` and `#[retry]` on one fn, in both orders; a breaker judges values with
//! the retry's `on_result` unless it names its own.

use std::cell::Cell;

use retry_runtime::testing::pause_sync_time;
use retry_runtime::{BreakerState, CircuitOpen, breaker, circuit_breaker, retry};

#[derive(Debug, PartialEq)]
enum Error {
    Down,
    Rejected,
}

impl From<CircuitOpen> for Error {
    fn from(_: CircuitOpen) -> Self {
        Error::Rejected
    }
}

fn down(runs: &Cell<u32>) -> Result<(), Error> {
    runs.set(runs.get() + 1);
    Err(Error::Down)
}

/// Breaker outside: one call = the whole retry loop = one outcome for the breaker.
#[circuit_breaker(name = "outside", failure_threshold = 2)]
#[retry(max_attempts = 3, delay = "1ms")]
fn breaker_outside(runs: &Cell<u32>) -> Result<(), Error> {
    down(runs)
}

/// Breaker inside: each attempt asks the breaker; a rejection is not retried.
#[retry(max_attempts = 5, delay = "1ms")]
#[circuit_breaker(name = "inside", failure_threshold = 2)]
fn breaker_inside(runs: &Cell<u32>) -> Result<(), Error> {
    down(runs)
}

#[circuit_breaker(name = "outside-async", failure_threshold = 1)]
#[retry(max_attempts = 2, delay = "1ms")]
async fn breaker_outside_async(runs: &Cell<u32>) -> Result<(), Error> {
    tokio::task::yield_now().await;
    down(runs)
}

#[retry(max_attempts = 4, delay = "1ms")]
#[circuit_breaker(name = "inside-async", failure_threshold = 1)]
async fn breaker_inside_async(runs: &Cell<u32>) -> Result<(), Error> {
    tokio::task::yield_now().await;
    down(runs)
}

#[test]
fn breaker_outside_counts_an_exhausted_retry_as_one_failure() {
    let _paused = pause_sync_time();
    let runs = Cell::new(0);
    assert_eq!(breaker_outside(&runs), Err(Error::Down));
    assert_eq!(runs.get(), 3, "three attempts");
    let handle = breaker("outside").unwrap();
    assert_eq!(handle.counts().failed, 1, "one failure for the breaker");
    assert_eq!(handle.state(), BreakerState::Closed);
    assert_eq!(breaker_outside(&runs), Err(Error::Down));
    assert_eq!(handle.state(), BreakerState::Open);
    // Open: rejected before any attempt.
    assert_eq!(breaker_outside(&runs), Err(Error::Rejected));
    assert_eq!(runs.get(), 6);
}

#[test]
fn breaker_inside_sees_each_attempt_and_its_rejection_is_not_retried() {
    let _paused = pause_sync_time();
    let runs = Cell::new(0);
    // Attempts 1 and 2 fail and trip the breaker; attempt 3 is rejected, and that ends the loop.
    assert_eq!(breaker_inside(&runs), Err(Error::Rejected));
    assert_eq!(runs.get(), 2);
    let counts = breaker("inside").unwrap().counts();
    assert_eq!((counts.failed, counts.rejected), (2, 1));
}

#[tokio::test(start_paused = true)]
async fn both_orders_on_async_fns() {
    let runs = Cell::new(0);
    assert_eq!(breaker_outside_async(&runs).await, Err(Error::Down));
    assert_eq!(runs.get(), 2);
    assert_eq!(breaker_outside_async(&runs).await, Err(Error::Rejected));

    let runs = Cell::new(0);
    assert_eq!(breaker_inside_async(&runs).await, Err(Error::Rejected));
    assert_eq!(runs.get(), 1);
}

/// A 503 carried in an `Ok`, as HTTP clients return it: a failure for `on_result`.
fn unavailable(status: &u16) -> bool {
    *status == 503
}

fn answer(runs: &Cell<u32>, status: u16) -> Result<u16, Error> {
    runs.set(runs.get() + 1);
    Ok(status)
}

/// The outage of the issue: every answer a 503 in an `Ok`.
#[circuit_breaker(name = "outside-values", failure_threshold = 2)]
#[retry(max_attempts = 3, delay = "1ms", on_result = unavailable)]
fn breaker_over_judging_retry(runs: &Cell<u32>, status: u16) -> Result<u16, Error> {
    answer(runs, status)
}

#[test]
fn a_breaker_over_a_retry_with_on_result_counts_the_final_503_as_a_failure() {
    let _paused = pause_sync_time();
    let runs = Cell::new(0);
    assert_eq!(breaker_over_judging_retry(&runs, 503), Ok(503));
    assert_eq!(runs.get(), 3, "retried as a failure");
    let handle = breaker("outside-values").unwrap();
    assert_eq!(
        handle.counts().failed,
        1,
        "the last 503 is a failure, not a success"
    );
    assert_eq!(breaker_over_judging_retry(&runs, 503), Ok(503));
    assert_eq!(handle.state(), BreakerState::Open);
    // Open: the outage costs no more requests.
    assert_eq!(breaker_over_judging_retry(&runs, 503), Err(Error::Rejected));
    assert_eq!(runs.get(), 6);
    handle.reset();
    assert_eq!(breaker_over_judging_retry(&runs, 200), Ok(200));
    assert_eq!(handle.counts().successful, 1);
}

/// Its own `on_result` wins: this breaker only counts a 500 as a failure.
fn server_error(status: &u16) -> bool {
    *status == 500
}

#[circuit_breaker(name = "own-judge", failure_threshold = 1, on_result = server_error)]
#[retry(max_attempts = 2, delay = "1ms", on_result = unavailable)]
fn breaker_with_its_own_judge(runs: &Cell<u32>, status: u16) -> Result<u16, Error> {
    answer(runs, status)
}

#[test]
fn a_breaker_that_names_its_own_on_result_keeps_it() {
    let _paused = pause_sync_time();
    let runs = Cell::new(0);
    assert_eq!(breaker_with_its_own_judge(&runs, 503), Ok(503));
    assert_eq!(runs.get(), 2);
    let handle = breaker("own-judge").unwrap();
    assert_eq!((handle.counts().successful, handle.counts().failed), (1, 0));
    assert_eq!(handle.state(), BreakerState::Closed);
}

#[retry(max_attempts = 5, delay = "1ms", on_result = unavailable)]
#[circuit_breaker(name = "inside-values", failure_threshold = 2)]
async fn judging_retry_over_breaker(runs: &Cell<u32>) -> Result<u16, Error> {
    tokio::task::yield_now().await;
    answer(runs, 503)
}

#[circuit_breaker(name = "outside-values-async", failure_threshold = 1)]
#[retry(max_attempts = 2, delay = "1ms", on_result = unavailable)]
async fn breaker_over_judging_retry_async(runs: &Cell<u32>) -> Result<u16, Error> {
    tokio::task::yield_now().await;
    answer(runs, 503)
}

#[tokio::test(start_paused = true)]
async fn both_orders_judge_values_on_async_fns() {
    let runs = Cell::new(0);
    assert_eq!(breaker_over_judging_retry_async(&runs).await, Ok(503));
    assert_eq!(runs.get(), 2);
    assert_eq!(
        breaker_over_judging_retry_async(&runs).await,
        Err(Error::Rejected)
    );
    // Breaker inside: each 503 is a failure; two trip it, and the rejection ends the loop.
    let runs = Cell::new(0);
    assert_eq!(
        judging_retry_over_breaker(&runs).await,
        Err(Error::Rejected)
    );
    assert_eq!(runs.get(), 2);
    let counts = breaker("inside-values").unwrap().counts();
    assert_eq!((counts.failed, counts.rejected), (2, 1));
}

/// A plain value, not a `Result`: `None` is the failure.
fn missing(value: &Option<u32>) -> bool {
    value.is_none()
}

fn stale(_runs: &Cell<u32>) -> Option<u32> {
    Some(0)
}

#[circuit_breaker(name = "outside-plain", failure_threshold = 1, fallback = stale)]
#[retry(max_attempts = 2, delay = "1ms", on_result = missing)]
fn breaker_over_plain_values(runs: &Cell<u32>) -> Option<u32> {
    runs.set(runs.get() + 1);
    None
}

#[test]
fn a_plain_value_failure_counts_for_the_breaker_too() {
    let _paused = pause_sync_time();
    let runs = Cell::new(0);
    assert_eq!(breaker_over_plain_values(&runs), None);
    assert_eq!(runs.get(), 2);
    assert_eq!(breaker("outside-plain").unwrap().counts().failed, 1);
    assert_eq!(
        breaker_over_plain_values(&runs),
        Some(0),
        "open: the fallback"
    );
    assert_eq!(runs.get(), 2);
}
