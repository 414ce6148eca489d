use std::time::Duration;

use retry_runtime::{AttemptTimeout, retry};

#[derive(Debug)]
enum StoreError {
    Timeout,
    Io(u8),
    Http { status: u16 },
    Elapsed,
}

impl From<AttemptTimeout> for StoreError {
    fn from(_: AttemptTimeout) -> Self {
        StoreError::Elapsed
    }
}

impl StoreError {
    fn is_transient(&self) -> bool {
        matches!(self, StoreError::Http { status: 500..=599 })
    }
}

fn on_retry(_: &StoreError, _: u32, _: Duration) {}

#[retry]
fn bare() -> Result<(), StoreError> {
    Ok(())
}

#[retry(
    max_attempts = 5,
    backoff = "exponential",
    delay = "50ms",
    max_delay = "2s",
    factor = 3,
    jitter = "equal",
    on = [Timeout, Io(_), StoreError::Http { status: 503, .. }],
    when = StoreError::is_transient,
    max_elapsed = "10s",
    attempt_timeout = "1s",
    on_retry = on_retry,
    name = "store.fetch",
    crate = retry_runtime,
    sleeper = retry_runtime::TokioSleeper,
)]
async fn every_key() -> Result<(), StoreError> {
    Ok(())
}

#[retry_runtime::hedge(
    after = "p99",
    floor = "20ms",
    max_hedges = 3,
    on = [Timeout, Io(_)],
    when = StoreError::is_transient,
    on_result = String::is_empty,
    budget = "api",
    name = "store.search",
    sleeper = retry_runtime::TokioSleeper,
    crate = retry_runtime,
)]
async fn every_hedge_key(key: &str) -> Result<String, StoreError> {
    Ok(key.to_owned())
}

fn main() {
    let _ = bare();
    let _ = every_key();
    let _ = every_hedge_key("a");
    let _ = every_adaptive_limit_key();
    let _ = adaptive_limit_defaults();
}

#[derive(Debug)]
struct Busy;

impl From<retry_runtime::LimitExceeded> for Busy {
    fn from(_: retry_runtime::LimitExceeded) -> Self {
        Busy
    }
}

#[retry_runtime::adaptive_limit(
    name = "db",
    algorithm = "gradient2",
    initial_limit = 10,
    min_limit = 2,
    max_limit = 1_000_000,
    max_wait = "1h",
    crate = retry_runtime,
)]
async fn every_adaptive_limit_key() -> Result<(), Busy> {
    Ok(())
}

#[retry_runtime::adaptive_limit(name = "db")]
fn adaptive_limit_defaults() -> Result<(), Busy> {
    Ok(())
}
