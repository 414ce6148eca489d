//! Retry budgets: a storm against a failing dependency issues at most (1 + share) x calls plus
//! the reserve a new budget starts with (and the trickle) with a budget, and max_attempts x
//! calls without one. Budgets are process-wide, so each test names
//! its own.

use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retry_runtime::testing::pause_sync_time;
use retry_runtime::{BudgetConfig, RESERVE_WINDOW, budget, register_budget, retry};

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
async fn a_storm_with_the_default_budget_costs_at_most_1_2x_the_calls_plus_the_reserve() {
    // The README's claim, on the defaults (`budget = "storm"` registers `BudgetConfig::DEFAULT`
    // at its first call): at most (1 + share) x calls, plus the reserve a new budget starts
    // with (min_per_second x RESERVE_WINDOW = 10 x 10 s = 100 retries, capped at `cap`), plus
    // the trickle over the storm (10 per second).
    let start = tokio::time::Instant::now();
    let with_budget = storm(budgeted).await;
    let elapsed = start.elapsed();
    let without_budget = storm(unbudgeted).await;
    let defaults = BudgetConfig::DEFAULT;
    let reserve = (defaults.min_per_second * RESERVE_WINDOW.as_secs_f64()).min(defaults.cap);
    assert_eq!(reserve, 100.0);
    let trickle = defaults.min_per_second * elapsed.as_secs_f64();
    let bound = (f64::from(CALLS) * (1.0 + defaults.share) + reserve + trickle).floor();
    println!(
        "{CALLS} calls: {with_budget} attempts with the default budget (bound {bound}, storm \
         {elapsed:?}), {without_budget} without"
    );
    assert!(
        f64::from(with_budget) <= bound,
        "{with_budget} attempts > {bound}"
    );
    assert_eq!(without_budget, CALLS * MAX_ATTEMPTS);
    let counts = budget("storm").unwrap().counts();
    assert_eq!(counts.calls, u64::from(CALLS));
    assert_eq!(counts.retries, u64::from(with_budget - CALLS));
    assert!(
        counts.refused > 0,
        "the budget refused the rest: {counts:?}"
    );
}

#[retry(
    max_attempts = 5,
    delay = "1ms",
    jitter = "none",
    budget = "storm-share-only"
)]
async fn share_only(attempts: Arc<AtomicU32>) -> Result<(), Down> {
    attempts.fetch_add(1, Ordering::Relaxed);
    tokio::task::yield_now().await;
    Err(Down)
}

#[tokio::test(start_paused = true)]
async fn a_storm_without_reserve_or_trickle_costs_at_most_one_plus_share_times_the_calls() {
    // No minimum rate (so no reserve) and a cap above what the storm can bank: the share alone.
    let config = BudgetConfig {
        share: 0.2,
        min_per_second: 0.0,
        cap: 1000.0,
    };
    register_budget("storm-share-only", config).unwrap();
    let with_budget = storm(share_only).await;
    assert!(with_budget <= CALLS + CALLS / 5, "{with_budget} attempts");
    let counts = budget("storm-share-only").unwrap().counts();
    assert_eq!(counts.retries, u64::from(with_budget - CALLS));
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
    // A reserve of 10 s x 0.05 = half a token: not enough for the first retry.
    register_budget(
        "trickle",
        BudgetConfig {
            share: 0.0,
            min_per_second: 0.05,
            cap: 10.0,
        },
    )
    .unwrap();
    let paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    let _ = trickle(&attempts);
    assert_eq!(attempts.load(Ordering::Relaxed), 1, "half a token banked");
    paused.advance(Duration::from_secs(10));
    let _ = trickle(&attempts);
    assert_eq!(
        attempts.load(Ordering::Relaxed),
        3,
        "another half token after ten seconds pays for a retry"
    );
}

#[retry(max_attempts = 3, delay = "1ms", budget = "fresh")]
fn fresh(attempts: &AtomicU32) -> Result<(), Down> {
    attempts.fetch_add(1, Ordering::Relaxed);
    Err(Down)
}

#[test]
fn a_new_budget_starts_with_its_reserve_so_first_failures_retry() {
    let _paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    // Never registered: the defaults, whose reserve is 10 retries per second x 10 s.
    let _ = fresh(&attempts);
    assert_eq!(attempts.load(Ordering::Relaxed), 3);
    let counts = budget("fresh").unwrap().counts();
    assert_eq!((counts.retries, counts.refused), (2, 0));
    // Full at 100 (the call's 0.2 is capped away), two retries spent, plus the trickle over
    // the few milliseconds slept.
    assert!((98.0..98.1).contains(&counts.balance), "{counts:?}");
}

#[retry(max_attempts = 2, delay = "0ms", budget = "exact-trickle")]
fn exact_trickle(attempts: &AtomicU32) -> Result<(), Down> {
    attempts.fetch_add(1, Ordering::Relaxed);
    Err(Down)
}

#[test]
fn the_trickle_is_exact_however_often_it_is_read() {
    // 1 token per second, no reserve to speak of and no share: retries come from the trickle
    // alone. Read every 40 us for 24 s (600,000 calls), it must pay 24 retries, not 0 (time
    // rounded away) and not more.
    register_budget(
        "exact-trickle",
        BudgetConfig {
            share: 0.0,
            min_per_second: 1.0,
            cap: 1.0,
        },
    )
    .unwrap();
    let paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    // Spend the reserve (capped at one token) first.
    let _ = exact_trickle(&attempts);
    let before = budget("exact-trickle").unwrap().counts().retries;
    assert_eq!(before, 1);
    for _ in 0..600_000 {
        paused.advance(Duration::from_micros(40));
        let _ = exact_trickle(&attempts);
    }
    let retries = budget("exact-trickle").unwrap().counts().retries - before;
    assert_eq!(retries, 24);
}

#[test]
fn shares_too_small_to_count_and_values_out_of_range_are_rejected() {
    let error = register_budget(
        "tiny-share",
        BudgetConfig {
            share: 0.0004,
            ..BudgetConfig::DEFAULT
        },
    )
    .unwrap_err();
    assert!(error.contains("`share` is 0.0004"), "{error}");
    let error = register_budget(
        "huge-cap",
        BudgetConfig {
            cap: 1e16,
            ..BudgetConfig::DEFAULT
        },
    )
    .unwrap_err();
    assert!(error.contains("`cap` is 10000000000000000"), "{error}");
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
