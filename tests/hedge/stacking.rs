//! `#[hedge]` stacked with the other four attributes, in the recommended order (hedge innermost:
//! retry, breaker, rate limit, bulkhead, hedge, body) and others, on tokio's paused clock; and
//! what dropping losers must never leak: a slot, an attempt, under panics, cancellation and a
//! soak of 5,000 calls.

use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retry_runtime::{BulkheadFull, CircuitOpen, RateLimited, bulkhead, hedge};
use tokio::time::Instant;

#[derive(Debug, PartialEq)]
enum ApiError {
    Slow(u32),
    Open,
    Full,
    Limited,
}

impl From<CircuitOpen> for ApiError {
    fn from(_: CircuitOpen) -> Self {
        ApiError::Open
    }
}

impl From<BulkheadFull> for ApiError {
    fn from(_: BulkheadFull) -> Self {
        ApiError::Full
    }
}

impl From<RateLimited> for ApiError {
    fn from(_: RateLimited) -> Self {
        ApiError::Limited
    }
}

/// An attempt: the `n`th (from 0) waits `wait(n)` ms, then fails when `fails(n)`.
struct Backend {
    attempts: AtomicU32,
    wait: fn(u32) -> u64,
    fails: fn(u32) -> bool,
}

impl Backend {
    fn new(wait: fn(u32) -> u64, fails: fn(u32) -> bool) -> Backend {
        Backend {
            attempts: AtomicU32::new(0),
            wait,
            fails,
        }
    }

    async fn call(&self) -> Result<u32, ApiError> {
        let n = self.attempts.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis((self.wait)(n))).await;
        if (self.fails)(n) {
            Err(ApiError::Slow(n))
        } else {
            Ok(n)
        }
    }

    fn attempts(&self) -> u32 {
        self.attempts.load(Ordering::SeqCst)
    }
}

#[retry_runtime::retry(max_attempts = 2, delay = "0ms", jitter = "none")]
#[retry_runtime::circuit_breaker(name = "stack-recommended", failure_threshold = 5)]
#[retry_runtime::rate_limit(name = "stack-recommended", per_second = 100, burst = 10)]
#[retry_runtime::bulkhead(name = "stack-recommended", max_concurrent = 1)]
#[retry_runtime::hedge(name = "stack-recommended", after = "10ms", max_hedges = 1)]
async fn recommended(backend: &Backend) -> Result<u32, ApiError> {
    backend.call().await
}

#[tokio::test(start_paused = true)]
async fn in_the_recommended_order_a_hedged_call_runs_in_one_slot_and_counts_once() {
    // Attempt 0 is slow; the hedge (attempt 1) answers first.
    let backend = Backend::new(|n| if n == 0 { 1_000 } else { 5 }, |_| false);
    let began = Instant::now();
    assert_eq!(recommended(&backend).await, Ok(1));
    assert_eq!(began.elapsed(), Duration::from_millis(15));
    // Both attempts ran inside the one bulkhead slot the call took.
    assert_eq!(bulkhead("stack-recommended").unwrap().counts().rejected, 0);
    let breaker = retry_runtime::breaker("stack-recommended").unwrap();
    assert_eq!(breaker.counts().successful, 1);
    assert_eq!(hedge("stack-recommended").unwrap().counts().hedge_won, 1);
}

#[retry_runtime::retry(max_attempts = 3, delay = "0ms", jitter = "none")]
#[retry_runtime::hedge(name = "retry-over-hedge", after = "10ms", max_hedges = 1)]
async fn retry_over_hedge(backend: &Backend) -> Result<u32, ApiError> {
    backend.call().await
}

#[tokio::test(start_paused = true)]
async fn a_retry_outside_retries_a_hedged_call_that_failed() {
    // Attempts 0 and 1 (the first hedged call) fail; attempt 2 succeeds.
    let backend = Backend::new(|_| 1, |n| n < 2);
    assert_eq!(retry_over_hedge(&backend).await, Ok(2));
    assert_eq!(backend.attempts(), 3);
    let counts = hedge("retry-over-hedge").unwrap().counts();
    assert_eq!((counts.failed, counts.primary_won), (1, 1));
}

#[retry_runtime::circuit_breaker(name = "breaker-over-hedge", failure_threshold = 2)]
#[retry_runtime::hedge(name = "breaker-over-hedge", after = "10ms", max_hedges = 2)]
async fn breaker_over_hedge(backend: &Backend) -> Result<u32, ApiError> {
    backend.call().await
}

#[tokio::test(start_paused = true)]
async fn a_breaker_outside_counts_one_failure_per_hedged_call() {
    let backend = Backend::new(|_| 1, |_| true);
    assert_eq!(breaker_over_hedge(&backend).await, Err(ApiError::Slow(2)));
    assert_eq!(backend.attempts(), 3);
    let breaker = retry_runtime::breaker("breaker-over-hedge").unwrap();
    assert_eq!(breaker.counts().failed, 1);
    assert_eq!(breaker.state(), retry_runtime::BreakerState::Closed);
    assert_eq!(breaker_over_hedge(&backend).await, Err(ApiError::Slow(5)));
    assert_eq!(breaker.state(), retry_runtime::BreakerState::Open);
    // Open: the next call is rejected before any attempt.
    assert_eq!(breaker_over_hedge(&backend).await, Err(ApiError::Open));
    assert_eq!(backend.attempts(), 6);
}

#[retry_runtime::hedge(name = "hedge-over-bulkhead", after = "10ms", max_hedges = 1, on = [Slow])]
#[retry_runtime::bulkhead(name = "hedge-over-bulkhead", max_concurrent = 1)]
async fn hedge_over_bulkhead(backend: &Backend) -> Result<u32, ApiError> {
    backend.call().await
}

#[tokio::test(start_paused = true)]
async fn a_hedge_outside_a_bulkhead_takes_a_slot_per_attempt_and_a_rejected_one_ends_nothing() {
    // The only slot is held by the slow first attempt: the hedge is rejected at 10 ms. A
    // rejection is no outcome of the dependency, so the first attempt runs on and answers.
    let backend = Backend::new(|_| 1_000, |_| false);
    let began = Instant::now();
    assert_eq!(hedge_over_bulkhead(&backend).await, Ok(0));
    assert_eq!(began.elapsed(), Duration::from_millis(1_000));
    assert_eq!(backend.attempts(), 1);
    assert_eq!(
        bulkhead("hedge-over-bulkhead").unwrap().counts().rejected,
        1
    );
}

#[retry_runtime::hedge(name = "hedge-rejected-alone", after = "10ms", max_hedges = 1)]
#[retry_runtime::bulkhead(name = "hedge-rejected-alone", max_concurrent = 1)]
async fn hedge_rejected_alone(backend: &Backend) -> Result<u32, ApiError> {
    backend.call().await
}

#[tokio::test(start_paused = true)]
async fn a_call_whose_every_attempt_is_rejected_returns_the_rejection_at_once() {
    let backend = Backend::new(|_| 1, |_| false);
    let slots = retry_runtime::register_bulkhead(
        "hedge-rejected-alone",
        retry_runtime::BulkheadConfig::new(1).unwrap(),
    );
    let _held = slots.try_acquire().unwrap();
    let began = Instant::now();
    assert_eq!(hedge_rejected_alone(&backend).await, Err(ApiError::Full));
    // No hedge was started for it, and nothing waited.
    assert_eq!(began.elapsed(), Duration::ZERO);
    assert_eq!(hedge("hedge-rejected-alone").unwrap().counts().hedges, 0);
}

#[retry_runtime::retry(max_attempts = 2, delay = "0ms", jitter = "none")]
#[retry_runtime::hedge(name = "retry-hedge-bulkhead", after = "10ms", max_hedges = 1)]
#[retry_runtime::bulkhead(name = "retry-hedge-bulkhead", max_concurrent = 1)]
async fn retry_hedge_bulkhead(backend: &Backend) -> Result<u32, ApiError> {
    backend.call().await
}

#[tokio::test(start_paused = true)]
async fn a_rejected_hedge_does_not_stop_an_outer_retry_from_retrying_a_real_failure() {
    // Attempt 0 holds the slot and fails at 50 ms; its hedge was rejected at 10 ms. The call
    // returns attempt 0's failure, which is no rejection, so the retry runs it again.
    let backend = Backend::new(|n| if n == 0 { 50 } else { 1 }, |n| n == 0);
    assert_eq!(retry_hedge_bulkhead(&backend).await, Ok(1));
    assert_eq!(backend.attempts(), 2);
    assert_eq!(
        bulkhead("retry-hedge-bulkhead").unwrap().counts().rejected,
        1
    );
}

#[retry_runtime::circuit_breaker(name = "breaker-hedge-bulkhead", failure_threshold = 1)]
#[retry_runtime::hedge(name = "breaker-hedge-bulkhead", after = "10ms", max_hedges = 1)]
#[retry_runtime::bulkhead(name = "breaker-hedge-bulkhead", max_concurrent = 1)]
async fn breaker_hedge_bulkhead(backend: &Backend) -> Result<u32, ApiError> {
    backend.call().await
}

#[tokio::test(start_paused = true)]
async fn a_breaker_outside_counts_a_real_failure_even_when_a_hedge_was_rejected() {
    let backend = Backend::new(|_| 50, |_| true);
    assert_eq!(
        breaker_hedge_bulkhead(&backend).await,
        Err(ApiError::Slow(0))
    );
    let breaker = retry_runtime::breaker("breaker-hedge-bulkhead").unwrap();
    assert_eq!((breaker.counts().failed, breaker.counts().ignored), (1, 0));
    assert_eq!(breaker.state(), retry_runtime::BreakerState::Open);
}

#[retry_runtime::hedge(name = "hedge-slots", after = "10ms", max_hedges = 2)]
#[retry_runtime::bulkhead(name = "hedge-slots", max_concurrent = 3)]
async fn hedge_slots(backend: &Backend) -> Result<u32, ApiError> {
    backend.call().await
}

#[tokio::test(start_paused = true)]
async fn losers_dropped_when_one_wins_give_their_slots_back() {
    // Attempts 0 and 1 hang; attempt 2 (at 20 ms) answers at 25 ms.
    let backend = Backend::new(|n| if n < 2 { 60_000 } else { 5 }, |_| false);
    let slots = || bulkhead("hedge-slots").map(|slots| slots.available());
    assert_eq!(hedge_slots(&backend).await, Ok(2));
    assert_eq!(slots(), Some(3));
}

#[retry_runtime::hedge(name = "hedge-panics", after = "10ms", max_hedges = 1)]
#[retry_runtime::bulkhead(name = "hedge-panics", max_concurrent = 2)]
async fn hedge_panics(backend: &Backend) -> Result<u32, ApiError> {
    let n = backend.attempts.fetch_add(1, Ordering::SeqCst);
    if n == 1 {
        tokio::time::sleep(Duration::from_millis(1)).await;
        panic!("the hedge panics");
    }
    tokio::time::sleep(Duration::from_secs(60)).await;
    Ok(n)
}

#[tokio::test(start_paused = true)]
async fn a_panicking_attempt_unwinds_the_call_and_every_slot_comes_back() {
    let backend = std::sync::Arc::new(Backend::new(|_| 0, |_| false));
    let task = {
        let backend = backend.clone();
        tokio::spawn(async move { hedge_panics(&backend).await })
    };
    let error = task.await.unwrap_err();
    assert!(error.is_panic());
    assert_eq!(backend.attempts(), 2);
    // The primary (still waiting) was dropped with the call: both slots are free.
    assert_eq!(bulkhead("hedge-panics").unwrap().available(), 2);
}

#[retry_runtime::hedge(name = "hedge-soak", after = "2ms", max_hedges = 2, on = [Slow])]
#[retry_runtime::bulkhead(name = "hedge-soak", max_concurrent = 1000)]
async fn soaked(ledger: &Ledger, seed: u64) -> Result<u64, ApiError> {
    let n = ledger.started.fetch_add(1, Ordering::SeqCst);
    let _live = Live(&ledger.ended);
    let draw = (seed ^ u64::from(n)).wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 60;
    tokio::time::sleep(Duration::from_millis(draw)).await;
    if draw == 3 {
        return Err(ApiError::Slow(n));
    }
    Ok(draw)
}

/// Attempts started, and attempts ended (finished or dropped).
#[derive(Default)]
struct Ledger {
    started: AtomicU32,
    ended: AtomicU32,
}

struct Live<'a>(&'a AtomicU32);

impl Drop for Live<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn a_soak_of_cancelled_and_failing_hedged_calls_leaks_no_attempt_and_no_slot() {
    let ledger = std::sync::Arc::new(Ledger::default());
    let finished = std::sync::Arc::new(AtomicU32::new(0));
    let mut tasks = Vec::new();
    for task in 0..200_u64 {
        let (ledger, finished) = (ledger.clone(), finished.clone());
        tasks.push(tokio::spawn(async move {
            for call in 0..25_u64 {
                let seed = task * 1_000 + call;
                // Every third call is cut off after 1 to 6 ms, mid-hedge or not.
                let limit = Duration::from_millis(1 + seed % 6);
                let outcome = if seed % 3 == 0 {
                    tokio::time::timeout(limit, soaked(&ledger, seed))
                        .await
                        .ok()
                } else {
                    Some(soaked(&ledger, seed).await)
                };
                if outcome.is_some() {
                    finished.fetch_add(1, Ordering::SeqCst);
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let started = ledger.started.load(Ordering::SeqCst);
    assert_eq!(
        ledger.ended.load(Ordering::SeqCst),
        started,
        "an attempt outlived its call"
    );
    assert_eq!(bulkhead("hedge-soak").unwrap().available(), 1000);
    let counts = hedge("hedge-soak").unwrap().counts();
    assert_eq!(counts.calls, u64::from(finished.load(Ordering::SeqCst)));
    assert_eq!(u64::from(started), 5_000 + counts.hedges);
    assert!(counts.hedges > 0 && counts.hedge_won > 0 && counts.failed > 0);
    assert!(counts.hedges <= 2 * 5_000);
}
