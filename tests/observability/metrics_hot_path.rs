//! With the `metrics` feature and a recorder installed, a breaker success and a retry success
//! take no lock and look nothing up: each site resolves its metric handles once per recorder,
//! so however many calls run, the recorder is asked for each series once. Threads other than
//! the first count their successes on stripes of their own, and the recorder's counters are
//! exact after `metrics::flush()`.
#![cfg(feature = "metrics")]

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use metrics::{Counter, Gauge, Histogram, Key, KeyName, Metadata, Recorder, SharedString, Unit};
use retry_runtime::{CircuitOpen, circuit_breaker, retry};

/// A recorder that counts how often it is asked for a series, and keeps one real atomic
/// counter per registration so the values can be checked.
#[derive(Default)]
struct CountingRecorder {
    registrations: AtomicU64,
    successes: Arc<AtomicU64>,
}

impl Recorder for CountingRecorder {
    fn describe_counter(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_gauge(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}
    fn describe_histogram(&self, _: KeyName, _: Option<Unit>, _: SharedString) {}

    fn register_counter(&self, key: &Key, _: &Metadata<'_>) -> Counter {
        self.registrations.fetch_add(1, Ordering::Relaxed);
        let successful = key.labels().any(|label| {
            label.value() == "successful" || label.value() == "successful_without_retry"
        });
        if successful {
            Counter::from_arc(Arc::clone(&self.successes))
        } else {
            Counter::noop()
        }
    }

    fn register_gauge(&self, _: &Key, _: &Metadata<'_>) -> Gauge {
        self.registrations.fetch_add(1, Ordering::Relaxed);
        Gauge::noop()
    }

    fn register_histogram(&self, _: &Key, _: &Metadata<'_>) -> Histogram {
        self.registrations.fetch_add(1, Ordering::Relaxed);
        Histogram::noop()
    }
}

#[derive(Debug)]
struct Down;

impl From<CircuitOpen> for Down {
    fn from(_: CircuitOpen) -> Self {
        Down
    }
}

#[circuit_breaker(name = "hot-metrics-breaker")]
#[inline(never)]
fn guarded(fail: bool) -> Result<u32, Down> {
    if fail { Err(Down) } else { Ok(1) }
}

#[retry(name = "hot-metrics-retry")]
#[inline(never)]
fn retried(fail: bool) -> Result<u32, Down> {
    if fail { Err(Down) } else { Ok(1) }
}

#[test]
fn successes_resolve_their_series_once_not_per_call() {
    const CALLS: u64 = 10_000;
    // Leaked, like a global recorder: handles to a recorder on the stack are never kept.
    let recorder: &'static CountingRecorder = Box::leak(Box::default());
    metrics::with_local_recorder(recorder, || {
        for _ in 0..CALLS {
            assert!(guarded(std::hint::black_box(false)).is_ok());
            assert!(retried(std::hint::black_box(false)).is_ok());
        }
    });
    // Every success was counted, through the cached handles.
    assert_eq!(recorder.successes.load(Ordering::Relaxed), 2 * CALLS);
    // The breaker's series (4 call kinds, rejections, failure rate, 6 states) and the retry
    // site's (4 call kinds, attempts, delays): asked for once each, not once per call.
    let registrations = recorder.registrations.load(Ordering::Relaxed);
    assert_eq!(registrations, 12 + 6, "{registrations}");
}

#[test]
fn a_second_recorder_gets_handles_of_its_own() {
    let first: &'static CountingRecorder = Box::leak(Box::default());
    let second: &'static CountingRecorder = Box::leak(Box::default());
    metrics::with_local_recorder(first, || assert!(guarded(false).is_ok()));
    metrics::with_local_recorder(second, || {
        for _ in 0..100 {
            assert!(guarded(false).is_ok());
        }
    });
    assert_eq!(second.successes.load(Ordering::Relaxed), 100);
    assert_eq!(second.registrations.load(Ordering::Relaxed), 12);
}

#[test]
fn a_recorder_on_the_stack_is_asked_each_time_so_a_later_one_at_its_address_sees_everything() {
    for round in 1..=3 {
        let recorder = CountingRecorder::default();
        metrics::with_local_recorder(&recorder, || {
            for _ in 0..10 {
                assert!(retried(false).is_ok());
            }
        });
        assert_eq!(
            recorder.successes.load(Ordering::Relaxed),
            10,
            "round {round}"
        );
    }
}

#[circuit_breaker(name = "striped-metrics-breaker")]
#[inline(never)]
fn striped_guarded(fail: bool) -> Result<u32, Down> {
    if fail { Err(Down) } else { Ok(1) }
}

#[retry(name = "striped-metrics-retry")]
#[inline(never)]
fn striped_retried(fail: bool) -> Result<u32, Down> {
    if fail { Err(Down) } else { Ok(1) }
}

/// The value of the series of `name` whose labels include `labels` in a Prometheus exposition.
fn rendered(exposition: &str, name: &str, labels: &str) -> u64 {
    exposition
        .lines()
        .find(|line| line.starts_with(name) && labels.split(',').all(|label| line.contains(label)))
        .and_then(|line| line.rsplit(' ').next())
        .and_then(|value| value.parse().ok())
        .unwrap_or_else(|| panic!("no {name} {{{labels}}} in:\n{exposition}"))
}

#[test]
fn successes_on_other_threads_reach_the_prometheus_counters_at_the_latest_on_flush() {
    const CALLS: u64 = 10_001;
    // Leaked, like a global recorder, and shared by the threads below (each installs it as its
    // own recorder): one set of handles, resolved by this thread, the owner.
    let recorder: &'static _ = Box::leak(Box::new(
        metrics_exporter_prometheus::PrometheusBuilder::new().build_recorder(),
    ));
    let handle = recorder.handle();
    metrics::with_local_recorder(recorder, || {
        assert!(striped_guarded(false).is_ok());
        assert!(striped_retried(false).is_ok());
    });
    std::thread::scope(|scope| {
        for _ in 0..2 {
            scope.spawn(|| {
                metrics::with_local_recorder(recorder, || {
                    for _ in 0..CALLS {
                        assert!(striped_guarded(std::hint::black_box(false)).is_ok());
                        assert!(striped_retried(std::hint::black_box(false)).is_ok());
                    }
                });
            });
        }
    });
    let total = 1 + 2 * CALLS;
    let breaker = (
        "resilience4j_circuitbreaker_calls_total",
        r#"name="striped-metrics-breaker",kind="successful""#,
    );
    let retry = (
        "resilience4j_retry_calls_total",
        r#"name="striped-metrics-retry",kind="successful_without_retry""#,
    );
    let attempts = (
        "resilience4j_retry_attempts_total",
        r#"name="striped-metrics-retry""#,
    );
    // Before a flush, each thread's stripe holds less than a batch.
    let exposition = handle.render();
    for (name, site) in [breaker, retry, attempts] {
        let shown = rendered(&exposition, name, site);
        assert!(
            shown <= total && total - shown < 2 * retry_runtime::metrics::BATCH,
            "{name} {site}: {shown} of {total}"
        );
    }
    // After one, every call is there.
    retry_runtime::metrics::flush();
    let exposition = handle.render();
    for (name, site) in [breaker, retry, attempts] {
        assert_eq!(rendered(&exposition, name, site), total, "{name} {site}");
    }
}
