//! Hooks see every event, in order, for sync and async fns and for breakers; a panicking hook
//! does not break the call. Hooks are process-wide and tests run in parallel, so each test keeps
//! only the events of its own site names.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use retry_runtime::hooks::{BreakerOutcome, Event, install_hook};
use retry_runtime::testing::pause_sync_time;
use retry_runtime::{BreakerState, CircuitOpen, circuit_breaker, retry};

#[derive(Debug, PartialEq)]
enum Error {
    Busy,
    Invalid,
    Rejected,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{self:?}")
    }
}

impl From<CircuitOpen> for Error {
    fn from(_: CircuitOpen) -> Self {
        Error::Rejected
    }
}

/// Records, as strings, the events whose name starts with `prefix`.
fn record(prefix: &'static str) -> (Arc<Mutex<Vec<String>>>, retry_runtime::hooks::HookGuard) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let guard = install_hook(move |event: &Event<'_>| {
        let line = match *event {
            Event::AttemptFailed {
                name,
                attempt,
                error,
                ..
            } if name.starts_with(prefix) => {
                format!("attempt {attempt} failed: {error}")
            }
            Event::RetryScheduled {
                name,
                attempt,
                delay,
                ..
            } if name.starts_with(prefix) => {
                format!("retry after attempt {attempt} in {delay:?}")
            }
            Event::Succeeded { name, attempts, .. } if name.starts_with(prefix) => {
                format!("succeeded after {attempts}")
            }
            Event::Exhausted {
                name,
                attempts,
                error,
                reason,
                ..
            } if name.starts_with(prefix) => {
                format!("exhausted after {attempts} ({}): {error}", reason.name())
            }
            Event::NotRetryable {
                name,
                attempts,
                error,
                ..
            } if name.starts_with(prefix) => {
                format!("not retryable after {attempts}: {error}")
            }
            Event::BreakerTransition { name, from, to, .. } if name.starts_with(prefix) => {
                format!("{from} -> {to}")
            }
            Event::CallRejected { name, state, .. } if name.starts_with(prefix) => {
                format!("rejected while {state}")
            }
            Event::BreakerCall { name, outcome, .. } if name.starts_with(prefix) => {
                format!("breaker recorded {}", outcome.name())
            }
            _ => return,
        };
        sink.lock().unwrap().push(line);
    });
    (seen, guard)
}

fn script(errors: &Mutex<Vec<Error>>) -> Result<(), Error> {
    errors.lock().unwrap().pop().map_or(Ok(()), Err)
}

#[retry(max_attempts = 3, delay = "10ms", jitter = "none", on = [Busy], name = "hooks-sync")]
fn sync_site(errors: &Mutex<Vec<Error>>) -> Result<(), Error> {
    script(errors)
}

#[retry(max_attempts = 3, delay = "10ms", jitter = "none", on = [Busy], name = "hooks-async")]
async fn async_site(errors: &Mutex<Vec<Error>>) -> Result<(), Error> {
    tokio::task::yield_now().await;
    script(errors)
}

fn expected_retry_story() -> Vec<&'static str> {
    vec![
        // One failure, then success.
        "attempt 1 failed: Busy",
        "retry after attempt 1 in 10ms",
        "succeeded after 2",
        // Success at once.
        "succeeded after 1",
        // Every attempt fails.
        "attempt 1 failed: Busy",
        "retry after attempt 1 in 10ms",
        "attempt 2 failed: Busy",
        "retry after attempt 2 in 20ms",
        "attempt 3 failed: Busy",
        "exhausted after 3 (exhausted): Busy",
        // Not retryable.
        "attempt 1 failed: Invalid",
        "not retryable after 1: Invalid",
    ]
}

#[test]
fn sync_retry_events_arrive_in_order() {
    let (seen, _guard) = record("hooks-sync");
    let _paused = pause_sync_time();
    let errors = Mutex::new(vec![Error::Busy]);
    assert_eq!(sync_site(&errors), Ok(()));
    assert_eq!(sync_site(&errors), Ok(()));
    *errors.lock().unwrap() = vec![Error::Busy, Error::Busy, Error::Busy];
    assert_eq!(sync_site(&errors), Err(Error::Busy));
    *errors.lock().unwrap() = vec![Error::Invalid];
    assert_eq!(sync_site(&errors), Err(Error::Invalid));
    assert_eq!(*seen.lock().unwrap(), expected_retry_story());
}

#[tokio::test(start_paused = true)]
async fn async_retry_events_arrive_in_order() {
    let (seen, _guard) = record("hooks-async");
    let errors = Mutex::new(vec![Error::Busy]);
    assert_eq!(async_site(&errors).await, Ok(()));
    assert_eq!(async_site(&errors).await, Ok(()));
    *errors.lock().unwrap() = vec![Error::Busy, Error::Busy, Error::Busy];
    assert_eq!(async_site(&errors).await, Err(Error::Busy));
    *errors.lock().unwrap() = vec![Error::Invalid];
    assert_eq!(async_site(&errors).await, Err(Error::Invalid));
    assert_eq!(*seen.lock().unwrap(), expected_retry_story());
}

#[circuit_breaker(name = "hooks-breaker", failure_threshold = 1, open_for = "1s")]
fn guarded(fail: bool) -> Result<(), Error> {
    if fail { Err(Error::Busy) } else { Ok(()) }
}

#[test]
fn breaker_events_arrive_in_order() {
    let (seen, _guard) = record("hooks-breaker");
    let paused = pause_sync_time();
    assert_eq!(guarded(true), Err(Error::Busy));
    assert_eq!(guarded(false), Err(Error::Rejected));
    paused.advance(Duration::from_secs(1));
    assert_eq!(guarded(false), Ok(()));
    assert_eq!(
        *seen.lock().unwrap(),
        [
            "breaker recorded failed",
            "closed -> open",
            "rejected while open",
            "open -> half_open",
            "breaker recorded successful",
            "half_open -> closed",
        ]
    );
    let _ = (BreakerOutcome::Failed, BreakerState::Closed);
}

#[retry(max_attempts = 2, delay = "1ms", name = "hooks-panicking")]
fn observed_by_a_panicking_hook(calls: &Mutex<u32>) -> Result<u32, Error> {
    let mut calls = calls.lock().unwrap();
    *calls += 1;
    if *calls < 2 {
        Err(Error::Busy)
    } else {
        Ok(*calls)
    }
}

#[test]
fn a_panicking_hook_does_not_break_the_call() {
    let _guard = install_hook(|event: &Event<'_>| {
        if let Event::RetryScheduled {
            name: "hooks-panicking",
            ..
        } = event
        {
            panic!("a hook bug");
        }
    });
    let _paused = pause_sync_time();
    let calls = Mutex::new(0);
    assert_eq!(observed_by_a_panicking_hook(&calls), Ok(2));
}

#[retry(max_attempts = 3, delay = "1ms", name = "hooks-stats")]
fn counted(calls: &Mutex<u32>) -> Result<(), Error> {
    let mut calls = calls.lock().unwrap();
    *calls += 1;
    if *calls % 2 == 1 {
        Err(Error::Busy)
    } else {
        Ok(())
    }
}

#[test]
fn stats_snapshot_per_site() {
    let stats = retry_runtime::stats::collect();
    let _paused = pause_sync_time();
    let calls = Mutex::new(0);
    for _ in 0..3 {
        assert_eq!(counted(&calls), Ok(()));
    }
    let site = stats.retry("hooks-stats");
    assert_eq!(
        (
            site.calls,
            site.attempts,
            site.retries,
            site.successes,
            site.failures
        ),
        (3, 6, 3, 3, 0)
    );
    let _ = guarded(false);
    let breaker = stats.breaker("hooks-breaker").expect("registered");
    assert!(breaker.counts.successful >= 1);
}

/// Runs of the body of `cancellable`, by the test that runs it.
static BODY_RUNS: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Fails `fail_first` times (a 10 ms attempt each), then takes `last_ms` to succeed.
#[retry(
    name = "hooks-cancelled",
    max_attempts = 5,
    delay = "100ms",
    jitter = "none"
)]
async fn cancellable(failures: &Mutex<u32>, fail_first: u32, last_ms: u64) -> Result<(), Error> {
    BODY_RUNS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let failed = {
        let mut failures = failures.lock().unwrap();
        *failures += 1;
        *failures <= fail_first
    };
    if failed {
        tokio::time::sleep(Duration::from_millis(10)).await;
        return Err(Error::Busy);
    }
    tokio::time::sleep(Duration::from_millis(last_ms)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn stats_count_every_attempt_once_cancelled_calls_included() {
    let stats = retry_runtime::stats::collect();
    let cancelled = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&cancelled);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::Cancelled {
            name: "hooks-cancelled",
            attempts,
            ..
        } = *event
        {
            sink.lock().unwrap().push(attempts);
        }
    });
    // Each call fails twice (attempts end at 10 ms and 120 ms, sleeps of 100 ms and 200 ms),
    // then its third attempt takes 1 s; callers give up during the first attempt, the first
    // sleep, the second attempt, the third attempt, or never.
    for (deadline_ms, ended) in [
        (5, false),
        (50, false),
        (115, false),
        (400, false),
        (2000, true),
    ] {
        let failures = Mutex::new(0);
        let call = tokio::time::timeout(
            Duration::from_millis(deadline_ms),
            cancellable(&failures, 2, 1000),
        );
        assert_eq!(call.await.is_ok(), ended, "deadline {deadline_ms} ms");
    }
    let runs = BODY_RUNS.load(std::sync::atomic::Ordering::Relaxed);
    let site = stats.retry("hooks-cancelled");
    // Attempts: 1 + 1 + 2 + 3 + 3 = 10, each counted once.
    assert_eq!(runs, 10);
    assert_eq!(site.attempts, runs, "{site:?}");
    assert_eq!(
        (site.calls, site.successes, site.failures, site.cancelled),
        (5, 1, 0, 4),
        "{site:?}"
    );
    // The events say so: each dropped call, with the attempts it started.
    assert_eq!(*cancelled.lock().unwrap(), [1, 1, 2, 3]);
}

#[tokio::test(start_paused = true)]
async fn a_functional_retry_dropped_mid_way_is_reported_cancelled_with_its_attempts() {
    let cancelled = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&cancelled);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::Cancelled { name, attempts, .. } = *event
            && name.contains("a_functional_retry_dropped_mid_way")
        {
            sink.lock().unwrap().push(attempts);
        }
    });
    let policy = retry_runtime::RetryPolicy::builder()
        .delay(Duration::from_millis(100))
        .jitter(retry_runtime::Jitter::None)
        .build()
        .unwrap();
    // Attempts fail at once: the first sleep ends at 100 ms, the second attempt hangs.
    let tries = std::sync::atomic::AtomicU32::new(0);
    let call = policy.retry_async(|| async {
        if tries.fetch_add(1, std::sync::atomic::Ordering::Relaxed) == 0 {
            Err(Error::Busy)
        } else {
            std::future::pending::<Result<(), Error>>().await
        }
    });
    assert!(
        tokio::time::timeout(Duration::from_millis(150), call)
            .await
            .is_err()
    );
    assert_eq!(tries.load(std::sync::atomic::Ordering::Relaxed), 2);
    assert_eq!(*cancelled.lock().unwrap(), [2]);
}
