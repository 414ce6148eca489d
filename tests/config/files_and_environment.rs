//! Overrides from a TOML file, a JSON file and environment variables, applied to sites,
//! breakers and budgets through the attributes; and every kind of bad input, reported with the
//! origin, the key and the reason. Overrides install once per process, so this binary installs
//! one merged set, before any site runs.
#![cfg(feature = "config")]

use std::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};

use retry_runtime::config::{Overrides, install, unmatched};
use retry_runtime::testing::pause_sync_time;
use retry_runtime::{BreakerState, CircuitOpen, breaker, budget, circuit_breaker, retry};

#[derive(Debug, PartialEq)]
enum Error {
    Down,
    Rejected,
}

impl From<CircuitOpen> for Error {
    fn from(_: CircuitOpen) -> Self {
        Error::Rejected
    }
}

fn write(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("retry-runtime-{}-{name}", std::process::id()));
    std::fs::write(&path, text).unwrap();
    path
}

/// File, then JSON, then environment: later sources win key by key.
/// This module's overrides, merged with every other module's by [`crate::installed`].
pub(crate) fn overrides() -> Overrides {
    let toml = write(
        "overrides.toml",
        r#"
        [retry."config.partial"]
        max_attempts = 5

        [retry."config.env-wins"]
        max_attempts = 4

        [retry."config.misfit"]
        delay = "20s"

        [retry."config.typo"]
        max_attempts = 2
        "#,
    );
    let json = write(
        "overrides.json",
        r#"{ "breaker": { "config-db": { "failure_threshold": 2 } }, "budget": { "config-api": { "share": 0.5, "min_per_second": 0 } } }"#,
    );
    let environment = Overrides::from_variables([(
        "RETRY_RUNTIME__RETRY__CONFIG_ENV_WINS__MAX_ATTEMPTS".to_owned(),
        "2".to_owned(),
    )])
    .unwrap();
    Overrides::from_file(&toml)
        .unwrap()
        .merged_with(Overrides::from_file(&json).unwrap())
        .merged_with(environment)
}

fn installed() {
    crate::installed();
}

fn count_attempts(attempts: &AtomicU32) -> Result<(), Error> {
    attempts.fetch_add(1, Ordering::Relaxed);
    Err(Error::Down)
}

#[retry(max_attempts = 3, delay = "1ms", name = "config.partial")]
fn partial(attempts: &AtomicU32) -> Result<(), Error> {
    count_attempts(attempts)
}

#[retry(max_attempts = 3, delay = "1ms", name = "config.env-wins")]
fn env_wins(attempts: &AtomicU32) -> Result<(), Error> {
    count_attempts(attempts)
}

#[retry(
    max_attempts = 3,
    delay = "1ms",
    max_delay = "1s",
    name = "config.misfit"
)]
fn misfit(attempts: &AtomicU32) -> Result<(), Error> {
    count_attempts(attempts)
}

#[test]
fn a_file_override_replaces_only_its_keys() {
    installed();
    let paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    assert_eq!(partial(&attempts), Err(Error::Down));
    assert_eq!(
        attempts.load(Ordering::Relaxed),
        5,
        "max_attempts from the file"
    );
    // The compiled-in delay (1 ms, doubling) stays: 1 + 2 + 4 + 8 ms, with full jitter at most.
    assert!(paused.elapsed() <= std::time::Duration::from_millis(15));
}

#[test]
fn an_environment_variable_wins_over_the_file() {
    installed();
    let _paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    assert_eq!(env_wins(&attempts), Err(Error::Down));
    assert_eq!(attempts.load(Ordering::Relaxed), 2);
}

#[test]
fn an_override_that_does_not_fit_the_site_is_ignored_with_a_warning() {
    installed();
    let _paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    // delay = 20s is above this site's max_delay = 1s: the site keeps its own policy.
    assert_eq!(misfit(&attempts), Err(Error::Down));
    assert_eq!(attempts.load(Ordering::Relaxed), 3);
}

#[circuit_breaker(name = "config-db", failure_threshold = 10)]
fn guarded() -> Result<(), Error> {
    Err(Error::Down)
}

#[retry(max_attempts = 2, delay = "1ms", budget = "config-api")]
fn budgeted(attempts: &AtomicU32) -> Result<(), Error> {
    count_attempts(attempts)
}

#[test]
fn json_overrides_reach_breakers_and_budgets() {
    installed();
    let _ = guarded();
    let _ = guarded();
    assert_eq!(
        breaker("config-db").unwrap().state(),
        BreakerState::Open,
        "threshold 2 from JSON"
    );
    let _paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    let _ = budgeted(&attempts);
    let _ = budgeted(&attempts);
    assert_eq!(budget("config-api").unwrap().config().share, 0.5);
    assert_eq!(
        attempts.load(Ordering::Relaxed),
        3,
        "two half-token deposits pay for one retry"
    );
}

#[test]
fn names_no_site_used_are_listed() {
    installed();
    let _paused = pause_sync_time();
    let _ = partial(&AtomicU32::new(0));
    let unmatched = unmatched();
    assert!(
        unmatched.contains(&"retry.config.typo".to_owned()),
        "{unmatched:?}"
    );
    assert!(
        !unmatched.contains(&"retry.config.partial".to_owned()),
        "{unmatched:?}"
    );
}

#[test]
fn installing_twice_is_an_error() {
    installed();
    let error = install(Overrides::default()).unwrap_err();
    assert!(error.reason.contains("already installed"), "{error}");
}

#[test]
fn every_bad_input_names_the_origin_the_key_and_the_reason() {
    let toml = |text: &str| {
        Overrides::from_toml(text, "app.toml")
            .unwrap_err()
            .to_string()
    };
    let json = |text: &str| {
        Overrides::from_json(text, "app.json")
            .unwrap_err()
            .to_string()
    };
    let cases = [
        (
            toml("[retries.fetch]\nmax_attempts = 3"),
            "app.toml: `retries`: unknown section; the sections are `retry`, `breaker`, `budget`, `bulkhead`, `rate_limit`, `hedge`, `chaos`, `throttle` and `adaptive_limit`",
        ),
        (
            toml("[retry.fetch]\nmax_atempts = 3"),
            "app.toml: `retry.fetch.max_atempts`: unknown key (did you mean `max_attempts`?); the keys of `retry` are max_attempts, backoff, delay, max_delay, factor, jitter, max_elapsed and attempt_timeout",
        ),
        (
            toml("[retry.fetch]\nmax_attempts = 0"),
            "app.toml: `retry.fetch.max_attempts`: must be at least 1 (it counts the first attempt)",
        ),
        (
            toml("[retry.fetch]\nmax_attempts = \"3\""),
            "app.toml: `retry.fetch.max_attempts`: expected a whole number, found the string \"3\"",
        ),
        (
            toml("[retry.fetch]\ndelay = 100"),
            "app.toml: `retry.fetch.delay`: expected a duration string such as \"250ms\", found the number 100",
        ),
        (
            toml("[retry.fetch]\ndelay = \"100\""),
            "app.toml: `retry.fetch.delay`: `100` has no unit; write \"100ms\" or \"100s\" (units: ns, us, ms, s, m, h)",
        ),
        (
            toml("[retry.fetch]\njitter = \"ful\""),
            "app.toml: `retry.fetch.jitter`: unknown jitter \"ful\"; use \"full\", \"equal\", \"decorrelated\" or \"none\"",
        ),
        (
            toml("[retry.fetch]\nfactor = 0.5"),
            "app.toml: `retry.fetch.factor`: 0.5 is out of range: an exponential factor is at least 1",
        ),
        (
            toml("[breaker.db]\nfailure_rate = 1.5"),
            "app.toml: `breaker.db.failure_rate`: 1.5 is out of range: a rate is above 0 and at most 1",
        ),
        (
            toml("[breaker.db]\nopen_for = \"0s\""),
            "app.toml: `breaker.db.open_for`: must be more than zero",
        ),
        (
            toml("[budget.api]\ncap = 0.5"),
            "app.toml: `budget.api.cap`: 0.5 is out of range: it is at least 1",
        ),
        (
            toml("[retry.fetch]\nmax_attempts = true"),
            "app.toml: `retry.fetch.max_attempts`: expected a whole number, found a boolean",
        ),
        (
            toml("retry = 3"),
            "app.toml: `retry`: expected tables of the form [section.name] with key = value entries",
        ),
        (
            json("{\"breaker\": {\"db\": {\"window\": -1}}}"),
            "app.json: `breaker.db.window`: -1 is out of range: a whole number from 1 to 1048576",
        ),
        (
            json("[1, 2]"),
            "app.json: ``: expected tables of the form [section.name] with key = value entries",
        ),
    ];
    for (got, want) in cases {
        assert_eq!(got, want);
    }
    assert!(toml("[retry.fetch\n").starts_with("app.toml: ``: not valid TOML:"));
    assert!(json("{").starts_with("app.json: ``: not valid JSON:"));
    let environment =
        Overrides::from_variables([("RETRY_RUNTIME__RETRY__FETCH".to_owned(), "3".to_owned())])
            .unwrap_err();
    assert_eq!(environment.key, "RETRY_RUNTIME__RETRY__FETCH");
    assert_eq!(environment.origin, "environment");
    let missing = Overrides::from_file("/nonexistent/overrides.toml").unwrap_err();
    assert!(
        missing.reason.starts_with("cannot read the file"),
        "{missing}"
    );
    let unknown = Overrides::from_file(write("overrides.yaml", "retry: {}")).unwrap_err();
    assert_eq!(
        unknown.reason,
        "unknown format; name the file `*.toml` or `*.json`"
    );
    let _ = Mutex::new(());
}
