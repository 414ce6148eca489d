//! What a state file may hold: at most `MAX_BREAKERS` breakers and `MAX_FILE_BYTES` bytes. A
//! file past either limit is rejected, naming the limit, and nothing of it is applied (or kept
//! in memory); a state past either limit is not saved.
#![cfg(feature = "persist")]

use std::fmt::Write as _;
use std::path::PathBuf;

use retry_runtime::persist::{BreakerStore, MAX_BREAKERS, MAX_FILE_BYTES, PersistError};
use retry_runtime::{BreakerConfig, BreakerState, register_breaker};

const HEADER: &str = "retry-runtime breaker state v1\n";

fn file(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "retry-runtime-persist-limits-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

/// A state file naming `count` forced-open breakers, `<prefix>-0` and on.
fn naming(prefix: &str, count: usize) -> String {
    let mut text = String::from(HEADER);
    for index in 0..count {
        writeln!(text, "{prefix}-{index}\tforced_open\t0\t0").unwrap();
    }
    text
}

fn rejection(store: &BreakerStore) -> (usize, String) {
    match store.restore() {
        Err(PersistError::Corrupt { line, reason, .. }) => (line, reason),
        other => panic!("expected the file to be rejected, got {other:?}"),
    }
}

#[test]
fn a_file_naming_more_breakers_than_the_limit_is_rejected() {
    let path = file("too-many");
    std::fs::write(&path, naming("persist-too-many", MAX_BREAKERS + 1)).unwrap();
    let (line, reason) = rejection(&BreakerStore::new(&path));
    // The header is line 1, so the breaker past the limit is on line MAX_BREAKERS + 2.
    assert_eq!(line, MAX_BREAKERS + 2);
    assert!(reason.contains(&MAX_BREAKERS.to_string()), "{reason}");
    assert!(reason.contains("MAX_BREAKERS"), "{reason}");
    // Nothing was applied, not even to the breakers named before the limit.
    let first = register_breaker("persist-too-many-0", BreakerConfig::DEFAULT);
    assert_eq!(first.state(), BreakerState::Closed);
}

#[test]
fn a_file_naming_as_many_breakers_as_the_limit_is_applied() {
    let path = file("most");
    std::fs::write(&path, naming("persist-most", MAX_BREAKERS)).unwrap();
    assert_eq!(BreakerStore::new(&path).restore().unwrap(), MAX_BREAKERS);
    let last_name: &'static str = Box::leak(format!("persist-most-{}", MAX_BREAKERS - 1).into());
    let last = register_breaker(last_name, BreakerConfig::DEFAULT);
    assert_eq!(last.state(), BreakerState::ForcedOpen);
}

#[test]
fn a_file_larger_than_the_limit_is_rejected_without_reading_it_all() {
    let path = file("too-large");
    let mut text = String::from(HEADER);
    text.push_str("persist-too-large\tforced_open\t0\t0\n");
    // One name that takes the file past the limit, twice over.
    text.push_str(&"x".repeat(2 * MAX_FILE_BYTES));
    text.push_str("\tclosed\t0\t0\n");
    std::fs::write(&path, text).unwrap();
    let (line, reason) = rejection(&BreakerStore::new(&path));
    assert_eq!(line, 3, "the line that crosses the limit");
    assert!(reason.contains(&MAX_FILE_BYTES.to_string()), "{reason}");
    assert!(reason.contains("MAX_FILE_BYTES"), "{reason}");
    assert!(
        reason.len() < 200,
        "the reason quotes no large part of the file: {reason}"
    );
    let named = register_breaker("persist-too-large", BreakerConfig::DEFAULT);
    assert_eq!(named.state(), BreakerState::Closed);
}

#[test]
fn a_state_naming_more_breakers_than_the_limit_is_not_saved() {
    // Registered in a test scope of this thread, so the other persistence tests of this binary
    // never see them.
    let _scope = retry_runtime::testing::scope();
    for index in 0..=MAX_BREAKERS {
        let name: &'static str = Box::leak(format!("persist-registered-{index}").into());
        register_breaker(name, BreakerConfig::DEFAULT);
    }
    let store = BreakerStore::new(file("registered"));
    match store.save() {
        Err(PersistError::TooLarge { reason, .. }) => {
            assert!(reason.contains(&MAX_BREAKERS.to_string()), "{reason}");
        }
        other => panic!("expected the save to be refused, got {other:?}"),
    }
    assert!(
        !store.path().exists(),
        "no file that restoring would reject"
    );
}
