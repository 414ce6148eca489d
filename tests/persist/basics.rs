//! Breaker state saved and restored: a round trip, a breaker that registers after the restore,
//! a corrupt file and a missing one (reported, nothing applied), concurrent writers (the file is
//! always whole), saving on every transition, and a restored open period clamped to the
//! breaker's `max_open_for`.
#![cfg(feature = "persist")]

use std::path::PathBuf;
use std::time::Duration;

use retry_runtime::persist::{BreakerStore, PersistError};
use retry_runtime::testing::pause_sync_time;
use retry_runtime::{
    BreakerConfig, BreakerState, CircuitOpen, breaker, circuit_breaker, register_breaker,
};

#[derive(Debug, PartialEq)]
enum Error {
    Down,
    Rejected(Option<Duration>),
}

impl From<CircuitOpen> for Error {
    fn from(open: CircuitOpen) -> Self {
        Error::Rejected(open.retry_after)
    }
}

fn file(test: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!(
        "retry-runtime-persist-{}-{test}",
        std::process::id()
    ));
    let _ = std::fs::remove_file(&path);
    path
}

#[circuit_breaker(name = "persist-round-trip", failure_threshold = 1, open_for = "30s")]
fn round_trip() -> Result<(), Error> {
    Err(Error::Down)
}

#[test]
fn an_open_breaker_is_restored_open_for_the_time_it_had_left() {
    let paused = pause_sync_time();
    let store = BreakerStore::new(file("round-trip"));
    assert_eq!(round_trip(), Err(Error::Down));
    paused.advance(Duration::from_secs(10));
    store.save().unwrap();

    // A restart, as far as this breaker knows: closed again...
    let handle = breaker("persist-round-trip").unwrap();
    handle.reset();
    assert_eq!(handle.state(), BreakerState::Closed);
    // ...until the saved state comes back: open, with 20 of its 30 seconds left.
    assert!(store.restore().unwrap() >= 1);
    assert_eq!(handle.state(), BreakerState::Open);
    assert_eq!(
        round_trip(),
        Err(Error::Rejected(Some(Duration::from_secs(20))))
    );
    paused.advance(Duration::from_secs(20));
    assert_eq!(
        round_trip(),
        Err(Error::Down),
        "a probe runs once the time is up"
    );
}

#[circuit_breaker(name = "persist-later", failure_threshold = 5)]
fn registers_later() -> Result<(), Error> {
    Ok(())
}

#[test]
fn a_breaker_that_registers_after_the_restore_takes_its_saved_state() {
    let path = file("later");
    std::fs::write(
        &path,
        "retry-runtime breaker state v1\npersist-later\tforced_open\t0\t0\n",
    )
    .unwrap();
    assert!(breaker("persist-later").is_none());
    assert_eq!(BreakerStore::new(&path).restore().unwrap(), 1);
    assert_eq!(registers_later(), Err(Error::Rejected(None)));
    assert_eq!(
        breaker("persist-later").unwrap().state(),
        BreakerState::ForcedOpen
    );
}

#[circuit_breaker(name = "persist-untouched", failure_threshold = 5)]
fn untouched() -> Result<(), Error> {
    Ok(())
}

#[test]
fn a_corrupt_or_missing_file_is_reported_and_nothing_is_applied() {
    assert_eq!(untouched(), Ok(()));
    let path = file("corrupt");
    for (text, line, reason) in [
        (
            "not a state file\n",
            1,
            "the first line is not \"retry-runtime breaker state v1\"",
        ),
        (
            "retry-runtime breaker state v1\npersist-untouched\topen\n",
            2,
            "expected 4 tab-separated fields, found 2",
        ),
        (
            "retry-runtime breaker state v1\npersist-untouched\tajar\t0\t0\n",
            2,
            "unknown state \"ajar\"",
        ),
        (
            "retry-runtime breaker state v1\npersist-untouched\topen\tmany\t0\n",
            2,
            "\"many\" is not a trip count",
        ),
    ] {
        std::fs::write(&path, text).unwrap();
        match BreakerStore::new(&path).restore() {
            Err(PersistError::Corrupt {
                line: got_line,
                reason: got_reason,
                ..
            }) => {
                assert_eq!((got_line, got_reason.as_str()), (line, reason));
            }
            other => panic!("expected a corrupt file for {text:?}, got {other:?}"),
        }
    }
    std::fs::write(
        &path,
        b"retry-runtime breaker state v1\npersist-untouched\tforced_open\t0\t0\nnot\xffUTF-8\n",
    )
    .unwrap();
    match BreakerStore::new(&path).restore() {
        Err(PersistError::Corrupt { line, reason, .. }) => {
            assert_eq!((line, reason.as_str()), (3, "not UTF-8 text"));
        }
        other => panic!("expected a corrupt file for bytes that are not UTF-8, got {other:?}"),
    }
    assert_eq!(
        breaker("persist-untouched").unwrap().state(),
        BreakerState::Closed
    );
    let missing = BreakerStore::new(file("missing")).restore().unwrap_err();
    assert!(matches!(missing, PersistError::Missing { .. }));
    assert!(
        missing
            .to_string()
            .ends_with("no saved breaker state yet; every breaker starts closed"),
        "{missing}"
    );
}

#[test]
fn concurrent_writers_never_leave_a_partial_file() {
    // A breaker of its own: tripping another test's breaker here would race with that test.
    register_breaker("persist-concurrent", BreakerConfig::DEFAULT);
    let store = BreakerStore::new(file("concurrent"));
    store.save().unwrap();
    std::thread::scope(|scope| {
        for _ in 0..4 {
            let store = store.clone();
            scope.spawn(move || {
                for _ in 0..25 {
                    store.save().unwrap();
                }
            });
        }
        let reader = store.clone();
        scope.spawn(move || {
            for _ in 0..100 {
                let text = std::fs::read_to_string(reader.path()).unwrap();
                assert!(
                    text.starts_with("retry-runtime breaker state v1\n"),
                    "{text:?}"
                );
                assert!(text.ends_with('\n'), "a whole file: {text:?}");
            }
        });
    });
    let leftovers: Vec<_> = std::fs::read_dir(std::env::temp_dir())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .contains(&format!("persist-{}-concurrent.tmp", std::process::id()))
        })
        .collect();
    assert!(
        leftovers.is_empty(),
        "temporary files left behind: {leftovers:?}"
    );
}

#[circuit_breaker(name = "persist-on-transition", failure_threshold = 1)]
fn saved_on_transition() -> Result<(), Error> {
    Err(Error::Down)
}

#[test]
fn state_is_saved_on_every_transition() {
    let store = BreakerStore::new(file("on-transition"));
    let _saving = store.save_on_transition();
    assert_eq!(saved_on_transition(), Err(Error::Down));
    // The save runs on the store's writer thread: wait for it.
    store.flush().unwrap();
    let text = std::fs::read_to_string(store.path()).unwrap();
    assert!(text.contains("persist-on-transition\topen\t1\t"), "{text}");
}

#[circuit_breaker(
    name = "persist-clamped",
    failure_threshold = 1,
    open_for = "30s",
    max_open_for = "2m"
)]
fn clamped() -> Result<(), Error> {
    Err(Error::Down)
}

#[test]
fn a_restored_open_period_never_exceeds_max_open_for() {
    let paused = pause_sync_time();
    assert_eq!(clamped(), Err(Error::Down));
    let path = file("clamped");
    // u64::MAX milliseconds: half a billion years, far past the breaker's 2 minutes.
    std::fs::write(
        &path,
        format!(
            "retry-runtime breaker state v1\npersist-clamped\topen\t1\t{}\n",
            u64::MAX
        ),
    )
    .unwrap();
    let store = BreakerStore::new(&path);
    assert_eq!(store.restore().unwrap(), 1);
    assert_eq!(
        clamped(),
        Err(Error::Rejected(Some(Duration::from_secs(120)))),
        "open for max_open_for at most"
    );
    // Saved again, it is saved with what is left of the 2 minutes, not with the file's value.
    store.save().unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(
        text.contains("persist-clamped\topen\t1\t120000\n"),
        "{text}"
    );
    paused.advance(Duration::from_secs(120));
    assert_eq!(
        clamped(),
        Err(Error::Down),
        "a probe runs after max_open_for"
    );
}

#[circuit_breaker(
    name = "persist-clamped-later",
    failure_threshold = 1,
    open_for = "10s",
    max_open_for = "1m"
)]
fn clamped_later() -> Result<(), Error> {
    Err(Error::Down)
}

#[test]
fn a_breaker_that_registers_after_the_restore_is_clamped_to_its_own_max_open_for() {
    let paused = pause_sync_time();
    let path = file("clamped-later");
    std::fs::write(
        &path,
        format!(
            "retry-runtime breaker state v1\npersist-clamped-later\topen\t3\t{}\n",
            u64::MAX
        ),
    )
    .unwrap();
    assert!(breaker("persist-clamped-later").is_none());
    assert_eq!(BreakerStore::new(&path).restore().unwrap(), 1);
    assert_eq!(
        clamped_later(),
        Err(Error::Rejected(Some(Duration::from_secs(60))))
    );
    paused.advance(Duration::from_secs(60));
    assert_eq!(clamped_later(), Err(Error::Down));
}
