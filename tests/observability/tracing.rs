//! `tracing` output: events under the fixed target `retry_runtime` with the fields `name`,
//! `attempt`, `delay_ms` and `error`, and with `attempt_span = true` a span per attempt.
//! A minimal subscriber records what it sees; it is installed per thread, so tests stay apart.

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use retry_runtime::retry;
use retry_runtime::testing::pause_sync_time;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

#[derive(Clone, Default)]
struct Recorder {
    lines: Arc<Mutex<Vec<String>>>,
    next_id: Arc<AtomicU64>,
}

struct Fields(Vec<String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.0.push(format!("{}={value:?}", field.name()));
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.push(format!("{}={value}", field.name()));
    }
}

impl Subscriber for Recorder {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let mut fields = Fields(Vec::new());
        attributes.record(&mut fields);
        self.lines.lock().unwrap().push(format!(
            "span {} {} {}",
            attributes.metadata().target(),
            attributes.metadata().name(),
            fields.0.join(" ")
        ));
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }

    fn record(&self, _: &Id, _: &Record<'_>) {}

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields(Vec::new());
        event.record(&mut fields);
        self.lines.lock().unwrap().push(format!(
            "{} {} {}",
            event.metadata().level(),
            event.metadata().target(),
            fields.0.join(" ")
        ));
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

#[derive(Debug)]
struct Busy;

impl fmt::Display for Busy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("busy")
    }
}

#[retry(
    max_attempts = 2,
    delay = "10ms",
    jitter = "none",
    name = "traced",
    attempt_span = true
)]
fn traced(calls: &Mutex<u32>) -> Result<u32, Busy> {
    let mut calls = calls.lock().unwrap();
    *calls += 1;
    if *calls < 2 { Err(Busy) } else { Ok(*calls) }
}

#[retry(
    max_attempts = 2,
    delay = "10ms",
    jitter = "none",
    name = "traced-async",
    attempt_span = true
)]
async fn traced_async(calls: &Mutex<u32>) -> Result<u32, Busy> {
    tokio::task::yield_now().await;
    let mut calls = calls.lock().unwrap();
    *calls += 1;
    if *calls < 2 { Err(Busy) } else { Ok(*calls) }
}

fn expected(name: &str) -> Vec<String> {
    vec![
        format!("span retry_runtime attempt name={name} attempt=1 http.request.resend_count=0"),
        format!(
            "DEBUG retry_runtime message=attempt failed; retrying name={name} attempt=1 delay_ms=10 error=busy"
        ),
        format!("span retry_runtime attempt name={name} attempt=2 http.request.resend_count=1"),
        format!("INFO retry_runtime message=succeeded after retrying name={name} attempt=2"),
    ]
}

#[test]
fn sync_events_and_attempt_spans() {
    let recorder = Recorder::default();
    let _paused = pause_sync_time();
    tracing::subscriber::with_default(recorder.clone(), || {
        assert_eq!(traced(&Mutex::new(0)).unwrap(), 2);
    });
    assert_eq!(*recorder.lines.lock().unwrap(), expected("traced"));
}

#[tokio::test(start_paused = true)]
async fn async_events_and_attempt_spans() {
    let recorder = Recorder::default();
    let _default = tracing::subscriber::set_default(recorder.clone());
    assert_eq!(traced_async(&Mutex::new(0)).await.unwrap(), 2);
    assert_eq!(*recorder.lines.lock().unwrap(), expected("traced-async"));
}

#[retry(max_attempts = 2, delay = "0ms", name = "outage")]
fn always_down() -> Result<(), Busy> {
    Err(Busy)
}

#[test]
fn an_outage_logs_one_warning_per_interval_then_a_count() {
    let recorder = Recorder::default();
    let _paused = pause_sync_time();
    tracing::subscriber::with_default(recorder.clone(), || {
        for _ in 0..50 {
            assert!(always_down().is_err());
        }
    });
    let lines = recorder.lines.lock().unwrap();
    let warnings: Vec<&String> = lines
        .iter()
        .filter(|line| line.starts_with("WARN"))
        .collect();
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(
        warnings[0].contains("reason=exhausted") && warnings[0].contains("suppressed=0"),
        "{warnings:?}"
    );
    let quiet = lines
        .iter()
        .filter(|line| line.starts_with("DEBUG") && line.contains("all attempts failed"))
        .count();
    assert_eq!(quiet, 49);
}

#[retry(max_attempts = 2, delay = "0ms", budget = "registered-first")]
fn budgeted() -> Result<(), Busy> {
    Err(Busy)
}

#[test]
fn a_registered_budget_is_used_by_its_sites_without_a_warning() {
    let custom = retry_runtime::BudgetConfig {
        share: 0.5,
        ..retry_runtime::BudgetConfig::DEFAULT
    };
    retry_runtime::register_budget("registered-first", custom).unwrap();
    let recorder = Recorder::default();
    let _paused = pause_sync_time();
    tracing::subscriber::with_default(recorder.clone(), || {
        let _ = budgeted();
    });
    let lines = recorder.lines.lock().unwrap();
    assert!(
        !lines.iter().any(|line| line.contains("already exists")),
        "{lines:?}"
    );
    assert_eq!(
        *retry_runtime::budget("registered-first").unwrap().config(),
        custom
    );
}
