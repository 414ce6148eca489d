//! Retry budgets: a storm against a failing dependency issues at most (1 + share) x calls with a
//! budget, and max_attempts x calls without one. Budgets are process-wide, so each test names
//! its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retry_runtime::testing::pause_sync_time;
use retry_runtime::{BudgetConfig, budget, register_budget, retry};

#[derive(Debug, PartialEq)]
struct Down;

const CALLS: u32 = 200;
const MAX_ATTEMPTS: u32 = 5;

#[retry(max_attempts = 5, delay = "1ms", jitter = "none", budget = "storm")]
async fn budgeted(attempts: Arc<AtomicU32>) -> Result<(), Down> {
    attempts.fetch_add(1, Ordering::Relaxed);
    tokio::task::yield_now().await;
    Err(Down)
}

#[retry(max_attempts = 5, delay = "1ms", jitter = "none")]
async fn unbudgeted(attempts: Arc<AtomicU32>) -> Result<(), Down> {
    attempts.fetch_add(1, Ordering::Relaxed);
    tokio::task::yield_now().await;
    Err(Down)
}

/// 200 tasks call at once against a dependency that always fails.
async fn storm<F>(call: impl Fn(Arc<AtomicU32>) -> F) -> u32
where
    F: std::future::Future<Output = Result<(), Down>> + Send + 'static,
{
    let attempts = Arc::new(AtomicU32::new(0));
    let tasks: Vec<_> = (0..CALLS)
        .map(|_| tokio::spawn(call(Arc::clone(&attempts))))
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap(), Err(Down));
    }
    attempts.load(Ordering::Relaxed)
}

#[tokio::test(start_paused = true)]
async fn a_storm_with_a_budget_costs_at_most_one_plus_share_times_the_calls() {
    // No minimum rate and a cap above what the storm can bank, so the bound is exact.
    let config = BudgetConfig {
        share: 0.2,
        min_per_second: 0.0,
        cap: 1000.0,
    };
    register_budget("storm", config).unwrap();
    let with_budget = storm(budgeted).await;
    let without_budget = storm(unbudgeted).await;
    println!("{CALLS} calls: {with_budget} attempts with the budget, {without_budget} without");
    assert!(with_budget <= CALLS + CALLS / 5, "{with_budget} attempts");
    assert_eq!(without_budget, CALLS * MAX_ATTEMPTS);
    let counts = budget("storm").unwrap().counts();
    assert_eq!(counts.calls, u64::from(CALLS));
    assert_eq!(counts.retries, u64::from(with_budget - CALLS));
    assert!(
        counts.refused > 0,
        "the budget refused the rest: {counts:?}"
    );
}

#[retry(max_attempts = 3, delay = "1ms", budget = "refusing")]
fn refused(attempts: &AtomicU32) -> Result<(), Down> {
    attempts.fetch_add(1, Ordering::Relaxed);
    Err(Down)
}

#[test]
fn an_empty_budget_returns_the_error_at_once_and_counts_it() {
    register_budget(
        "refusing",
        BudgetConfig {
            share: 0.0,
            min_per_second: 0.0,
            cap: 1.0,
        },
    )
    .unwrap();
    let _paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    assert_eq!(refused(&attempts), Err(Down));
    assert_eq!(attempts.load(Ordering::Relaxed), 1, "no retry");
    assert_eq!(budget("refusing").unwrap().counts().refused, 1);
}

#[retry(max_attempts = 2, delay = "1ms", budget = "shared")]
fn first_site(attempts: &AtomicU32) -> Result<(), Down> {
    attempts.fetch_add(1, Ordering::Relaxed);
    Err(Down)
}

#[retry(max_attempts = 2, delay = "1ms", budget = "shared")]
fn second_site(attempts: &AtomicU32) -> Result<(), Down> {
    attempts.fetch_add(1, Ordering::Relaxed);
    Err(Down)
}

#[test]
fn sites_naming_one_budget_share_it() {
    register_budget(
        "shared",
        BudgetConfig {
            share: 0.5,
            min_per_second: 0.0,
            cap: 10.0,
        },
    )
    .unwrap();
    let _paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    // Each call deposits half a token: the first call of each site cannot retry, the second can.
    let _ = first_site(&attempts);
    let _ = second_site(&attempts);
    assert_eq!(attempts.load(Ordering::Relaxed), 3);
    let counts = budget("shared").unwrap().counts();
    assert_eq!((counts.calls, counts.retries, counts.refused), (2, 1, 1));
}

#[retry(max_attempts = 2, delay = "1ms", budget = "trickle")]
fn trickle(attempts: &AtomicU32) -> Result<(), Down> {
    attempts.fetch_add(1, Ordering::Relaxed);
    Err(Down)
}

#[test]
fn the_minimum_rate_refills_the_budget_over_time() {
    register_budget(
        "trickle",
        BudgetConfig {
            share: 0.0,
            min_per_second: 2.0,
            cap: 10.0,
        },
    )
    .unwrap();
    let paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    let _ = trickle(&attempts);
    assert_eq!(attempts.load(Ordering::Relaxed), 1, "nothing banked yet");
    paused.advance(Duration::from_secs(1));
    let _ = trickle(&attempts);
    assert_eq!(
        attempts.load(Ordering::Relaxed),
        3,
        "two tokens after a second pay for a retry"
    );
}

#[test]
fn invalid_budgets_are_rejected_with_the_field_and_value() {
    let error = register_budget(
        "bad-share",
        BudgetConfig {
            share: -0.5,
            ..BudgetConfig::DEFAULT
        },
    )
    .unwrap_err();
    assert!(error.contains("`share` is -0.5"), "{error}");
    let error = register_budget(
        "bad-cap",
        BudgetConfig {
            cap: 0.5,
            ..BudgetConfig::DEFAULT
        },
    )
    .unwrap_err();
    assert!(error.contains("`cap` is 0.5"), "{error}");
    assert!(budget("bad-share").is_none());
}
