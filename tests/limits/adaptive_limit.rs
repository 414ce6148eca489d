//! `#[adaptive_limit]` as users write it, sync and async: calls over the limit are rejected (or
//! wait up to `max_wait`, on paused time), the limit grows while latency stays low and shrinks
//! as it rises, sites share a limiter by name, errors, panics and dropped futures give their slot
//! back, stacked strategies see its rejections as rejections, config overrides apply, the tower
//! layer admits and rejects, the metrics show the limit, the calls in flight and the rejections;
//! and the simulation of `examples/adaptive_limit_sim` keeps its shape. Each test runs in its own
//! name scope, so names can repeat across tests.

use std::cell::Cell;
use std::future::Future;
use std::pin::pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::Duration;

use retry_runtime::testing::{pause_sync_time, scope};
use retry_runtime::{
    BulkheadFull, LimitExceeded, adaptive_limit, adaptive_limiter, bulkhead, retry,
};

// The example's model; the test reads only some of what the example prints.
#[allow(dead_code)]
#[path = "../../examples/adaptive_limit_sim/sim.rs"]
mod sim;

#[derive(Debug, PartialEq)]
enum DbError {
    Down,
    Exceeded(LimitExceeded),
    Full,
}

impl From<LimitExceeded> for DbError {
    fn from(exceeded: LimitExceeded) -> Self {
        DbError::Exceeded(exceeded)
    }
}

impl From<BulkheadFull> for DbError {
    fn from(_: BulkheadFull) -> Self {
        DbError::Full
    }
}

fn exceeded(result: Result<(), DbError>) -> LimitExceeded {
    match result {
        Err(DbError::Exceeded(exceeded)) => exceeded,
        other => panic!("expected a rejection, got {other:?}"),
    }
}

// Rejections over the limit.

/// Calls itself `depth` times while holding its slot: `depth + 1` calls at once on one thread.
#[adaptive_limit(name = "nested", initial_limit = 2)]
fn nested(depth: u32, deepest: &Cell<u32>) -> Result<(), DbError> {
    deepest.set(deepest.get().max(depth));
    if depth > 0 {
        nested(depth - 1, deepest)
    } else {
        Ok(())
    }
}

#[test]
fn a_sync_call_over_the_limit_is_rejected_at_once() {
    let _scope = scope();
    let deepest = Cell::new(0);
    let rejected = exceeded(nested(2, &deepest));
    assert_eq!(
        (rejected.name, rejected.limit, rejected.waited),
        ("nested", 2, Duration::ZERO)
    );
    // The third call never ran its body.
    assert_eq!(deepest.get(), 2);
    let limiter = adaptive_limiter("nested").unwrap();
    let counts = limiter.counts();
    assert_eq!(
        (limiter.inflight(), counts.completed, counts.rejected),
        (0, 2, 1)
    );
    assert_eq!(counts.admitted, 2);
    assert_eq!(nested(1, &deepest), Ok(()));
}

#[adaptive_limit(name = "async-db", initial_limit = 2)]
async fn query(millis: u64) -> Result<(), DbError> {
    tokio::time::sleep(Duration::from_millis(millis)).await;
    Ok(())
}

#[test]
fn the_futures_stay_send_and_the_rejection_is_send_sync_static() {
    fn send<T: Send>(_: &T) {}
    fn shareable<T: Send + Sync + 'static + std::error::Error>() {}
    send(&query(1));
    send(&waits(1));
    shareable::<LimitExceeded>();
}

#[tokio::test(start_paused = true)]
async fn an_async_call_over_the_limit_is_rejected_at_once() {
    let _scope = scope();
    let (first, second, third) = tokio::join!(query(10), query(10), query(10));
    assert_eq!((first, second), (Ok(()), Ok(())));
    assert_eq!(exceeded(third).limit, 2);
    let limiter = adaptive_limiter("async-db").unwrap();
    assert_eq!((limiter.inflight(), limiter.counts().completed), (0, 2));
}

// Waiting up to `max_wait`.

#[adaptive_limit(name = "waits", initial_limit = 1, max_wait = "50ms")]
async fn waits(millis: u64) -> Result<(), DbError> {
    tokio::time::sleep(Duration::from_millis(millis)).await;
    Ok(())
}

#[tokio::test(start_paused = true)]
async fn an_async_call_waits_for_a_slot_on_paused_time() {
    let _scope = scope();
    let start = tokio::time::Instant::now();
    // The second call waits 30 ms for the first's slot, then runs 30 ms.
    let (first, second) = tokio::join!(waits(30), waits(30));
    assert_eq!((first, second), (Ok(()), Ok(())));
    assert_eq!(start.elapsed(), Duration::from_millis(60));
    // A slot freed after 100 ms is too late for a 50 ms wait.
    let (first, second) = tokio::join!(waits(100), waits(1));
    assert_eq!(first, Ok(()));
    assert_eq!(exceeded(second).waited, Duration::from_millis(50));
    let counts = adaptive_limiter("waits").unwrap().counts();
    assert_eq!(
        (counts.waited, counts.rejected, counts.completed),
        (1, 1, 3)
    );
}

#[adaptive_limit(name = "sync-waits", initial_limit = 1, max_wait = "20ms")]
fn sync_waits(depth: u32) -> Result<(), DbError> {
    if depth > 0 {
        sync_waits(depth - 1)
    } else {
        Ok(())
    }
}

#[test]
fn a_sync_call_waits_on_the_paused_clock() {
    let _scope = scope();
    let paused = pause_sync_time();
    // The inner call waits for the outer one's slot, which its own thread holds: 20 ms pass on
    // the paused clock, then it is rejected.
    let rejected = exceeded(sync_waits(1));
    assert_eq!(rejected.waited, Duration::from_millis(20));
    assert_eq!(paused.elapsed(), Duration::from_millis(20));
    assert_eq!(adaptive_limiter("sync-waits").unwrap().inflight(), 0);
}

// The limit follows latency.

/// A dependency that serves `CAPACITY` calls at once in 10 ms and queues the rest: a call
/// takes 10 ms x the calls in it / `CAPACITY` (at least 10 ms).
struct Dependency {
    inside: AtomicU32,
    capacity: AtomicU32,
}

impl Dependency {
    const fn new(capacity: u32) -> Dependency {
        Dependency {
            inside: AtomicU32::new(0),
            capacity: AtomicU32::new(capacity),
        }
    }

    async fn call(&self) {
        let inside = self.inside.fetch_add(1, Ordering::SeqCst) + 1;
        let capacity = self.capacity.load(Ordering::SeqCst);
        let millis = 10 * u64::from(inside.max(capacity)) / u64::from(capacity);
        tokio::time::sleep(Duration::from_millis(millis)).await;
        self.inside.fetch_sub(1, Ordering::SeqCst);
    }
}

#[adaptive_limit(name = "follows")]
async fn follows(dependency: &Dependency) -> Result<(), DbError> {
    dependency.call().await;
    Ok(())
}

/// `workers` tasks calling `follows` for `duration` of paused time, each pausing 1 ms after a
/// rejection.
async fn load(dependency: &Dependency, workers: usize, duration: Duration) {
    let end = tokio::time::Instant::now() + duration;
    let worker = || async {
        while tokio::time::Instant::now() < end {
            if follows(dependency).await.is_err() {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
    };
    futures_join_all((0..workers).map(|_| worker())).await;
}

/// Runs every future to completion on this task.
async fn futures_join_all<F: Future<Output = ()>>(futures: impl Iterator<Item = F>) {
    let mut futures: Vec<_> = futures.map(Box::pin).collect();
    std::future::poll_fn(|context| {
        futures.retain_mut(|future| future.as_mut().poll(context).is_pending());
        if futures.is_empty() {
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    })
    .await;
}

#[tokio::test(start_paused = true)]
async fn the_limit_grows_under_low_latency_and_shrinks_as_latency_rises() {
    let _scope = scope();
    static DEPENDENCY: Dependency = Dependency::new(100);
    // Capacity 100 against a limit starting at 20: calls take 10 ms however many run, and the
    // limit grows.
    load(&DEPENDENCY, 150, Duration::from_secs(5)).await;
    let limiter = adaptive_limiter("follows").unwrap();
    let grown = limiter.limit();
    assert!(
        (90..=130).contains(&grown),
        "limit {grown} after 5 s at capacity 100"
    );
    assert!(limiter.counts().increases > 0);
    // The capacity drops to 30: calls queue, latency rises, and the limit follows it down.
    DEPENDENCY.capacity.store(30, Ordering::SeqCst);
    load(&DEPENDENCY, 150, Duration::from_secs(5)).await;
    let shrunk = limiter.limit();
    assert!(
        (27..=40).contains(&shrunk),
        "limit {shrunk} after 5 s at capacity 30"
    );
    assert!(limiter.counts().decreases > 0);
    assert_eq!(limiter.inflight(), 0);
}

// Sharing by name.

#[adaptive_limit(name = "shared", initial_limit = 1)]
fn shared_outer(then: fn() -> Result<(), DbError>) -> Result<(), DbError> {
    then()
}

#[adaptive_limit(name = "shared", initial_limit = 1)]
fn shared_inner() -> Result<(), DbError> {
    Ok(())
}

#[test]
fn sites_naming_one_limiter_share_its_slots() {
    let _scope = scope();
    // The outer site holds the only slot of "shared": the inner site, another fn, is rejected.
    assert_eq!(exceeded(shared_outer(shared_inner)).name, "shared");
    assert_eq!(shared_inner(), Ok(()));
    assert_eq!(adaptive_limiter("shared").unwrap().counts().completed, 2);
}

// Slots come back however a call ends.

#[adaptive_limit(name = "ends")]
fn fails() -> Result<(), DbError> {
    Err(DbError::Down)
}

#[adaptive_limit(name = "ends")]
fn panics() -> Result<(), DbError> {
    panic!("the body panicked")
}

#[adaptive_limit(name = "ends")]
async fn never_finishes() -> Result<(), DbError> {
    std::future::pending::<()>().await;
    Ok(())
}

#[test]
fn errors_panics_and_dropped_futures_free_their_slot() {
    let _scope = scope();
    assert_eq!(fails(), Err(DbError::Down));
    assert!(std::panic::catch_unwind(panics).is_err());
    {
        let mut future = pin!(never_finishes());
        let mut context = Context::from_waker(Waker::noop());
        assert!(future.as_mut().poll(&mut context).is_pending());
        assert_eq!(adaptive_limiter("ends").unwrap().inflight(), 1);
    }
    let limiter = adaptive_limiter("ends").unwrap();
    let counts = limiter.counts();
    assert_eq!(limiter.inflight(), 0);
    // The error is a latency sample; the panic and the dropped future are not.
    assert_eq!(
        (counts.completed, counts.dropped, counts.admitted),
        (1, 2, 3)
    );
}

// Stacking.

static ATTEMPTS: AtomicU32 = AtomicU32::new(0);

#[retry(max_attempts = 3, delay = "0ms")]
#[adaptive_limit(name = "stacked", initial_limit = 1)]
fn retried(depth: u32) -> Result<(), DbError> {
    ATTEMPTS.fetch_add(1, Ordering::SeqCst);
    if depth > 0 {
        retried(depth - 1)
    } else {
        Ok(())
    }
}

#[adaptive_limit(name = "over-bulkhead", initial_limit = 10)]
#[bulkhead(name = "under", max_concurrent = 1)]
fn over_bulkhead(depth: u32) -> Result<(), DbError> {
    if depth > 0 {
        over_bulkhead(depth - 1)
    } else {
        Ok(())
    }
}

#[test]
fn a_rejection_is_not_retried_and_an_inner_one_is_no_latency_sample() {
    let _scope = scope();
    ATTEMPTS.store(0, Ordering::SeqCst);
    // The inner call is rejected by the limit its outer call holds: the retry around it returns
    // the rejection at once, so each of the outer call's three attempts sees one rejection (an
    // inner retry would have asked three times each).
    assert!(matches!(retried(1), Err(DbError::Exceeded(_))));
    assert_eq!(
        ATTEMPTS.load(Ordering::SeqCst),
        3,
        "only the outer body ran"
    );
    assert_eq!(adaptive_limiter("stacked").unwrap().counts().rejected, 3);
    // The bulkhead inside rejects the inner call: the adaptive limiter frees that call's slot
    // without a sample (it never reached the dependency).
    assert_eq!(over_bulkhead(1), Err(DbError::Full));
    let counts = adaptive_limiter("over-bulkhead").unwrap().counts();
    assert_eq!((counts.completed, counts.dropped), (1, 1));
}

// The simulation.

#[test]
fn the_simulation_keeps_its_shape() {
    let report = sim::run(sim::SEED);
    let uncongested = report.uncongested_p99();
    for row in &report.rows {
        assert_eq!(row.phases.len(), 3, "{}", row.label);
    }
    let adaptive = report.row("adaptive (vegas)");
    for (phase, capacity) in adaptive.phases.iter().zip(sim::CAPACITIES) {
        let capacity = f64::from(capacity);
        let (low, high) = phase.settled_limit;
        assert!(
            low >= 0.8 * capacity && high <= 1.2 * capacity,
            "phase at capacity {capacity}: limit settled within {low}..{high}"
        );
        assert!(
            phase.p99 <= 2 * uncongested,
            "phase at capacity {capacity}: p99 {:?} against {uncongested:?} uncongested",
            phase.p99
        );
    }
    // The fixed limits each lose on one side: 100 queues at the dependency when its capacity
    // is 40, 40 leaves capacity unused when it is 100.
    let fixed_100 = report.row("fixed 100");
    let fixed_40 = report.row("fixed 40");
    assert!(fixed_100.phases[1].p99 > 2 * uncongested);
    assert!(adaptive.phases[0].goodput > 1.5 * fixed_40.phases[0].goodput);
    assert!(adaptive.phases[2].goodput > 1.5 * fixed_40.phases[2].goodput);
}

#[cfg(feature = "tower")]
mod tower_layer {
    use super::*;
    use retry_runtime::tower::AdaptiveLimitLayer;
    use tower::{Layer, ServiceExt, service_fn};

    type BoxError = Box<dyn std::error::Error + Send + Sync>;

    #[tokio::test(start_paused = true)]
    async fn the_layer_admits_up_to_the_limit_and_rejects_beyond() {
        let _scope = scope();
        let config = retry_runtime::AdaptiveLimitConfig::builder()
            .initial_limit(1)
            .build()
            .unwrap();
        let layer = AdaptiveLimitLayer::new("tower-db").config(config);
        let service = layer.layer(service_fn(|millis: u64| async move {
            tokio::time::sleep(Duration::from_millis(millis)).await;
            Ok::<_, BoxError>(millis)
        }));
        let (first, second) =
            tokio::join!(service.clone().oneshot(10), service.clone().oneshot(10));
        assert_eq!(first.unwrap(), 10);
        assert!(second.unwrap_err().is::<LimitExceeded>());
        let limiter = adaptive_limiter("tower-db").unwrap();
        let counts = limiter.counts();
        assert_eq!(
            (counts.completed, counts.rejected, limiter.inflight()),
            (1, 1, 0)
        );
    }
}

#[cfg(feature = "metrics")]
mod metrics_series {
    use super::*;
    use metrics_util::CompositeKey;
    use metrics_util::debugging::{DebugValue, DebuggingRecorder, Snapshotter};

    /// Every series of the limiter `name` now: its metric name and value.
    fn series(snapshotter: &Snapshotter, name: &str) -> Vec<(String, DebugValue)> {
        let snapshot: Vec<(CompositeKey, _, _, DebugValue)> = snapshotter.snapshot().into_vec();
        snapshot
            .into_iter()
            .filter(|(key, ..)| {
                key.key()
                    .labels()
                    .any(|label| label.key() == "name" && label.value() == name)
            })
            .map(|(key, _, _, value)| (key.key().name().to_owned(), value))
            .collect()
    }

    fn gauge(series: &[(String, DebugValue)], metric: &str) -> Option<f64> {
        series.iter().find_map(|(name, value)| match value {
            DebugValue::Gauge(value) if name == metric => Some(value.into_inner()),
            _ => None,
        })
    }

    #[adaptive_limit(name = "metered", initial_limit = 1)]
    fn metered(
        depth: u32,
        snapshotter: &Snapshotter,
        during: &mut Vec<(String, DebugValue)>,
    ) -> Result<(), DbError> {
        if depth == 0 {
            *during = series(snapshotter, "metered");
            return Ok(());
        }
        metered(depth - 1, snapshotter, during)
    }

    #[test]
    fn the_limit_and_inflight_gauges_and_the_rejection_counter() {
        let _scope = scope();
        let recorder = DebuggingRecorder::new();
        let snapshotter = recorder.snapshotter();
        metrics::with_local_recorder(&recorder, || {
            let mut during = Vec::new();
            assert_eq!(metered(0, &snapshotter, &mut during), Ok(()));
            assert_eq!(
                gauge(&during, "resilience4j_adaptive_limit_limit"),
                Some(1.0)
            );
            assert_eq!(
                gauge(&during, "resilience4j_adaptive_limit_inflight"),
                Some(1.0)
            );
            // The nested call finds the only slot taken.
            assert!(metered(1, &snapshotter, &mut during).is_err());
            let after = series(&snapshotter, "metered");
            assert_eq!(
                gauge(&after, "resilience4j_adaptive_limit_inflight"),
                Some(0.0)
            );
            let rejected = after.iter().find_map(|(name, value)| match value {
                DebugValue::Counter(count)
                    if name == "resilience4j_adaptive_limit_rejected_calls_total" =>
                {
                    Some(*count)
                }
                _ => None,
            });
            assert_eq!(rejected, Some(1));
            adaptive_limiter("metered").unwrap().set_limit(5);
            let after = series(&snapshotter, "metered");
            assert_eq!(
                gauge(&after, "resilience4j_adaptive_limit_limit"),
                Some(5.0)
            );
        });
    }
}
