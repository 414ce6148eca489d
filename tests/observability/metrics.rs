//! Metric names, labels and values, captured with metrics-util's debugging recorder (installed
//! for the current thread only, so parallel tests do not mix): success without and with retry,
//! failure after retries, a non-retryable failure, a trip, a rejection and a recovery.
#![cfg(feature = "metrics")]

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use metrics::Unit;
use metrics_util::debugging::{DebugValue, DebuggingRecorder};
use metrics_util::{CompositeKey, MetricKind};
use retry_runtime::testing::pause_sync_time;
use retry_runtime::{CircuitOpen, circuit_breaker, retry};

#[derive(Clone, Debug, PartialEq)]
enum Error {
    Busy,
    Invalid,
    Rejected,
}

impl From<CircuitOpen> for Error {
    fn from(_: CircuitOpen) -> Self {
        Error::Rejected
    }
}

type Snapshot = HashMap<CompositeKey, (Option<Unit>, Option<metrics::SharedString>, DebugValue)>;

fn capture(run: impl FnOnce()) -> Snapshot {
    let recorder = DebuggingRecorder::new();
    let snapshotter = recorder.snapshotter();
    metrics::with_local_recorder(&recorder, run);
    snapshotter.snapshot().into_hashmap()
}

fn find<'a>(
    snapshot: &'a Snapshot,
    kind: MetricKind,
    name: &str,
    labels: &[(&str, &str)],
) -> Option<&'a DebugValue> {
    snapshot.iter().find_map(|(key, (_, _, value))| {
        let mut have: Vec<(&str, &str)> = key
            .key()
            .labels()
            .map(|label| (label.key(), label.value()))
            .collect();
        let mut want = labels.to_vec();
        have.sort_unstable();
        want.sort_unstable();
        (key.kind() == kind && key.key().name() == name && have == want).then_some(value)
    })
}

fn counter(snapshot: &Snapshot, name: &str, labels: &[(&str, &str)]) -> u64 {
    match find(snapshot, MetricKind::Counter, name, labels) {
        Some(DebugValue::Counter(value)) => *value,
        other => panic!("no counter {name} {labels:?}: {other:?}"),
    }
}

fn gauge(snapshot: &Snapshot, name: &str, labels: &[(&str, &str)]) -> f64 {
    match find(snapshot, MetricKind::Gauge, name, labels) {
        Some(DebugValue::Gauge(value)) => value.into_inner(),
        other => panic!("no gauge {name} {labels:?}: {other:?}"),
    }
}

fn script(errors: &Mutex<Vec<Error>>) -> Result<(), Error> {
    errors.lock().unwrap().pop().map_or(Ok(()), Err)
}

#[retry(max_attempts = 3, delay = "10ms", jitter = "none", on = [Busy], name = "metrics-retry")]
fn site(errors: &Mutex<Vec<Error>>) -> Result<(), Error> {
    script(errors)
}

#[test]
fn retry_calls_attempts_and_delays_by_outcome() {
    let _paused = pause_sync_time();
    let snapshot = capture(|| {
        let errors = Mutex::new(Vec::new());
        assert_eq!(site(&errors), Ok(()));
        *errors.lock().unwrap() = vec![Error::Busy];
        assert_eq!(site(&errors), Ok(()));
        *errors.lock().unwrap() = vec![Error::Busy; 3];
        assert_eq!(site(&errors), Err(Error::Busy));
        *errors.lock().unwrap() = vec![Error::Invalid];
        assert_eq!(site(&errors), Err(Error::Invalid));
        retry_runtime::metrics::describe();
    });
    let calls = "resilience4j_retry_calls_total";
    let name = ("name", "metrics-retry");
    for (kind, expected) in [
        ("successful_without_retry", 1),
        ("successful_with_retry", 1),
        ("failed_with_retry", 1),
        ("failed_without_retry", 1),
    ] {
        assert_eq!(
            counter(&snapshot, calls, &[name, ("kind", kind)]),
            expected,
            "{kind}"
        );
    }
    // 1 + 2 + 3 + 1 attempts.
    assert_eq!(
        counter(&snapshot, "resilience4j_retry_attempts_total", &[name]),
        7
    );
    match find(
        &snapshot,
        MetricKind::Histogram,
        "resilience4j_retry_delay_seconds",
        &[name],
    ) {
        Some(DebugValue::Histogram(delays)) => {
            let delays: Vec<f64> = delays.iter().map(|delay| delay.into_inner()).collect();
            assert_eq!(delays, [0.01, 0.01, 0.02]);
        }
        other => panic!("no delay histogram: {other:?}"),
    }
    let units: Vec<Option<Unit>> = snapshot
        .iter()
        .filter(|(key, _)| key.key().name() == "resilience4j_retry_delay_seconds")
        .map(|(_, (unit, _, _))| *unit)
        .collect();
    assert_eq!(units, [Some(Unit::Seconds)]);
}

#[circuit_breaker(name = "metrics-breaker", failure_threshold = 2, open_for = "1s")]
fn guarded(fail: bool) -> Result<(), Error> {
    if fail { Err(Error::Busy) } else { Ok(()) }
}

#[test]
fn breaker_calls_trip_rejection_and_recovery() {
    let paused = pause_sync_time();
    let name = ("name", "metrics-breaker");
    let snapshot = capture(|| {
        assert_eq!(guarded(false), Ok(()));
        assert_eq!(guarded(true), Err(Error::Busy));
        assert_eq!(guarded(true), Err(Error::Busy));
        assert_eq!(guarded(false), Err(Error::Rejected));
        paused.advance(Duration::from_secs(1));
        assert_eq!(guarded(false), Ok(()));
    });
    let calls = "resilience4j_circuitbreaker_calls_total";
    assert_eq!(
        counter(&snapshot, calls, &[name, ("kind", "successful")]),
        2
    );
    assert_eq!(counter(&snapshot, calls, &[name, ("kind", "failed")]), 2);
    assert_eq!(
        counter(
            &snapshot,
            "resilience4j_circuitbreaker_not_permitted_calls_total",
            &[name]
        ),
        1
    );
    let transitions = "resilience4j_circuitbreaker_transitions_total";
    for (from, to) in [
        ("closed", "open"),
        ("open", "half_open"),
        ("half_open", "closed"),
    ] {
        assert_eq!(
            counter(&snapshot, transitions, &[name, ("from", from), ("to", to)]),
            1
        );
    }
    let state = "resilience4j_circuitbreaker_state";
    for (current, value) in [
        ("closed", 1.0),
        ("open", 0.0),
        ("half_open", 0.0),
        ("disabled", 0.0),
        ("forced_open", 0.0),
        ("metrics_only", 0.0),
    ] {
        assert_eq!(
            gauge(&snapshot, state, &[name, ("state", current)]),
            value,
            "{current}"
        );
    }
}

#[circuit_breaker(name = "metrics-rate", failure_rate = 0.5, window = 4, min_calls = 4)]
fn rated(fail: bool) -> Result<(), Error> {
    if fail { Err(Error::Busy) } else { Ok(()) }
}

#[test]
fn failure_rate_gauge_follows_the_window() {
    let snapshot = capture(|| {
        let _ = rated(true);
        let _ = rated(false);
        let _ = rated(false);
        let _ = rated(false);
    });
    let rate = gauge(
        &snapshot,
        "resilience4j_circuitbreaker_failure_rate",
        &[("name", "metrics-rate")],
    );
    assert!((rate - 0.25).abs() < 1e-9, "{rate}");
}
