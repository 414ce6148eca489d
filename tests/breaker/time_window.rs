//! `window = "10s"`: the failure rate over the calls of the last ten seconds (ten buckets of a
//! second), so a low-traffic service trips on what happened lately and forgets old failures.

use std::time::Duration;

use retry_runtime::{BreakerConfig, BreakerState, CircuitOpen, breaker, circuit_breaker};

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

#[circuit_breaker(
    name = "time-window",
    failure_rate = 0.5,
    window = "10s",
    min_calls = 4
)]
async fn call(fail: bool) -> Result<(), Error> {
    if fail { Err(Error::Down) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn a_time_window_forgets_old_failures_and_trips_on_recent_ones() {
    // Two failures, then twelve seconds of nothing: they fall out of the window.
    assert_eq!(call(true).await, Err(Error::Down));
    assert_eq!(call(true).await, Err(Error::Down));
    tokio::time::advance(Duration::from_secs(12)).await;
    let handle = breaker("time-window").unwrap();
    assert_eq!(handle.failure_rate(), None, "the window is empty again");
    // Two successes and one failure within the window: 1 in 3, below min_calls anyway.
    assert_eq!(call(false).await, Ok(()));
    assert_eq!(call(false).await, Ok(()));
    assert_eq!(call(true).await, Err(Error::Down));
    assert_eq!(handle.state(), BreakerState::Closed);
    // A fourth call that fails: 2 of 4 within ten seconds, the rate reached.
    tokio::time::advance(Duration::from_secs(3)).await;
    assert_eq!(call(true).await, Err(Error::Down));
    assert_eq!(handle.state(), BreakerState::Open);
    assert_eq!(handle.config().time_window(), Some(Duration::from_secs(10)));
}

#[circuit_breaker(name = "count-window", failure_rate = 0.5, window = 4, min_calls = 4)]
async fn counted(fail: bool) -> Result<(), Error> {
    if fail { Err(Error::Down) } else { Ok(()) }
}

#[tokio::test(start_paused = true)]
async fn a_count_window_remembers_failures_however_old() {
    assert_eq!(counted(true).await, Err(Error::Down));
    assert_eq!(counted(true).await, Err(Error::Down));
    tokio::time::advance(Duration::from_secs(3600)).await;
    assert_eq!(counted(false).await, Ok(()));
    assert_eq!(counted(false).await, Ok(()));
    assert_eq!(breaker("count-window").unwrap().state(), BreakerState::Open);
}

#[test]
fn the_builder_takes_a_time_window_and_rejects_one_too_short_to_split() {
    let config = BreakerConfig::builder()
        .failure_rate(0.5)
        .time_window(Duration::from_secs(10))
        .build()
        .unwrap();
    assert_eq!(config.min_calls(), 10, "a time window's default");
    let error = BreakerConfig::builder()
        .failure_rate(0.5)
        .time_window(Duration::from_nanos(5))
        .build()
        .unwrap_err();
    assert_eq!(error.field(), "window");
}
