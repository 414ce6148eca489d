//! Delays, budgets, timeouts, hooks and named policies, checked in virtual time: paused tokio
//! time for async fns, `pause_sync_time` for sync fns.

use std::cell::{Cell, RefCell};
use std::time::{Duration, Instant};

use retry_runtime::testing::pause_sync_time;
use retry_runtime::{AsyncSleeper, AttemptTimeout, Backoff, Jitter, RetryPolicy, retry};

const MS: Duration = Duration::from_millis(1);

#[derive(Debug, PartialEq)]
enum Error {
    Down,
    TimedOut(Duration),
}

impl From<AttemptTimeout> for Error {
    fn from(timeout: AttemptTimeout) -> Self {
        Error::TimedOut(timeout.timeout)
    }
}

thread_local! {
    static HOOK_CALLS: RefCell<Vec<(u32, Duration)>> = const { RefCell::new(Vec::new()) };
}

fn record_retry(error: &Error, attempt: u32, delay: Duration) {
    assert_eq!(*error, Error::Down);
    HOOK_CALLS.with(|calls| calls.borrow_mut().push((attempt, delay)));
}

fn take_hook_calls() -> Vec<(u32, Duration)> {
    HOOK_CALLS.with(|calls| calls.take())
}

#[retry(max_attempts = 5, delay = "100ms", factor = 3, max_delay = "1s", jitter = "none", on_retry = record_retry)]
fn always_down(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    Err(Error::Down)
}

#[retry(max_attempts = 5, delay = "100ms", factor = 3, max_delay = "1s", jitter = "none", on_retry = record_retry)]
async fn always_down_async(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    Err(Error::Down)
}

#[test]
fn sync_delays_grow_by_factor_and_stop_at_the_cap() {
    let paused = pause_sync_time();
    let calls = Cell::new(0);
    assert_eq!(always_down(&calls), Err(Error::Down));
    assert_eq!(calls.get(), 5);
    assert_eq!(
        take_hook_calls(),
        [(1, 100 * MS), (2, 300 * MS), (3, 900 * MS), (4, 1000 * MS)]
    );
    assert_eq!(paused.elapsed(), 2300 * MS);
    assert_eq!(paused.sleeps(), 4);
}

#[tokio::test(start_paused = true)]
async fn async_delays_follow_paused_tokio_time() {
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(always_down_async(&calls).await, Err(Error::Down));
    assert_eq!(calls.get(), 5);
    assert_eq!(start.elapsed(), 2300 * MS);
    assert_eq!(
        take_hook_calls(),
        [(1, 100 * MS), (2, 300 * MS), (3, 900 * MS), (4, 1000 * MS)]
    );
}

#[retry(
    max_attempts = 100,
    delay = "100ms",
    jitter = "none",
    max_elapsed = "1s"
)]
fn budgeted(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    Err(Error::Down)
}

#[retry(
    max_attempts = 100,
    delay = "100ms",
    jitter = "none",
    max_elapsed = "1s"
)]
async fn budgeted_async(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    tokio::time::sleep(50 * MS).await;
    Err(Error::Down)
}

#[test]
fn max_elapsed_never_sleeps_past_the_budget_sync() {
    let paused = pause_sync_time();
    let calls = Cell::new(0);
    assert_eq!(budgeted(&calls), Err(Error::Down));
    // 100 + 200 + 400 = 700 ms; the next sleep (800 ms) would end at 1.5 s.
    assert_eq!(calls.get(), 4);
    assert_eq!(paused.elapsed(), 700 * MS);
}

#[tokio::test(start_paused = true)]
async fn max_elapsed_counts_attempt_time_too_async() {
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(budgeted_async(&calls).await, Err(Error::Down));
    // Attempts take 50 ms: 50 +100 +50 +200 +50 = 450 ms, then 400 ms would end at 850 ms
    // and is allowed; the next attempt ends at 900 ms and 800 ms more would pass 1 s.
    assert_eq!(calls.get(), 4);
    assert_eq!(start.elapsed(), 900 * MS);
    assert!(start.elapsed() <= Duration::from_secs(1));
}

#[test]
fn max_elapsed_sees_slow_sync_attempts_through_the_paused_clock() {
    #[retry(
        max_attempts = 100,
        delay = "100ms",
        jitter = "none",
        max_elapsed = "1s"
    )]
    fn slow(paused: &retry_runtime::PausedTime, calls: &Cell<u32>) -> Result<(), Error> {
        calls.set(calls.get() + 1);
        paused.advance(300 * MS);
        Err(Error::Down)
    }
    let paused = pause_sync_time();
    let calls = Cell::new(0);
    assert_eq!(slow(&paused, &calls), Err(Error::Down));
    // 300 +100 +300 = 700 ms, then 200 ms ends at 900 ms; +300 = 1.2 s stops.
    assert_eq!(calls.get(), 3);
}

#[retry(
    max_attempts = 3,
    delay = "10ms",
    jitter = "none",
    attempt_timeout = "1s"
)]
async fn slow_then_fast(calls: &Cell<u32>) -> Result<u32, Error> {
    calls.set(calls.get() + 1);
    if calls.get() < 3 {
        tokio::time::sleep(Duration::from_secs(60)).await;
    }
    Ok(calls.get())
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_cuts_slow_attempts_off_and_retries() {
    let start = tokio::time::Instant::now();
    let calls = Cell::new(0);
    assert_eq!(slow_then_fast(&calls).await, Ok(3));
    // Two timed-out attempts (1 s each) and sleeps of 10 and 20 ms.
    assert_eq!(start.elapsed(), 2030 * MS);
}

#[retry(max_attempts = 2, delay = "10ms", attempt_timeout = "250ms")]
async fn never_answers() -> Result<(), Error> {
    std::future::pending::<()>().await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_becomes_the_error_type_through_from() {
    assert_eq!(never_answers().await, Err(Error::TimedOut(250 * MS)));
}

mod policies {
    use super::{Backoff, Duration, Jitter, RetryPolicy};

    /// A named, reusable policy.
    pub const PATIENT: RetryPolicy = RetryPolicy::builder()
        .max_attempts(4)
        .backoff(Backoff::Linear)
        .delay(Duration::from_millis(50))
        .jitter(Jitter::None)
        .build_const();

    pub const TIMED: RetryPolicy = RetryPolicy::builder()
        .max_attempts(2)
        .delay(Duration::ZERO)
        .attempt_timeout(Duration::from_millis(100))
        .build_const();
}

#[retry(policy = policies::PATIENT)]
fn with_named_policy(calls: &Cell<u32>) -> Result<(), Error> {
    calls.set(calls.get() + 1);
    Err(Error::Down)
}

#[retry(policy = policies::TIMED)]
async fn named_policy_timeout() -> Result<(), Error> {
    std::future::pending::<()>().await;
    Ok(())
}

/// An error type without `From<AttemptTimeout>` can still use a named policy.
#[retry(policy = policies::PATIENT)]
async fn named_policy_without_timeout_conversion(calls: &Cell<u32>) -> Result<(), String> {
    calls.set(calls.get() + 1);
    Err("down".to_owned())
}

#[test]
fn named_policy_drives_attempts_and_linear_delays() {
    let paused = pause_sync_time();
    let calls = Cell::new(0);
    assert_eq!(with_named_policy(&calls), Err(Error::Down));
    assert_eq!(calls.get(), 4);
    assert_eq!(paused.elapsed(), (50 + 100 + 150) * MS);
}

#[tokio::test(start_paused = true)]
async fn named_policy_attempt_timeout_and_plain_errors() {
    assert_eq!(named_policy_timeout().await, Err(Error::TimedOut(100 * MS)));
    let calls = Cell::new(0);
    assert_eq!(
        named_policy_without_timeout_conversion(&calls).await,
        Err("down".to_owned())
    );
    assert_eq!(calls.get(), 4);
}

fn squares(n: u32, base: Duration) -> Duration {
    base * (n + 1) * (n + 1)
}

#[retry(max_attempts = 4, backoff = squares, delay = "10ms", jitter = "none")]
fn custom_backoff() -> Result<(), Error> {
    Err(Error::Down)
}

#[retry(
    max_attempts = 5,
    backoff = "fibonacci",
    delay = "10ms",
    jitter = "none"
)]
fn fibonacci_backoff() -> Result<(), Error> {
    Err(Error::Down)
}

#[retry(max_attempts = 4, backoff = "fixed", delay = "10ms", jitter = "none")]
fn fixed_backoff() -> Result<(), Error> {
    Err(Error::Down)
}

#[test]
fn custom_fibonacci_and_fixed_backoff() {
    let paused = pause_sync_time();
    let _ = custom_backoff();
    assert_eq!(paused.elapsed(), (10 + 40 + 90) * MS);
    let paused = pause_sync_time();
    let _ = fibonacci_backoff();
    assert_eq!(paused.elapsed(), (10 + 10 + 20 + 30) * MS);
    let paused = pause_sync_time();
    let _ = fixed_backoff();
    assert_eq!(paused.elapsed(), 30 * MS);
}

#[retry(
    max_attempts = 6,
    delay = "100ms",
    max_delay = "400ms",
    jitter = "full"
)]
fn full_jitter() -> Result<(), Error> {
    Err(Error::Down)
}

#[retry(
    max_attempts = 6,
    delay = "100ms",
    max_delay = "400ms",
    jitter = "equal"
)]
fn equal_jitter() -> Result<(), Error> {
    Err(Error::Down)
}

#[retry(
    max_attempts = 6,
    delay = "100ms",
    max_delay = "400ms",
    jitter = "decorrelated"
)]
fn decorrelated_jitter() -> Result<(), Error> {
    Err(Error::Down)
}

#[test]
fn jittered_totals_stay_within_their_bounds_and_are_reproducible_by_seed() {
    // Nominal delays: 100, 200, 400, 400, 400 = 1500 ms.
    for seed in 0..50 {
        retry_runtime::testing::seed_jitter(seed);
        let paused = pause_sync_time();
        let _ = full_jitter();
        assert!(paused.elapsed() < 1500 * MS);
        let paused = pause_sync_time();
        let _ = equal_jitter();
        assert!(paused.elapsed() >= 750 * MS && paused.elapsed() <= 1500 * MS);
        let paused = pause_sync_time();
        let _ = decorrelated_jitter();
        assert!(paused.elapsed() >= 500 * MS && paused.elapsed() <= 2000 * MS);
    }
    let run = |seed| {
        retry_runtime::testing::seed_jitter(seed);
        let paused = pause_sync_time();
        let _ = decorrelated_jitter();
        paused.elapsed()
    };
    assert_eq!(run(11), run(11));
    assert_ne!(run(11), run(12));
}

/// A runtime-agnostic sleeper: counts sleeps, and never waits.
struct CountingSleeper;

thread_local! {
    static SLEPT: Cell<Duration> = const { Cell::new(Duration::ZERO) };
}

impl AsyncSleeper for CountingSleeper {
    async fn sleep(duration: Duration) {
        SLEPT.with(|slept| slept.set(slept.get() + duration));
    }

    fn now() -> Instant {
        Instant::now()
    }
}

#[retry(max_attempts = 3, delay = "5ms", jitter = "none", sleeper = CountingSleeper)]
async fn with_custom_sleeper() -> Result<(), Error> {
    Err(Error::Down)
}

#[test]
fn custom_sleeper_runs_without_tokio() {
    let result = futures_lite_block_on(with_custom_sleeper());
    assert_eq!(result, Err(Error::Down));
    assert_eq!(SLEPT.with(Cell::get), 15 * MS);
}

/// A minimal executor, proving the retry future needs no tokio runtime with a custom sleeper.
fn futures_lite_block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Waker};
    let mut future = std::pin::pin!(future);
    let mut context = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(output) = future.as_mut().poll(&mut context) {
            return output;
        }
    }
}

#[retry(max_attempts = 2, delay = "1ms", name = "storage.fetch")]
fn named_site() -> Result<(), Error> {
    Ok(())
}

#[test]
fn name_key_is_accepted() {
    assert_eq!(named_site(), Ok(()));
}
