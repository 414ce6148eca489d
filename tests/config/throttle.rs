//! `[throttle.NAME]` overrides `k` and `window` of a throttle when it is created. Overrides
//! install once per process: with every other module's, before any site naming these throttles
//! runs.

use std::time::Duration;

use retry_runtime::config::Overrides;
use retry_runtime::testing::{pause_sync_time, seed_jitter};
use retry_runtime::{ThrottleConfig, throttle};

#[derive(Debug, PartialEq)]
enum SearchError {
    Overloaded,
    Throttled,
}

impl From<retry_runtime::Throttled> for SearchError {
    fn from(_: retry_runtime::Throttled) -> Self {
        SearchError::Throttled
    }
}

const OVERRIDES: &str = r#"
[throttle.cfg-search]
k = 1
window = "1s"
"#;

/// This module's overrides, merged with every other module's by [`crate::installed`].
pub(crate) fn overrides() -> Overrides {
    let file = Overrides::from_toml(OVERRIDES, "test_throttle").unwrap();
    let environment = Overrides::from_variables([(
        "RETRY_RUNTIME__THROTTLE__CFG_ENV__K".to_owned(),
        "4.5".to_owned(),
    )])
    .unwrap();
    file.merged_with(environment)
}

fn installed() {
    crate::installed();
}

#[retry_runtime::throttle(name = "cfg-search", k = 2.0, window = "2m")]
fn overridden(fail: bool) -> Result<(), SearchError> {
    if fail {
        Err(SearchError::Overloaded)
    } else {
        Ok(())
    }
}

#[retry_runtime::throttle(name = "cfg-env")]
fn from_environment() -> Result<(), SearchError> {
    Ok(())
}

#[test]
fn an_override_sets_k_and_the_window_of_the_throttle() {
    installed();
    seed_jitter(2);
    let paused = pause_sync_time();
    assert_eq!(overridden(false), Ok(()));
    assert_eq!(overridden(true), Err(SearchError::Overloaded));
    let handle = throttle("cfg-search").unwrap();
    assert_eq!(
        *handle.config(),
        ThrottleConfig::new(1.0, Duration::from_secs(1)).unwrap()
    );
    // With k = 1, R = 2 > A = 1 already (the site's k = 2 would reject nothing yet).
    assert!((handle.rejection_probability() - 1.0 / 3.0).abs() < 1e-9);
    // And the window is a second.
    paused.advance(Duration::from_secs(1));
    assert_eq!(handle.rejection_probability(), 0.0);
}

#[test]
fn an_environment_variable_overrides_by_the_names_environment_form() {
    installed();
    assert_eq!(from_environment(), Ok(()));
    let config = *throttle("cfg-env").unwrap().config();
    assert_eq!(config.k(), 4.5);
    assert_eq!(config.window(), ThrottleConfig::DEFAULT.window());
}

#[test]
fn bad_values_are_refused_at_load_with_the_key_and_the_reason() {
    let error = |toml: &str| {
        Overrides::from_toml(toml, "inline")
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        error("[throttle.a]\nk = 11\n"),
        "inline: `throttle.a.k`: 11 is out of range: `k` is from 1 to 10 requests per accepted one"
    );
    assert_eq!(
        error("[throttle.a]\nwindow = \"500ms\"\n"),
        "inline: `throttle.a.window`: 500ms is out of range: a throttle counts over a second to an hour, such as \"2m\""
    );
    assert_eq!(
        error("[throttle.a]\nmax_wait = \"1s\"\n"),
        "inline: `throttle.a.max_wait`: unknown key; the keys of `throttle` are k and window"
    );
}
