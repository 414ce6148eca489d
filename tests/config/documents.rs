//! What the loader refuses in a document as a whole: duplicated keys, names and sections,
//! unknown keys (answered with the valid ones), files above the size limit, and bad values of
//! any length (quoted in a bounded message).
#![cfg(feature = "config")]

use retry_runtime::config::{MAX_FILE_BYTES, Overrides};

fn toml(text: &str) -> String {
    Overrides::from_toml(text, "app.toml")
        .unwrap_err()
        .to_string()
}

fn json(text: &str) -> String {
    Overrides::from_json(text, "app.json")
        .unwrap_err()
        .to_string()
}

fn write(name: &str, bytes: &[u8]) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!(
        "retry-runtime-documents-{}-{name}",
        std::process::id()
    ));
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn json_duplicates_are_rejected_by_name() {
    let cases = [
        (
            r#"{"retry": {"fetch": {"max_attempts": 2, "max_attempts": 3}}}"#,
            "app.json: `retry.fetch.max_attempts`: duplicate key; write each key once per section",
        ),
        (
            r#"{"retry": {"fetch": {"max_attempts": 2}, "fetch": {"delay": "1s"}}}"#,
            "app.json: `retry.fetch`: duplicate name; write each name once per section",
        ),
        (
            r#"{"retry": {"a": {"max_attempts": 2}}, "retry": {"b": {"delay": "1s"}}}"#,
            "app.json: `retry`: duplicate section; write each section once",
        ),
        // The same value twice is still a duplicate: the file says something twice.
        (
            r#"{"budget": {"api": {"share": 0.5, "share": 0.5}}}"#,
            "app.json: `budget.api.share`: duplicate key; write each key once per section",
        ),
    ];
    for (text, want) in cases {
        assert_eq!(json(text), want);
    }
}

#[test]
fn toml_duplicates_are_rejected_with_the_key_and_the_line() {
    let key = toml("[retry.fetch]\nmax_attempts = 2\nmax_attempts = 3\n");
    assert!(
        key.starts_with(
            "app.toml: ``: not valid TOML: duplicate key `max_attempts` at line 3, column 1"
        ),
        "{key}"
    );
    let table = toml("[retry.fetch]\nmax_attempts = 2\n\n[retry.fetch]\ndelay = \"1s\"\n");
    assert!(
        table
            .starts_with("app.toml: ``: not valid TOML: duplicate key `fetch` at line 4, column 8"),
        "{table}"
    );
}

#[test]
fn environment_variables_naming_the_same_key_are_rejected() {
    let error = Overrides::from_variables([
        (
            "RETRY_RUNTIME__RETRY__STORE_FETCH__DELAY".to_owned(),
            "1s".to_owned(),
        ),
        (
            "RETRY_RUNTIME__RETRY__store-fetch__delay".to_owned(),
            "2s".to_owned(),
        ),
    ])
    .unwrap_err();
    assert_eq!(error.origin, "environment");
    assert_eq!(error.key, "RETRY_RUNTIME__RETRY__store-fetch__delay");
    assert!(
        error
            .reason
            .starts_with("duplicate key: `RETRY_RUNTIME__RETRY__STORE_FETCH__DELAY` sets it too"),
        "{error}"
    );
}

#[test]
fn an_unknown_key_lists_the_valid_ones() {
    assert_eq!(
        toml("[retry.fetch]\nmax_atempts = 3"),
        "app.toml: `retry.fetch.max_atempts`: unknown key (did you mean `max_attempts`?); the keys of `retry` are max_attempts, backoff, delay, max_delay, factor, jitter, max_elapsed and attempt_timeout",
    );
    assert_eq!(
        json(r#"{"breaker": {"db": {"timeout": "1s"}}}"#),
        "app.json: `breaker.db.timeout`: unknown key; the keys of `breaker` are failure_threshold, failure_rate, window, min_calls, slow_call, slow_call_rate, open_for, open_for_factor, max_open_for, half_open_calls and half_open_timeout",
    );
    let environment = Overrides::from_variables([(
        "RETRY_RUNTIME__BUDGET__API__SHARES".to_owned(),
        "0.1".to_owned(),
    )])
    .unwrap_err();
    assert_eq!(environment.key, "RETRY_RUNTIME__BUDGET__API__SHARES");
    assert_eq!(
        environment.reason,
        "unknown key (did you mean `share`?); the keys of `budget` are share, min_per_second and cap"
    );
}

#[test]
fn an_unknown_section_is_rejected_even_when_empty() {
    assert_eq!(
        toml("[retries]\n"),
        "app.toml: `retries`: unknown section; the sections are `retry`, `breaker`, `budget`, `bulkhead`, `rate_limit`, `hedge`, `chaos`, `throttle` and `adaptive_limit`",
    );
    // An empty part of a path still shows.
    assert_eq!(
        json(r#"{"": {}}"#),
        "app.json: `\"\"`: unknown section; the sections are `retry`, `breaker`, `budget`, `bulkhead`, `rate_limit`, `hedge`, `chaos`, `throttle` and `adaptive_limit`",
    );
    assert_eq!(
        json(r#"{"retry": {"": {"": 1}}}"#),
        "app.json: `retry.\"\".\"\"`: unknown key; the keys of `retry` are max_attempts, backoff, delay, max_delay, factor, jitter, max_elapsed and attempt_timeout",
    );
}

/// A megabyte of bad value (or bad name) gives a message of a few hundred bytes at most.
#[test]
fn messages_quote_a_bounded_part_of_a_bad_value() {
    let huge = "x".repeat(1 << 20);
    let messages = [
        toml(&format!("[retry.fetch]\njitter = \"{huge}\"")),
        toml(&format!("[retry.fetch]\ndelay = \"{huge}\"")),
        toml(&format!("[retry.fetch]\ndelay = \"1{huge}\"")),
        toml(&format!("[retry.fetch]\nmax_attempts = \"{huge}\"")),
        toml(&format!("[retry.fetch]\n{huge} = 1")),
        toml(&format!("[{huge}.fetch]\nmax_attempts = 1")),
        toml(&format!("[retry.{huge}]\nmax_attempts = 0")),
        toml(&format!("[retry.fetch]\n{huge} = 1\n{huge} = 2")),
        toml(&format!("[retry.fetch]\ndelay = \"{huge}")),
        json(&format!(
            r#"{{"retry": {{"fetch": {{"backoff": "{huge}"}}}}}}"#
        )),
        json(&format!(
            r#"{{"retry": {{"fetch": {{"{huge}": 1, "{huge}": 1}}}}}}"#
        )),
        json(&format!(
            r#"{{"retry": {{"fetch": {{"factor": 1{}}}}}}}"#,
            "0".repeat(1 << 20)
        )),
        Overrides::from_variables([(
            format!("RETRY_RUNTIME__RETRY__FETCH__{huge}"),
            "1".to_owned(),
        )])
        .unwrap_err()
        .to_string(),
        Overrides::from_variables([(
            "RETRY_RUNTIME__RETRY__FETCH__DELAY".to_owned(),
            huge.clone(),
        )])
        .unwrap_err()
        .to_string(),
        Overrides::from_variables([(format!("RETRY_RUNTIME__{huge}"), "1".to_owned())])
            .unwrap_err()
            .to_string(),
    ];
    for message in messages {
        assert!(
            message.len() <= 600,
            "{} bytes: {}...",
            message.len(),
            &message[..200]
        );
    }
}

#[test]
fn files_above_the_size_limit_are_rejected_with_the_path_and_the_limit() {
    assert_eq!(MAX_FILE_BYTES, 1 << 20);
    let head = b"[retry.fetch]\nmax_attempts = 3\n#";
    let size = usize::try_from(MAX_FILE_BYTES).unwrap();
    let mut text = head.to_vec();
    text.resize(size, b'#');
    text.push(b'\n');
    let path = write("large.toml", &text);
    let error = Overrides::from_file(&path).unwrap_err();
    assert_eq!(error.origin, path.display().to_string());
    assert_eq!(
        error.reason,
        "the file is larger than 1048576 bytes (1 MiB), the most `from_file` reads; an overrides file holds a few kilobytes"
    );
    // At the limit exactly, it is read.
    text.truncate(size - 1);
    text.push(b'\n');
    let path = write("at-limit.toml", &text);
    assert!(!Overrides::from_file(&path).unwrap().is_empty());
}

#[test]
fn a_file_that_is_not_utf8_is_rejected() {
    let path = write("latin1.toml", b"[retry.caf\xe9]\nmax_attempts = 3\n");
    let error = Overrides::from_file(&path).unwrap_err();
    assert_eq!(
        error.reason,
        "the file is not UTF-8 text (the first invalid byte is at offset 10)"
    );
}
