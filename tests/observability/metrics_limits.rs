//! The bulkhead's and the rate limiter's gauges and the hedge's call counter, with resilience4j's names, captured with
//! metrics-util's debugging recorder (installed for the current thread only, so parallel tests
//! do not mix).
#![cfg(feature = "metrics")]

use std::collections::HashMap;
use std::time::Duration;

use metrics_util::CompositeKey;
use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};
use retry_runtime::testing::pause_sync_time;
use retry_runtime::{BulkheadFull, RateLimited, bulkhead, rate_limit};

#[derive(Clone, Debug, PartialEq)]
enum Error {
    Full,
    Limited,
}

impl From<BulkheadFull> for Error {
    fn from(_: BulkheadFull) -> Self {
        Error::Full
    }
}

impl From<RateLimited> for Error {
    fn from(_: RateLimited) -> Self {
        Error::Limited
    }
}

/// One series: its name, its labels and its value.
type Series = (String, Vec<(String, String)>, DebugValue);

/// Every series now.
fn series(snapshotter: &Snapshotter) -> Vec<Series> {
    let snapshot: Vec<(CompositeKey, _, _, DebugValue)> = snapshotter.snapshot().into_vec();
    snapshot
        .into_iter()
        .map(|(key, _, _, value)| {
            let labels = key
                .key()
                .labels()
                .map(|label| (label.key().to_owned(), label.value().to_owned()))
                .collect();
            (key.key().name().to_owned(), labels, value)
        })
        .collect()
}

/// Every gauge of `limiter` now, by metric name. The debugging recorder's snapshot takes each
/// gauge's value (it reads 0 until set again), so a test reads all it needs from one snapshot.
fn gauges(snapshotter: &Snapshotter, limiter: &str) -> HashMap<String, f64> {
    series(snapshotter)
        .into_iter()
        .filter_map(|(name, labels, value)| match value {
            DebugValue::Gauge(value) if labels == [("name".to_owned(), limiter.to_owned())] => {
                Some((name, value.into_inner()))
            }
            _ => None,
        })
        .collect()
}

const AVAILABLE_CALLS: &str = "resilience4j_bulkhead_available_concurrent_calls";
const MAX_CALLS: &str = "resilience4j_bulkhead_max_allowed_concurrent_calls";
const PERMISSIONS: &str = "resilience4j_ratelimiter_available_permissions";
const WAITING: &str = "resilience4j_ratelimiter_waiting_threads";

#[bulkhead(name = "metrics-bulkhead", max_concurrent = 3)]
fn inside(snapshotter: &Snapshotter) -> Result<HashMap<String, f64>, Error> {
    Ok(gauges(snapshotter, "metrics-bulkhead"))
}

#[test]
fn bulkhead_gauges_show_the_free_and_the_allowed_calls() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let during = metrics::with_local_recorder(&recorder, || inside(&snapshotter)).unwrap();
    // While the call runs, one slot of three is taken.
    assert_eq!(during[AVAILABLE_CALLS], 2.0);
    assert_eq!(during[MAX_CALLS], 3.0);
    // Released.
    assert_eq!(
        gauges(&snapshotter, "metrics-bulkhead")[AVAILABLE_CALLS],
        3.0
    );
}

#[rate_limit(name = "metrics-rate-sync", per_second = 10, burst = 3)]
fn limited() -> Result<(), Error> {
    Ok(())
}

#[test]
fn rate_limiter_permissions_follow_admissions_and_the_clock() {
    let paused = pause_sync_time();
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, || {
        let permissions = || gauges(&snapshotter, "metrics-rate-sync")[PERMISSIONS];
        assert_eq!(limited(), Ok(()));
        assert_eq!(permissions(), 2.0);
        assert_eq!(limited(), Ok(()));
        assert_eq!(limited(), Ok(()));
        assert_eq!(permissions(), 0.0);
        assert_eq!(limited(), Err(Error::Limited));
        // 250 ms later, two permits have come back; a call takes one.
        paused.advance(Duration::from_millis(250));
        assert_eq!(limited(), Ok(()));
        assert_eq!(permissions(), 1.0);
    });
}

#[rate_limit(
    name = "metrics-rate-async",
    per_second = 10,
    burst = 1,
    max_wait = "1s"
)]
async fn waits() -> Result<(), Error> {
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn a_waiting_call_is_counted_and_holds_a_reservation() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let _local = metrics::set_default_local_recorder(&recorder);
    assert_eq!(waits().await, Ok(()));
    let mut waiting = std::pin::pin!(waits());
    assert!(futures_poll_once(waiting.as_mut()).is_pending());
    let now = gauges(&snapshotter, "metrics-rate-async");
    assert_eq!(now[WAITING], 1.0);
    // Its reservation is taken from what a new call would find: negative, as resilience4j.
    assert_eq!(now[PERMISSIONS], -1.0);
    assert_eq!(waiting.await, Ok(()));
    assert_eq!(
        retry_runtime::rate_limiter("metrics-rate-async")
            .unwrap()
            .waiting(),
        0
    );
}

/// Polls a future once, with a waker that does nothing.
fn futures_poll_once<F: std::future::Future>(
    future: std::pin::Pin<&mut F>,
) -> std::task::Poll<F::Output> {
    let mut context = std::task::Context::from_waker(std::task::Waker::noop());
    future.poll(&mut context)
}

#[retry_runtime::hedge(name = "metrics-hedge", after = "10ms")]
async fn hedged(slow_first: bool, calls: &std::sync::atomic::AtomicU32) -> Result<u32, Error> {
    let n = calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let millis = if slow_first && n == 0 { 1_000 } else { 1 };
    tokio::time::sleep(Duration::from_millis(millis)).await;
    if n >= 9 {
        return Err(Error::Full);
    }
    Ok(n)
}

#[test]
fn hedge_calls_are_counted_by_which_attempt_won() {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .unwrap();
    metrics::with_local_recorder(&recorder, || {
        runtime.block_on(async {
            let calls = std::sync::atomic::AtomicU32::new(0);
            hedged(true, &calls).await.unwrap(); // the hedge wins
            hedged(false, &calls).await.unwrap(); // the first attempt wins
            // From the 10th attempt on, every attempt fails: the hedge starts at once and fails.
            let failing = std::sync::atomic::AtomicU32::new(9);
            assert_eq!(hedged(false, &failing).await, Err(Error::Full));
        });
    });
    let counts: HashMap<String, u64> = series(&snapshotter)
        .into_iter()
        .filter_map(
            |(name, labels, value)| match (name.as_str(), &labels[..], value) {
                (
                    "resilience4j_hedge_calls_total",
                    [(_, site), (_, kind)],
                    DebugValue::Counter(count),
                ) if site == "metrics-hedge" => Some((kind.clone(), count)),
                _ => None,
            },
        )
        .collect();
    assert_eq!(counts["hedge_won"], 1);
    assert_eq!(counts["primary_won"], 1);
    assert_eq!(counts["failed"], 1);
}
