//! `#[chaos]` as users write it: inert until configured, a fault returned as the fn's error
//! without running the body, latency on the right clock, draws that follow the testing seed,
//! and injected faults that the strategies around the site treat as the real thing: a
//! `#[retry]` retries them, a `#[circuit_breaker]` trips on them, an `attempt_timeout` cuts off
//! injected latency. Each test holds its own scope of names, so parallel tests never share a
//! chaos point or a breaker.

use std::cell::Cell;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use retry_runtime::hooks::{Event, install_hook};
use retry_runtime::testing::{pause_sync_time, scope, seed_jitter};
use retry_runtime::{
    AttemptTimeout, BreakerState, BulkheadFull, ChaosConfig, ChaosCounts, ChaosKind, CircuitOpen,
    InjectedFault, breaker, bulkhead, chaos, circuit_breaker, hedge, retry,
};

#[derive(Debug, PartialEq)]
enum StoreError {
    Injected(InjectedFault),
    Open,
    TimedOut,
    Full,
    Invalid,
}

impl From<InjectedFault> for StoreError {
    fn from(fault: InjectedFault) -> Self {
        StoreError::Injected(fault)
    }
}

impl From<CircuitOpen> for StoreError {
    fn from(_: CircuitOpen) -> Self {
        StoreError::Open
    }
}

impl From<AttemptTimeout> for StoreError {
    fn from(_: AttemptTimeout) -> Self {
        StoreError::TimedOut
    }
}

impl From<BulkheadFull> for StoreError {
    fn from(_: BulkheadFull) -> Self {
        StoreError::Full
    }
}

fn faults(rate: f64) -> ChaosConfig {
    ChaosConfig::builder().fault_rate(rate).build().unwrap()
}

fn latency(latency: Duration, rate: f64) -> ChaosConfig {
    ChaosConfig::builder()
        .latency(latency)
        .latency_rate(rate)
        .build()
        .unwrap()
}

fn counts(name: &str) -> ChaosCounts {
    chaos(name).unwrap().counts()
}

fn is_injected(result: &Result<u32, StoreError>, name: &str) -> bool {
    matches!(result, Err(StoreError::Injected(fault)) if fault.name == name)
}

#[chaos(name = "plain")]
fn plain(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

#[chaos(name = "plain-async")]
async fn plain_async(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

#[test]
fn unconfigured_sites_run_their_body_untouched() {
    let _scope = scope();
    let _paused = pause_sync_time();
    let runs = Cell::new(0);
    for expected in 1..=100 {
        assert_eq!(plain(&runs), Ok(expected));
    }
    let point = chaos("plain").unwrap();
    assert_eq!(point.config(), None);
    assert_eq!(point.counts(), ChaosCounts::default());
    assert_eq!(_paused.sleeps(), 0);
}

#[tokio::test(start_paused = true)]
async fn unconfigured_async_sites_run_their_body_untouched() {
    let _scope = scope();
    let runs = Cell::new(0);
    let start = tokio::time::Instant::now();
    for expected in 1..=100 {
        assert_eq!(plain_async(&runs).await, Ok(expected));
    }
    assert_eq!(start.elapsed(), Duration::ZERO);
    assert_eq!(counts("plain-async"), ChaosCounts::default());
}

#[test]
fn a_fault_is_returned_without_running_the_body_until_cleared() {
    let _scope = scope();
    let runs = Cell::new(0);
    let point = chaos("plain").unwrap();
    point.configure(faults(1.0));
    assert_eq!(point.config(), Some(faults(1.0)));
    for _ in 0..3 {
        let error = plain(&runs).unwrap_err();
        let StoreError::Injected(fault) = error else {
            panic!("expected an injected fault, got {error:?}")
        };
        assert_eq!((fault.name, fault.latency), ("plain", Duration::ZERO));
        assert_eq!(fault.to_string(), "fault injected by chaos `plain`");
    }
    assert_eq!(runs.get(), 0);
    assert_eq!(point.counts().faults, 3);

    point.clear();
    assert_eq!(point.config(), None);
    assert_eq!(plain(&runs), Ok(1));

    // Switched off, the settings stay and nothing is injected.
    let off = faults(1.0).to_builder().enabled(false).build().unwrap();
    point.configure(off);
    assert_eq!(point.config(), Some(off));
    assert_eq!(plain(&runs), Ok(2));
    point.configure(faults(1.0));
    assert!(is_injected(&plain(&runs), "plain"));
    assert_eq!(runs.get(), 2);
}

#[tokio::test(start_paused = true)]
async fn an_async_fault_is_returned_without_running_the_body_until_cleared() {
    let _scope = scope();
    let runs = Cell::new(0);
    let point = chaos("plain-async").unwrap();
    point.configure(faults(1.0));
    assert!(is_injected(&plain_async(&runs).await, "plain-async"));
    assert_eq!(runs.get(), 0);
    point.clear();
    assert_eq!(plain_async(&runs).await, Ok(1));
}

#[test]
fn sync_latency_passes_on_the_paused_sync_clock_then_the_body_runs() {
    let _scope = scope();
    let paused = pause_sync_time();
    let runs = Cell::new(0);
    chaos("plain")
        .unwrap()
        .configure(latency(Duration::from_millis(200), 1.0));
    assert_eq!(plain(&runs), Ok(1));
    assert_eq!(paused.elapsed(), Duration::from_millis(200));
    assert_eq!(paused.sleeps(), 1);

    // Latency then a fault: the fault says how long it was delayed.
    let both = ChaosConfig::builder()
        .latency(Duration::from_millis(50))
        .fault_rate(1.0)
        .build()
        .unwrap();
    chaos("plain").unwrap().configure(both);
    let Err(StoreError::Injected(fault)) = plain(&runs) else {
        panic!("expected a fault")
    };
    assert_eq!(fault.latency, Duration::from_millis(50));
    assert_eq!(
        fault.to_string(),
        "fault injected by chaos `plain` after 50ms of injected latency"
    );
    assert_eq!(paused.elapsed(), Duration::from_millis(250));
    let counts = counts("plain");
    assert_eq!((counts.faults, counts.latencies), (1, 2));
}

#[tokio::test(start_paused = true)]
async fn async_latency_passes_on_tokios_paused_clock() {
    let _scope = scope();
    let runs = Cell::new(0);
    chaos("plain-async")
        .unwrap()
        .configure(latency(Duration::from_secs(2), 1.0));
    let start = tokio::time::Instant::now();
    assert_eq!(plain_async(&runs).await, Ok(1));
    assert_eq!(start.elapsed(), Duration::from_secs(2));
}

// A retry carries calls through half of them failing: the draws follow the seed, so the
// attempts each call takes are the same on every run.

#[retry(max_attempts = 10, delay = "10ms", jitter = "none")]
#[chaos(name = "half")]
fn half(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

#[retry(max_attempts = 10, delay = "10ms", jitter = "none")]
#[chaos(name = "half")]
async fn half_async(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

/// The attempts each of ten calls takes with `fault_rate = 0.5` after `seed_jitter(42)`: one
/// plus the faults drawn before its success (checked against the generator below).
const ATTEMPTS_UNDER_SEED_42: [u32; 10] = [1, 2, 1, 1, 1, 2, 2, 1, 1, 1];

/// The seeded generator's draws say the same: each call fails while a draw is below 0.5.
#[test]
fn the_expected_attempts_are_the_seeded_generators_draws() {
    use rand::rngs::SmallRng;
    use rand::{RngExt, SeedableRng};
    let mut generator = SmallRng::seed_from_u64(42);
    let attempts = [(); 10].map(|()| {
        let mut attempts = 1;
        while generator.random::<f64>() < 0.5 {
            attempts += 1;
        }
        attempts
    });
    assert_eq!(attempts, ATTEMPTS_UNDER_SEED_42);
}

/// Every attempt of every call, counted by a hook.
fn attempts_by_call(calls: &Arc<Mutex<Vec<u32>>>) -> Vec<u32> {
    calls.lock().unwrap().clone()
}

fn record_successes(name: &'static str) -> (Arc<Mutex<Vec<u32>>>, retry_runtime::hooks::HookGuard) {
    let calls = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&calls);
    let guard = install_hook(move |event: &Event<'_>| {
        if let Event::Succeeded {
            name: site,
            attempts,
            ..
        } = *event
            && site.ends_with(name)
        {
            sink.lock().unwrap().push(attempts);
        }
    });
    (calls, guard)
}

#[test]
fn a_retry_succeeds_through_half_faults_with_the_same_attempts_under_a_seed() {
    let _scope = scope();
    let paused = pause_sync_time();
    let (calls, _hook) = record_successes("::half");
    chaos("half").unwrap().configure(faults(0.5));
    let runs = Cell::new(0);
    seed_jitter(42);
    for call in 1..=10 {
        // Every call succeeds, and its body ran once: the faults came before it.
        assert_eq!(half(&runs), Ok(call));
    }
    let attempts = attempts_by_call(&calls);
    assert_eq!(attempts, ATTEMPTS_UNDER_SEED_42);
    let retries: u32 = attempts.iter().map(|attempts| attempts - 1).sum();
    assert_eq!(u64::from(retries), counts("half").faults);
    // Each retry waited its 10 ms on the paused clock.
    assert_eq!(paused.elapsed(), Duration::from_millis(10) * retries);

    // The same seed again: the same faults.
    calls.lock().unwrap().clear();
    seed_jitter(42);
    for call in 11..=20 {
        assert_eq!(half(&runs), Ok(call));
    }
    assert_eq!(attempts_by_call(&calls), ATTEMPTS_UNDER_SEED_42);
}

#[tokio::test(start_paused = true)]
async fn an_async_retry_succeeds_through_half_faults_with_the_same_attempts_under_a_seed() {
    let _scope = scope();
    let (calls, _hook) = record_successes("::half_async");
    chaos("half").unwrap().configure(faults(0.5));
    let runs = Cell::new(0);
    seed_jitter(42);
    let start = tokio::time::Instant::now();
    for call in 1..=10 {
        assert_eq!(half_async(&runs).await, Ok(call));
    }
    let attempts = attempts_by_call(&calls);
    assert_eq!(attempts, ATTEMPTS_UNDER_SEED_42);
    let retries: u32 = attempts.iter().map(|attempts| attempts - 1).sum();
    assert_eq!(start.elapsed(), Duration::from_millis(10) * retries);
}

// A breaker counts injected faults as failures, and trips on them.

#[circuit_breaker(name = "chaos-breaker", failure_threshold = 3, open_for = "1m")]
#[chaos(name = "breaker-faults")]
fn guarded(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

#[circuit_breaker(name = "chaos-breaker-async", failure_threshold = 3, open_for = "1m")]
#[chaos(name = "breaker-faults")]
async fn guarded_async(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

#[test]
fn a_breaker_trips_on_injected_faults() {
    let _scope = scope();
    let runs = Cell::new(0);
    assert_eq!(guarded(&runs), Ok(1));
    chaos("breaker-faults").unwrap().configure(faults(1.0));
    for _ in 0..3 {
        assert!(is_injected(&guarded(&runs), "breaker-faults"));
    }
    let breaker = breaker("chaos-breaker").unwrap();
    assert_eq!(breaker.state(), BreakerState::Open);
    assert_eq!(breaker.counts().failed, 3);
    // Open: calls are rejected before chaos, or the body, is reached.
    assert_eq!(guarded(&runs), Err(StoreError::Open));
    assert_eq!(counts("breaker-faults").faults, 3);
    assert_eq!(runs.get(), 1);
}

#[tokio::test(start_paused = true)]
async fn an_async_breaker_trips_on_injected_faults() {
    let _scope = scope();
    let runs = Cell::new(0);
    chaos("breaker-faults").unwrap().configure(faults(1.0));
    for _ in 0..3 {
        assert!(is_injected(&guarded_async(&runs).await, "breaker-faults"));
    }
    assert_eq!(
        breaker("chaos-breaker-async").unwrap().state(),
        BreakerState::Open
    );
    assert_eq!(guarded_async(&runs).await, Err(StoreError::Open));
    assert_eq!(runs.get(), 0);
}

// Injected latency drives an `attempt_timeout`.

#[retry(
    max_attempts = 3,
    attempt_timeout = "100ms",
    backoff = "fixed",
    delay = "10ms",
    jitter = "none"
)]
#[chaos(name = "slow")]
async fn timed(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

#[tokio::test(start_paused = true)]
async fn injected_latency_drives_an_attempt_timeout() {
    let _scope = scope();
    let runs = Cell::new(0);
    let point = chaos("slow").unwrap();
    point.configure(latency(Duration::from_secs(1), 1.0));
    let start = tokio::time::Instant::now();
    // Every attempt is delayed past its 100 ms and cut off; the body never runs.
    assert_eq!(timed(&runs).await, Err(StoreError::TimedOut));
    assert_eq!(start.elapsed(), Duration::from_millis(3 * 100 + 2 * 10));
    assert_eq!(runs.get(), 0);
    assert_eq!(point.counts().latencies, 3);

    // Half the attempts delayed: under seed 7 the first two are (and time out), the third is
    // not, and succeeds; the same way on every run.
    point.configure(latency(Duration::from_secs(1), 0.5));
    let mut outcomes = Vec::new();
    for _ in 0..2 {
        seed_jitter(7);
        let before = point.counts().latencies;
        let start = tokio::time::Instant::now();
        let result = timed(&runs).await;
        outcomes.push((
            result.is_ok(),
            point.counts().latencies - before,
            start.elapsed(),
        ));
    }
    assert_eq!(outcomes[0], outcomes[1]);
    let (succeeded, delayed, elapsed) = outcomes[0];
    assert!(succeeded, "{outcomes:?}");
    assert_eq!(delayed, 2);
    assert_eq!(elapsed, Duration::from_millis(2 * (100 + 10)));
}

// Any position in a stack works, in the order written.

#[chaos(name = "outermost")]
#[retry(max_attempts = 3, delay = "0ms")]
fn chaos_outside_retry(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Err(StoreError::Invalid)
}

#[test]
fn chaos_over_a_retry_fails_the_whole_call_once() {
    let _scope = scope();
    let runs = Cell::new(0);
    chaos("outermost").unwrap().configure(faults(1.0));
    assert!(is_injected(&chaos_outside_retry(&runs), "outermost"));
    assert_eq!(runs.get(), 0);
    chaos("outermost").unwrap().clear();
    assert_eq!(chaos_outside_retry(&runs), Err(StoreError::Invalid));
    assert_eq!(runs.get(), 3);
}

#[retry(max_attempts = 4, delay = "0ms")]
#[bulkhead(name = "chaos-bulkhead", max_concurrent = 1)]
#[chaos(name = "under-bulkhead")]
fn in_a_bulkhead(runs: &Cell<u32>) -> Result<u32, StoreError> {
    runs.set(runs.get() + 1);
    Ok(runs.get())
}

#[test]
fn chaos_inside_a_bulkhead_releases_the_slot_of_each_faulted_attempt() {
    let _scope = scope();
    let runs = Cell::new(0);
    chaos("under-bulkhead").unwrap().configure(faults(1.0));
    assert!(is_injected(&in_a_bulkhead(&runs), "under-bulkhead"));
    // Four attempts, each retried as a fault (not as a rejection), each slot given back.
    assert_eq!(counts("under-bulkhead").faults, 4);
    assert_eq!(bulkhead("chaos-bulkhead").unwrap().available(), 1);
    chaos("under-bulkhead").unwrap().clear();
    assert_eq!(in_a_bulkhead(&runs), Ok(1));
}

#[hedge(after = "50ms", max_hedges = 1)]
#[chaos(name = "hedged")]
async fn hedged(runs: &AtomicU32) -> Result<u32, StoreError> {
    Ok(runs.fetch_add(1, Ordering::SeqCst) + 1)
}

#[tokio::test(start_paused = true)]
async fn a_hedge_starts_its_next_attempt_at_once_after_an_injected_fault() {
    let _scope = scope();
    let runs = AtomicU32::new(0);
    let point = chaos("hedged").unwrap();
    point.configure(faults(1.0));
    assert!(is_injected(&hedged(&runs).await, "hedged"));
    assert_eq!(point.counts().faults, 2);
    assert_eq!(runs.load(Ordering::SeqCst), 0);
}

struct Store {
    reads: Cell<u32>,
}

impl Store {
    #[chaos(name = "store-method", crate = retry_runtime)]
    fn read(&self) -> Result<u32, StoreError> {
        self.reads.set(self.reads.get() + 1);
        Ok(self.reads.get())
    }

    #[retry(max_attempts = 2, delay = "0ms")]
    #[chaos(name = "store-method")]
    async fn read_async(&mut self) -> Result<u32, StoreError> {
        self.reads.set(self.reads.get() + 1);
        Ok(self.reads.get())
    }
}

#[tokio::test(start_paused = true)]
async fn methods_share_the_point_they_name() {
    let _scope = scope();
    let mut store = Store {
        reads: Cell::new(0),
    };
    assert_eq!(store.read(), Ok(1));
    assert_eq!(store.read_async().await, Ok(2));
    chaos("store-method").unwrap().configure(faults(1.0));
    assert!(is_injected(&store.read(), "store-method"));
    assert!(is_injected(&store.read_async().await, "store-method"));
    assert_eq!(counts("store-method").faults, 3);
}

#[test]
fn a_scope_has_its_own_points_and_reset_all_clears_them() {
    let runs = Cell::new(0);
    {
        let _scope = scope();
        chaos("plain").unwrap().configure(faults(1.0));
        assert!(is_injected(&plain(&runs), "plain"));
        {
            let _inner = scope();
            assert_eq!(chaos("plain").unwrap().config(), None);
            assert_eq!(plain(&runs), Ok(1));
        }
        retry_runtime::testing::reset_all();
        assert_eq!(chaos("plain").unwrap().config(), None);
        assert_eq!(counts("plain"), ChaosCounts::default());
        assert_eq!(plain(&runs), Ok(2));
    }
    assert!(chaos("").is_none());
    assert!(chaos("  ").is_none());
}

#[chaos(name = "observed")]
fn observed() -> Result<u32, StoreError> {
    Ok(1)
}

#[test]
fn events_say_what_was_injected() {
    let _scope = scope();
    let _paused = pause_sync_time();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = Arc::clone(&seen);
    let _hook = install_hook(move |event: &Event<'_>| {
        if let Event::ChaosInjected {
            name: "observed",
            kind,
            latency,
            ..
        } = *event
        {
            sink.lock().unwrap().push((kind, latency));
        }
    });
    let both = ChaosConfig::builder()
        .latency(Duration::from_millis(30))
        .fault_rate(1.0)
        .build()
        .unwrap();
    chaos("observed").unwrap().configure(both);
    assert!(is_injected(&observed(), "observed"));
    let thirty = Duration::from_millis(30);
    assert_eq!(
        *seen.lock().unwrap(),
        [(ChaosKind::Latency, thirty), (ChaosKind::Fault, thirty)]
    );
    assert_eq!(ChaosKind::Fault.name(), "fault");
    assert_eq!(ChaosKind::Latency.name(), "latency");
}

#[test]
fn the_fault_is_a_plain_error_type() {
    fn sendable<T: Send + Sync + std::error::Error + 'static>() {}
    sendable::<InjectedFault>();
}

#[cfg(feature = "metrics")]
#[test]
fn metrics_count_injections_by_kind() {
    use metrics_util::CompositeKey;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder};

    let _scope = scope();
    let _paused = pause_sync_time();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let both = ChaosConfig::builder()
        .latency(Duration::from_millis(30))
        .fault_rate(1.0)
        .build()
        .unwrap();
    chaos("observed").unwrap().configure(both);
    metrics::with_local_recorder(&recorder, || {
        for _ in 0..2 {
            assert!(is_injected(&observed(), "observed"));
        }
    });
    let snapshot: Vec<(CompositeKey, _, _, DebugValue)> = snapshotter.snapshot().into_vec();
    let mut counted: Vec<(String, u64)> = snapshot
        .into_iter()
        .filter(|(key, ..)| key.key().name() == "resilience4j_chaos_injections_total")
        .map(|(key, _, _, value)| {
            let labels: Vec<String> = key
                .key()
                .labels()
                .map(|label| format!("{}={}", label.key(), label.value()))
                .collect();
            let DebugValue::Counter(count) = value else {
                panic!("a counter")
            };
            (labels.join(","), count)
        })
        .collect();
    counted.sort();
    assert_eq!(
        counted,
        [
            ("name=observed,kind=fault".to_owned(), 2),
            ("name=observed,kind=latency".to_owned(), 2)
        ]
    );
}
