//! Hints and time limits, exactly as the spec states them: no sleep longer than `max_delay` or
//! ending past `max_elapsed`, a hint waited in full (at most 10% more) or not at all, and
//! attempts cut off so that a call with `attempt_timeout` and `max_elapsed` never outlasts
//! `max_elapsed`. Sync and async.

use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::testing::pause_sync_time;
use retry_runtime::{AttemptTimeout, ProvidesRetryHint, RetryHint, StopReason, retry};

#[derive(Debug, PartialEq)]
enum ApiError {
    /// The server asked to come back after this many seconds.
    TooManyRequests(u64),
    TimedOut,
}

impl ProvidesRetryHint for ApiError {
    fn retry_hint(&self) -> RetryHint {
        match self {
            ApiError::TooManyRequests(seconds) => {
                RetryHint::RetryAfter(Duration::from_secs(*seconds))
            }
            ApiError::TimedOut => RetryHint::FollowPolicy,
        }
    }
}

impl From<AttemptTimeout> for ApiError {
    fn from(_: AttemptTimeout) -> Self {
        ApiError::TimedOut
    }
}

/// The stop reasons a site's hook saw.
fn stops(name: &'static str) -> (Arc<Mutex<Vec<StopReason>>>, retry_runtime::hooks::HookGuard) {
    let seen: Arc<Mutex<Vec<StopReason>>> = Arc::default();
    let sink = Arc::clone(&seen);
    let guard = install_hook(move |event: &Event<'_>| {
        if let Event::Exhausted {
            name: site, reason, ..
        } = *event
            && site == name
        {
            sink.lock().unwrap().push(reason);
        }
    });
    (seen, guard)
}

#[retry(max_attempts = 5, max_delay = "10s", name = "hint-year-sync")]
fn rate_limited_sync(calls: &AtomicU32, seconds: u64) -> Result<(), ApiError> {
    calls.fetch_add(1, Ordering::Relaxed);
    Err(ApiError::TooManyRequests(seconds))
}

#[test]
fn a_hint_longer_than_max_delay_stops_at_once_and_says_why() {
    let (seen, _hook) = stops("hint-year-sync");
    let paused = pause_sync_time();
    let calls = AtomicU32::new(0);
    let year = 365 * 86_400;
    assert_eq!(
        rate_limited_sync(&calls, year),
        Err(ApiError::TooManyRequests(year))
    );
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    assert_eq!(paused.elapsed(), Duration::ZERO, "never slept");
    assert_eq!(*seen.lock().unwrap(), [StopReason::HintTooLong]);
    // A hint within max_delay is waited in full, each wait at most 10% longer (spread like
    // jitter, so callers told the same do not return together).
    let calls = AtomicU32::new(0);
    let _ = rate_limited_sync(&calls, 2);
    assert_eq!(calls.load(Ordering::Relaxed), 5);
    let waited = paused.elapsed();
    assert!(
        waited >= Duration::from_secs(8) && waited <= Duration::from_millis(8800),
        "{waited:?}"
    );
    assert_eq!(paused.sleeps(), 4);
}

#[retry(max_attempts = 5, max_delay = "10s", name = "hint-year-async")]
async fn rate_limited(calls: &AtomicU32, seconds: u64) -> Result<(), ApiError> {
    calls.fetch_add(1, Ordering::Relaxed);
    Err(ApiError::TooManyRequests(seconds))
}

#[tokio::test(start_paused = true)]
async fn async_a_hint_longer_than_max_delay_stops_at_once() {
    let (seen, _hook) = stops("hint-year-async");
    let start = tokio::time::Instant::now();
    let calls = AtomicU32::new(0);
    assert!(rate_limited(&calls, 365 * 86_400).await.is_err());
    assert_eq!(calls.load(Ordering::Relaxed), 1);
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(*seen.lock().unwrap(), [StopReason::HintTooLong]);
}

#[retry(
    max_attempts = 5,
    max_delay = "10s",
    max_elapsed = "5s",
    name = "hint-past-elapsed"
)]
async fn rate_limited_with_deadline(calls: &AtomicU32) -> Result<(), ApiError> {
    calls.fetch_add(1, Ordering::Relaxed);
    Err(ApiError::TooManyRequests(3))
}

#[tokio::test(start_paused = true)]
async fn a_hint_past_what_is_left_of_max_elapsed_stops_rather_than_sleeping_less() {
    let (seen, _hook) = stops("hint-past-elapsed");
    let start = tokio::time::Instant::now();
    let calls = AtomicU32::new(0);
    assert!(rate_limited_with_deadline(&calls).await.is_err());
    // 3 s (to 3.3 s) waited once; the second wait of 3 s would end past 5 s.
    assert_eq!(calls.load(Ordering::Relaxed), 2);
    let waited = start.elapsed();
    assert!(
        waited >= Duration::from_secs(3) && waited <= Duration::from_millis(3300),
        "{waited:?}"
    );
    assert_eq!(*seen.lock().unwrap(), [StopReason::HintTooLong]);
}

#[retry(
    max_attempts = 5,
    max_delay = "10s",
    max_elapsed = "4100ms",
    name = "hint-spread-cut"
)]
async fn rate_limited_near_the_deadline(calls: &AtomicU32) -> Result<(), ApiError> {
    calls.fetch_add(1, Ordering::Relaxed);
    Err(ApiError::TooManyRequests(4))
}

#[tokio::test(start_paused = true)]
async fn a_hint_that_fits_what_is_left_is_waited_and_its_spread_cut_to_max_elapsed() {
    for _ in 0..20 {
        let start = tokio::time::Instant::now();
        let calls = AtomicU32::new(0);
        assert!(rate_limited_near_the_deadline(&calls).await.is_err());
        // 4 s fits in 4.1 s; its spread (up to 4.4 s) is cut at 4.1 s; no second wait fits.
        assert_eq!(calls.load(Ordering::Relaxed), 2);
        let waited = start.elapsed();
        assert!(
            waited >= Duration::from_secs(4) && waited <= Duration::from_millis(4100),
            "{waited:?}"
        );
    }
}

#[retry(
    max_attempts = 10,
    delay = "10ms",
    jitter = "none",
    attempt_timeout = "200ms",
    max_elapsed = "250ms"
)]
async fn hangs(calls: &AtomicU32) -> Result<(), ApiError> {
    calls.fetch_add(1, Ordering::Relaxed);
    std::future::pending::<()>().await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn attempt_timeout_is_cut_to_what_is_left_of_max_elapsed() {
    let start = tokio::time::Instant::now();
    let calls = AtomicU32::new(0);
    assert_eq!(hangs(&calls).await, Err(ApiError::TimedOut));
    // 200 ms, a 10 ms sleep, then the second attempt gets the 40 ms left.
    assert_eq!(calls.load(Ordering::Relaxed), 2);
    assert!(
        start.elapsed() <= Duration::from_millis(250),
        "{:?}",
        start.elapsed()
    );
    assert_eq!(start.elapsed(), Duration::from_millis(250));
}
