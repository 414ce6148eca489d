//! Overrides from environment variables: a process whose environment holds variables that are
//! not UTF-8 loads fine unless one of them is ours, and a name is matched the way a site's name
//! is (upper case, `_` for anything but letters and digits). The real environment is tested in a
//! child process, so that no test changes the environment of this one.
#![cfg(feature = "config")]

use std::ffi::OsString;
use std::process::{Command, Output};
use std::sync::atomic::{AtomicU32, Ordering};

use retry_runtime::config::Overrides;
use retry_runtime::retry;
use retry_runtime::testing::pause_sync_time;

/// Set in the child process: what `from_env` should answer there.
const CHILD: &str = "RETRY_RUNTIME_TEST_CHILD";

/// Runs `from_env_in_a_child` alone in a child process with one more variable.
fn child(expect: &str, name: impl Into<OsString>, value: impl Into<OsString>) -> Output {
    let output = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "environment::from_env_in_a_child", "--nocapture"])
        .env(CHILD, expect)
        .env(name.into(), value.into())
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && stdout.contains("1 passed"),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    output
}

/// Does nothing unless a test above started it as a child.
#[test]
fn from_env_in_a_child() {
    let Some(expect) = std::env::var_os(CHILD) else {
        return;
    };
    let result = Overrides::from_env();
    match expect.to_str().unwrap() {
        "ok" => assert!(result.unwrap().is_empty()),
        "one" => assert!(!result.unwrap().is_empty()),
        variable => {
            let error = result.unwrap_err();
            assert_eq!(error.origin, "environment");
            assert_eq!(error.key, variable);
            assert_eq!(error.reason, "the value is not UTF-8");
        }
    }
}

#[cfg(unix)]
fn not_utf8(bytes: &[u8]) -> OsString {
    use std::os::unix::ffi::OsStringExt;
    OsString::from_vec(bytes.to_vec())
}

#[cfg(unix)]
#[test]
fn unrelated_variables_that_are_not_utf8_are_skipped() {
    child("ok", "UNRELATED", not_utf8(b"caf\xe9"));
    child("ok", not_utf8(b"CAF\xc9"), "1");
    child("one", "RETRY_RUNTIME__RETRY__FETCH__MAX_ATTEMPTS", "2");
}

#[cfg(unix)]
#[test]
fn one_of_ours_that_is_not_utf8_is_an_error_naming_it() {
    let variable = "RETRY_RUNTIME__RETRY__FETCH__DELAY";
    child(variable, variable, not_utf8(b"1\xff"));

    let error = Overrides::from_os_variables([
        (OsString::from("UNRELATED"), not_utf8(b"\xff")),
        (OsString::from(variable), not_utf8(b"1\xff")),
    ])
    .unwrap_err();
    assert_eq!(error.key, variable);
    assert_eq!(error.reason, "the value is not UTF-8");

    let error = Overrides::from_os_variables([(
        not_utf8(b"RETRY_RUNTIME__RETRY__CAF\xc9__DELAY"),
        OsString::from("1s"),
    )])
    .unwrap_err();
    assert_eq!(error.key, "RETRY_RUNTIME__RETRY__CAF\u{fffd}__DELAY");
    assert_eq!(error.reason, "the variable's name is not UTF-8");
}

#[test]
fn malformed_names_say_what_to_write() {
    for variable in [
        "RETRY_RUNTIME__RETRY__FETCH",
        "RETRY_RUNTIME__RETRY____MAX_ATTEMPTS",
        "RETRY_RUNTIME__RETRY__A__B__MAX_ATTEMPTS",
    ] {
        let error = Overrides::from_variables([(variable.to_owned(), "3".to_owned())]).unwrap_err();
        assert_eq!(error.key, variable);
        assert!(
            error
                .reason
                .starts_with("expected RETRY_RUNTIME__<SECTION>__<NAME>__<KEY>"),
            "{error}"
        );
    }
    let error = Overrides::from_variables([(
        "RETRY_RUNTIME__RETRIES__FETCH__MAX_ATTEMPTS".to_owned(),
        "3".to_owned(),
    )])
    .unwrap_err();
    assert_eq!(error.key, "RETRY_RUNTIME__RETRIES__FETCH__MAX_ATTEMPTS");
    assert_eq!(
        error.reason,
        "unknown section; the sections are `retry`, `breaker`, `budget`, `bulkhead`, `rate_limit`, `hedge`, `chaos`, `throttle` and `adaptive_limit`"
    );
}

#[test]
fn a_bad_value_names_the_variable() {
    let error = Overrides::from_variables([(
        "RETRY_RUNTIME__BREAKER__DB__WINDOW".to_owned(),
        "0".to_owned(),
    )])
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "environment: `RETRY_RUNTIME__BREAKER__DB__WINDOW`: 0 is out of range: a whole number from 1 to 1048576"
    );
}

#[retry(max_attempts = 3, delay = "1ms", name = "environment.lower-case")]
fn lower_case(attempts: &AtomicU32) -> Result<(), ()> {
    attempts.fetch_add(1, Ordering::Relaxed);
    Err(())
}

/// A name written in lower case (or with the site's own punctuation) still matches.
#[test]
fn a_name_matches_whatever_its_case() {
    crate::installed();
    let _paused = pause_sync_time();
    let attempts = AtomicU32::new(0);
    assert_eq!(lower_case(&attempts), Err(()));
    assert_eq!(attempts.load(Ordering::Relaxed), 2);
}

/// This module's overrides, merged with every other module's by [`crate::installed`].
pub(crate) fn overrides() -> Overrides {
    Overrides::from_variables([(
        "RETRY_RUNTIME__RETRY__environment_lower-case__MAX_ATTEMPTS".to_owned(),
        "2".to_owned(),
    )])
    .unwrap()
}
