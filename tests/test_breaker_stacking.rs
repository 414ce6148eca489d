//! `#[circuit_breaker]` and `#[retry]` on one fn, in both orders.

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
