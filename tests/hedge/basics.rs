//! `#[hedge]` as users write it, on tokio's paused clock: a hedge starts after `after`, the first
//! `Ok` wins and the losers are dropped, a fast first attempt starts no hedge, a non-retryable
//! error ends the call at once, a retryable one starts the next attempt at once, `max_hedges`
//! caps the attempts, a budget stops hedges, `after = "p95"` follows the latencies, and the
//! future stays `Send`. Every test names its own site, since the registry is process-wide.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::{HedgeOutcome, hedge};
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq)]
enum StoreError {
    Timeout(u32),
    NotFound(u32),
}

/// What each attempt does, in the order attempts start: sleep, then return.
struct Script {
    steps: Mutex<Vec<(u64, Result<u32, StoreError>)>>,
    started: AtomicU32,
    finished: AtomicU32,
    dropped: AtomicU32,
}

impl Script {
    /// `(milliseconds, result)` per attempt.
    fn new(steps: &[(u64, Result<u32, StoreError>)]) -> Script {
        Script {
            steps: Mutex::new(steps.to_vec()),
            started: AtomicU32::new(0),
            finished: AtomicU32::new(0),
            dropped: AtomicU32::new(0),
        }
    }

    async fn attempt(&self) -> Result<u32, StoreError> {
        let index = self.started.fetch_add(1, Ordering::SeqCst) as usize;
        let (millis, result) = self.steps.lock().unwrap()[index].clone();
        let guard = DropCounter(&self.dropped);
        tokio::time::sleep(Duration::from_millis(millis)).await;
        std::mem::forget(guard);
        self.finished.fetch_add(1, Ordering::SeqCst);
        result
    }

    fn counts(&self) -> (u32, u32, u32) {
        (
            self.started.load(Ordering::SeqCst),
            self.finished.load(Ordering::SeqCst),
            self.dropped.load(Ordering::SeqCst),
        )
    }
}

/// Counts an attempt dropped before it finished.
struct DropCounter<'a>(&'a AtomicU32);

impl Drop for DropCounter<'_> {
    fn drop(&mut self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }
}

#[retry_runtime::hedge(name = "slow-primary", after = "50ms")]
async fn slow_primary(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_hedge_starts_after_after_and_the_first_ok_wins_and_the_loser_is_dropped() {
    let script = Script::new(&[(10_000, Ok(1)), (10, Ok(2))]);
    let began = Instant::now();
    assert_eq!(slow_primary(&script).await, Ok(2));
    assert_eq!(began.elapsed(), Duration::from_millis(60));
    // Two started, the hedge finished, the primary was dropped when the call returned.
    assert_eq!(script.counts(), (2, 1, 1));
    let counts = hedge("slow-primary").unwrap().counts();
    assert_eq!(
        (
            counts.calls,
            counts.hedge_won,
            counts.primary_won,
            counts.hedges
        ),
        (1, 1, 0, 1)
    );
}

#[retry_runtime::hedge(name = "fast-primary", after = "50ms", max_hedges = 3)]
async fn fast_primary(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_fast_first_attempt_starts_no_hedge() {
    let script = Script::new(&[(49, Ok(7))]);
    let began = Instant::now();
    assert_eq!(fast_primary(&script).await, Ok(7));
    assert_eq!(began.elapsed(), Duration::from_millis(49));
    assert_eq!(script.counts(), (1, 1, 0));
    let counts = hedge("fast-primary").unwrap().counts();
    assert_eq!((counts.primary_won, counts.hedges), (1, 0));
}

#[retry_runtime::hedge(name = "classified", after = "50ms", max_hedges = 2, on = [Timeout])]
async fn classified(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_non_retryable_error_ends_the_call_at_once_and_drops_the_others() {
    // The primary is slow; the hedge fails with an error `on` does not select.
    let script = Script::new(&[(10_000, Ok(1)), (5, Err(StoreError::NotFound(2)))]);
    let began = Instant::now();
    assert_eq!(classified(&script).await, Err(StoreError::NotFound(2)));
    assert_eq!(began.elapsed(), Duration::from_millis(55));
    assert_eq!(script.counts(), (2, 1, 1));
    assert_eq!(hedge("classified").unwrap().counts().failed, 1);
}

#[retry_runtime::hedge(name = "classified-retryable", after = "50ms", max_hedges = 2, on = [Timeout])]
async fn classified_retryable(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_retryable_error_starts_the_next_attempt_at_once() {
    // The primary times out at 20 ms (before `after`): the hedge starts then, not at 50 ms.
    let script = Script::new(&[(20, Err(StoreError::Timeout(1))), (10, Ok(2))]);
    let began = Instant::now();
    assert_eq!(classified_retryable(&script).await, Ok(2));
    assert_eq!(began.elapsed(), Duration::from_millis(30));
    assert_eq!(script.counts(), (2, 2, 0));
}

#[retry_runtime::hedge(name = "all-fail", after = "10ms", max_hedges = 2)]
async fn all_fail(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn when_every_attempt_fails_the_last_error_is_returned() {
    let script = Script::new(&[
        (100, Err(StoreError::Timeout(1))),
        (30, Err(StoreError::Timeout(2))),
        (5, Err(StoreError::Timeout(3))),
    ]);
    // Hedges start at 10 and 20 ms; they fail at 25 ms (third) and 40 ms (second), and the
    // primary at 100 ms, last.
    let began = Instant::now();
    assert_eq!(all_fail(&script).await, Err(StoreError::Timeout(1)));
    assert_eq!(began.elapsed(), Duration::from_millis(100));
    assert_eq!(script.counts(), (3, 3, 0));
    let counts = hedge("all-fail").unwrap().counts();
    assert_eq!((counts.failed, counts.hedges), (1, 2));
}

#[retry_runtime::hedge(name = "capped", after = "10ms", max_hedges = 3)]
async fn capped(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn each_further_hedge_starts_after_the_previous_one_up_to_max_hedges() {
    let started = std::sync::Arc::new(Mutex::new(Vec::new()));
    let began = Instant::now();
    let seen = started.clone();
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::HedgeStarted {
            name: "capped",
            hedge,
            elapsed,
            ..
        } = *event
        {
            seen.lock().unwrap().push((hedge, elapsed));
        }
    });
    let script = Script::new(&[
        (1_000, Ok(1)),
        (1_000, Ok(2)),
        (1_000, Ok(3)),
        (1_000, Ok(4)),
    ]);
    assert_eq!(capped(&script).await, Ok(1));
    assert_eq!(began.elapsed(), Duration::from_millis(1_000));
    assert_eq!(
        *started.lock().unwrap(),
        [
            (1, Duration::from_millis(10)),
            (2, Duration::from_millis(20)),
            (3, Duration::from_millis(30)),
        ]
    );
    // Four started; the primary won, the three hedges were dropped.
    assert_eq!(script.counts(), (4, 1, 3));
}

#[retry_runtime::hedge(name = "dropped-call", after = "10ms", max_hedges = 2)]
async fn dropped_call(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_dropped_call_drops_every_attempt() {
    let script = Script::new(&[(1_000, Ok(1)), (1_000, Ok(2)), (1_000, Ok(3))]);
    let outcome = tokio::time::timeout(Duration::from_millis(100), dropped_call(&script)).await;
    assert!(outcome.is_err());
    assert_eq!(script.counts(), (3, 0, 3));
    // No outcome was recorded for a call that never finished.
    assert_eq!(hedge("dropped-call").unwrap().counts().calls, 0);
}

#[retry_runtime::hedge(
    name = "budgeted",
    after = "10ms",
    max_hedges = 2,
    budget = "hedge-budget"
)]
async fn budgeted(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_budget_that_refuses_stops_further_hedges() {
    retry_runtime::register_budget(
        "hedge-budget",
        retry_runtime::BudgetConfig {
            share: 0.0,
            min_per_second: 0.0,
            cap: 1.0,
        },
    )
    .unwrap();
    let budget = retry_runtime::budget("hedge-budget").unwrap();
    // The reserve is `min_per_second` x 10 s: none. No share either, so nothing pays.
    let script = Script::new(&[(100, Ok(1))]);
    let began = Instant::now();
    assert_eq!(budgeted(&script).await, Ok(1));
    assert_eq!(began.elapsed(), Duration::from_millis(100));
    assert_eq!(script.counts(), (1, 1, 0));
    let counts = hedge("budgeted").unwrap().counts();
    assert_eq!((counts.hedges, counts.refused), (0, 1));
    assert_eq!((budget.counts().calls, budget.counts().refused), (1, 1));
}

#[retry_runtime::hedge(name = "quantile", after = "p95", floor = "1ms", max_hedges = 1)]
async fn quantile(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_quantile_after_waits_the_floor_then_follows_the_latencies() {
    let site = || hedge("quantile").unwrap();
    // Attempts of 1 to 20 ms, in turn. Until 100 latencies are known the site waits its 1 ms
    // floor, so most calls start a hedge, whose latency counts too.
    let steps: Vec<(u64, Result<u32, StoreError>)> =
        (0..400).map(|n| (1 + n % 20, Ok(n as u32))).collect();
    let script = Script::new(&steps);
    assert_eq!(quantile(&script).await, Ok(0));
    assert_eq!(site().delay(), Duration::from_millis(1));
    while site().latencies_recorded() < 100 {
        assert_eq!(site().delay(), Duration::from_millis(1));
        quantile(&script).await.unwrap();
    }
    // From the 100th latency on, the site waits their p95: near the slow end of 1 to 20 ms.
    let delay = site().delay();
    assert!(
        delay >= Duration::from_millis(10) && delay <= Duration::from_millis(20),
        "p95 {delay:?}"
    );
}

#[retry_runtime::hedge(name = "quantile-floor", after = "p50", floor = "30ms")]
async fn quantile_floor(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_quantile_below_the_floor_waits_the_floor() {
    let steps: Vec<(u64, Result<u32, StoreError>)> = (0..150).map(|n| (1, Ok(n))).collect();
    let script = Script::new(&steps);
    for _ in 0..120 {
        quantile_floor(&script).await.unwrap();
    }
    let site = hedge("quantile-floor").unwrap();
    assert!(site.latencies_recorded() >= 100);
    assert_eq!(site.delay(), Duration::from_millis(30));
}

#[retry_runtime::hedge(name = "quantile-losers", after = "p95", floor = "5ms")]
async fn quantile_losers(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_dropped_loser_counts_in_the_latencies_with_the_time_it_ran() {
    let script = Script::new(&[(1_000, Ok(1)), (2, Ok(2))]);
    assert_eq!(quantile_losers(&script).await, Ok(2));
    // The hedge finished; the first attempt was dropped at 7 ms and counted as that.
    assert_eq!(hedge("quantile-losers").unwrap().latencies_recorded(), 2);
}

#[retry_runtime::hedge(name = "all-at-once", after = "0ms", max_hedges = 2)]
async fn all_at_once(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn after_zero_starts_every_attempt_at_once() {
    let script = Script::new(&[(30, Ok(1)), (20, Ok(2)), (10, Ok(3))]);
    let began = Instant::now();
    assert_eq!(all_at_once(&script).await, Ok(3));
    assert_eq!(began.elapsed(), Duration::from_millis(10));
    assert_eq!(script.counts(), (3, 1, 2));
}

#[retry_runtime::hedge(name = "two-failures", after = "10ms", max_hedges = 3)]
async fn two_failures(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn two_retryable_failures_at_once_start_two_attempts_at_once() {
    let starts = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = starts.clone();
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::HedgeStarted {
            name: "two-failures",
            elapsed,
            ..
        } = *event
        {
            seen.lock().unwrap().push(elapsed);
        }
    });
    // The first attempt and the hedge started at 10 ms both fail at 20 ms.
    let script = Script::new(&[
        (20, Err(StoreError::Timeout(1))),
        (10, Err(StoreError::Timeout(2))),
        (100, Ok(3)),
        (5, Ok(4)),
    ]);
    assert_eq!(two_failures(&script).await, Ok(4));
    let millis = |ms| Duration::from_millis(ms);
    assert_eq!(
        *starts.lock().unwrap(),
        [millis(10), millis(20), millis(20)]
    );
}

#[retry_runtime::hedge(
    name = "refused-after-failure",
    after = "10ms",
    budget = "hedge-budget-empty"
)]
async fn refused_after_failure(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_budget_refusal_after_a_retryable_failure_returns_that_failure() {
    retry_runtime::register_budget(
        "hedge-budget-empty",
        retry_runtime::BudgetConfig {
            share: 0.0,
            min_per_second: 0.0,
            cap: 1.0,
        },
    )
    .unwrap();
    let script = Script::new(&[(3, Err(StoreError::Timeout(1)))]);
    let began = Instant::now();
    assert_eq!(
        refused_after_failure(&script).await,
        Err(StoreError::Timeout(1))
    );
    assert_eq!(began.elapsed(), Duration::from_millis(3));
    assert_eq!(hedge("refused-after-failure").unwrap().counts().refused, 1);
}

#[retry_runtime::hedge(name = "send", after = "50ms", max_hedges = 3)]
async fn sendable(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_hedged_future_is_send() {
    fn assert_send<T: Send>(value: T) -> T {
        value
    }
    let script = Script::new(&[(100, Ok(5)), (1, Ok(6))]);
    assert_eq!(assert_send(sendable(&script)).await, Ok(6));
}

#[derive(Default)]
struct Replicas {
    calls: AtomicU32,
}

impl Replicas {
    #[retry_runtime::hedge(after = "5ms", max_hedges = 1)]
    async fn get(&self, key: &str) -> Result<String, StoreError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        let wait = if call == 0 { 100 } else { 1 };
        tokio::time::sleep(Duration::from_millis(wait)).await;
        Ok(format!("{key}@{call}"))
    }
}

#[tokio::test(start_paused = true)]
async fn methods_taking_self_by_reference_hedge_and_sites_default_to_module_and_fn() {
    let replicas = Replicas::default();
    assert_eq!(replicas.get("k").await.unwrap(), "k@1");
    let counts = hedge("hedge::basics::get").unwrap().counts();
    assert_eq!(counts.hedge_won, 1);
}

#[tokio::test(start_paused = true)]
async fn hooks_hear_how_each_call_ended() {
    let outcomes = std::sync::Arc::new(Mutex::new(Vec::new()));
    let seen = outcomes.clone();
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::HedgeCall {
            name: "hooked",
            outcome,
            attempts,
            ..
        } = *event
        {
            seen.lock().unwrap().push((outcome, attempts));
        }
    });
    #[retry_runtime::hedge(name = "hooked", after = "10ms")]
    async fn hooked(script: &Script) -> Result<u32, StoreError> {
        script.attempt().await
    }
    hooked(&Script::new(&[(1, Ok(1))])).await.unwrap();
    hooked(&Script::new(&[(50, Ok(1)), (1, Ok(2))]))
        .await
        .unwrap();
    // Every error is retryable without `on`/`when`: the failure starts the hedge at once.
    hooked(&Script::new(&[
        (1, Err(StoreError::NotFound(1))),
        (1, Err(StoreError::NotFound(2))),
    ]))
    .await
    .unwrap_err();
    assert_eq!(
        *outcomes.lock().unwrap(),
        [
            (HedgeOutcome::PrimaryWon, 1),
            (HedgeOutcome::HedgeWon, 2),
            (HedgeOutcome::Failed, 2),
        ]
    );
}

#[retry_runtime::hedge(name = "outside-a-runtime", after = "10ms")]
async fn answers_at_once(key: u32) -> Result<u32, StoreError> {
    Ok(key)
}

#[test]
fn a_call_that_answers_at_once_arms_no_timer_and_needs_no_runtime() {
    // Polled by a plain executor: a tokio timer would panic here, with no runtime to hold it.
    let waker = std::task::Waker::noop();
    let mut context = std::task::Context::from_waker(waker);
    let mut call = std::pin::pin!(answers_at_once(3));
    assert_eq!(
        call.as_mut().poll(&mut context),
        std::task::Poll::Ready(Ok(3))
    );
}

/// A trait method rewritten by `#[async_trait]` first (its future is boxed and `Send`).
#[async_trait::async_trait]
trait Lookup {
    async fn lookup(&self, key: u32) -> Result<u32, StoreError>;
}

#[async_trait::async_trait]
impl Lookup for Replicas {
    #[retry_runtime::hedge(name = "async-trait-hedge", after = "5ms")]
    async fn lookup(&self, key: u32) -> Result<u32, StoreError> {
        let call = self.calls.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_millis(if call == 0 { 100 } else { 1 })).await;
        Ok(key + call)
    }
}

/// Generic over the key and the error, with `when` classifying the generic error.
#[retry_runtime::hedge(name = "generic-hedge", after = "5ms", when = is_retryable)]
async fn generic<K: std::fmt::Display + Sync, E: From<StoreError> + Retryable>(
    key: &K,
    calls: &AtomicU32,
) -> Result<String, E> {
    let call = calls.fetch_add(1, Ordering::SeqCst);
    if call == 0 {
        return Err(E::from(StoreError::Timeout(0)));
    }
    Ok(format!("{key}"))
}

trait Retryable {
    fn retryable(&self) -> bool;
}

impl Retryable for StoreError {
    fn retryable(&self) -> bool {
        matches!(self, StoreError::Timeout(_))
    }
}

fn is_retryable<E: Retryable>(error: &E) -> bool {
    error.retryable()
}

#[tokio::test(start_paused = true)]
async fn async_trait_methods_and_generic_fns_hedge() {
    let replicas = Replicas::default();
    assert_eq!(replicas.lookup(10).await, Ok(11));
    assert_eq!(hedge("async-trait-hedge").unwrap().counts().hedge_won, 1);

    let calls = AtomicU32::new(0);
    let value: Result<String, StoreError> = generic(&"k", &calls).await;
    assert_eq!(value.unwrap(), "k");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
}

/// A 503 carried in an `Ok`: a failure for `on_result`.
fn unavailable(status: &u32) -> bool {
    *status == 503
}

#[retry_runtime::hedge(name = "hedge-values", after = "50ms", max_hedges = 2, on_result = unavailable)]
async fn hedge_values(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn on_result_a_failing_value_does_not_win_and_starts_the_next_attempt_at_once() {
    let stats = retry_runtime::stats::collect();
    // The primary answers 503 at 10 ms (before `after`): the hedge starts then, and its 200
    // wins; without `on_result` the 503 would have been returned at 10 ms.
    let script = Script::new(&[(10, Ok(503)), (10, Ok(200))]);
    let began = Instant::now();
    assert_eq!(hedge_values(&script).await, Ok(200));
    assert_eq!(began.elapsed(), Duration::from_millis(20));
    assert_eq!(script.counts(), (2, 2, 0));
    // Every attempt a 503: the last one comes back as it is, and the call counts as failed.
    let script = Script::new(&[(100, Ok(503)), (30, Ok(503)), (5, Ok(503))]);
    assert_eq!(hedge_values(&script).await, Ok(503));
    assert_eq!(script.counts(), (3, 3, 0));
    let counts = hedge("hedge-values").unwrap().counts();
    assert_eq!((counts.calls, counts.hedge_won, counts.failed), (2, 1, 1));
    // The same in `stats`, beside the retry sites.
    let site = stats.hedge("hedge-values");
    assert_eq!(
        (
            site.calls,
            site.attempts,
            site.hedges,
            site.primary_won,
            site.hedge_won,
            site.failed
        ),
        (2, 5, 3, 0, 1, 1)
    );
}

#[retry_runtime::retry(max_attempts = 2, delay = "0ms", on_result = unavailable)]
#[retry_runtime::hedge(name = "hedge-inherits", after = "50ms", max_hedges = 1)]
async fn hedge_under_a_judging_retry(script: &Script) -> Result<u32, StoreError> {
    script.attempt().await
}

#[tokio::test(start_paused = true)]
async fn a_hedge_under_a_retry_with_on_result_judges_values_with_the_same_fn() {
    let script = Script::new(&[(10, Ok(503)), (10, Ok(200))]);
    assert_eq!(hedge_under_a_judging_retry(&script).await, Ok(200));
    // Inside the first hedged call: the 503 lost, the hedge's 200 won; no retry was needed.
    let counts = hedge("hedge-inherits").unwrap().counts();
    assert_eq!((counts.calls, counts.hedge_won), (1, 1));
}
