//! Metrics through the `metrics` facade, with resilience4j's names and labels so that existing
//! dashboards fit (feature `metrics`). Every name starts with a prefix, `resilience4j_` unless
//! [`set_prefix`] says otherwise:
//!
//! | metric | type | labels |
//! | --- | --- | --- |
//! | `retry_calls_total` | counter | `name`, `kind` = `successful_without_retry`, `successful_with_retry`, `failed_without_retry`, `failed_with_retry` |
//! | `retry_attempts_total` | counter | `name` |
//! | `retry_delay_seconds` | histogram | `name` |
//! | `circuitbreaker_state` | gauge, 1 for the current state and 0 for the others | `name`, `state` |
//! | `circuitbreaker_calls_total` | counter | `name`, `kind` = `successful`, `failed`, `ignored` |
//! | `circuitbreaker_not_permitted_calls_total` | counter | `name` |
//! | `circuitbreaker_transitions_total` | counter | `name`, `from`, `to` |
//! | `circuitbreaker_failure_rate` | gauge, 0 to 1 | `name` |
//!
//! Labels carry only site and breaker names, never argument values. Each series' labels are
//! built once and kept, so recording allocates nothing after a series' first event, and no
//! metric handle is cached, so a recorder installed later (or a thread-local one in a test) sees
//! every event.

use std::collections::HashMap;
use std::error::Error;
use std::fmt;
use std::sync::{Mutex, OnceLock, PoisonError};

use metrics::{Key, KeyName, Label, Level, Metadata, SharedString, Unit};

use crate::breaker::state::BreakerState;
use crate::hooks::Event;

const DEFAULT_PREFIX: &str = "resilience4j_";

static PREFIX: OnceLock<&'static str> = OnceLock::new();
static NAMES: OnceLock<Names> = OnceLock::new();
static METADATA: Metadata<'static> =
    Metadata::new(module_path!(), Level::INFO, Some(module_path!()));

struct Names {
    retry_calls: &'static str,
    retry_attempts: &'static str,
    retry_delay: &'static str,
    breaker_state: &'static str,
    breaker_calls: &'static str,
    breaker_not_permitted: &'static str,
    breaker_transitions: &'static str,
    breaker_failure_rate: &'static str,
}

/// [`set_prefix`] was called after the first metric was recorded, or twice.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PrefixAlreadySet {
    /// The prefix in use.
    pub current: &'static str,
}

impl fmt::Display for PrefixAlreadySet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "the metrics prefix is already `{}`; call set_prefix once, before the first retry or breaker call",
            self.current
        )
    }
}

impl Error for PrefixAlreadySet {}

/// Sets the prefix of every metric name (default `resilience4j_`); call it once at start-up,
/// before any retry or breaker runs.
///
/// ```
/// retry_runtime::metrics::set_prefix("myapp_").unwrap();
/// assert!(retry_runtime::metrics::set_prefix("other_").is_err());
/// ```
///
/// # Errors
/// [`PrefixAlreadySet`] when a prefix is already in use.
pub fn set_prefix(prefix: &str) -> Result<(), PrefixAlreadySet> {
    let leaked: &'static str = Box::leak(prefix.to_owned().into_boxed_str());
    PREFIX.set(leaked).map_err(|_| PrefixAlreadySet {
        current: prefix_in_use(),
    })?;
    if NAMES.get().is_some() {
        return Err(PrefixAlreadySet {
            current: DEFAULT_PREFIX,
        });
    }
    Ok(())
}

fn prefix_in_use() -> &'static str {
    PREFIX.get().copied().unwrap_or(DEFAULT_PREFIX)
}

fn names() -> &'static Names {
    NAMES.get_or_init(|| {
        let prefix = *PREFIX.get_or_init(|| DEFAULT_PREFIX);
        let name = |suffix: &str| -> &'static str {
            Box::leak(format!("{prefix}{suffix}").into_boxed_str())
        };
        let names = Names {
            retry_calls: name("retry_calls_total"),
            retry_attempts: name("retry_attempts_total"),
            retry_delay: name("retry_delay_seconds"),
            breaker_state: name("circuitbreaker_state"),
            breaker_calls: name("circuitbreaker_calls_total"),
            breaker_not_permitted: name("circuitbreaker_not_permitted_calls_total"),
            breaker_transitions: name("circuitbreaker_transitions_total"),
            breaker_failure_rate: name("circuitbreaker_failure_rate"),
        };
        describe_names(&names);
        names
    })
}

/// Declares every metric's unit and help text to the current recorder. Done automatically with
/// the first event; call it again after installing a recorder later.
pub fn describe() {
    describe_names(names());
}

fn describe_names(names: &Names) {
    metrics::with_recorder(|recorder| {
        let counter = |name: &'static str, help: &'static str| {
            recorder.describe_counter(
                KeyName::from_const_str(name),
                Some(Unit::Count),
                SharedString::const_str(help),
            );
        };
        counter(names.retry_calls, "Calls through a retry site, by outcome");
        counter(
            names.retry_attempts,
            "Attempts made by a retry site, first attempts included",
        );
        counter(
            names.breaker_calls,
            "Calls recorded by a circuit breaker, by outcome",
        );
        counter(
            names.breaker_not_permitted,
            "Calls a circuit breaker rejected without running",
        );
        counter(
            names.breaker_transitions,
            "State transitions of a circuit breaker",
        );
        recorder.describe_histogram(
            KeyName::from_const_str(names.retry_delay),
            Some(Unit::Seconds),
            SharedString::const_str("Delays slept before retries"),
        );
        recorder.describe_gauge(
            KeyName::from_const_str(names.breaker_state),
            Some(Unit::Count),
            SharedString::const_str("1 for the circuit breaker's current state, 0 for the others"),
        );
        recorder.describe_gauge(
            KeyName::from_const_str(names.breaker_failure_rate),
            Some(Unit::Percent),
            SharedString::const_str("Failure rate over the circuit breaker's window, 0 to 1"),
        );
    });
}

/// Up to three labels; unused slots are empty.
type LabelSet = [(&'static str, &'static str); 3];

/// The labels of one series, built and kept on first use.
fn labels(set: LabelSet) -> &'static [Label] {
    static CACHE: OnceLock<Mutex<HashMap<LabelSet, &'static [Label]>>> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(PoisonError::into_inner);
    cache.entry(set).or_insert_with(|| {
        let labels: Vec<Label> = set
            .iter()
            .filter(|(key, _)| !key.is_empty())
            .map(|(key, value)| Label::from_static_parts(key, value))
            .collect();
        Box::leak(labels.into_boxed_slice())
    })
}

fn key(name: &'static str, set: LabelSet) -> Key {
    Key::from_static_parts(name, labels(set))
}

fn count(name: &'static str, set: LabelSet, by: u64) {
    let key = key(name, set);
    metrics::with_recorder(|recorder| recorder.register_counter(&key, &METADATA).increment(by));
}

fn gauge(name: &'static str, set: LabelSet, value: f64) {
    let key = key(name, set);
    metrics::with_recorder(|recorder| recorder.register_gauge(&key, &METADATA).set(value));
}

const NONE: (&str, &str) = ("", "");

/// Sets a new breaker's state series: closed at 1, the others at 0.
pub(crate) fn breaker_registered(name: &'static str) {
    state_gauges(names(), name, BreakerState::Closed);
}

fn state_gauges(names: &Names, name: &'static str, current: BreakerState) {
    for state in BreakerState::ALL {
        let value = if state == current { 1.0 } else { 0.0 };
        gauge(
            names.breaker_state,
            [("name", name), ("state", state.name()), NONE],
            value,
        );
    }
}

/// The failure rate over a breaker's window, after each outcome it records.
pub(crate) fn failure_rate(name: &'static str, rate: f64) {
    gauge(
        names().breaker_failure_rate,
        [("name", name), NONE, NONE],
        rate,
    );
}

/// Turns one event into its metrics.
pub(crate) fn record(event: &Event<'_>) {
    let names = names();
    match *event {
        Event::Succeeded { name, attempts } => {
            let kind = if attempts > 1 {
                "successful_with_retry"
            } else {
                "successful_without_retry"
            };
            retry_call(names, name, attempts, kind);
        }
        Event::Exhausted { name, attempts, .. } | Event::NotRetryable { name, attempts, .. } => {
            let kind = if attempts > 1 {
                "failed_with_retry"
            } else {
                "failed_without_retry"
            };
            retry_call(names, name, attempts, kind);
        }
        Event::RetryScheduled { name, delay, .. } => {
            let key = key(names.retry_delay, [("name", name), NONE, NONE]);
            metrics::with_recorder(|recorder| {
                recorder
                    .register_histogram(&key, &METADATA)
                    .record(delay.as_secs_f64());
            });
        }
        Event::BreakerCall { name, outcome } => {
            count(
                names.breaker_calls,
                [("name", name), ("kind", outcome.name()), NONE],
                1,
            );
        }
        Event::CallRejected { name, .. } => {
            count(names.breaker_not_permitted, [("name", name), NONE, NONE], 1);
        }
        Event::BreakerTransition { name, from, to } => {
            count(
                names.breaker_transitions,
                [("name", name), ("from", from.name()), ("to", to.name())],
                1,
            );
            state_gauges(names, name, to);
        }
        Event::AttemptFailed { .. } => {}
    }
}

fn retry_call(names: &Names, name: &'static str, attempts: u32, kind: &'static str) {
    count(names.retry_calls, [("name", name), ("kind", kind), NONE], 1);
    count(
        names.retry_attempts,
        [("name", name), NONE, NONE],
        u64::from(attempts),
    );
}
