//! `retry_runtime::testing::scope` and `reset_all`, as a user's test suite uses them: parallel
//! tests that name the same breaker and budget, each with its own paused clock, never see each
//! other's state.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retry_runtime::testing::{pause_sync_time, reset_all, scope};
use retry_runtime::{
    BreakerState, BudgetConfig, CircuitOpen, breaker, budget, circuit_breaker, register_budget,
    retry,
};

#[derive(Debug, PartialEq)]
enum DbError {
    Down,
    Rejected,
}

impl From<CircuitOpen> for DbError {
    fn from(_: CircuitOpen) -> Self {
        DbError::Rejected
    }
}

#[circuit_breaker(name = "scoped-db", failure_threshold = 2, open_for = "30s")]
async fn query(fail: bool) -> Result<(), DbError> {
    tokio::task::yield_now().await;
    if fail { Err(DbError::Down) } else { Ok(()) }
}

/// Two tests in one: trips the breaker in its scope and checks it stays its own.
async fn trip_in_own_scope(rounds: u32) {
    let _scope = scope();
    assert!(breaker("scoped-db").is_none(), "a fresh scope starts empty");
    for _ in 0..rounds {
        let _ = query(true).await;
        tokio::task::yield_now().await;
    }
    assert_eq!(breaker("scoped-db").unwrap().counts().failed, 2);
    assert_eq!(breaker("scoped-db").unwrap().state(), BreakerState::Open);
    tokio::time::advance(Duration::from_secs(30)).await;
    assert_eq!(query(false).await, Ok(()));
    assert_eq!(breaker("scoped-db").unwrap().state(), BreakerState::Closed);
}

#[tokio::test(start_paused = true)]
async fn first_test_with_its_own_breaker() {
    trip_in_own_scope(3).await;
}

#[tokio::test(start_paused = true)]
async fn second_test_with_the_same_name() {
    trip_in_own_scope(5).await;
}

#[test]
fn many_threads_each_in_a_scope_never_share_a_breaker() {
    let threads: Vec<_> = (0..8)
        .map(|_| {
            std::thread::spawn(|| {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_time()
                    .start_paused(true)
                    .build()
                    .unwrap();
                runtime.block_on(trip_in_own_scope(4));
            })
        })
        .collect();
    for thread in threads {
        thread.join().unwrap();
    }
    // Outside every scope, the process-wide name was never created.
    assert!(breaker("scoped-db").is_none());
}

#[retry(max_attempts = 3, delay = "1ms", budget = "scoped-api")]
fn budgeted(calls: &AtomicU32) -> Result<(), DbError> {
    calls.fetch_add(1, Ordering::Relaxed);
    Err(DbError::Down)
}

#[test]
fn budgets_are_scoped_too_and_reset_all_refills_them() {
    let _paused = pause_sync_time();
    let _scope = scope();
    register_budget(
        "scoped-api",
        BudgetConfig {
            share: 0.0,
            min_per_second: 0.1,
            cap: 1.0,
        },
    )
    .unwrap();
    let calls = AtomicU32::new(0);
    let _ = budgeted(&calls);
    let _ = budgeted(&calls);
    // The reserve (one token) paid for one retry; the rest were refused.
    assert_eq!(calls.load(Ordering::Relaxed), 3);
    assert_eq!(budget("scoped-api").unwrap().counts().retries, 1);
    reset_all();
    let counts = budget("scoped-api").unwrap().counts();
    assert_eq!((counts.calls, counts.retries, counts.balance), (0, 0, 1.0));
    let _ = budgeted(&calls);
    assert_eq!(calls.load(Ordering::Relaxed), 5);
}
